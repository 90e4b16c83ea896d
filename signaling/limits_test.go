package signaling

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestConnLimiter(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		addr string
		ok   bool
		wait time.Duration // when refused
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 30 * time.Second}, // 2 a minute: one more in 30 s
		{0, "b", true, 0},                 // each address has its own budget
		{29 * time.Second, "a", false, time.Second},
		{30 * time.Second, "a", true, 0},
		{30 * time.Second, "a", false, 30 * time.Second},
		{10 * time.Minute, "a", true, 0}, // refilled, not beyond the burst
		{10 * time.Minute, "a", true, 0},
		{10 * time.Minute, "a", false, 30 * time.Second},
	}
	now := start
	l := newConnLimiter(2, func() time.Time { return now })
	for i, s := range steps {
		now = start.Add(s.at)
		ok, wait := l.allow(s.addr)
		if ok != s.ok || (!ok && (wait-s.wait).Abs() > time.Millisecond) {
			t.Fatalf("step %d (%v, %s): allow = %v, %v; want %v, %v", i, s.at, s.addr, ok, wait, s.ok, s.wait)
		}
	}
}

func TestConnLimiterForgetsIdleAddresses(t *testing.T) {
	now := time.Now()
	l := newConnLimiter(60, func() time.Time { return now })
	for i := range maxTrackedAddrs {
		l.allow("10.0.0." + strconv.Itoa(i))
	}
	if ok, _ := l.allow("new"); ok {
		t.Fatal("a new address was let in with the table full of busy ones")
	}
	now = now.Add(time.Minute) // every bucket refilled: entries can go
	if ok, _ := l.allow("new"); !ok {
		t.Fatal("a new address was refused after the others went idle")
	}
	if n := len(l.addrs); n != 1 {
		t.Fatalf("%d addresses tracked, want 1", n)
	}
}

// joinRaw dials and sends join, returning the client and the first reply
// among joined and error.
func (e *testEnv) joinRaw(room, sub, name string) (*wsClient, map[string]any) {
	e.t.Helper()
	c := e.dial()
	c.send(map[string]any{"type": "join", "token": e.token(room, sub, name, time.Hour)})
	for {
		m := <-c.in
		if m == nil {
			e.t.Fatal("connection closed before joined or error")
		}
		if m["type"] == "joined" || m["type"] == "error" {
			return c, m
		}
	}
}

func expectRefused(t *testing.T, c *wsClient, m map[string]any, code string) {
	t.Helper()
	if m["type"] != "error" || m["code"] != code {
		t.Fatalf("got %v, want error %s", m, code)
	}
	c.expectClosed()
}

func TestRoomFull(t *testing.T) {
	e := newEnv(t, func(s *Server) { s.Limits = Limits{MaxParticipantsPerRoom: 2} })
	room := e.room("Exercice")
	e.joinRaw(room, "p_a", "Alice")
	e.joinRaw(room, "p_b", "Bob")
	c, m := e.joinRaw(room, "p_c", "Carol")
	expectRefused(t, c, m, CodeRoomFull)
	if m["message"] != "this room is full (2 people); ask the operator" {
		t.Fatalf("message %q", m["message"])
	}
	// The same person in a new window takes their own place.
	if _, m := e.joinRaw(room, "p_b", "Bob"); m["type"] != "joined" {
		t.Fatalf("rejoin: %v", m)
	}
	// Another room is not full.
	if _, m := e.joinRaw(e.room("Autre"), "p_c", "Carol"); m["type"] != "joined" {
		t.Fatalf("other room: %v", m)
	}
}

func TestServerFull(t *testing.T) {
	e := newEnv(t, func(s *Server) { s.Limits = Limits{MaxRooms: 1} })
	first, other := e.room("Un"), e.room("Deux")
	a, _ := e.joinRaw(first, "p_a", "Alice")
	c, m := e.joinRaw(other, "p_b", "Bob")
	expectRefused(t, c, m, CodeServerFull)
	// A room already open still takes people.
	carol, m := e.joinRaw(first, "p_c", "Carol")
	if m["type"] != "joined" {
		t.Fatalf("join an open room: %v", m)
	}
	// Once the first room empties, the other may open.
	for _, c := range []*wsClient{a, carol} {
		c.send(map[string]any{"type": "leave"})
		c.expectClosed()
	}
	pollUntil(t, func() bool {
		e.srv.mu.Lock()
		defer e.srv.mu.Unlock()
		return len(e.srv.hubs) == 0
	})
	if _, m := e.joinRaw(other, "p_b", "Bob"); m["type"] != "joined" {
		t.Fatalf("join once the first room emptied: %v", m)
	}
}

func TestTooManyMessages(t *testing.T) {
	e := newEnv(t, func(s *Server) { s.Limits = Limits{MessagesPerSecond: 1, MessageBurst: 5} })
	room := e.room("Exercice")
	c, _ := e.joinRaw(room, "p_a", "Alice")
	for range 10 {
		c.send(map[string]any{"type": "chat", "text": "bonjour"})
	}
	if m := c.expect("error"); m["code"] != CodeTooManyMessages {
		t.Fatalf("got %v, want %s", m, CodeTooManyMessages)
	}
	c.expectClosed()
}

func TestTooManyConnections(t *testing.T) {
	e, _, room := whepEnv(t, Limits{ConnectionsPerIPPerMinute: 2})
	e.joinRaw(room, "p_a", "Alice")
	e.dial()
	c := e.dial()
	// A join sent at once is not handled: the connection is refused.
	c.send(map[string]any{"type": "join", "token": e.token(room, "p_b", "Bob", time.Hour)})
	var got []any
	timeout := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case m, ok := <-c.in:
			if open = ok; ok {
				got = append(got, m["type"], m["code"])
			}
		case <-timeout:
			t.Fatalf("connection still open after 10 s; got %v", got)
		}
	}
	if len(got) != 2 || got[0] != "error" || got[1] != CodeTooManyConnections {
		t.Fatalf("third connection got %v, want only error %s", got, CodeTooManyConnections)
	}
	_, offer := whepOffer(t)
	resp := e.request(http.MethodPost, "/api/v1/whep/cameras/entree", testAdminKey, mimeSDP, offer)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("WHEP POST: %d, want 429", resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
}

func TestWHEPSessionLimit(t *testing.T) {
	e, _, _ := whepEnv(t, Limits{MaxWHEPSessions: 1})
	_, offer := whepOffer(t)
	loc, _ := e.post("/api/v1/whep/cameras/entree", testAdminKey, offer)
	_, offer2 := whepOffer(t)
	resp := e.request(http.MethodPost, "/api/v1/whep/cameras/entree", testAdminKey, mimeSDP, offer2)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second session: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	e.request(http.MethodDelete, loc, testAdminKey, "", "")
	e.post("/api/v1/whep/cameras/entree", testAdminKey, offer2)
}

func TestWHIPPublisherTakesAPlaceInTheRoom(t *testing.T) {
	e, _, room := whepEnv(t, Limits{MaxParticipantsPerRoom: 1})
	whipPublisher(t, e, room, testAdminKey)
	c, m := e.joinRaw(room, "p_a", "Alice")
	expectRefused(t, c, m, CodeRoomFull)
}
