package signaling

import (
	"testing"
	"time"
)

// waitSessions polls Sessions until it is want.
func (e *testEnv) waitSessions(want int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Sessions() != want {
		if time.Now().After(deadline) {
			e.t.Fatalf("Sessions() = %d, want %d", e.srv.Sessions(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSessionsCountsJoinedBrowsers(t *testing.T) {
	e := newEnv(t)
	room, other := e.room("Exercice"), e.room("Autre")
	e.waitSessions(0)

	alice := e.dial()
	alice.send(map[string]any{"type": "join", "token": e.token(room, "p_a", "Alice", time.Hour)})
	alice.expect("joined")
	e.waitSessions(1)

	bobTok := e.token(other, "p_b", "Bob", time.Hour)
	bob := e.dial()
	bob.send(map[string]any{"type": "join", "token": bobTok})
	bob.expect("joined")
	e.waitSessions(2)

	// A second window of the same link replaces the first: still one Bob.
	bob2 := e.dial()
	bob2.send(map[string]any{"type": "join", "token": bobTok})
	bob2.expect("joined")
	bob.expectClosed()
	e.waitSessions(2)

	alice.send(map[string]any{"type": "leave"})
	alice.expectClosed()
	e.waitSessions(1)
	bob2.send(map[string]any{"type": "leave"})
	bob2.expectClosed()
	e.waitSessions(0)
}
