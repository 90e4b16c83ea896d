package signaling

// recorded tells whether what participants send in a room is recorded:
// the `joined` message says so, and the room page shows it.
func (s *Server) recorded(roomID string) bool {
	return s.Recorded != nil && s.Recorded(roomID)
}

// ParticipantName is the name a participant or WHIP publisher is in a room
// under; "" when nobody of that id is there.
func (s *Server) ParticipantName(roomID, id string) string {
	s.mu.Lock()
	h := s.hubs[roomID]
	s.mu.Unlock()
	if h != nil {
		h.mu.Lock()
		m := h.members[id]
		h.mu.Unlock()
		if m != nil {
			return m.participant().Name
		}
	}
	for _, w := range s.whep.list() {
		if w.kind == "whip" && w.room == roomID && w.self.ID == id {
			return w.self.Name // set when the session was made, never changed
		}
	}
	return ""
}
