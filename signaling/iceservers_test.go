package signaling

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestICEServersPerSession: joined carries the fixed ICE servers, then
// those minted for the session that joined, different for each session.
func TestICEServersPerSession(t *testing.T) {
	e := newEnv(t)
	e.srv.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:stun.example:3478"}}}
	e.srv.ICEServersFor = func(session string) []webrtc.ICEServer {
		return []webrtc.ICEServer{{URLs: []string{"turns:turn.example:443?transport=tcp"}, Username: "9:" + session, Credential: "pw-" + session}}
	}
	room := e.room("Exercice")
	users := map[string]bool{}
	for i, name := range []string{"Alice", "Bob"} {
		c := e.dial()
		c.send(map[string]any{"type": "join", "token": e.token(room, fmt.Sprintf("p_%d", i), name, time.Hour)})
		servers := c.expect("joined")["ice_servers"].([]any)
		if len(servers) != 2 {
			t.Fatalf("%s: ice_servers %v, want the fixed one and the session's", name, servers)
		}
		if urls := servers[0].(map[string]any)["urls"].([]any); urls[0] != "stun:stun.example:3478" {
			t.Fatalf("%s: first server %v", name, servers[0])
		}
		turn := servers[1].(map[string]any)
		user, _ := turn["username"].(string)
		session := strings.TrimPrefix(user, "9:")
		if session == "" || session == user || turn["credential"] != "pw-"+session {
			t.Fatalf("%s: session server %v", name, turn)
		}
		users[user] = true
	}
	if len(users) != 2 {
		t.Fatalf("both sessions got the same TURN username: %v", users)
	}
}
