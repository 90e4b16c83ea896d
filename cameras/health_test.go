package cameras

import (
	"context"
	"testing"
	"time"

	"vigie/ingest"
	"vigie/sfu"
)

func TestHealthCountsLostStreams(t *testing.T) {
	tests := []struct {
		name       string
		states     []ingest.State
		want       string
		reconnects uint64
	}{
		{"never started", nil, "connecting", 0},
		{"live", []ingest.State{"connecting", "live"}, "live", 0},
		{"never live", []ingest.State{"connecting", "reconnecting", "failed"}, "failed", 0},
		{"lost once", []ingest.State{"connecting", "live", "reconnecting", "live"}, "live", 1},
		{"lost for good", []ingest.State{"connecting", "live", "failed"}, "failed", 1},
		{"lost twice", []ingest.State{"live", "reconnecting", "live", "reconnecting", "reconnecting"}, "reconnecting", 2},
		{"restarted after idle", []ingest.State{"live", "connecting", "live"}, "live", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := New(context.Background(), []Camera{{ID: "cam", URL: "rtsp://127.0.0.1:1/x"}},
				&shownFeeds{rooms: map[string][]*sfu.Feed{}}, quiet(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			cam := reg.cams["cam"]
			if h := reg.Health(); len(h) != 1 || h[0].State != StateIdle {
				t.Fatalf("before any start: %+v", h)
			}
			if _, ok := cam.begin(context.Background()); !ok {
				t.Fatal("begin")
			}
			for _, s := range tt.states {
				cam.Status(ingest.Status{State: s})
			}
			want := []Health{{ID: "cam", State: tt.want, Reconnects: tt.reconnects}}
			if got := reg.Health(); len(got) != 1 || got[0] != want[0] {
				t.Fatalf("Health() = %+v, want %+v", got, want)
			}
			cam.ended()
			if got := reg.Health(); got[0].State != StateIdle || got[0].Reconnects != tt.reconnects {
				t.Fatalf("after the ingest ended: %+v", got)
			}
		})
	}
}

// waitHealth polls the registry until camera id's health matches ok.
func waitHealth(t *testing.T, reg *Registry, id string, ok func(Health) bool) Health {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, h := range reg.Health() {
			if h.ID == id && ok(h) {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera %s: health %+v", id, reg.Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthFollowsRealCameras(t *testing.T) {
	sim := startSim(t, "", "")
	reg, err := New(context.Background(), []Camera{
		{ID: "a-preloaded", URL: sim.URL("/main"), Preload: true},
		{ID: "b-on-demand", URL: sim.URL("/main")},
	}, &shownFeeds{rooms: map[string][]*sfu.Feed{}}, quiet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	waitHealth(t, reg, "a-preloaded", func(h Health) bool { return h.State == "live" })
	if h := reg.Health(); len(h) != 2 || h[0].ID != "a-preloaded" || h[1].State != StateIdle {
		t.Fatalf("health %+v", h)
	}
	if err := reg.Attach("r1", []string{"b-on-demand"}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, reg, "b-on-demand", func(h Health) bool { return h.State == "live" })

	sim.DropSessions()
	for _, id := range []string{"a-preloaded", "b-on-demand"} {
		waitHealth(t, reg, id, func(h Health) bool { return h.State == "live" && h.Reconnects == 1 })
	}
	reg.Detach("r1")
	waitHealth(t, reg, "b-on-demand", func(h Health) bool { return h.State == StateIdle && h.Reconnects == 1 })
}
