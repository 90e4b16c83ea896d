package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

const (
	// outQueue bounds the messages waiting for a browser: a browser that
	// cannot keep up is disconnected rather than buffered without limit.
	outQueue     = 128
	writeTimeout = 10 * time.Second
	storeTimeout = 5 * time.Second
)

// session is one participant's place in a room, served over one WebSocket
// at a time: before join, a link being checked; after, one participant in
// one room. A lost connection keeps the place for the resume window, and a
// browser that comes back with the session's resume secret takes it over
// with a new connection (resume.go).
type session struct {
	srv        *Server
	conn       *websocket.Conn // the first connection; resumed ones come through next
	log        *slog.Logger
	remoteAddr string
	userAgent  string

	out      chan []byte
	limit    *messageLimiter // read goroutine only
	done     chan struct{}
	stopOnce sync.Once
	reason   string // why the session ended, set once with done

	// next carries a resumed connection to the session's goroutine; adoptMu
	// serialises the browsers that bring one.
	next    chan resumption
	adoptMu sync.Mutex
	over    bool // under adoptMu: the session has ended, resumes are refused

	// Set by join on the read goroutine; self.Media changes later under mu.
	mu        sync.Mutex
	self      Participant
	hub       *hub
	peer      *sfu.Peer
	sessionID string
	secret    string       // proves a resume comes from this session's browser
	link      string       // the join token, checked again on each resume
	claims    token.Claims // the join token's, checked again while in the room (access.go)
	live      *connection  // the connection being served; nil while cut
	handoff   *resumeOrder // set when this connection resumes another session
	mediaWait []*time.Timer

	watchMu  sync.Mutex      // the cameras this participant receives (camwatch.go)
	watching map[string]bool // under watchMu
}

func newSession(srv *Server, conn *websocket.Conn, r *http.Request) *session {
	return &session{
		srv: srv, conn: conn,
		log:        srv.Log.With("remote", r.RemoteAddr),
		remoteAddr: r.RemoteAddr,
		userAgent:  r.UserAgent(),
		out:        make(chan []byte, outQueue),
		limit:      srv.newMessageLimiter(),
		done:       make(chan struct{}),
		next:       make(chan resumption, 1),
	}
}

// run serves the connection until it ends; a joined session then waits
// for its browser to resume it before leaving the room.
func (c *session) run() {
	conn := c.conn
	for {
		c.serve(conn)
		if order := c.resumeOrder(); order != nil {
			order.target.adopt(conn, order.chatAfter)
			return // the connection now serves the resumed session
		}
		r, ok := c.suspend()
		if !ok {
			break
		}
		conn = r.ws
		// Queued once the old connection's writer is gone, so that it
		// reaches the new one.
		c.resumed(r.chatAfter)
	}
	c.closeResumes()
	c.leave()
}

// stop ends the session once, for the first reason given.
func (c *session) stop(reason string) {
	c.stopOnce.Do(func() {
		c.reason = reason
		close(c.done)
	})
}

// connection is one WebSocket of a session; kick closes it when a newer
// one takes over.
type connection struct {
	ws     *websocket.Conn
	kicked chan struct{}
	once   sync.Once
}

func (l *connection) kick() { l.once.Do(func() { close(l.kicked) }) }

// serve reads and writes one connection until it ends.
func (c *session) serve(ws *websocket.Conn) {
	l := &connection{ws: ws, kicked: make(chan struct{})}
	c.mu.Lock()
	c.live = l
	c.mu.Unlock()
	readerDone := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(l, readerDone)
	}()
	c.readLoop(ws)
	close(readerDone)
	<-writerDone
	c.mu.Lock()
	c.live = nil
	c.mu.Unlock()
}

func (c *session) readLoop(ws *websocket.Conn) {
	ws.SetReadLimit(maxMessageBytes)
	_ = ws.SetReadDeadline(time.Now().Add(c.srv.PongTimeout))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(c.srv.PongTimeout))
	})
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			// Over the size limit, gorilla has already sent close code 1009.
			if errors.Is(err, websocket.ErrReadLimit) {
				c.stop("message too large")
			}
			return
		}
		select {
		case <-c.done:
			return // refused or ending: nothing more is handled
		default:
		}
		now := time.Now()
		_ = ws.SetReadDeadline(now.Add(c.srv.PongTimeout))
		if !c.limit.allow(now) {
			c.refuse(c.srv.tooManyMessages())
			return
		}
		if !c.handle(data) {
			return
		}
	}
}

// writeLoop is the only writer of the connection: messages, pings, and the
// closing frame. It closes the connection when it ends, which unblocks the
// read loop, except when the connection goes on serving a resumed session.
func (c *session) writeLoop(l *connection, readerDone <-chan struct{}) {
	ws := l.ws
	ping := time.NewTicker(c.srv.PingInterval)
	defer ping.Stop()
	for {
		select {
		case b := <-c.out:
			if !write(ws, b) {
				ws.Close()
				return
			}
		case <-ping.C:
			if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				ws.Close()
				return
			}
		case <-c.srv.shutdown:
			c.stop("server shutting down")
		case <-l.kicked:
			ws.Close()
			return
		case <-readerDone:
			if c.resumeOrder() != nil {
				return // handed over with the session it resumes
			}
			select {
			case <-c.done: // the reader ended the session: say why
				c.finish(ws)
			default:
				ws.Close()
			}
			return
		case <-c.done:
			if c.resumeOrder() != nil {
				return
			}
			c.finish(ws)
			return
		}
	}
}

// finish writes what is queued (a last error) and the close reason.
func (c *session) finish(ws *websocket.Conn) {
	c.flush(ws)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, c.reason)
	_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	ws.Close()
}

func write(ws *websocket.Conn, b []byte) bool {
	_ = ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return ws.WriteMessage(websocket.TextMessage, b) == nil
}

// flush writes what is already queued, such as a last error message.
func (c *session) flush(ws *websocket.Conn) {
	for {
		select {
		case b := <-c.out:
			if !write(ws, b) {
				return
			}
		default:
			return
		}
	}
}

// send queues a message; a browser whose queue is full is disconnected.
func (c *session) send(msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		c.log.Error("encode message", "err", err)
		return
	}
	select {
	case <-c.done:
	case c.out <- b:
	default:
		c.stop("browser too slow")
	}
}

func (c *session) sendError(e *Error) {
	c.send(errorMsg{Type: "error", Code: e.Code, Message: e.Message})
}

func (c *session) participant() Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.self
}

func (c *session) joined() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer != nil
}

// leave takes the participant out of the room once the connection is over.
func (c *session) leave() {
	c.mu.Lock()
	h, peer, self, sid := c.hub, c.peer, c.self, c.sessionID
	for _, t := range c.mediaWait {
		t.Stop()
	}
	c.mediaWait = nil
	c.mu.Unlock()
	if h == nil {
		return
	}
	c.srv.forget(c)
	// Media first: every subscribe offer that still names this
	// participant's tracks is then queued before participant_left.
	if peer != nil {
		peer.Close()
	}
	c.stopWatching()
	if h.leave(c) {
		h.broadcast(leftMsg{Type: "participant_left", ID: self.ID}, nil)
	}
	c.srv.dropHubIfEmpty(h)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := c.srv.Store.EndSession(ctx, sid, time.Now().UTC(), c.reason); err != nil {
		c.log.Error("record session end", "err", err)
	}
	c.log.Info("participant left", "reason", c.reason) // c.log names the room and participant
}

// startSession records the join in the store.
func (c *session) startSession(roomID string, self Participant) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	err := c.srv.Store.StartSession(ctx, store.Session{
		ID: c.sessionID, RoomID: roomID, ParticipantID: self.ID, Name: self.Name, Role: self.Role,
		RemoteAddr: c.remoteAddr, UserAgent: c.userAgent, JoinedAt: time.Now().UTC(),
	})
	if err != nil {
		c.log.Error("record session start", "err", err)
	}
}

// The sfu.PeerEvents of the participant's peer.

func (c *session) SubscribeOffer(sdp string, tracks map[string]sfu.TrackInfo) {
	c.watchCameras(tracks)
	c.send(sdpMsg{Type: "sub_offer", SDP: sdp, Tracks: tracks})
}

func (c *session) ICECandidate(pc sfu.PCKind, cand *webrtc.ICECandidateInit) {
	if cand == nil {
		c.send(iceMsg{Type: "ice", PC: pc, Candidate: nil})
		return
	}
	c.send(iceMsg{Type: "ice", PC: pc, Candidate: cand})
}

// ConnectionFailed ends the session when the browser closed the
// connection; when ICE failed, the browser has the resume window to
// restart ICE before the session ends.
func (c *session) ConnectionFailed(pc sfu.PCKind) {
	c.mu.Lock()
	peer := c.peer
	c.mu.Unlock()
	// pion tells the state change on a goroutine of its own: by now a
	// restart may be under way, so only a closed connection ends at once.
	if peer == nil || peer.ConnectionState(pc) == webrtc.PeerConnectionStateClosed {
		c.stop("media connection lost (" + string(pc) + ")")
		return
	}
	c.log.Info("media connection failed: waiting for an ICE restart", "pc", pc, "window", c.srv.ResumeWindow)
	t := time.AfterFunc(c.srv.ResumeWindow, func() {
		if peer.ConnectionState(pc) != webrtc.PeerConnectionStateConnected {
			c.stop("media connection lost (" + string(pc) + ")")
		}
	})
	c.mu.Lock()
	c.mediaWait = append(c.mediaWait, t)
	c.mu.Unlock()
}

var _ sfu.PeerEvents = (*session)(nil)

// newSessionID names a session row.
func newSessionID() string { return token.NewID("s_") }
