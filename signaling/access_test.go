package signaling

import (
	"testing"
	"time"
)

// A person already in the room is taken out, and told why, when the room
// closes or their invitation is withdrawn (at once, through AccessChanged)
// or their link expires (at the next periodic check); the others stay.
func TestAccessEndsDuringTheCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration // of Bob's link
		end  func(e *testEnv, access *invitations, room string)
		code string
	}{
		{"incident closed", time.Hour, func(e *testEnv, _ *invitations, room string) {
			if err := e.store.CloseRoom(t.Context(), room, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			e.srv.AccessChanged()
		}, CodeRoomClosed},
		{"invitation withdrawn", time.Hour, func(e *testEnv, access *invitations, _ string) {
			access.mu.Lock()
			access.revoked["v_bob"] = true
			access.mu.Unlock()
			e.srv.AccessChanged()
		}, CodeInvitationRevoked},
		{"link expired", 2 * time.Second, func(*testEnv, *invitations, string) {}, CodeTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			access := &invitations{revoked: map[string]bool{}}
			e.srv.Access = access
			room := e.room("Joliette")
			alice, _ := e.join(room, "v_alice", "Alice")
			bob := e.dial()
			bob.send(map[string]any{"type": "join", "token": e.token(room, "v_bob", "Bob", tc.ttl)})
			bob.expect("joined")
			alice.expect("participant_joined")

			e.srv.AccessChanged()
			bob.send(map[string]any{"type": "chat", "text": "encore là"})
			untilChat(t, alice, "encore là")

			start := time.Now()
			tc.end(e, access, room)
			if m := bob.expect("error"); m["code"] != tc.code {
				t.Fatalf("Bob was told %v, want %s", m, tc.code)
			}
			bob.expectClosed()
			t.Logf("Bob out %v after the change", time.Since(start).Round(time.Millisecond))
			if tc.code == CodeRoomClosed {
				alice.expect("error")
				return
			}
			if m := alice.expect("participant_left"); m["id"] != "v_bob" {
				t.Fatalf("left %v", m)
			}
			alice.send(map[string]any{"type": "chat", "text": "toujours là"})
			untilChat(t, alice, "toujours là")
		})
	}
}

// A store that cannot answer takes nobody out.
func TestAccessSweepKeepsEveryoneWhenTheStoreFails(t *testing.T) {
	e := newEnv(t)
	room := e.room("Joliette")
	alice, _ := e.join(room, "p_a", "Alice")
	e.join(room, "p_b", "Bob")
	alice.expect("participant_joined")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	e.srv.sweepRoomsOnce()
	if n := len(e.srv.joinedSessions()); n != 2 {
		t.Fatalf("%d sessions left after a sweep with the store down, want 2", n)
	}
}
