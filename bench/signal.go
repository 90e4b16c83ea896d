package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// link is what a join link gives the bench: where to speak the protocol,
// and the token to join with.
type link struct {
	ws       string // ws:// or wss:// URL of /ws
	token    string
	loopback bool // the server is on this host
}

func parseLink(raw string) (link, error) {
	if raw == "" {
		return link{}, errors.New("join link missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return link{}, fmt.Errorf("join link %q: %w", raw, err)
	}
	var scheme string
	switch u.Scheme {
	case "https":
		scheme = "wss"
	case "http":
		scheme = "ws"
	default:
		return link{}, fmt.Errorf("join link %q: scheme must be https or http", raw)
	}
	if u.Host == "" {
		return link{}, fmt.Errorf("join link %q: no host", raw)
	}
	tok := u.Query().Get("t")
	if tok == "" {
		return link{}, fmt.Errorf("join link %q: no token (t=...)", raw)
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return link{
		ws:       (&url.URL{Scheme: scheme, Host: u.Host, Path: "/ws"}).String(),
		token:    tok,
		loopback: host == "localhost" || ip != nil && ip.IsLoopback(),
	}, nil
}

// serverMessage holds every field of the server messages the bench reads.
type serverMessage struct {
	Type       string               `json:"type"`
	SDP        string               `json:"sdp"`
	Tracks     map[string]trackInfo `json:"tracks"`
	PC         string               `json:"pc"`
	Candidate  json.RawMessage      `json:"candidate"`
	ICEServers []iceServer          `json:"ice_servers"`
	Code       string               `json:"code"`
	Message    string               `json:"message"`
}

// trackInfo says whose track a subscribe transceiver carries.
type trackInfo struct {
	Participant string `json:"participant"`
	Camera      string `json:"camera"`
	Source      string `json:"source"`
}

type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

func webrtcICEServers(list []iceServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(list))
	for _, s := range list {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// refusedError is the server refusing the join itself: no viewer can do
// better with the same link, so the bench stops.
type refusedError struct{ code, message string }

func (e *refusedError) Error() string {
	return fmt.Sprintf("join refused: %s (%s)", e.code, e.message)
}

const writeTimeout = 5 * time.Second

// signalConn is a viewer's WebSocket: writes come from the viewer and
// from pion's candidate callbacks, so they are serialised.
type signalConn struct {
	conn *websocket.Conn
	mu   sync.Mutex
}

func (c *signalConn) send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

// readLoop delivers the server's messages until the connection ends or
// stop closes; it closes in on return.
func (c *signalConn) readLoop(in chan<- serverMessage, stop <-chan struct{}) {
	defer close(in)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var m serverMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		select {
		case in <- m:
		case <-stop:
			return
		}
	}
}

// Browser-to-server messages.

type joinMsg struct {
	Type  string `json:"type"`
	Token string `json:"token"`
	Name  string `json:"name"`
}

type answerMsg struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

type iceMsg struct {
	Type      string                   `json:"type"`
	PC        string                   `json:"pc"`
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type leaveMsg struct {
	Type string `json:"type"`
}
