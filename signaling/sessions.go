package signaling

// Sessions counts the browsers in rooms now: WebSocket sessions that
// joined, one per participant.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hubs {
		h.mu.Lock()
		n += len(h.members)
		h.mu.Unlock()
	}
	return n
}
