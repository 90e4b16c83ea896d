// Package signaling speaks the browser's WebSocket protocol (docs/protocol.md):
// join with a signed token, SDP and ICE for the two peer connections of each
// participant, presence, mute state and chat. It never touches RTP.
package signaling

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"vigie/cameras"
	"vigie/incident"
	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// Store is what signaling needs of the database.
type Store interface {
	Room(ctx context.Context, id string) (store.Room, error)
	StartSession(ctx context.Context, s store.Session) error
	EndSession(ctx context.Context, id string, at time.Time, reason string) error
	AppendChat(ctx context.Context, m store.ChatMessage) (store.ChatMessage, error)
	ChatHistory(ctx context.Context, room string, after int64, limit int) ([]store.ChatMessage, error)
}

// Cameras tells which cameras a room shows and how they are.
type Cameras interface {
	RoomCameras(roomID string) []cameras.Status
}

// Access is what incidents add to a link: it can be revoked, its incident
// closed, and opening and joining it are recorded. Links of rooms made by
// hand pass.
type Access interface {
	CheckAccess(ctx context.Context, c token.Claims) error // an error is shown to the person
	Opened(ctx context.Context, c token.Claims, userAgent string)
	Joined(ctx context.Context, c token.Claims)
	Describe(ctx context.Context, c token.Claims) map[string]string // the incident, for the pre-join page
}

// Server serves /ws and /api/v1/join-info.
type Server struct {
	Log        *slog.Logger
	SFU        *sfu.SFU
	Tokens     *token.Signer
	Store      Store
	Cameras    Cameras // nil: no camera configured
	Access     Access  // nil: rooms made by hand only
	ICEServers []webrtc.ICEServer
	// ICEServersFor, when set, adds servers with credentials minted for
	// one session (the embedded TURN server) after ICEServers.
	ICEServersFor func(session string) []webrtc.ICEServer
	// PingInterval and PongTimeout bound how long a silent browser stays
	// in its room (defaults 5 s and 12 s).
	PingInterval time.Duration
	PongTimeout  time.Duration
	// WHEP/WHIP (whep.go) and limits (limits.go).
	AdminKey func(key string) bool // true for an admin API key; nil: none
	Watch    CameraWatch           // nil: no camera can be watched over WHEP
	Limits   Limits
	Viewing  ViewingLog // nil: camera watching is not logged (camwatch.go)
	// ResumeWindow is how long a participant whose connection dropped keeps
	// its place for a resume (default 30 s).
	ResumeWindow time.Duration
	// Recorded, when set, tells whether participants' media in a room is
	// recorded; `joined` carries the answer (recording.go).
	Recorded func(roomID string) bool

	upgrader websocket.Upgrader
	whep     *whepRegistry
	conns    *connLimiter

	mu       sync.Mutex
	hubs     map[string]*hub
	live     map[string]*session // joined sessions by id, for resumes
	recheck  chan struct{}       // AccessChanged: sweep now (access.go)
	sessions sync.WaitGroup
	closing  bool
	shutdown chan struct{}
}

// Init prepares the server; call it once before Handler.
func (s *Server) Init() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.PingInterval == 0 {
		s.PingInterval = 5 * time.Second
	}
	if s.PongTimeout == 0 {
		s.PongTimeout = 12 * time.Second
	}
	if s.ResumeWindow == 0 {
		s.ResumeWindow = defaultResumeWindow
	}
	s.hubs = map[string]*hub{}
	s.Limits.setDefaults()
	s.whep = newWHEPRegistry()
	s.conns = newConnLimiter(s.Limits.ConnectionsPerIPPerMinute, time.Now)
	s.live = map[string]*session{}
	s.recheck = make(chan struct{}, 1)
	s.shutdown = make(chan struct{})
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     sameOrigin,
	}
}

// Handler routes the signaling endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("GET /api/v1/join-info", s.serveJoinInfo)
	s.whepRoutes(mux)
	return mux
}

// Shutdown closes every session, which closes its peer connections, and
// waits for them until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.shutdown)
	}
	s.mu.Unlock()
	s.shutdownWHEP()
	done := make(chan struct{})
	go func() {
		s.sessions.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sameOrigin accepts WebSocket upgrades only from pages of this server, so
// another site cannot open a session with a visitor's link.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: the token still has to be valid
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// checkLink verifies a token for a room and that the room is open.
func (s *Server) checkLink(ctx context.Context, roomID, tok string) (token.Claims, store.Room, *Error) {
	claims, err := s.Tokens.Verify(tok, roomID)
	if err != nil {
		return claims, store.Room{}, tokenError(err)
	}
	room, err := s.Store.Room(ctx, claims.Room)
	if errors.Is(err, store.ErrNotFound) {
		return claims, room, &Error{http.StatusNotFound, CodeRoomNotFound, "no such room"}
	}
	if err != nil {
		s.Log.Error("look up room", "room", claims.Room, "err", err)
		return claims, room, &Error{http.StatusInternalServerError, CodeInternal, "server error"}
	}
	if room.ClosedAt != nil {
		return claims, room, &Error{http.StatusGone, CodeRoomClosed, "the room has been closed"}
	}
	if s.Access != nil {
		if err := s.Access.CheckAccess(ctx, claims); err != nil {
			return claims, room, s.accessError(claims, err)
		}
	}
	return claims, room, nil
}

// accessError maps a refusal of the incident side to what the person sees.
func (s *Server) accessError(c token.Claims, err error) *Error {
	switch {
	case errors.Is(err, incident.ErrRevoked):
		return &Error{http.StatusForbidden, CodeInvitationRevoked, err.Error()}
	case errors.Is(err, incident.ErrClosed):
		return &Error{http.StatusGone, CodeRoomClosed, err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return &Error{http.StatusUnauthorized, CodeTokenInvalid, "this invitation does not exist"}
	}
	s.Log.Error("check invitation", "subject", c.Subject, "err", err)
	return &Error{http.StatusInternalServerError, CodeInternal, "server error"}
}

func (s *Server) serveJoinInfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	roomID := q.Get("room")
	if roomID == "" {
		WriteError(w, &Error{http.StatusBadRequest, CodeBadRequest, "room is missing"})
		return
	}
	claims, room, e := s.checkLink(r.Context(), roomID, q.Get("t"))
	if e != nil {
		WriteError(w, e)
		return
	}
	info := map[string]any{
		"room":       roomRef{ID: room.ID, Name: room.Name},
		"name":       claims.Name,
		"role":       claims.Role,
		"expires_at": claims.ExpiresAt().UTC().Format(time.RFC3339),
	}
	if s.Access != nil {
		// Opening the page is "opened", never "joined": mail scanners open
		// links too.
		s.Access.Opened(r.Context(), claims, r.UserAgent())
		if d := s.Access.Describe(r.Context(), claims); d != nil {
			info["incident"] = d
		}
	}
	WriteJSON(w, http.StatusOK, info)
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	s.sessions.Add(1)
	s.mu.Unlock()
	defer s.sessions.Done()

	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the request
	}
	sess := newSession(s, conn, r)
	// Over the address's budget, the page is told why, then closed.
	if ok, wait := s.allowConnection(r); !ok {
		sess.refuse(s.tooManyConnections(wait))
	}
	sess.run()
}

// dropHubIfEmpty forgets a room's hub once nobody is in it.
func (s *Server) dropHubIfEmpty(h *hub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.empty() && s.hubs[h.id] == h {
		delete(s.hubs, h.id)
	}
}

// CameraStatus tells the browsers of rooms that a camera changed state.
// It does not block: it only queues messages.
func (s *Server) CameraStatus(rooms []string, st cameras.Status) {
	msg := cameraMsg{Type: "camera_status", Camera: st}
	for _, id := range rooms {
		s.mu.Lock()
		h := s.hubs[id]
		s.mu.Unlock()
		if h != nil {
			h.broadcast(msg, nil)
		}
	}
}

func (s *Server) roomCameras(roomID string) []cameras.Status {
	if s.Cameras == nil {
		return []cameras.Status{}
	}
	list := s.Cameras.RoomCameras(roomID)
	if list == nil {
		list = []cameras.Status{}
	}
	return list
}

func (s *Server) iceServers(session string) []iceServer {
	all := s.ICEServers
	if s.ICEServersFor != nil {
		all = append(append([]webrtc.ICEServer(nil), all...), s.ICEServersFor(session)...)
	}
	list := make([]iceServer, 0, len(all))
	for _, is := range all {
		cred, _ := is.Credential.(string)
		list = append(list, iceServer{URLs: is.URLs, Username: is.Username, Credential: cred})
	}
	return list
}
