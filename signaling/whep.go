package signaling

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"vigie/cameras"
	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// WHEP (draft-ietf-wish-whep) and WHIP (RFC 9725) over HTTP: a POST of an
// SDP offer makes a session answered at once (non-trickle: the answer
// carries the server's candidates); PATCH trickles the client's
// candidates; DELETE ends it. docs/whep.md has the details.

// CameraWatch holds cameras for viewers outside rooms (cameras.Registry).
type CameraWatch interface {
	Has(id string) bool
	Watch(ctx context.Context, id string) ([]*sfu.Feed, func(), error)
}

const (
	mimeSDP     = "application/sdp"
	mimeSDPFrag = "application/trickle-ice-sdpfrag"

	maxOfferBytes = 64 << 10
	// gatherTimeout bounds ICE gathering before the answer goes out.
	gatherTimeout = 5 * time.Second
	// watchTimeout bounds the wait for a camera that is not yet connected.
	watchTimeout = 10 * time.Second
	// busyRetry is the Retry-After of a refusal for lack of room.
	busyRetry = 10 * time.Second
)

func (s *Server) whepRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/whep/cameras/{camera}", s.postWHEPCamera)
	mux.HandleFunc("POST /api/v1/whep/rooms/{room}", s.postWHEPRoom)
	mux.HandleFunc("POST /api/v1/whip/rooms/{room}", s.postWHIP)
	for _, p := range []string{"/api/v1/whep/cameras/{camera}", "/api/v1/whep/rooms/{room}", "/api/v1/whip/rooms/{room}"} {
		mux.HandleFunc("OPTIONS "+p, optionsEndpoint)
	}
	for _, kind := range []string{"whep", "whip"} {
		p := "/api/v1/" + kind + "/sessions/{id}"
		mux.HandleFunc("PATCH "+p, s.patchWHEP(kind))
		mux.HandleFunc("DELETE "+p, s.deleteWHEP(kind))
		mux.HandleFunc("OPTIONS "+p, optionsSession)
	}
}

// No CORS headers: the only browser client is vigie's own, same-origin
// page; a Bearer token of another site's page would be a leak waiting.
func optionsEndpoint(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "OPTIONS, POST")
	w.Header().Set("Accept-Post", mimeSDP)
	w.WriteHeader(http.StatusNoContent)
}

func optionsSession(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "OPTIONS, PATCH, DELETE")
	w.Header().Set("Accept-Patch", mimeSDPFrag)
	w.WriteHeader(http.StatusNoContent)
}

// writePlain answers a WHEP/WHIP error as one line of plain text.
func writePlain(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_, _ = io.WriteString(w, e.Message+"\n")
}

// whepCaller is who sent a POST: an administrator or a link's holder.
type whepCaller struct {
	admin    bool
	claims   token.Claims
	authHash [32]byte
}

func bearer(r *http.Request) (string, bool) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// admit runs the checks every POST shares, in order: the address's
// connection budget (429), server closing (503), the offer's type (415),
// the Bearer value (401/403) for roomID ("" for any room), the body.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, roomID string) (whepCaller, string, bool) {
	var c whepCaller
	if ok, wait := s.allowConnection(r); !ok {
		setRetryAfter(w, wait)
		writePlain(w, s.tooManyConnections(wait))
		return c, "", false
	}
	if s.isClosing() {
		writePlain(w, &Error{http.StatusServiceUnavailable, CodeInternal, "the server is shutting down"})
		return c, "", false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != mimeSDP {
		writePlain(w, &Error{http.StatusUnsupportedMediaType, CodeBadRequest, "the body must be an SDP offer (Content-Type: application/sdp)"})
		return c, "", false
	}
	tok, ok := bearer(r)
	if !ok {
		writePlain(w, &Error{http.StatusUnauthorized, CodeTokenMissing, "an Authorization: Bearer header with a join token or an admin API key is needed"})
		return c, "", false
	}
	c.authHash = sha256.Sum256([]byte(tok))
	if s.AdminKey != nil && s.AdminKey(tok) {
		c.admin = true
	} else {
		claims, _, e := s.checkLink(r.Context(), roomID, tok)
		if e != nil {
			writePlain(w, e)
			return c, "", false
		}
		c.claims = claims
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil || len(body) == 0 {
		writePlain(w, &Error{http.StatusBadRequest, CodeBadRequest, "the body must be an SDP offer of at most 64 KiB"})
		return c, "", false
	}
	return c, string(body), true
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// openRoom checks that a room named by an administrator exists and is open.
func (s *Server) openRoom(ctx context.Context, roomID string) *Error {
	room, err := s.Store.Room(ctx, roomID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{http.StatusNotFound, CodeRoomNotFound, "no such room"}
	case err != nil:
		s.Log.Error("look up room", "room", roomID, "err", err)
		return &Error{http.StatusInternalServerError, CodeInternal, "server error"}
	case room.ClosedAt != nil:
		return &Error{http.StatusGone, CodeRoomClosed, "the room has been closed"}
	}
	return nil
}

// newWHEPSession registers a session (its place under the limits) or says
// why not.
func (s *Server) newWHEPSession(kind, room string, c whepCaller, r *http.Request) (*whepSession, *Error) {
	w := &whepSession{id: newWHEPID(), kind: kind, etag: `"` + newWHEPID() + `"`, authHash: c.authHash, room: room}
	if !c.admin {
		claims := c.claims
		w.claims = &claims
	}
	w.log = s.Log.With(kind, w.id, "remote", r.RemoteAddr)
	return w, s.registerWHEP(w)
}

func (s *Server) registerWHEP(w *whepSession) *Error {
	switch err := s.whep.add(s, w); {
	case errors.Is(err, errWHEPFull):
		return &Error{http.StatusServiceUnavailable, CodeServerFull,
			"the server already serves its limit of WHEP/WHIP sessions; try again later"}
	case err != nil:
		return &Error{http.StatusServiceUnavailable, CodeInternal, "the server is shutting down"}
	}
	return nil
}

// refuse answers an error after a session was registered, and drops it.
func (s *Server) refuse(rw http.ResponseWriter, w *whepSession, e *Error) {
	s.endWHEP(w, "refused: "+e.Code)
	if e.Status == http.StatusServiceUnavailable {
		setRetryAfter(rw, busyRetry)
	}
	writePlain(rw, e)
}

// created answers 201 with the session's URL, ETag and SDP answer.
func created(rw http.ResponseWriter, w *whepSession, answer string) {
	h := rw.Header()
	h.Set("Content-Type", mimeSDP)
	h.Set("Location", "/api/v1/"+w.kind+"/sessions/"+w.id)
	h.Set("ETag", w.etag)
	h.Set("Cache-Control", "no-store")
	rw.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(rw, answer)
}

func (s *Server) postWHEPCamera(rw http.ResponseWriter, r *http.Request) {
	camera := r.PathValue("camera")
	c, offer, ok := s.admit(rw, r, "")
	if !ok {
		return
	}
	if s.Watch == nil || !s.Watch.Has(camera) {
		writePlain(rw, &Error{http.StatusNotFound, CodeBadRequest, "no such camera"})
		return
	}
	room := ""
	if !c.admin {
		room = c.claims.Room
		if !slices.ContainsFunc(s.roomCameras(room), func(st cameras.Status) bool { return st.ID == camera }) {
			writePlain(rw, &Error{http.StatusForbidden, CodeForbidden, "this link's room does not show this camera"})
			return
		}
	}
	w, e := s.newWHEPSession("whep", room, c, r)
	if e != nil {
		setRetryAfter(rw, busyRetry)
		writePlain(rw, e)
		return
	}
	w.log = w.log.With("camera", camera)
	ctx, cancel := context.WithTimeout(r.Context(), watchTimeout)
	feeds, release, err := s.Watch.Watch(ctx, camera)
	cancel()
	if err != nil {
		release()
		w.log.Warn("camera not available", "err", err)
		s.refuse(rw, w, &Error{http.StatusServiceUnavailable, CodeInternal, "the camera sends no video now; try again later"})
		return
	}
	ctx, cancel = context.WithTimeout(r.Context(), gatherTimeout)
	defer cancel()
	v, err := s.SFU.WatchFeeds(ctx, w.id, offer, feeds, whepOptions(offer), s.onWHEPEnd(w))
	if err != nil {
		release()
		s.refuse(rw, w, negotiationError(w.log, err))
		return
	}
	s.startWHEP(rw, r, w, c, v, release, "camera "+camera)
}

func (s *Server) postWHEPRoom(rw http.ResponseWriter, r *http.Request) {
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
	}
	w, e := s.newWHEPSession("whep", room, c, r)
	if e != nil {
		setRetryAfter(rw, busyRetry)
		writePlain(rw, e)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), gatherTimeout)
	defer cancel()
	v, err := s.SFU.WatchRoom(ctx, w.id, room, offer, whepOptions(offer), s.onWHEPEnd(w))
	if err != nil {
		s.refuse(rw, w, negotiationError(w.log, err))
		return
	}
	s.startWHEP(rw, r, w, c, v, nil, "room")
}

// startWHEP hands the viewer to its session, records it and answers.
func (s *Server) startWHEP(rw http.ResponseWriter, r *http.Request, w *whepSession, c whepCaller, v *sfu.Viewer, release func(), what string) {
	if !w.attach(v, nil, release) {
		v.Close()
		if release != nil {
			release()
		}
		writePlain(rw, &Error{http.StatusServiceUnavailable, CodeInternal, "the server is shutting down"})
		return
	}
	name, role := "admin API key", "admin"
	if !c.admin {
		name, role = c.claims.Name, c.claims.Role
		w.self.ID = c.claims.Subject
	}
	s.recordWHEP(w, name, role, r.RemoteAddr, "WHEP "+what+"; "+r.UserAgent())
	w.log.Info("WHEP viewer started", "watching", what, "tracks", v.Tracks(), "admin", c.admin)
	created(rw, w, v.Answer())
}

// onWHEPEnd ends a session whose connection failed or closed. It runs on
// pion's goroutine, so the ending runs on a goroutine of the registry.
func (s *Server) onWHEPEnd(w *whepSession) func() {
	return func() { s.whep.spawn(func() { s.endWHEP(w, "media connection lost") }) }
}

func negotiationError(log *slog.Logger, err error) *Error {
	switch {
	case errors.Is(err, sfu.ErrNothingToWatch):
		return &Error{http.StatusConflict, CodeNegotiationFailed, "nothing to watch: the room shows no camera and nobody publishes, or the offer receives no audio or video"}
	case errors.Is(err, sfu.ErrClosed):
		return &Error{http.StatusServiceUnavailable, CodeInternal, "the server is shutting down"}
	}
	log.Warn("WHEP/WHIP negotiation failed", "err", err)
	return &Error{http.StatusBadRequest, CodeNegotiationFailed, "the SDP offer could not be applied"}
}

// whepOptions reads what the player can decode from its offer.
func whepOptions(offer string) sfu.PeerOptions {
	return sfu.PeerOptions{ReceiveH265: strings.Contains(strings.ToUpper(offer), "H265/90000")}
}

// session finds the session of a PATCH or DELETE and checks it is asked
// with the Bearer value that made it.
func (s *Server) session(rw http.ResponseWriter, r *http.Request, kind string) (*whepSession, bool) {
	w := s.whep.get(r.PathValue("id"))
	if w == nil || w.kind != kind {
		writePlain(rw, &Error{http.StatusNotFound, CodeBadRequest, "no such session"})
		return nil, false
	}
	tok, ok := bearer(r)
	if !ok {
		writePlain(rw, &Error{http.StatusUnauthorized, CodeTokenMissing, "an Authorization: Bearer header is needed"})
		return nil, false
	}
	h := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(h[:], w.authHash[:]) != 1 {
		writePlain(rw, &Error{http.StatusForbidden, CodeForbidden, "this session was made with another token"})
		return nil, false
	}
	return w, true
}

func (s *Server) deleteWHEP(kind string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		w, ok := s.session(rw, r, kind)
		if !ok {
			return
		}
		s.endWHEP(w, "ended by the client")
		rw.WriteHeader(http.StatusOK)
	}
}

func newWHEPID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
