package signaling

import (
	"sync"
)

// hub is the presence side of a room: who is in it, and the fan-out of
// presence and chat messages to them.
type hub struct {
	id, name string

	mu      sync.Mutex
	members map[string]*session // by participant id
}

// enter adds s, returning the session it replaces (same identity) if any,
// and the other members at that moment.
func (h *hub) enter(s *session) (replaced *session, others []Participant) {
	h.mu.Lock()
	defer h.mu.Unlock()
	replaced = h.members[s.self.ID]
	h.members[s.self.ID] = s
	for id, m := range h.members {
		if id != s.self.ID {
			others = append(others, m.participant())
		}
	}
	return replaced, others
}

// leave removes s unless a newer session of the same identity took its place.
func (h *hub) leave(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.members[s.self.ID] != s {
		return false
	}
	delete(h.members, s.self.ID)
	return true
}

// others describes the members other than id.
func (h *hub) others(id string) []Participant {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := []Participant{}
	for mid, m := range h.members {
		if mid != id {
			list = append(list, m.participant())
		}
	}
	return list
}

func (h *hub) empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.members) == 0
}

// broadcast queues msg to every member but except (nil for everyone).
func (h *hub) broadcast(msg any, except *session) {
	h.mu.Lock()
	members := make([]*session, 0, len(h.members))
	for _, m := range h.members {
		if m != except {
			members = append(members, m)
		}
	}
	h.mu.Unlock()
	for _, m := range members {
		m.send(msg)
	}
}
