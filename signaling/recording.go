package signaling

// recorded tells whether what participants send in a room is recorded:
// the `joined` message says so, and the room page shows it.
func (s *Server) recorded(roomID string) bool {
	return s.Recorded != nil && s.Recorded(roomID)
}

// ParticipantName is the name a participant joined a room with; "" when
// the participant is not there (or published over WHIP).
func (s *Server) ParticipantName(roomID, id string) string {
	s.mu.Lock()
	h := s.hubs[roomID]
	s.mu.Unlock()
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.members[id]; m != nil {
		return m.participant().Name
	}
	return ""
}
