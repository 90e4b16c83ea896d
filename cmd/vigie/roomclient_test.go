package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// dialRoomClient opens a signaling WebSocket to srv and a pion peer
// connection on loopback UDP, both closed when the test ends: the two
// halves of a participant that the room tests drive by hand.
func dialRoomClient(t *testing.T, srv *server) (*websocket.Conn, *webrtc.PeerConnection) {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: trustServer(srv), HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("wss"+strings.TrimPrefix(srv.publicURL, "https")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return conn, pc
}

// addCandidate gives pc the candidate of a signaling `ice` message.
func addCandidate(pc *webrtc.PeerConnection, m map[string]any) {
	c, ok := m["candidate"].(map[string]any)
	if !ok {
		return
	}
	raw, _ := json.Marshal(c)
	var init webrtc.ICECandidateInit
	if json.Unmarshal(raw, &init) == nil {
		_ = pc.AddICECandidate(init)
	}
}
