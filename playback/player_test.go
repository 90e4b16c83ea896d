package playback

import (
	"sync"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
)

func TestSourceFor(t *testing.T) {
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	to := from.Add(3 * time.Minute)
	tests := []struct {
		name    string
		cam     config.Camera
		from    time.Time
		want    Source
		wantErr bool
	}{
		{"onvif", config.Camera{ID: "a", PlaybackURL: "rtsp://nvr/tracks/101"}, from,
			Source{URL: "rtsp://nvr/tracks/101", ONVIF: true}, false},
		{"template", config.Camera{ID: "a", PlaybackMode: "template", PlaybackURL: "rtsp://nvr/t?starttime={start}&endtime={end}"}, from,
			Source{URL: "rtsp://nvr/t?starttime=20261204T140210Z&endtime=20261204T140510Z"}, false},
		{"template local time", config.Camera{ID: "a", PlaybackMode: "template", PlaybackURL: "rtsp://nvr/t?starttime={start}"},
			from.In(time.FixedZone("CET", 3600)), Source{URL: "rtsp://nvr/t?starttime=20261204T140210Z"}, false},
		{"no url", config.Camera{ID: "a"}, from, Source{}, true},
		{"empty range", config.Camera{ID: "a", PlaybackURL: "rtsp://nvr/x"}, to, Source{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SourceFor(tt.cam, tt.from, to)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPlayerFromCamsim(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	to := from.Add(time.Minute)
	cams := map[string]config.Camera{
		"onvif":    {ID: "a", PlaybackURL: sim.URL("playback")},
		"template": {ID: "b", PlaybackMode: "template", PlaybackURL: sim.URL("playback") + "?starttime={start}&endtime={end}"},
	}
	for name, cam := range cams {
		t.Run(name, func(t *testing.T) {
			src, err := SourceFor(cam, from, to)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			units, keys := 0, 0
			var last int64 = -1
			backwards := false
			p, err := Start(t.Context(), Options{Source: src, From: from, To: to, Sink: func(pts int64, au [][]byte, key bool) {
				mu.Lock()
				defer mu.Unlock()
				if units == 0 && !key {
					backwards = true // the first unit must be a keyframe
				}
				backwards = backwards || pts <= last
				last = pts
				units++
				if key {
					keys++
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			reqs := sim.PlaybackRequests()
			if len(reqs) == 0 || !reqs[len(reqs)-1].Start.Equal(from) || reqs[len(reqs)-1].ONVIF != src.ONVIF {
				t.Fatalf("recorder got %+v, want start %s onvif %v", reqs, from, src.ONVIF)
			}
			waitFor(t, 8*time.Second, "the clock to pass start+300ms", func() bool {
				return p.RecordedAt().After(from.Add(300 * time.Millisecond))
			})
			if at := p.RecordedAt(); at.After(from.Add(5 * time.Second)) {
				t.Fatalf("recorded time %s runs ahead of start %s", at, from)
			}
			mu.Lock()
			if units == 0 {
				t.Fatal("no access unit reached the sink")
			}
			mu.Unlock()

			if err := p.Pause(); err != nil {
				t.Fatal(err)
			}
			paused := p.RecordedAt()
			time.Sleep(400 * time.Millisecond) // the clock must not move meanwhile
			if got := p.RecordedAt(); !got.Equal(paused) || !p.Paused() {
				t.Fatalf("paused at %s, now %s", paused, got)
			}
			if err := p.Resume(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the clock to move after resume", func() bool {
				return p.RecordedAt().After(paused)
			})
			if at := p.RecordedAt(); at.Sub(paused) > 3*time.Second {
				t.Fatalf("after resume the clock jumped from %s to %s", paused, at)
			}
			waitFor(t, 6*time.Second, "a keyframe", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return keys > 0
			})
			n := units
			waitFor(t, 6*time.Second, "units after resume", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return units > n+10
			})
			mu.Lock()
			defer mu.Unlock()
			if backwards {
				t.Fatal("the sink got a first unit that is not a keyframe, or a PTS that does not increase")
			}
		})
	}
}
