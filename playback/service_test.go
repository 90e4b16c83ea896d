package playback

import (
	"context"
	"sync"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
	"vigie/sfu"
	"vigie/store"
)

type fakeRoom struct {
	mu       sync.Mutex
	attached map[*sfu.Feed]string
	detached int
	msgs     []StatusMessage
	entries  []store.Entry
	onAttach func(room string) // called before a feed is attached, unlocked; nil: nothing
}

func (f *fakeRoom) AttachFeed(room string, feed *sfu.Feed) error {
	if f.onAttach != nil {
		f.onAttach(room)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attached[feed] = room
	return nil
}

func (f *fakeRoom) DetachFeed(room string, feed *sfu.Feed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.attached, feed)
	f.detached++
}

func (f *fakeRoom) Broadcast(room string, msg any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, msg.(StatusMessage))
}

func (f *fakeRoom) Append(_ context.Context, e store.Entry) (store.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, e)
	return e, nil
}

func (f *fakeRoom) last() (StatusMessage, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) == 0 {
		return StatusMessage{}, 0
	}
	return f.msgs[len(f.msgs)-1], len(f.msgs)
}

func TestServiceStatusPauseStopTimeline(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	fake := &fakeRoom{attached: map[*sfu.Feed]string{}}
	svc := NewService(ServiceConfig{
		Cameras: []config.Camera{{ID: "cour", URL: sim.URL("main"), PlaybackURL: sim.URL("playback")}, {ID: "live", URL: sim.URL("main")}},
		Rooms:   fake, Signaling: fake, Timeline: fake, Every: 100 * time.Millisecond,
	})
	defer svc.Close()
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	to := from.Add(time.Minute)

	if _, err := svc.Start(t.Context(), "inc1", "room1", "op", "live", from, to); err != ErrNoCamera {
		t.Fatalf("camera without playback_url: %v", err)
	}
	if _, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", to, from); err != ErrBadRange {
		t.Fatalf("reversed range: %v", err)
	}
	id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, to)
	if err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	if len(fake.attached) != 1 {
		t.Fatalf("%d feeds attached", len(fake.attached))
	}
	fake.mu.Unlock()
	waitFor(t, 8*time.Second, "playback_status past the start", func() bool {
		m, _ := fake.last()
		at, err := time.Parse(time.RFC3339, m.RecordedAt)
		return err == nil && m.ID == id && m.Camera == "cour" && m.State == StatePlaying && at.After(from)
	})

	if err := svc.Pause(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	m, n := fake.last()
	if m.State != StatePaused {
		t.Fatalf("after pause: %+v", m)
	}
	waitFor(t, 3*time.Second, "two more reports", func() bool { _, k := fake.last(); return k >= n+2 })
	if m2, _ := fake.last(); m2.RecordedAt != m.RecordedAt || m2.State != StatePaused {
		t.Fatalf("paused at %s, then %+v", m.RecordedAt, m2)
	}
	if err := svc.Resume(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	if got := svc.List("inc1"); len(got) != 1 || got[0].State != StateEnded || got[0].Until == nil {
		t.Fatalf("after stop, list %+v: want it ended, kept for its clip", got)
	}
	if err := svc.Stop(t.Context(), id, "op"); err != nil {
		t.Fatalf("second stop: %v, want nothing done", err)
	}
	if err := svc.Pause(t.Context(), id, "op"); err != ErrEnded {
		t.Fatalf("pause when ended: %v", err)
	}
	if err := svc.Dismiss(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(t.Context(), id, "op"); err != ErrNotFound {
		t.Fatalf("stop after dismiss: %v", err)
	}
	if got := svc.List("inc1"); len(got) != 0 {
		t.Fatalf("after dismiss, list %+v", got)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.attached) != 0 || fake.detached != 1 {
		t.Fatalf("after stop: %d attached, %d detached", len(fake.attached), fake.detached)
	}
	if last := fake.msgs[len(fake.msgs)-1]; last.State != StateStopped {
		t.Fatalf("last status %+v", last)
	}
	if len(fake.entries) != 2 || fake.entries[0].Kind != "playback_started" || fake.entries[1].Kind != "playback_stopped" ||
		fake.entries[0].Actor != "op" || fake.entries[0].Detail["camera"] != "cour" ||
		fake.entries[0].Detail["from"] != "2026-12-04T14:02:10Z" || fake.entries[0].Incident != "inc1" {
		t.Fatalf("timeline %+v", fake.entries)
	}
}
