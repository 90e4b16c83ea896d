package signaling

import "testing"

// joined says whether the room's participants are recorded, and the
// server knows each joined participant's name.
func TestJoinedSaysRecording(t *testing.T) {
	tests := []struct {
		name     string
		recorded func(string) bool
		want     bool
	}{
		{"no hook", nil, false},
		{"another room", func(string) bool { return false }, false},
		{"recorded", func(string) bool { return true }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked string
			e := newEnv(t, func(s *Server) {
				if tt.recorded != nil {
					s.Recorded = func(room string) bool { asked = room; return tt.recorded(room) }
				}
			})
			room := e.room("Agence")
			_, joined := e.join(room, "p_a", "Alice")
			if got := joined["recording"]; got != tt.want {
				t.Fatalf("recording = %v, want %v", got, tt.want)
			}
			if tt.recorded != nil && asked != room {
				t.Fatalf("hook asked about %q, want %q", asked, room)
			}
			if got := e.srv.ParticipantName(room, "p_a"); got != "Alice" {
				t.Fatalf("ParticipantName = %q, want Alice", got)
			}
			if got := e.srv.ParticipantName(room, "p_x"); got != "" {
				t.Fatalf("ParticipantName of nobody = %q", got)
			}
		})
	}
}
