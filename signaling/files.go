package signaling

import (
	"context"

	"vigie/token"
)

// RoomMember checks a join token for a room as joining does (signature,
// room, room open, invitation not revoked) and returns its claims and the
// name the participant shows in the room now (the token's when absent).
// The file API uses it: only the sessions of a room read its files.
func (s *Server) RoomMember(ctx context.Context, roomID, tok string) (token.Claims, string, *Error) {
	claims, _, e := s.checkLink(ctx, roomID, tok)
	if e != nil {
		return claims, "", e
	}
	name := claims.Name
	s.mu.Lock()
	h := s.hubs[claims.Room]
	s.mu.Unlock()
	if h != nil {
		h.mu.Lock()
		m := h.members[claims.Subject]
		h.mu.Unlock()
		if m != nil {
			name = m.participant().Name
		}
	}
	return claims, name, nil
}

// Broadcast queues msg, encoded as JSON, for every browser in a room. It
// does not block.
func (s *Server) Broadcast(roomID string, msg any) {
	s.mu.Lock()
	h := s.hubs[roomID]
	s.mu.Unlock()
	if h != nil {
		h.broadcast(msg, nil)
	}
}
