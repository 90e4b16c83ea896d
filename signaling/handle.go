package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// handle processes one browser message; false ends the session.
func (c *session) handle(data []byte) bool {
	var m inbound
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		c.sendError(&Error{Code: CodeBadMessage, Message: "not a JSON message with a type"})
		return true
	}
	switch m.Type {
	case "join":
		return c.handleJoin(m)
	case "resume":
		return c.handleResume(m)
	}
	if !c.joined() {
		c.sendError(&Error{Code: CodeNotJoined, Message: "send join first"})
		return true
	}
	var e *Error
	switch m.Type {
	case "pub_offer":
		e = c.handlePublishOffer(m)
	case "sub_answer":
		e = c.handleSubscribeAnswer(m)
	case "ice":
		e = c.handleICE(m)
	case "media":
		e = c.handleMedia(m)
	case "chat":
		e = c.handleChat(m)
	case "camera_quality":
		e = c.handleCameraQuality(m)
	case "sub_restart":
		e = c.handleICERestart()
	case "leave":
		c.stop("left")
		return false
	default:
		e = &Error{Code: CodeUnknownType, Message: "unknown message type " + quoteShort(m.Type)}
	}
	if e != nil {
		c.sendError(e)
	}
	return true
}

func (c *session) handleJoin(m inbound) bool {
	if c.joined() {
		c.sendError(&Error{Code: CodeBadMessage, Message: "already joined"})
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	claims, room, e := c.srv.checkLink(ctx, "", m.Token)
	cancel()
	if e != nil {
		c.sendError(e)
		c.stop("refused: " + e.Code)
		return false
	}
	self := Participant{ID: claims.Subject, Name: cleanName(m.Name, claims.Name), Role: claims.Role}
	if m.Media != nil {
		self.Media = *m.Media
	}
	c.mu.Lock()
	c.self, c.sessionID = self, newSessionID()
	c.secret, c.link, c.claims = newResumeSecret(), m.Token, claims
	resume := c.resumeKey()
	c.mu.Unlock()
	h, replaced, others, e := c.srv.enterRoom(c, room.ID, room.Name)
	if e != nil {
		c.sendError(e)
		c.stop("refused: " + e.Code)
		return false
	}
	c.mu.Lock()
	c.hub = h
	c.mu.Unlock()
	c.log = c.log.With("room", room.ID, "participant", self.ID)
	others = append(others, c.srv.whipParticipants(room.ID)...)
	if replaced != nil {
		replaced.sendError(&Error{Code: CodeReplaced, Message: "this link was opened in another window"})
		replaced.stop("replaced")
	}
	if others == nil {
		others = []Participant{}
	}
	// joined goes first: joining the media room may queue a subscribe offer
	// at once, and the browser needs the ICE servers before it.
	c.send(joinedMsg{
		Type: "joined", Self: self, Room: roomRef{room.ID, room.Name}, Participants: others,
		Cameras: c.srv.roomCameras(room.ID), ICEServers: c.srv.iceServers(c.sessionID),
		Chat: c.srv.chatHistory(room.ID, 0), Resume: resume, ResumeWindow: c.srv.ResumeWindow.Seconds(),
		Recording: c.srv.recorded(room.ID),
	})
	peer, err := c.srv.SFU.Join(room.ID, self.ID, c, peerOptions(m.Codecs))
	if err != nil {
		c.log.Error("join media room", "err", err)
		c.sendError(&Error{Code: CodeInternal, Message: "cannot join the room now"})
		c.stop("media join failed")
		return false
	}
	c.mu.Lock()
	c.peer = peer
	c.mu.Unlock()
	c.srv.remember(c)
	c.srv.whep.startSweeper(c.srv)

	kind := "participant_joined"
	if replaced != nil {
		kind = "participant_updated"
	}
	h.broadcast(participantMsg{Type: kind, Participant: self}, c)
	c.startSession(room.ID, self)
	if c.srv.Access != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		c.srv.Access.Joined(ctx, claims)
		cancel()
	}
	c.log.Info("participant joined", "role", self.Role, "replaced", replaced != nil)
	return true
}

func (c *session) handlePublishOffer(m inbound) *Error {
	if c.participant().Role == token.RoleObserver {
		return &Error{Code: CodeForbidden, Message: "observers see and chat; they do not send audio or video"}
	}
	if m.SDP == "" {
		return &Error{Code: CodeBadMessage, Message: "pub_offer needs sdp"}
	}
	answer, err := c.peer.HandlePublishOffer(m.SDP, m.Sources)
	if err != nil {
		c.log.Warn("publish negotiation failed", "err", err)
		return &Error{Code: CodeNegotiationFailed, Message: "the publish offer could not be applied"}
	}
	c.send(sdpMsg{Type: "pub_answer", SDP: answer})
	return nil
}

func (c *session) handleSubscribeAnswer(m inbound) *Error {
	if m.SDP == "" {
		return &Error{Code: CodeBadMessage, Message: "sub_answer needs sdp"}
	}
	if err := c.peer.HandleSubscribeAnswer(m.SDP); err != nil {
		c.log.Warn("subscribe negotiation failed", "err", err)
		return &Error{Code: CodeNegotiationFailed, Message: "the subscribe answer could not be applied"}
	}
	return nil
}

func (c *session) handleICE(m inbound) *Error {
	if m.PC != sfu.PCPublish && m.PC != sfu.PCSubscribe {
		return &Error{Code: CodeBadMessage, Message: `ice needs pc "pub" or "sub"`}
	}
	if len(m.Candidate) == 0 || bytes.Equal(m.Candidate, []byte("null")) {
		return nil // end of candidates: nothing to do with trickle ICE
	}
	var cand webrtc.ICECandidateInit
	if err := json.Unmarshal(m.Candidate, &cand); err != nil {
		return &Error{Code: CodeBadMessage, Message: "ice candidate is not an RTCIceCandidateInit"}
	}
	if cand.Candidate == "" {
		return nil
	}
	if err := c.peer.AddICECandidate(m.PC, cand); err != nil {
		c.log.Debug("ice candidate refused", "err", err)
	}
	return nil
}

func (c *session) handleMedia(m inbound) *Error {
	if m.Media == nil {
		return &Error{Code: CodeBadMessage, Message: "media needs a media object"}
	}
	c.mu.Lock()
	c.self.Media = *m.Media
	self := c.self
	c.mu.Unlock()
	c.hub.broadcast(participantMsg{Type: "participant_updated", Participant: self}, nil)
	return nil
}

func (c *session) handleChat(m inbound) *Error {
	text := strings.TrimSpace(m.Text)
	if text == "" || !utf8.ValidString(text) {
		return &Error{Code: CodeBadMessage, Message: "chat needs some text"}
	}
	if utf8.RuneCountInString(text) > maxChatRunes {
		return &Error{Code: CodeTooLarge, Message: "chat text over 2000 characters"}
	}
	self := c.participant()
	// Stored before it is shown: what the room saw is never lost.
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	saved, err := c.srv.Store.AppendChat(ctx, store.ChatMessage{
		Room: c.hub.id, ID: token.NewID("m_"), At: time.Now().UTC(), FromID: self.ID, FromName: self.Name, Text: text,
	})
	if err != nil {
		c.log.Error("store chat message", "err", err)
		return &Error{Code: CodeInternal, Message: "the message could not be saved; send it again"}
	}
	c.hub.broadcast(chatOf(saved), nil)
	return nil
}

func (c *session) handleCameraQuality(m inbound) *Error {
	if m.Camera == "" || (m.Quality != "main" && m.Quality != "sub") {
		return &Error{Code: CodeBadMessage, Message: `camera_quality needs a camera and quality "main" or "sub"`}
	}
	c.peer.SetCameraQuality(m.Camera, m.Quality == "main")
	return nil
}

// peerOptions reads what the browser said it can decode.
func peerOptions(codecs []string) sfu.PeerOptions {
	var o sfu.PeerOptions
	for _, c := range codecs {
		if strings.EqualFold(c, "video/H265") {
			o.ReceiveH265 = true
		}
	}
	return o
}

// cleanName keeps a display name printable and short, or falls back.
func cleanName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if r := []rune(name); len(r) > maxNameRunes {
		name = strings.TrimSpace(string(r[:maxNameRunes]))
	}
	switch {
	case name != "":
		return name
	case fallback != "":
		return fallback
	}
	return "Participant"
}

// quoteShort quotes untrusted text for an error, cut to a sane length.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 32 {
		s = string(r[:32]) + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
