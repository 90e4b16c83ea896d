package playback

import (
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
)

// Ended playbacks are kept for their clip, within bounds: at most
// KeepEnded (oldest dropped), for KeepFor, and not past their incident.
func TestEndedPlaybacksKept(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	ids := func(infos []Info) []string {
		var out []string
		for _, i := range infos {
			out = append(out, i.ID+":"+i.State)
		}
		return out
	}
	tests := []struct {
		name    string
		keep    int
		keepFor time.Duration
		run     func(t *testing.T, svc *Service, started []string)
	}{
		{"the oldest over the limit is dropped", 2, time.Hour, func(t *testing.T, svc *Service, started []string) {
			for _, id := range started {
				if err := svc.Stop(t.Context(), id, "op"); err != nil {
					t.Fatal(err)
				}
			}
			got := ids(svc.List("inc1"))
			if len(got) != 2 || got[0] != started[1]+":ended" || got[1] != started[2]+":ended" {
				t.Fatalf("kept %v, want the last two of %v ended", got, started)
			}
			if _, err := svc.get(started[0]); err != ErrNotFound {
				t.Fatalf("oldest: %v", err)
			}
		}},
		{"the limit counts running ones apart", 1, time.Hour, func(t *testing.T, svc *Service, started []string) {
			if err := svc.Stop(t.Context(), started[0], "op"); err != nil {
				t.Fatal(err)
			}
			got := ids(svc.List("inc1"))
			if len(got) != 3 || got[0] != started[0]+":ended" || got[1] != started[1]+":playing" {
				t.Fatalf("list %v", got)
			}
		}},
		{"forgotten after KeepFor", 4, 300 * time.Millisecond, func(t *testing.T, svc *Service, started []string) {
			if err := svc.Stop(t.Context(), started[0], "op"); err != nil {
				t.Fatal(err)
			}
			if got := svc.List("inc1"); len(got) != 3 || got[0].Until == nil || got[0].Until.After(time.Now().Add(time.Second)) {
				t.Fatalf("list %+v", got)
			}
			waitFor(t, 5*time.Second, "the ended playback forgotten", func() bool { return len(svc.List("inc1")) == 2 })
		}},
		{"forgotten when the incident closes", 4, time.Hour, func(t *testing.T, svc *Service, started []string) {
			if err := svc.Stop(t.Context(), started[0], "op"); err != nil {
				t.Fatal(err)
			}
			svc.StopRoom(t.Context(), "room1", "incident closed")
			if got := svc.List("inc1"); len(got) != 0 {
				t.Fatalf("after the incident closed: %v", ids(got))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := startFake(t, sim, config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")},
				func(c *ServiceConfig) { c.KeepEnded, c.KeepFor = tt.keep, tt.keepFor })
			var started []string
			for range 3 {
				id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				started = append(started, id)
			}
			tt.run(t, svc, started)
		})
	}
}

// A range played to its end leaves the playback ended, not gone.
func TestRangeEndKeepsPlayback(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	svc, fake := startFake(t, sim, config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")}, nil)
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the end of the range", func() bool { return len(fake.entriesOf("playback_stopped")) == 1 })
	if got := svc.List("inc1"); len(got) != 1 || got[0].ID != id || got[0].State != StateEnded {
		t.Fatalf("list %+v", got)
	}
	if m, _ := fake.last(); m.State != StateStopped {
		t.Fatalf("last status %+v: the room is told it stopped", m)
	}
}
