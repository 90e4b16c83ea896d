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

// session is one WebSocket connection: before join, a link being checked;
// after, one participant in one room.
type session struct {
	srv        *Server
	conn       *websocket.Conn
	log        *slog.Logger
	remoteAddr string
	userAgent  string

	out      chan []byte
	limit    *messageLimiter // read goroutine only
	done     chan struct{}
	stopOnce sync.Once
	reason   string // why the session ended, set once with done

	// Set by join on the read goroutine; self.Media changes later under mu.
	mu        sync.Mutex
	self      Participant
	hub       *hub
	peer      *sfu.Peer
	sessionID string
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
	}
}

// run serves the connection until it ends, then leaves the room.
func (c *session) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.readLoop()
	c.stop("connection closed")
	<-writerDone
	c.leave()
}

// stop ends the session once, for the first reason given.
func (c *session) stop(reason string) {
	c.stopOnce.Do(func() {
		c.reason = reason
		close(c.done)
	})
}

func (c *session) readLoop() {
	c.conn.SetReadLimit(maxMessageBytes)
	_ = c.conn.SetReadDeadline(time.Now().Add(c.srv.PongTimeout))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(c.srv.PongTimeout))
	})
	for {
		_, data, err := c.conn.ReadMessage()
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
		_ = c.conn.SetReadDeadline(now.Add(c.srv.PongTimeout))
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
// closing frame.
func (c *session) writeLoop() {
	ping := time.NewTicker(c.srv.PingInterval)
	defer ping.Stop()
	defer c.conn.Close() // unblocks the read loop
	for {
		select {
		case b := <-c.out:
			if !c.write(b) {
				c.stop("write failed")
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.stop("ping failed")
				return
			}
		case <-c.srv.shutdown:
			c.stop("server shutting down")
		case <-c.done:
			c.flush()
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, c.reason)
			_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		}
	}
}

func (c *session) write(b []byte) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, b) == nil
}

// flush writes what is already queued, such as a last error message.
func (c *session) flush() {
	for {
		select {
		case b := <-c.out:
			if !c.write(b) {
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
	c.mu.Unlock()
	if h == nil {
		return
	}
	// Media first: every subscribe offer that still names this
	// participant's tracks is then queued before participant_left.
	if peer != nil {
		peer.Close()
	}
	if h.leave(c) {
		h.broadcast(leftMsg{Type: "participant_left", ID: self.ID}, nil)
	}
	c.srv.dropHubIfEmpty(h)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := c.srv.Store.EndSession(ctx, sid, time.Now().UTC(), c.reason); err != nil {
		c.log.Error("record session end", "err", err)
	}
	c.log.Info("participant left", "room", h.id, "participant", self.ID, "reason", c.reason)
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
	c.send(sdpMsg{Type: "sub_offer", SDP: sdp, Tracks: tracks})
}

func (c *session) ICECandidate(pc sfu.PCKind, cand *webrtc.ICECandidateInit) {
	if cand == nil {
		c.send(iceMsg{Type: "ice", PC: pc, Candidate: nil})
		return
	}
	c.send(iceMsg{Type: "ice", PC: pc, Candidate: cand})
}

func (c *session) ConnectionFailed(pc sfu.PCKind) {
	c.stop("media connection lost (" + string(pc) + ")")
}

var _ sfu.PeerEvents = (*session)(nil)

// newSessionID names a session row.
func newSessionID() string { return token.NewID("s_") }
