package signaling

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// testEnv is a real signaling server over a real SFU and store.
type testEnv struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	store  *store.Store
	signer *token.Signer
	now    time.Time
}

// newEnv starts the server; opts change it before Init.
func newEnv(t *testing.T, opts ...func(*Server)) *testEnv {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner([]byte(strings.Repeat("s", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	media, err := sfu.New(sfu.Config{IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{SFU: media, Tokens: signer, Store: st, PingInterval: 500 * time.Millisecond, PongTimeout: 3 * time.Second, ResumeWindow: 3 * time.Second}
	for _, o := range opts {
		o(srv)
	}
	srv.Init()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		media.Close()
		hs.Close()
		_ = st.Close()
	})
	return &testEnv{t: t, srv: srv, http: hs, store: st, signer: signer, now: time.Now()}
}

func (e *testEnv) room(name string) string {
	e.t.Helper()
	id := token.NewID("r_")
	if err := e.store.CreateRoom(context.Background(), store.Room{ID: id, Name: name, CreatedAt: time.Now().UTC()}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *testEnv) token(room, sub, name string, ttl time.Duration) string {
	e.t.Helper()
	tok, err := e.signer.Sign(token.Claims{Room: room, Subject: sub, Name: name, Role: token.RoleParticipant, Expiry: time.Now().Add(ttl).Unix()})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// wsClient is a raw WebSocket speaker of the protocol.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	in   chan map[string]any
}

func (e *testEnv) dial() *wsClient {
	e.t.Helper()
	url := "ws" + strings.TrimPrefix(e.http.URL, "http") + "/ws"
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &wsClient{t: e.t, conn: conn, in: make(chan map[string]any, 256)}
	go func() {
		defer close(c.in)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil {
				c.in <- m
			}
		}
	}()
	e.t.Cleanup(func() { _ = conn.Close() })
	return c
}

func (c *wsClient) send(m map[string]any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		c.t.Fatal(err)
	}
}

// expect returns the next message of type typ, skipping others.
func (c *wsClient) expect(typ string) map[string]any {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %s", typ)
			}
			if m["type"] == typ {
				return m
			}
		case <-timeout:
			c.t.Fatalf("no %s message within 10 s", typ)
		}
	}
}

// expectClosed waits for the server to close the connection.
func (c *wsClient) expectClosed() {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-c.in:
			if !ok {
				return
			}
		case <-timeout:
			c.t.Fatal("connection still open after 10 s")
		}
	}
}
