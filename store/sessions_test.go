package store

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func createRoom(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.CreateRoom(t.Context(), Room{ID: id, Name: "room " + id, CreatedAt: at(0)}); err != nil {
		t.Fatal(err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	s := openTest(t)
	createRoom(t, s, "r1")
	alice := Session{
		ID: "s1", RoomID: "r1", ParticipantID: "p-alice", Name: "Alice (gendarmerie)", Role: "responder",
		RemoteAddr: "192.0.2.7:51234", UserAgent: "Mozilla/5.0", JoinedAt: at(1),
	}
	bob := Session{ID: "s2", RoomID: "r1", ParticipantID: "p-bob", Name: "Bob", Role: "operator", JoinedAt: at(2)}
	for _, sess := range []Session{bob, alice} {
		if err := s.StartSession(t.Context(), sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EndSession(t.Context(), "s1", at(3), "left"); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(t.Context(), "s1", at(4), "timeout"); err != nil {
		t.Fatalf("ending an ended session: %v", err)
	}

	got, err := s.Sessions(t.Context(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantAlice := alice
	wantAlice.JoinedAt, wantAlice.LeftAt, wantAlice.LeaveReason = stored(at(1)), ptr(stored(at(3))), "left"
	wantBob := bob
	wantBob.JoinedAt = stored(at(2))
	if want := []Session{wantAlice, wantBob}; !reflect.DeepEqual(got, want) {
		t.Errorf("Sessions =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSessionErrors(t *testing.T) {
	s := openTest(t)
	createRoom(t, s, "r1")
	if err := s.StartSession(t.Context(), Session{ID: "s1", RoomID: "r1", JoinedAt: at(1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		call         func() error
		wantNotFound bool
	}{
		{"unknown room", func() error {
			return s.StartSession(t.Context(), Session{ID: "s2", RoomID: "nope", JoinedAt: at(1)})
		}, true},
		{"end unknown session", func() error { return s.EndSession(t.Context(), "nope", at(2), "left") }, true},
		{"duplicate id", func() error {
			return s.StartSession(t.Context(), Session{ID: "s1", RoomID: "r1", JoinedAt: at(1)})
		}, false},
		{"no join time", func() error { return s.StartSession(t.Context(), Session{ID: "s3", RoomID: "r1"}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, ErrNotFound) != tt.wantNotFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tt.wantNotFound, tt.wantNotFound)
			}
		})
	}
	if got, err := s.Sessions(t.Context(), "nope"); err != nil || len(got) != 0 {
		t.Errorf("Sessions of an unknown room = %v, %v; want none and no error", got, err)
	}
}

// TestConcurrentSessions has many goroutines join and leave at once, as a
// busy incident room does, and checks that nothing is lost or refused.
func TestConcurrentSessions(t *testing.T) {
	s := openTest(t)
	createRoom(t, s, "r1")
	const workers, perWorker = 32, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := fmt.Sprintf("s-%d-%d", w, i)
				sess := Session{ID: id, RoomID: "r1", ParticipantID: id, JoinedAt: time.Now()}
				if err := s.StartSession(t.Context(), sess); err != nil {
					t.Errorf("StartSession %s: %v", id, err)
					return
				}
				if i%2 == 0 {
					if err := s.EndSession(t.Context(), id, time.Now(), "left"); err != nil {
						t.Errorf("EndSession %s: %v", id, err)
						return
					}
				}
				if i%5 == 0 { // readers alongside the writers
					if _, err := s.Sessions(t.Context(), "r1"); err != nil {
						t.Errorf("Sessions: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()

	all, err := s.Sessions(t.Context(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != workers*perWorker {
		t.Errorf("%d sessions recorded, want %d", len(all), workers*perWorker)
	}
	n, err := s.EndOpenSessions(t.Context(), time.Now(), "shutdown")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(workers * perWorker / 2); n != want {
		t.Errorf("EndOpenSessions ended %d, want %d", n, want)
	}
}

func TestEndOpenSessions(t *testing.T) {
	s := openTest(t)
	createRoom(t, s, "r1")
	createRoom(t, s, "r2")
	for i, sess := range []Session{
		{ID: "a", RoomID: "r1", JoinedAt: at(1)},
		{ID: "b", RoomID: "r1", JoinedAt: at(2), LeftAt: ptr(at(3)), LeaveReason: "left"},
		{ID: "c", RoomID: "r2", JoinedAt: at(4)},
	} {
		if err := s.StartSession(t.Context(), sess); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	steps := []struct {
		reason string
		want   int64
	}{
		{"crash recovery", 2},
		{"shutdown", 0},
	}
	for _, step := range steps {
		n, err := s.EndOpenSessions(t.Context(), at(10), step.reason)
		if err != nil {
			t.Fatal(err)
		}
		if n != step.want {
			t.Errorf("EndOpenSessions(%q) = %d, want %d", step.reason, n, step.want)
		}
	}
	for room, want := range map[string]map[string]string{
		"r1": {"a": "crash recovery", "b": "left"},
		"r2": {"c": "crash recovery"},
	} {
		sessions, err := s.Sessions(t.Context(), room)
		if err != nil {
			t.Fatal(err)
		}
		for _, sess := range sessions {
			if sess.LeftAt == nil || sess.LeaveReason != want[sess.ID] {
				t.Errorf("session %s: left %v reason %q, want reason %q", sess.ID, sess.LeftAt, sess.LeaveReason, want[sess.ID])
			}
		}
	}
}
