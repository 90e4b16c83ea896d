package signaling

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// join sends join and returns the joined message.
func (e *testEnv) join(room, sub, name string) (*wsClient, map[string]any) {
	e.t.Helper()
	c := e.dial()
	c.send(map[string]any{"type": "join", "token": e.token(room, sub, name, time.Hour)})
	return c, c.expect("joined")
}

// untilChat reads c's messages up to the chat with text, failing on any
// presence change on the way: the others must not see a resume.
func untilChat(t *testing.T, c *wsClient, text string) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				t.Fatalf("connection closed while waiting for chat %q", text)
			}
			switch m["type"] {
			case "participant_left", "participant_joined":
				t.Fatalf("presence changed: %v", m)
			case "chat":
				if m["text"] == text {
					return m
				}
			}
		case <-timeout:
			t.Fatalf("no chat %q within 10 s", text)
		}
	}
}

func chatSeqs(t *testing.T, list any) []float64 {
	t.Helper()
	items, ok := list.([]any)
	if !ok {
		t.Fatalf("chat is %T, want a list", list)
	}
	seqs := []float64{}
	for _, it := range items {
		seqs = append(seqs, it.(map[string]any)["seq"].(float64))
	}
	return seqs
}

func sameSeqs(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResumeWithinWindowKeepsTheSession(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cutFirst bool // the old connection is gone before the resume, or still open
	}{
		{"after the cut", true},
		{"while the old connection still looks open", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			room := e.room("Exercice")
			alice, _ := e.join(room, "p_a", "Alice")
			bob, joined := e.join(room, "p_b", "Bob")
			alice.expect("participant_joined")
			key, _ := joined["resume"].(string)
			if len(key) < 40 || joined["resume_window"].(float64) != 3 {
				t.Fatalf("joined gives resume %q window %v", key, joined["resume_window"])
			}
			bob.send(map[string]any{"type": "chat", "text": "un"})
			untilChat(t, alice, "un")
			if tc.cutFirst {
				_ = bob.conn.Close()
			}
			// Said while Bob is cut: he reads it after the resume, once.
			alice.send(map[string]any{"type": "chat", "text": "deux"})
			untilChat(t, alice, "deux")

			back := e.dial()
			back.send(map[string]any{"type": "resume", "resume": key, "chat_after": 1})
			resumed := back.expect("resumed")
			if self := resumed["self"].(map[string]any); self["id"] != "p_b" {
				t.Fatalf("resumed as %v", self)
			}
			if ps := resumed["participants"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != "p_a" {
				t.Fatalf("participants %v", ps)
			}
			if seqs := chatSeqs(t, resumed["chat"]); !sameSeqs(seqs, []float64{2}) {
				t.Fatalf("chat after 1: %v", seqs)
			}
			if !tc.cutFirst {
				bob.expectClosed() // the newer connection took over
			}
			back.send(map[string]any{"type": "chat", "text": "trois"})
			if m := untilChat(t, alice, "trois"); m["from"].(map[string]any)["id"] != "p_b" {
				t.Fatalf("chat from %v", m["from"])
			}
			// The resumed session still receives the room.
			alice.send(map[string]any{"type": "chat", "text": "quatre"})
			untilChat(t, back, "quatre")
			if sessions, _ := e.store.Sessions(t.Context(), room); len(sessions) != 2 {
				t.Fatalf("%d sessions recorded, want 2 (no new join)", len(sessions))
			}
		})
	}
}

func TestResumeRefused(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice, _ := e.join(room, "p_a", "Alice")
	bob, joined := e.join(room, "p_b", "Bob")
	alice.expect("participant_joined")
	key := joined["resume"].(string)
	id, secret, _ := strings.Cut(key, ".")

	for _, tc := range []struct{ name, key string }{
		{"wrong secret", id + "." + strings.Repeat("A", len(secret))},
		{"no secret", id},
		{"unknown session", "s_unknown." + secret},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial()
			c.send(map[string]any{"type": "resume", "resume": tc.key})
			if m := c.expect("error"); m["code"] != CodeResumeRefused {
				t.Fatalf("error %v", m)
			}
			c.expectClosed()
		})
	}
	// A wrong guess does not harm the real session.
	bob.send(map[string]any{"type": "chat", "text": "toujours là"})
	untilChat(t, alice, "toujours là")

	// Past the window the place is given up, the key refused, and a fresh
	// join with the link works.
	_ = bob.conn.Close()
	start := time.Now()
	if m := alice.expect("participant_left"); m["id"] != "p_b" {
		t.Fatalf("left %v", m)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("participant_left after %v, before the 3 s window", waited)
	}
	late := e.dial()
	late.send(map[string]any{"type": "resume", "resume": key})
	if m := late.expect("error"); m["code"] != CodeResumeRefused {
		t.Fatalf("late resume: %v", m)
	}
	late.expectClosed()
	again, _ := e.join(room, "p_b", "Bob")
	if m := alice.expect("participant_joined"); m["participant"].(map[string]any)["id"] != "p_b" {
		t.Fatalf("joined %v", m)
	}
	again.send(map[string]any{"type": "chat", "text": "revenu"})
	untilChat(t, alice, "revenu")
}

func TestChatStoredAndReplayedToLateJoiner(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice, _ := e.join(room, "p_a", "Alice")
	for _, text := range []string{"un", "deux", "trois"} {
		alice.send(map[string]any{"type": "chat", "text": text})
		if m := alice.expect("chat"); m["text"] != text {
			t.Fatalf("chat %v", m)
		}
	}
	_, joined := e.join(room, "p_c", "Carole")
	items := joined["chat"].([]any)
	if seqs := chatSeqs(t, items); !sameSeqs(seqs, []float64{1, 2, 3}) {
		t.Fatalf("history seqs %v", seqs)
	}
	for i, text := range []string{"un", "deux", "trois"} {
		m := items[i].(map[string]any)
		if m["text"] != text || m["from"].(map[string]any)["name"] != "Alice" || m["id"] == "" {
			t.Fatalf("history %d: %v", i, m)
		}
	}
	stored, err := e.store.ChatHistory(t.Context(), room, 0, 10)
	if err != nil || len(stored) != 3 {
		t.Fatalf("stored %v, %v", stored, err)
	}
}

func TestResumeKeepsMediaAndRestartsSubscribeICE(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.joinMedia(room, "p_a", "Alice", true)
	bob := e.joinMedia(room, "p_b", "Bob", false)
	alice.publish(t)
	alice.pumpICE(t)
	if tracks := bob.answer(t); len(tracks) != 1 {
		t.Fatalf("tracks %v", tracks)
	}
	bob.pumpICE(t)
	var tr *webrtc.TrackRemote
	select {
	case tr = <-bob.tracks:
	case <-time.After(10 * time.Second):
		t.Fatal("bob received no track")
	}
	readPackets(t, tr, 20)

	// The WebSocket dies; the media goes on; a new one resumes.
	_ = bob.conn.Close()
	back := e.dial()
	bob.mu.Lock()
	bob.wsClient = back
	bob.mu.Unlock()
	back.send(map[string]any{"type": "resume", "resume": bob.joined["resume"].(string)})
	back.expect("resumed")
	readPackets(t, tr, 20)

	// The browser asks for an ICE restart of the subscribe connection.
	before := iceUfrag(bob.sub.RemoteDescription().SDP)
	back.send(map[string]any{"type": "sub_restart"})
	var offer map[string]any
	timeout := time.After(10 * time.Second)
	for offer == nil {
		select {
		case m := <-back.in:
			switch m["type"] {
			case "ice":
				bob.addCandidate(m)
			case "sub_offer":
				offer = m
			}
		case <-timeout:
			t.Fatal("no sub_offer after sub_restart")
		}
	}
	if after := iceUfrag(offer["sdp"].(string)); after == before || after == "" {
		t.Fatalf("ice-ufrag %q then %q: no restart", before, after)
	}
	bob.answerOffer(t, offer)
	bob.pumpICE(t)
	readPackets(t, tr, 50)
	deadline := time.Now().Add(10 * time.Second)
	for bob.sub.ICEConnectionState() != webrtc.ICEConnectionStateConnected {
		if time.Now().After(deadline) {
			t.Fatalf("subscribe ICE %s after the restart", bob.sub.ICEConnectionState())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPackets(t *testing.T, tr *webrtc.TrackRemote, n int) {
	t.Helper()
	_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range n {
		if _, _, err := tr.ReadRTP(); err != nil {
			t.Fatalf("after %d packets: %v", i, err)
		}
	}
}

func iceUfrag(sdp string) string {
	for line := range strings.SplitSeq(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}
