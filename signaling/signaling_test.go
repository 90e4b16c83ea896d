package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"vigie/incident"
	"vigie/token"
)

func TestJoinInfo(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	other := e.room("Autre")
	good := e.token(room, "p_1", "Alice", time.Hour)
	expired := e.token(room, "p_1", "Alice", -time.Minute)
	closed := e.room("Fermée")
	if err := e.store.CloseRoom(t.Context(), closed, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, room, tok string
		status          int
		code            string
	}{
		{"good", room, good, 200, ""},
		{"missing", room, "", 401, CodeTokenMissing},
		{"tampered", room, good[:len(good)-2] + "xx", 401, CodeTokenInvalid},
		{"expired", room, expired, 401, CodeTokenExpired},
		{"other room", other, good, 403, CodeTokenWrongRoom},
		{"closed", closed, e.token(closed, "p_2", "Bob", time.Hour), 410, CodeRoomClosed},
		{"unknown room", "r_nope", e.token("r_nope", "p_2", "Bob", time.Hour), 404, CodeRoomNotFound},
		{"no room", "", good, 400, CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(e.http.URL + "/api/v1/join-info?room=" + tt.room + "&t=" + tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Name  string `json:"name"`
				Room  struct{ Name string }
				Error struct{ Code string }
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status || body.Error.Code != tt.code {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body.Error.Code, tt.status, tt.code)
			}
			if tt.status == 200 && (body.Name != "Alice" || body.Room.Name != "Exercice") {
				t.Fatalf("join info %+v", body)
			}
		})
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	c := e.dial()

	_ = c.conn.WriteMessage(1, []byte("{not json"))
	if m := c.expect("error"); m["code"] != CodeBadMessage {
		t.Fatalf("bad json: %v", m)
	}
	c.send(map[string]any{"type": "chat", "text": "hello"})
	if m := c.expect("error"); m["code"] != CodeNotJoined {
		t.Fatalf("before join: %v", m)
	}
	c.send(map[string]any{"type": "join", "token": e.token(room, "p_1", "Alice", time.Hour)})
	c.expect("joined")
	c.send(map[string]any{"type": "dance"})
	if m := c.expect("error"); m["code"] != CodeUnknownType {
		t.Fatalf("unknown type: %v", m)
	}
	c.send(map[string]any{"type": "chat", "text": strings.Repeat("é", 2001)})
	if m := c.expect("error"); m["code"] != CodeTooLarge {
		t.Fatalf("long chat: %v", m)
	}
	c.send(map[string]any{"type": "pub_offer", "sdp": "v=0 nonsense"})
	if m := c.expect("error"); m["code"] != CodeNegotiationFailed {
		t.Fatalf("bad sdp: %v", m)
	}
	c.send(map[string]any{"type": "ice", "pc": "elsewhere", "candidate": map[string]any{"candidate": "x"}})
	if m := c.expect("error"); m["code"] != CodeBadMessage {
		t.Fatalf("bad ice: %v", m)
	}
	// Still usable after every error above.
	c.send(map[string]any{"type": "chat", "text": "still here"})
	if m := c.expect("chat"); m["text"] != "still here" {
		t.Fatalf("chat: %v", m)
	}
	// Over the limit, the WebSocket layer closes with code 1009.
	_ = c.conn.WriteMessage(1, bytes.Repeat([]byte("x"), maxMessageBytes+1))
	c.expectClosed()
}

func TestRefusedTokenClosesConnection(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	for name, tok := range map[string]string{
		CodeTokenInvalid: e.token(room, "p_1", "A", time.Hour) + "x",
		CodeTokenExpired: e.token(room, "p_1", "A", -time.Second),
		CodeTokenMissing: "",
	} {
		c := e.dial()
		c.send(map[string]any{"type": "join", "token": tok})
		if m := c.expect("error"); m["code"] != name {
			t.Fatalf("%s: got %v", name, m)
		}
		c.expectClosed()
	}
}

func TestPresenceChatAndReplacement(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.dial()
	alice.send(map[string]any{"type": "join", "token": e.token(room, "p_a", "Alice", time.Hour), "name": " Alice\x07 "})
	if self := alice.expect("joined")["self"].(map[string]any); self["name"] != "Alice" {
		t.Fatalf("name not cleaned: %v", self)
	}
	bobTok := e.token(room, "p_b", "Bob", time.Hour)
	bob := e.dial()
	bob.send(map[string]any{"type": "join", "token": bobTok, "media": map[string]any{"audio": true}})
	joined := bob.expect("joined")
	if others := joined["participants"].([]any); len(others) != 1 {
		t.Fatalf("bob sees %v", others)
	}
	if p := alice.expect("participant_joined")["participant"].(map[string]any); p["id"] != "p_b" {
		t.Fatalf("alice told of %v", p)
	}

	bob.send(map[string]any{"type": "media", "media": map[string]any{"audio": false, "video": true}})
	upd := alice.expect("participant_updated")["participant"].(map[string]any)
	if m := upd["media"].(map[string]any); m["audio"] != false || m["video"] != true {
		t.Fatalf("media state %v", m)
	}

	alice.send(map[string]any{"type": "chat", "text": "Bonjour <b>"})
	for _, c := range []*wsClient{alice, bob} {
		if m := c.expect("chat"); m["text"] != "Bonjour <b>" || m["from"].(map[string]any)["name"] != "Alice" {
			t.Fatalf("chat %v", m)
		}
	}

	// The same link from a second window replaces the first.
	bob2 := e.dial()
	bob2.send(map[string]any{"type": "join", "token": bobTok})
	bob2.expect("joined")
	if m := bob.expect("error"); m["code"] != CodeReplaced {
		t.Fatalf("replaced: %v", m)
	}
	bob.expectClosed()
	alice.expect("participant_updated")

	bob2.send(map[string]any{"type": "leave"})
	if m := alice.expect("participant_left"); m["id"] != "p_b" {
		t.Fatalf("left %v", m)
	}
	bob2.expectClosed()
	if sessions, _ := e.store.Sessions(t.Context(), room); len(sessions) != 3 {
		t.Fatalf("%d sessions recorded, want 3", len(sessions))
	}
}

func TestSilentBrowserDropped(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.dial()
	alice.send(map[string]any{"type": "join", "token": e.token(room, "p_a", "Alice", time.Hour)})
	alice.expect("joined")
	ghost := e.dial()
	// A browser whose network died answers no ping: stop reading its socket.
	// It leaves once the pong timeout and then the resume window are over.
	ghost.conn.SetPingHandler(func(string) error { return nil })
	ghost.send(map[string]any{"type": "join", "token": e.token(room, "p_g", "Ghost", time.Hour)})
	alice.expect("participant_joined")
	if m := alice.expect("participant_left"); m["id"] != "p_g" {
		t.Fatalf("left %v", m)
	}
}

// mediaClient is a pion participant speaking the protocol over WebSocket.
type mediaClient struct {
	*wsClient
	pub, sub *webrtc.PeerConnection
	tracks   chan *webrtc.TrackRemote
	mu       sync.Mutex
	joined   map[string]any
}

func (e *testEnv) joinMedia(room, sub, name string, publish bool) *mediaClient {
	e.t.Helper()
	m := &webrtc.MediaEngine{}
	_ = m.RegisterDefaultCodecs()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	c := &mediaClient{wsClient: e.dial(), tracks: make(chan *webrtc.TrackRemote, 8)}
	c.pub, _ = api.NewPeerConnection(webrtc.Configuration{})
	c.sub, _ = api.NewPeerConnection(webrtc.Configuration{})
	e.t.Cleanup(func() { _ = c.pub.Close(); _ = c.sub.Close() })
	c.sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.tracks <- tr })
	for pc, pcName := range map[*webrtc.PeerConnection]string{c.pub: "pub", c.sub: "sub"} {
		pcName := pcName
		pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
			if cand != nil {
				c.mu.Lock()
				defer c.mu.Unlock()
				_ = c.conn.WriteJSON(map[string]any{"type": "ice", "pc": pcName, "candidate": cand.ToJSON()})
			}
		})
	}
	c.send(map[string]any{"type": "join", "token": e.token(room, sub, name, time.Hour)})
	c.joined = c.expect("joined")
	return c
}

// publish sends a VP8 track of numbered packets until the test ends.
func (c *mediaClient) publish(t *testing.T) {
	track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "me")
	if _, err := c.pub.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	offer, _ := c.pub.CreateOffer(nil)
	_ = c.pub.SetLocalDescription(offer)
	c.mu.Lock()
	_ = c.conn.WriteJSON(map[string]any{"type": "pub_offer", "sdp": offer.SDP, "sources": map[string]string{"0": "camera"}})
	c.mu.Unlock()
	answer := c.expect("pub_answer")
	if err := c.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer["sdp"].(string)}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n := uint16(1); ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: n, Timestamp: uint32(n) * 3000}, Payload: packetBody(n)})
		}
	}()
}

func packetBody(n uint16) []byte {
	b := make([]byte, 300)
	for i := range b {
		b[i] = byte(int(n) * (i + 1))
	}
	b[0] = 0x10
	return b
}

// answer handles one sub_offer and returns its track map. ICE messages from
// the server are applied as they come.
func (c *mediaClient) answer(t *testing.T) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-c.in:
			switch m["type"] {
			case "ice":
				c.addCandidate(m)
			case "sub_offer":
				c.answerOffer(t, m)
				tracks, _ := m["tracks"].(map[string]any)
				return tracks
			}
		case <-timeout:
			t.Fatal("no sub_offer within 10 s")
		}
	}
}

// answerOffer answers one sub_offer message.
func (c *mediaClient) answerOffer(t *testing.T, m map[string]any) {
	t.Helper()
	if err := c.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m["sdp"].(string)}); err != nil {
		t.Fatal(err)
	}
	ans, _ := c.sub.CreateAnswer(nil)
	_ = c.sub.SetLocalDescription(ans)
	c.mu.Lock()
	_ = c.conn.WriteJSON(map[string]any{"type": "sub_answer", "sdp": ans.SDP})
	c.mu.Unlock()
}

func (c *mediaClient) addCandidate(m map[string]any) {
	raw, _ := json.Marshal(m["candidate"])
	var cand webrtc.ICECandidateInit
	if json.Unmarshal(raw, &cand) != nil || cand.Candidate == "" {
		return
	}
	pc := c.pub
	if m["pc"] == "sub" {
		pc = c.sub
	}
	_ = pc.AddICECandidate(cand)
}

// pumpICE keeps applying server candidates in the background.
func (c *mediaClient) pumpICE(t *testing.T) {
	go func() {
		for m := range c.in {
			if m["type"] == "ice" {
				c.addCandidate(m)
			}
		}
	}()
}

func TestMediaFlowsThroughSignaling(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.joinMedia(room, "p_a", "Alice", true)
	bob := e.joinMedia(room, "p_b", "Bob", false)
	alice.publish(t)
	alice.pumpICE(t)

	tracks := bob.answer(t)
	if len(tracks) != 1 {
		t.Fatalf("tracks %v", tracks)
	}
	for _, info := range tracks {
		if info.(map[string]any)["participant"] != "p_a" || info.(map[string]any)["source"] != "camera" {
			t.Fatalf("track info %v", info)
		}
	}
	bob.pumpICE(t)
	var tr *webrtc.TrackRemote
	select {
	case tr = <-bob.tracks:
	case <-time.After(10 * time.Second):
		t.Fatal("bob received no track")
	}
	_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 100; i++ {
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatalf("after %d packets: %v", i, err)
		}
		if !bytes.Equal(p.Payload, packetBody(p.SequenceNumber)) {
			t.Fatalf("packet %d altered", p.SequenceNumber)
		}
	}
}

func TestJoinedComesBeforeFirstOffer(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.joinMedia(room, "p_a", "Alice", true)
	alice.publish(t)
	alice.pumpICE(t)
	watcher := e.joinMedia(room, "p_w", "Watcher", false)
	watcher.answer(t) // the track is published once its first packets arrive

	late := e.dial()
	late.send(map[string]any{"type": "join", "token": e.token(room, "p_l", "Late", time.Hour)})
	select {
	case m := <-late.in:
		if m["type"] != "joined" {
			t.Fatalf("first message %v, want joined", m["type"])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message after join")
	}
	late.expect("sub_offer")
}

func TestTracksWithdrawnBeforeParticipantLeft(t *testing.T) {
	e := newEnv(t)
	room := e.room("Exercice")
	alice := e.joinMedia(room, "p_a", "Alice", true)
	alice.publish(t)
	alice.pumpICE(t)
	bob := e.joinMedia(room, "p_b", "Bob", false)
	if tracks := bob.answer(t); len(tracks) != 1 {
		t.Fatalf("tracks %v", tracks)
	}
	alice.send(map[string]any{"type": "leave"})
	// Once participant_left is sent, no offer names Alice's tracks any more;
	// an offer still in flight at that moment may come before or after.
	left, withdrawn := false, false
	timeout := time.After(10 * time.Second)
	for !left || !withdrawn {
		select {
		case m := <-bob.in:
			switch m["type"] {
			case "participant_left":
				left = true
			case "sub_offer":
				tracks, _ := m["tracks"].(map[string]any)
				if left && len(tracks) > 0 {
					t.Fatalf("offer after participant_left still lists %v", tracks)
				}
				withdrawn = len(tracks) == 0
				bob.answerOffer(t, m)
			}
		case <-timeout:
			t.Fatalf("left %v, withdrawn %v after 10 s", left, withdrawn)
		}
	}
}

// invitations is an Access that revokes some subjects and records the rest.
type invitations struct {
	mu      sync.Mutex
	revoked map[string]bool
	opened  []string
	joined  []string
}

func (a *invitations) CheckAccess(_ context.Context, c token.Claims) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.revoked[c.Subject] {
		return incident.ErrRevoked
	}
	return nil
}

func (a *invitations) Opened(_ context.Context, c token.Claims, _ string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.opened = append(a.opened, c.Subject)
}

func (a *invitations) Joined(_ context.Context, c token.Claims) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.joined = append(a.joined, c.Subject)
}

func (a *invitations) Describe(context.Context, token.Claims) map[string]string {
	return map[string]string{"site": "Bureau de poste de Joliette", "kind": "holdup"}
}

func TestInvitationAccessAndObserver(t *testing.T) {
	e := newEnv(t)
	access := &invitations{revoked: map[string]bool{"v_revoked": true}}
	e.srv.Access = access
	room := e.room("Joliette")
	sign := func(sub, role string) string {
		tok, err := e.signer.Sign(token.Claims{Room: room, Subject: sub, Name: sub, Role: role, Expiry: time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	resp, err := http.Get(e.http.URL + "/api/v1/join-info?room=" + room + "&t=" + sign("v_ok", token.RoleResponder))
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Incident map[string]string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != 200 || info.Incident["kind"] != "holdup" {
		t.Fatalf("join-info %d %+v", resp.StatusCode, info)
	}
	resp, _ = http.Get(e.http.URL + "/api/v1/join-info?room=" + room + "&t=" + sign("v_revoked", token.RoleResponder))
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("revoked link: %d", resp.StatusCode)
	}

	revoked := e.dial()
	revoked.send(map[string]any{"type": "join", "token": sign("v_revoked", token.RoleResponder)})
	if m := revoked.expect("error"); m["code"] != CodeInvitationRevoked {
		t.Fatalf("revoked join: %v", m)
	}
	revoked.expectClosed()

	observer := e.dial()
	observer.send(map[string]any{"type": "join", "token": sign("v_obs", token.RoleObserver)})
	observer.expect("joined")
	observer.send(map[string]any{"type": "pub_offer", "sdp": "v=0"})
	if m := observer.expect("error"); m["code"] != CodeForbidden {
		t.Fatalf("observer publishing: %v", m)
	}
	observer.send(map[string]any{"type": "chat", "text": "vu"})
	observer.expect("chat")

	access.mu.Lock()
	defer access.mu.Unlock()
	if len(access.opened) != 1 || access.opened[0] != "v_ok" || len(access.joined) != 1 || access.joined[0] != "v_obs" {
		t.Fatalf("opened %v, joined %v", access.opened, access.joined)
	}
}
