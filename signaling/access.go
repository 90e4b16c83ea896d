package signaling

import (
	"context"
	"time"
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
// A store that cannot answer ends nobody, and the sweep waits for the next
// turn rather than log the same fault for every session.
func (s *Server) sweepRoomsOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	for _, c := range s.joinedSessions() {
		c.mu.Lock()
		link := c.link
		c.mu.Unlock()
		_, _, e := s.checkLink(ctx, "", link)
		if e == nil {
			continue
		}
		if e.Code == CodeInternal {
			return
		}
		c.log.Info("access ended during the call", "code", e.Code)
		c.sendError(e)
		c.stop("access ended: " + e.Code)
	}
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
