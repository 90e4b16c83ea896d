package playback

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
	"vigie/sfu"
	"vigie/store"
)

// startFake runs a service with one camera on sim and the fake room.
func startFake(t *testing.T, sim *camsim.Server, cam config.Camera, tweak func(*ServiceConfig)) (*Service, *fakeRoom) {
	t.Helper()
	fake := &fakeRoom{attached: map[*sfu.Feed]string{}}
	cfg := ServiceConfig{Cameras: []config.Camera{cam}, Rooms: fake, Signaling: fake, Timeline: fake, Every: 100 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	svc := NewService(cfg)
	t.Cleanup(svc.Close)
	return svc, fake
}

func (f *fakeRoom) entriesOf(kind string) []store.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Entry
	for _, e := range f.entries {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeRoom) states() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range f.msgs {
		seen[m.State] = true
	}
	return seen
}

func recordedAt(t *testing.T, svc *Service, id string) time.Time {
	t.Helper()
	r, err := svc.get(id)
	if err != nil {
		t.Fatal(err)
	}
	return r.player.RecordedAt()
}

// The recorder restarts on the same port: the playback reconnects, asks
// for the footage from the recorded time it had reached, keeps its feed
// in the room and stays playing.
func TestPlaybackSurvivesRecorderRestart(t *testing.T) {
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	for _, mode := range []string{config.PlaybackONVIF, config.PlaybackTemplate} {
		t.Run(mode, func(t *testing.T) {
			sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sim.Close)
			cam := config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")}
			if mode == config.PlaybackTemplate {
				cam.PlaybackMode, cam.PlaybackURL = mode, sim.URL("playback")+"?starttime={start}&endtime={end}"
			}
			svc, fake := startFake(t, sim, cam, nil)
			id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 8*time.Second, "a second of footage", func() bool { return recordedAt(t, svc, id).After(from.Add(time.Second)) })
			before := len(sim.PlaybackRequests())
			if err := sim.Restart(1500 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "a new PLAY", func() bool { return len(sim.PlaybackRequests()) > before })
			req := sim.PlaybackRequests()[before]
			reached := recordedAt(t, svc, id)
			if req.Start.Before(from.Add(time.Second)) || req.Start.After(reached) || req.ONVIF != (mode == config.PlaybackONVIF) {
				t.Fatalf("after the restart the recorder was asked for %+v; the clock had reached %s", req, reached)
			}
			waitFor(t, 10*time.Second, "the clock to move on", func() bool {
				return recordedAt(t, svc, id).After(req.Start.Add(500 * time.Millisecond))
			})
			fake.mu.Lock()
			attached, detached := len(fake.attached), fake.detached
			fake.mu.Unlock()
			if attached != 1 || detached != 0 {
				t.Fatalf("after the restart: %d feeds attached, %d detached; want the same feed", attached, detached)
			}
			if st := fake.states(); st[StateStopped] || st[StatePaused] || !st[StatePlaying] {
				t.Fatalf("states sent: %v, want playing only", st)
			}
			if got := svc.List("inc1"); len(got) != 1 || got[0].ID != id || got[0].State != StatePlaying || got[0].Track != "cour-rec-"+id {
				t.Fatalf("list %+v", got)
			}
		})
	}
}

// A recorder that stays down stops the playback after GiveUp, with the
// reason on the timeline; pausing meanwhile is accepted.
func TestPlaybackGivesUp(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	svc, fake := startFake(t, sim, config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")},
		func(c *ServiceConfig) { c.GiveUp = 2 * time.Second })
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sim.Close()
	waitFor(t, 10*time.Second, "playback_stopped", func() bool { return len(fake.entriesOf("playback_stopped")) == 1 })
	e := fake.entriesOf("playback_stopped")[0]
	if e.Actor != "system" || e.Detail["reason"] != "recorder unreachable for 2 s" {
		t.Fatalf("stopped entry %+v", e)
	}
	if m, _ := fake.last(); m.State != StateStopped || m.ID != id {
		t.Fatalf("last status %+v", m)
	}
	if _, err := svc.get(id); err != ErrEnded {
		t.Fatalf("playback still running: %v", err)
	}
	if got := svc.List("inc1"); len(got) != 1 || got[0].State != StateEnded {
		t.Fatalf("list %+v: want it ended, kept for its clip", got)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.attached) != 0 || fake.detached != 1 {
		t.Fatalf("after giving up: %d attached, %d detached", len(fake.attached), fake.detached)
	}
}

// fakeShare keeps the shared clip in a folder.
type fakeShare struct {
	dir  string
	mu   sync.Mutex
	name string
	room string
	by   [2]string
}

func (f *fakeShare) ShareClip(_ context.Context, room string, r io.Reader, name, uploaderID, uploader string) (string, string, error) {
	out, err := os.Create(filepath.Join(f.dir, "shared.mp4"))
	if err != nil {
		return "", "", err
	}
	defer out.Close()
	if _, err := io.Copy(out, r); err != nil {
		return "", "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.name, f.room, f.by = name, room, [2]string{uploaderID, uploader}
	return "f_1", name, nil
}

// A clip of what was played is an MP4 ffprobe reads, as long as the range
// it says it holds; it is shared in the room and on the timeline.
func TestSaveClip(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is missing: `make test` installs it (Debian package ffmpeg)")
	}
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	share := &fakeShare{dir: t.TempDir()}
	svc, fake := startFake(t, sim, config.Camera{ID: "cour", Name: "Cour", PlaybackURL: sim.URL("playback")},
		func(c *ServiceConfig) { c.Clips, c.ClipDir = share, t.TempDir() })
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveClip(t.Context(), id, "operator:alice", "Alice"); err != ErrNoFootage {
		t.Fatalf("clip before any keyframe: %v", err)
	}
	waitFor(t, 15*time.Second, "6 s of footage", func() bool { return recordedAt(t, svc, id).After(from.Add(6 * time.Second)) })
	if err := svc.Pause(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	clip, err := svc.SaveClip(t.Context(), id, "operator:alice", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	span := clip.To.Sub(clip.From).Seconds()
	if clip.From.Before(from) || clip.To.After(recordedAt(t, svc, id).Add(time.Second)) || span < 1 {
		t.Fatalf("clip %+v: want within %s–%s", clip, from, recordedAt(t, svc, id))
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "format=duration",
		"-of", "csv=p=0", filepath.Join(share.dir, "shared.mp4")).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	got, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || math.Abs(got-span) > span/10 {
		t.Fatalf("clip lasts %q s, want %.2f s ± 10 %%", out, span)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	times := clip.From.In(paris).Format("15h04m05") + "–" + clip.To.In(paris).Format("15h04m05")
	wantName := "Enregistrement — caméra Cour " + times + " (Recorded — camera Cour " + times + ").mp4"
	if clip.File != "f_1" || clip.Name != wantName || share.name != wantName || share.room != "room1" || share.by != [2]string{"operator:alice", "Alice"} {
		t.Fatalf("shared %+v as %q in %s by %v; want %q", clip, share.name, share.room, share.by, wantName)
	}
	saved := fake.entriesOf("playback_clip_saved")
	if len(saved) != 1 || saved[0].Actor != "operator:alice" || saved[0].Detail["camera"] != "cour" || saved[0].Detail["file"] != "f_1" ||
		saved[0].Detail["from"] != clip.From.UTC().Format(time.RFC3339Nano) || saved[0].Detail["to"] != clip.To.UTC().Format(time.RFC3339Nano) {
		t.Fatalf("timeline %+v", saved)
	}

	// Stopped, it is still there for its clip: the same footage.
	if err := svc.Stop(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	again, err := svc.SaveClip(t.Context(), id, "operator:alice", "Alice")
	if err != nil {
		t.Fatalf("clip after stop: %v", err)
	}
	if !again.From.Equal(clip.From) || again.To.Before(clip.To) {
		t.Fatalf("clip after stop %+v, before %+v", again, clip)
	}
	if err := svc.Dismiss(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveClip(t.Context(), id, "operator:alice", "Alice"); err != ErrNotFound {
		t.Fatalf("clip after dismiss: %v", err)
	}
}
