package signaling

import (
	"context"
	"errors"
	"net/http"
	"time"

	"vigie/incident"
	"vigie/store"
	"vigie/token"
)

// A link is checked when its holder joins and on each resume, and again
// while they are in the room: the sweeper ends the sessions whose room
// closed (the incident was closed), whose invitation was withdrawn or whose
// link expired, and tells each browser why in the error it shows. It runs
// every sweepInterval, and at once after AccessChanged.

// AccessChanged has every session checked again now rather than at the next
// sweep: the incident side calls it when it closes an incident or
// withdraws an invitation. It never waits.
func (s *Server) AccessChanged() {
	select {
	case s.recheck <- struct{}{}:
	default: // a check is already due
	}
}

// sweep checks the sessions until stop closes.
func (s *Server) sweep(stop <-chan struct{}) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-s.recheck:
		}
		s.sweepWHEPOnce()
		s.sweepRoomsOnce()
	}
}

// sweepRoomsOnce ends the room sessions whose link no longer lets them in.
func (s *Server) sweepRoomsOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	check := s.newAccessCheck(ctx)
	for _, c := range s.joinedSessions() {
		c.mu.Lock()
		room, claims := c.hub.id, c.claims
		c.mu.Unlock()
		e := check.ended(room, &claims)
		if e == nil {
			continue
		}
		c.log.Info("access ended during the call", "code", e.Code)
		c.sendError(e)
		c.stop("access ended: " + e.Code)
	}
}

// accessCheck is one sweep's check of the links in use: it asks the store
// once per room whether the room is still open.
type accessCheck struct {
	s    *Server
	ctx  context.Context
	open map[string]bool // by room id
}

func (s *Server) newAccessCheck(ctx context.Context) *accessCheck {
	return &accessCheck{s: s, ctx: ctx, open: map[string]bool{}}
}

// ended says why a link (claims, nil for the admin key) no longer lets its
// holder stay in room: the room closed, the link expired or the invitation
// was withdrawn. nil while it does, and when the store cannot answer: a
// database hiccup takes nobody out.
func (a *accessCheck) ended(room string, claims *token.Claims) *Error {
	isOpen, known := a.open[room]
	if !known {
		r, err := a.s.Store.Room(a.ctx, room)
		isOpen = (err == nil && r.ClosedAt == nil) || (err != nil && !errors.Is(err, store.ErrNotFound))
		a.open[room] = isOpen
	}
	if !isOpen {
		return &Error{http.StatusGone, CodeRoomClosed, "the room has been closed"}
	}
	if claims == nil {
		return nil
	}
	if !time.Now().Before(claims.ExpiresAt()) {
		return &Error{http.StatusUnauthorized, CodeTokenExpired, "this link has expired"}
	}
	if a.s.Access == nil {
		return nil
	}
	err := a.s.Access.CheckAccess(a.ctx, *claims)
	if errors.Is(err, incident.ErrRevoked) || errors.Is(err, incident.ErrClosed) || errors.Is(err, store.ErrNotFound) {
		return a.s.accessError(*claims, err)
	}
	return nil
}

// joinedSessions lists the sessions in a room, those waiting for a resume
// included.
func (s *Server) joinedSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.live))
	for _, c := range s.live {
		out = append(out, c)
	}
	return out
}
