package playback

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
	"vigie/sfu"
)

// Closing the service ends a Start held by a silent recorder and waits
// for its work (Close's wait group is released by the Start's last
// deferred step, just before it hands its error to the caller).
func TestServiceCloseDuringSilentStart(t *testing.T) {
	rec := startSilent(t)
	svc, _ := startFake(t, nil, config.Camera{ID: "cour", PlaybackURL: rec.url()}, nil)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	started := make(chan error, 1)
	go func() {
		_, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Minute))
		started <- err
	}()
	waitFor(t, 5*time.Second, "the connection", func() bool { return rec.count() > 0 })
	within(t, 2*time.Second, "Close during a Start", svc.Close)
	select {
	case err := <-started:
		if err == nil {
			t.Fatal("Start on a silent recorder succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Start still connecting 5 s after Close returned")
	}
}

// A Start still connecting holds its place: with Max 1, a second one is
// refused meanwhile.
func TestServiceMaxCountsStartsInProgress(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	rec := startSilent(t)
	fake := &fakeRoom{attached: map[*sfu.Feed]string{}}
	svc := NewService(ServiceConfig{Cameras: []config.Camera{{ID: "slow", PlaybackURL: rec.url()}, {ID: "cour", PlaybackURL: sim.URL("playback")}},
		Rooms: fake, Signaling: fake, Timeline: fake, Max: 1})
	t.Cleanup(svc.Close)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	slow := make(chan error, 1)
	go func() {
		_, err := svc.Start(ctx, "inc1", "room1", "op", "slow", from, from.Add(time.Minute))
		slow <- err
	}()
	waitFor(t, 5*time.Second, "the slow connection", func() bool { return rec.count() > 0 })
	if _, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Minute)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("second Start while the first connects: %v, want ErrTooMany", err)
	}
	cancel()
	if err := <-slow; err == nil {
		t.Fatal("the cancelled Start succeeded")
	}
	id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Minute))
	if err != nil {
		t.Fatalf("Start once the slot is free: %v", err)
	}
	if err := svc.Stop(t.Context(), id, "op"); err != nil {
		t.Fatal(err)
	}
}

// The incident closes (StopRoom) while a Start is between the recorder's
// answer and the room: the Start is refused and leaves nothing playing in
// the closed incident's room.
func TestStopRoomDuringStart(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var svc *Service
	svc, fake := startFake(t, sim, config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")}, nil)
	fake.onAttach = func(room string) { svc.StopRoom(context.Background(), room, "incident closed") }
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	_, err = svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Minute))
	if !errors.Is(err, ErrRoomClosed) {
		t.Fatalf("Start while the incident closes: %v, want ErrRoomClosed", err)
	}
	if got := svc.List("inc1"); len(got) != 0 {
		t.Fatalf("playing after the incident closed: %+v", got)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.attached) != 0 {
		t.Fatalf("%d feeds left in the closed incident's room", len(fake.attached))
	}
}

// blockedIn polls the goroutines' stacks until one is waiting in fn.
func blockedIn(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	waitFor(t, 5*time.Second, "a goroutine waiting in "+fn, func() bool {
		stacks := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "sync.(*Mutex).Lock") && strings.Contains(g, fn) {
				return true
			}
		}
		return false
	})
}

// A Pause or Resume that was already on its way when the playback
// stopped answers "no such playback" and sends no status after the
// stopped one.
func TestPauseResumeRacingStop(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	svc, fake := startFake(t, sim, config.Camera{ID: "cour", PlaybackURL: sim.URL("playback")}, func(c *ServiceConfig) { c.Every = time.Hour })
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	for _, action := range []string{"pause", "resume"} {
		t.Run(action, func(t *testing.T) {
			id, err := svc.Start(t.Context(), "inc1", "room1", "op", "cour", from, from.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.get(id)
			if err != nil {
				t.Fatal(err)
			}
			if action == "resume" {
				if err := svc.Pause(t.Context(), id, "op"); err != nil {
					t.Fatal(err)
				}
			}
			r.player.playLock.Lock() // hold the action between the lookup and the player
			done := make(chan error, 1)
			go func() {
				if action == "pause" {
					done <- svc.Pause(t.Context(), id, "op")
				} else {
					done <- svc.Resume(t.Context(), id, "op")
				}
			}()
			blockedIn(t, "(*Player)."+strings.ToUpper(action[:1])+action[1:])
			if err := svc.Stop(t.Context(), id, "op"); err != nil {
				t.Fatal(err)
			}
			r.player.playLock.Unlock()
			if err := <-done; !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s after the stop: %v, want ErrNotFound", action, err)
			}
			if m, _ := fake.last(); m.ID != id || m.State != StateStopped {
				t.Fatalf("last status %+v, want stopped", m)
			}
		})
	}
}
