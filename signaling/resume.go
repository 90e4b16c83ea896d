package signaling

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"vigie/cameras"
	"vigie/store"
)

// A browser whose WebSocket drops (a phone changing networks, a proxy
// restarting) comes back within the resume window with `resume` and the
// secret it got in `joined`: it keeps its session, its peer connections if
// they are still alive, and its place in the room; the others see nothing.
// After the window, or once the server has restarted, the resume is
// refused and the browser joins afresh with its link.

// CodeResumeRefused says a session cannot be resumed: unknown, ended, past
// its window, or a wrong secret. The browser joins afresh.
const CodeResumeRefused = "resume_refused"

// defaultResumeWindow is how long a cut session keeps its place.
const defaultResumeWindow = 30 * time.Second

// maxChatHistory bounds the chat sent to a browser that joins or resumes.
const maxChatHistory = 500

// resumeOrder is what a connection that asked for a resume hands over.
type resumeOrder struct {
	target    *session
	chatAfter int64
}

// resumption is a connection brought to a session, and the chat its
// browser has.
type resumption struct {
	ws        *websocket.Conn
	chatAfter int64
}

// newResumeSecret returns 260 random bits, unguessable, for one session.
func newResumeSecret() string { return rand.Text() + rand.Text() }

// resumeKey is what the browser keeps: the session id and its secret.
func (c *session) resumeKey() string { return c.sessionID + "." + c.secret }

// remember makes a joined session resumable.
func (s *Server) remember(c *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[c.sessionID] = c
}

// forget ends the resumability of a session that leaves.
func (s *Server) forget(c *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live[c.sessionID] == c {
		delete(s.live, c.sessionID)
	}
}

// resumable finds the live session a resume key names, checking its secret
// in constant time.
func (s *Server) resumable(key string) (*session, *Error) {
	refused := &Error{http.StatusUnauthorized, CodeResumeRefused, "this session cannot be resumed; join again"}
	id, secret, ok := strings.Cut(key, ".")
	if !ok || id == "" || secret == "" {
		return nil, refused
	}
	s.mu.Lock()
	c := s.live[id]
	s.mu.Unlock()
	if c == nil {
		return nil, refused
	}
	c.mu.Lock()
	want := c.secret
	c.mu.Unlock()
	if subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return nil, refused
	}
	select {
	case <-c.done:
		return nil, refused
	default:
	}
	return c, nil
}

// handleResume answers `resume` on a new connection: the link is checked
// again (revoked, closed), then the connection is handed to the session.
func (c *session) handleResume(m inbound) bool {
	if c.joined() || c.resumeOrder() != nil {
		c.sendError(&Error{Code: CodeBadMessage, Message: "already joined"})
		return true
	}
	target, e := c.srv.resumable(m.Resume)
	if e == nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		target.mu.Lock()
		link := target.link
		target.mu.Unlock()
		_, _, e = c.srv.checkLink(ctx, "", link)
		cancel()
		if e != nil {
			target.sendError(e)
			target.stop("refused on resume: " + e.Code)
		}
	}
	if e != nil {
		c.sendError(e)
		c.stop("resume refused: " + e.Code)
		return false
	}
	c.mu.Lock()
	c.handoff = &resumeOrder{target: target, chatAfter: m.ChatAfter}
	c.mu.Unlock()
	c.stop("resumed another session")
	return false
}

func (c *session) resumeOrder() *resumeOrder {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handoff
}

// adopt gives the session a resumed connection: the one still served, if
// any, is closed, and the session's goroutine takes the new one and queues
// `resumed` on it.
func (c *session) adopt(ws *websocket.Conn, chatAfter int64) {
	c.adoptMu.Lock()
	defer c.adoptMu.Unlock()
	if c.over {
		refuse(ws)
		return
	}
	c.mu.Lock()
	if c.live != nil {
		c.live.kick()
	}
	c.mu.Unlock()
	select {
	case old := <-c.next: // an earlier resume not taken yet: the newest wins
		old.ws.Close()
	default:
	}
	c.next <- resumption{ws: ws, chatAfter: chatAfter}
}

// closeResumes refuses, from now on, the connections that come to resume
// an ended session, and those that came too late to be taken.
func (c *session) closeResumes() {
	c.adoptMu.Lock()
	defer c.adoptMu.Unlock()
	c.over = true
	select {
	case r := <-c.next:
		refuse(r.ws)
	default:
	}
}

// refuse tells a browser its resume failed and closes the connection.
func refuse(ws *websocket.Conn) {
	b, _ := json.Marshal(errorMsg{Type: "error", Code: CodeResumeRefused, Message: "this session has ended; join again"})
	if write(ws, b) {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "resume refused")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	ws.Close()
}

// resumed queues what a browser needs after a cut: who is there now, the
// cameras, the chat it missed, and the subscribe offer it may have lost.
// Messages queued during the cut come first; the browser ignores chat it
// already has.
func (c *session) resumed(chatAfter int64) {
	c.mu.Lock()
	self, h, peer := c.self, c.hub, c.peer
	c.mu.Unlock()
	others := h.others(self.ID)
	c.send(resumedMsg{
		Type: "resumed", Self: self, Room: roomRef{h.id, h.name}, Participants: others,
		Cameras: c.srv.roomCameras(h.id), Chat: c.srv.chatHistory(h.id, chatAfter),
	})
	peer.ResendSubscribeOffer()
	c.log.Info("session resumed")
}

// suspend waits, for the resume window, for the browser of a joined
// session to come back; false ends the session.
func (c *session) suspend() (resumption, bool) {
	select {
	case <-c.done:
		return resumption{}, false
	default:
	}
	if !c.joined() {
		c.stop("connection closed")
		return resumption{}, false
	}
	select {
	case r := <-c.next:
		return r, true
	default:
	}
	c.log.Info("connection lost: keeping the place", "window", c.srv.ResumeWindow)
	window := time.NewTimer(c.srv.ResumeWindow)
	defer window.Stop()
	select {
	case r := <-c.next:
		return r, true
	case <-window.C:
		c.stop("connection lost")
	case <-c.done:
	case <-c.srv.shutdown:
		c.stop("server shutting down")
	}
	return resumption{}, false
}

// handleICERestart answers `sub_restart`: a new subscribe offer with new
// ICE credentials.
func (c *session) handleICERestart() *Error {
	c.peer.RestartSubscribeICE()
	return nil
}

type resumedMsg struct {
	Type         string           `json:"type"`
	Self         Participant      `json:"self"`
	Room         roomRef          `json:"room"`
	Participants []Participant    `json:"participants"`
	Cameras      []cameras.Status `json:"cameras"`
	Chat         []chatMsg        `json:"chat"`
}

// chatOf is a stored chat message as browsers read it.
func chatOf(m store.ChatMessage) chatMsg {
	return chatMsg{
		Type: "chat", Seq: m.Seq, ID: m.ID, From: roomRef{m.FromID, m.FromName},
		Text: m.Text, At: m.At.UTC().Format(time.RFC3339Nano),
	}
}

// chatHistory is a room's chat after seq, at most maxChatHistory messages;
// a store failure gives none, logged: the call goes on without history.
func (s *Server) chatHistory(room string, after int64) []chatMsg {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	list, err := s.Store.ChatHistory(ctx, room, after, maxChatHistory)
	if err != nil {
		s.Log.Error("read chat history", "room", room, "err", err)
	}
	out := make([]chatMsg, 0, len(list))
	for _, m := range list {
		out = append(out, chatOf(m))
	}
	return out
}
