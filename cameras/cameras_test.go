package cameras

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/sfu"
)

// shownFeeds is a Media that records which feeds each room shows.
type shownFeeds struct {
	mu    sync.Mutex
	rooms map[string][]*sfu.Feed
}

func (m *shownFeeds) AttachFeed(roomID string, f *sfu.Feed) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rooms[roomID] = append(m.rooms[roomID], f)
	return nil
}

func (m *shownFeeds) DetachFeed(roomID string, f *sfu.Feed) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.rooms[roomID]
	for i, x := range list {
		if x == f {
			m.rooms[roomID] = append(list[:i], list[i+1:]...)
			return
		}
	}
}

func (m *shownFeeds) shown(roomID string) []*sfu.Feed {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*sfu.Feed(nil), m.rooms[roomID]...)
}

// statusLog collects every status change.
type statusLog struct {
	mu      sync.Mutex
	changes []Status
	notify  chan struct{}
	cursor  map[string]int // per camera: changes already matched by waitFor
}

func (l *statusLog) record(_ []string, st Status) {
	l.mu.Lock()
	l.changes = append(l.changes, st)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// waitFor returns the next change of camera id matching ok, after the
// one the previous waitFor for that camera returned.
func (l *statusLog) waitFor(t *testing.T, id string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		l.mu.Lock()
		if l.cursor == nil {
			l.cursor = map[string]int{}
		}
		for ; l.cursor[id] < len(l.changes); l.cursor[id]++ {
			if st := l.changes[l.cursor[id]]; st.ID == id && ok(st) {
				l.cursor[id]++
				l.mu.Unlock()
				return st
			}
		}
		l.mu.Unlock()
		select {
		case <-l.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("camera %s: no matching state within 20 s; saw %+v", id, l.changes)
		}
	}
}

func state(s string) func(Status) bool { return func(st Status) bool { return st.State == s } }

func startSim(t *testing.T, user, pass string) *camsim.Server {
	t.Helper()
	sim, err := camsim.Start(context.Background(), camsim.Config{Addr: "127.0.0.1:0", User: user, Pass: pass, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestCamerasInRooms(t *testing.T) {
	base := runtime.NumGoroutine()
	sim := startSim(t, "", "")
	media := &shownFeeds{rooms: map[string][]*sfu.Feed{}}
	log := &statusLog{notify: make(chan struct{}, 1)}
	reg, err := New(context.Background(), []Camera{
		{ID: "entree", Name: "Entrée", URL: sim.URL("/g711")},
		{ID: "bframes", URL: sim.URL("/bframes")},
		{ID: "aac", URL: sim.URL("/aac")},
	}, media, quiet(), log.record)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Attach("r1", []string{"entree", "nope"}); err == nil {
		t.Fatal("unknown camera accepted")
	}
	if err := reg.Attach("r1", []string{"entree", "bframes", "aac"}); err != nil {
		t.Fatal(err)
	}
	live := log.waitFor(t, "entree", state("live"))
	if live.Video != "H264" || live.Audio != "PCMU" || live.Name != "Entrée" {
		t.Fatalf("live status %+v", live)
	}
	if n := len(media.shown("r1")); n < 2 {
		t.Fatalf("room shows %d feeds, want video and audio of entree at least", n)
	}
	failed := log.waitFor(t, "bframes", state("failed"))
	if failed.Reason == "" {
		t.Fatal("B-frames refused without a reason")
	}
	aac := log.waitFor(t, "aac", state("live"))
	if aac.AudioNote == "" || aac.Audio != "" {
		t.Fatalf("AAC camera status %+v", aac)
	}
	statuses := reg.RoomCameras("r1")
	if len(statuses) != 3 || reg.RoomCameras("r2") != nil {
		t.Fatalf("room cameras %+v", statuses)
	}

	// A second room shares the same feeds: one session per camera.
	if err := reg.Attach("r2", []string{"entree"}); err != nil {
		t.Fatal(err)
	}
	before := media.shown("r1")
	sim.DropSessions()
	log.waitFor(t, "entree", state("reconnecting"))
	log.waitFor(t, "entree", state("live"))
	for i, f := range media.shown("r1") {
		if f != before[i] {
			t.Fatal("a reconnection replaced a feed: viewers would lose their tracks")
		}
	}

	reg.Detach("r1")
	reg.Detach("r2")
	if n := len(media.shown("r1")) + len(media.shown("r2")); n != 0 {
		t.Fatalf("%d feeds still shown after detach", n)
	}
	reg.Close()
	sim.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Fatalf("%d goroutines left, started with %d", n, base)
	}
}

func TestWrongPasswordFails(t *testing.T) {
	sim := startSim(t, "admin", "right")
	log := &statusLog{notify: make(chan struct{}, 1)}
	reg, err := New(context.Background(), []Camera{
		{ID: "cam", URL: sim.URL("/main"), Username: "admin", Password: "wrong", Preload: true},
	}, &shownFeeds{rooms: map[string][]*sfu.Feed{}}, quiet(), log.record)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	st := log.waitFor(t, "cam", state("failed"))
	if st.Reason != "wrong user name or password" {
		t.Fatalf("reason %q", st.Reason)
	}
}

func TestConfigErrors(t *testing.T) {
	media := &shownFeeds{rooms: map[string][]*sfu.Feed{}}
	for _, list := range [][]Camera{
		{{ID: "", URL: "rtsp://h/x"}},
		{{ID: "a", URL: "rtsp://h/x"}, {ID: "a", URL: "rtsp://h/y"}},
		{{ID: "a", URL: "http://h/x"}},
	} {
		if _, err := New(context.Background(), list, media, quiet(), nil); err == nil {
			t.Fatalf("accepted %+v", list)
		}
	}
}
