package signaling

import (
	"context"
	"net/http"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
	"vigie/token"
)

// postWHIP makes a WHIP publisher (OBS, a VMS workstation) a participant
// of the room: its audio and video reach everybody there like a browser's
// microphone and camera.
func (s *Server) postWHIP(rw http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	c, offer, ok := s.admit(rw, r, room)
	if !ok {
		return
	}
	if c.admin {
		if e := s.openRoom(r.Context(), room); e != nil {
			writePlain(rw, e)
			return
		}
	} else if c.claims.Role == token.RoleObserver {
		writePlain(rw, &Error{http.StatusForbidden, CodeForbidden, "observers see and chat; they do not send audio or video"})
		return
	}
	w, e := s.newWHIPSession(room, c, r)
	if e != nil {
		setRetryAfter(rw, busyRetry)
		writePlain(rw, e)
		return
	}
	peer, err := s.SFU.Join(room, w.self.ID, whipEvents{s, w}, sfu.PeerOptions{PublishOnly: true})
	if err != nil {
		s.refuse(rw, w, negotiationError(w.log, err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), gatherTimeout)
	defer cancel()
	answer, err := peer.HandleWHIPOffer(ctx, offer)
	if err != nil {
		peer.Close()
		s.refuse(rw, w, negotiationError(w.log, err))
		return
	}
	if !w.attach(nil, peer, nil) {
		peer.Close()
		writePlain(rw, &Error{http.StatusServiceUnavailable, CodeInternal, "the server is shutting down"})
		return
	}
	role := token.RoleParticipant
	if !c.admin {
		role = c.claims.Role
	}
	s.recordWHEP(w, w.self.Name, role, r.RemoteAddr, "WHIP; "+r.UserAgent())
	s.mu.Lock()
	h := s.hubs[room]
	s.mu.Unlock()
	if h != nil {
		h.broadcast(participantMsg{Type: "participant_joined", Participant: w.self}, nil)
	}
	w.log.Info("WHIP publisher started", "room", room, "admin", c.admin)
	created(rw, w, answer)
}

// newWHIPSession registers a WHIP session under the room limits: the
// check and the registration happen under one lock, so two publishers
// cannot both take the last place.
func (s *Server) newWHIPSession(room string, c whepCaller, r *http.Request) (*whepSession, *Error) {
	w := &whepSession{id: newWHEPID(), kind: "whip", etag: `"` + newWHEPID() + `"`, authHash: c.authHash, room: room}
	name := "WHIP"
	if !c.admin {
		claims := c.claims
		w.claims = &claims
		if claims.Name != "" {
			name = claims.Name + " (WHIP)"
		}
	}
	// Its own identity: the link's holder may be in the room with a browser too.
	w.self = Participant{ID: token.NewID("w_"), Name: name, Role: token.RoleParticipant, Media: Media{Audio: true, Video: true}}
	w.log = s.Log.With("whip", w.id, "room", room, "remote", r.RemoteAddr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.admitLocked(room, w.self.ID); e != nil {
		return nil, e
	}
	return w, s.registerWHEP(w)
}

// whipParticipants lists the WHIP publishers of a room, for the joined
// message of a newcomer.
func (s *Server) whipParticipants(room string) []Participant {
	var out []Participant
	for _, w := range s.whep.list() {
		w.mu.Lock()
		live := w.kind == "whip" && w.room == room && w.peer != nil && !w.closed
		w.mu.Unlock()
		if live {
			out = append(out, w.self)
		}
	}
	return out
}

// whipEvents are the sfu.PeerEvents of a WHIP publisher: it receives
// nothing and does not trickle, so only a lost connection matters.
type whipEvents struct {
	s *Server
	w *whepSession
}

func (e whipEvents) SubscribeOffer(string, map[string]sfu.TrackInfo)   {}
func (e whipEvents) ICECandidate(sfu.PCKind, *webrtc.ICECandidateInit) {}
func (e whipEvents) ConnectionFailed(sfu.PCKind) {
	e.s.whep.spawn(func() { e.s.endWHEP(e.w, "media connection lost") })
}
