package signaling

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// sweepInterval is how often sessions bound to a room check that the room
// is still open and their link still valid (access.go).
const sweepInterval = 5 * time.Second

// whepSession is one WHEP viewer or WHIP publisher, from its POST to its
// end (DELETE, ICE failure, room closed, server shutdown).
type whepSession struct {
	id       string
	kind     string // "whep" or "whip"
	etag     string
	authHash [32]byte // SHA-256 of the Bearer value that made it
	room     string   // "" for a camera watched with the admin key
	claims   *token.Claims
	self     Participant // a WHIP publisher as the room sees it
	log      *slog.Logger
	recorded bool // a store session row was started

	mu      sync.Mutex
	closed  bool
	reason  string
	viewer  *sfu.Viewer
	peer    *sfu.Peer
	release func() // lets a watched camera stop
}

// attach gives the session its media; false when it closed meanwhile.
func (w *whepSession) attach(v *sfu.Viewer, p *sfu.Peer, release func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.viewer, w.peer, w.release = v, p, release
	return true
}

// whepRegistry holds the WHEP and WHIP sessions, pending ones included:
// a POST registers its session before negotiating, which reserves its
// place under the limits.
type whepRegistry struct {
	mu       sync.Mutex
	sessions map[string]*whepSession
	closing  bool
	started  bool // the sweeper runs (access.go)
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newWHEPRegistry() *whepRegistry {
	return &whepRegistry{sessions: map[string]*whepSession{}, stop: make(chan struct{})}
}

var errWHEPFull = errors.New("WHEP sessions at their limit")

// add registers w unless the server is closing or max sessions are held.
// The first session starts the sweeper, run by srv.
func (r *whepRegistry) add(srv *Server, w *whepSession) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return sfu.ErrClosed
	}
	if len(r.sessions) >= srv.Limits.MaxWHEPSessions {
		return errWHEPFull
	}
	r.sessions[w.id] = w
	r.startSweeperLocked(srv)
	return nil
}

// startSweeper starts the sweeper (access.go) unless it runs already or the
// server is closing: the first session of any kind starts it.
func (r *whepRegistry) startSweeper(srv *Server) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.startSweeperLocked(srv)
}

func (r *whepRegistry) startSweeperLocked(srv *Server) {
	if r.started || r.closing {
		return
	}
	r.started = true
	r.wg.Go(func() { srv.sweep(r.stop) })
}

func (r *whepRegistry) get(id string) *whepSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[id]
}

func (r *whepRegistry) remove(w *whepSession) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions[w.id] != w {
		return false
	}
	delete(r.sessions, w.id)
	return true
}

func (r *whepRegistry) list() []*whepSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*whepSession, 0, len(r.sessions))
	for _, w := range r.sessions {
		out = append(out, w)
	}
	return out
}

// publishersIn counts the WHIP publishers of a room.
func (r *whepRegistry) publishersIn(room string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range r.sessions {
		if w.kind == "whip" && w.room == room {
			n++
		}
	}
	return n
}

// publisherRooms lists the rooms with WHIP publishers.
func (r *whepRegistry) publisherRooms() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, w := range r.sessions {
		if w.kind == "whip" && !seen[w.room] {
			seen[w.room] = true
			out = append(out, w.room)
		}
	}
	return out
}

// spawn runs f on a goroutine the registry waits for at shutdown; once
// closing, shutdown ends every session itself and f is not needed.
func (r *whepRegistry) spawn(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return
	}
	r.wg.Go(f)
}

// shutdown refuses new sessions, stops the sweeper and returns the
// sessions to close.
func (r *whepRegistry) shutdown() []*whepSession {
	r.mu.Lock()
	if !r.closing {
		r.closing = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.wg.Wait()
	return r.list()
}

// WHEPSessions counts the WHEP viewers and WHIP publishers, for metrics.
func (s *Server) WHEPSessions() int {
	r := s.whep
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// endWHEP ends a session once: media closed, camera released, the room
// told, the store row closed.
func (s *Server) endWHEP(w *whepSession, reason string) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed, w.reason = true, reason
	viewer, peer, release := w.viewer, w.peer, w.release
	w.mu.Unlock()
	s.whep.remove(w)
	if viewer != nil {
		viewer.Close()
	}
	if peer != nil {
		peer.Close()
	}
	if release != nil {
		release()
	}
	if w.kind == "whip" && peer != nil {
		s.mu.Lock()
		h := s.hubs[w.room]
		s.mu.Unlock()
		if h != nil {
			h.broadcast(leftMsg{Type: "participant_left", ID: w.self.ID}, nil)
		}
	}
	if w.recorded {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		if err := s.Store.EndSession(ctx, w.id, time.Now().UTC(), reason); err != nil {
			w.log.Error("record session end", "err", err)
		}
	}
	w.log.Info("session ended", "reason", reason)
}

// recordWHEP starts the store row of a session bound to a room: who
// watched or published, from where, when.
func (s *Server) recordWHEP(w *whepSession, name, role, remote, userAgent string) {
	if w.room == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	err := s.Store.StartSession(ctx, store.Session{
		ID: w.id, RoomID: w.room, ParticipantID: w.self.ID, Name: name, Role: role,
		RemoteAddr: remote, UserAgent: userAgent, JoinedAt: time.Now().UTC(),
	})
	if err != nil {
		w.log.Error("record session start", "err", err)
		return
	}
	w.recorded = true
}

// sweepWHEPOnce ends the WHEP and WHIP sessions whose room closed or whose
// link was revoked or expired.
func (s *Server) sweepWHEPOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	check := s.newAccessCheck(ctx)
	for _, w := range s.whep.list() {
		if w.room == "" {
			continue
		}
		if e := check.ended(w.room, w.claims); e != nil {
			s.endWHEP(w, whepEndReason(e.Code))
		}
	}
}

// whepEndReason words, for the log and the session's record, why the
// sweep ended a WHEP or WHIP session.
func whepEndReason(code string) string {
	switch code {
	case CodeRoomClosed:
		return "room closed"
	case CodeTokenExpired:
		return "link expired"
	}
	return "access withdrawn"
}

// shutdownWHEP ends every WHEP and WHIP session.
func (s *Server) shutdownWHEP() {
	for _, w := range s.whep.shutdown() {
		s.endWHEP(w, "server shutting down")
	}
}
