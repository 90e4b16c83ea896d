package signaling

import (
	"testing"
	"time"
)

// joinedSession is a session joined to room through handleJoin, with its
// outgoing queue drained, as a browser connection would be minus the socket.
func joinedSession(t testing.TB, e *testEnv, room string) *session {
	c := &session{srv: e.srv, log: e.srv.Log, out: make(chan []byte, outQueue), done: make(chan struct{})}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-c.out:
			case <-c.done:
				return
			}
		}
	}()
	if !c.handleJoin(inbound{Type: "join", Token: e.token(room, "p_fuzz", "Fuzz", time.Hour)}) {
		t.Fatal("join refused")
	}
	return c
}

// FuzzSessionMessage feeds arbitrary browser messages to a joined session:
// none may crash the server, and the session must still answer afterwards.
func FuzzSessionMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"chat","text":"bonjour"}`,
		`{"type":"media","media":{"audio":true,"video":false}}`,
		`{"type":"ice","pc":"pub","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}`,
		`{"type":"ice","pc":"sub","candidate":null}`,
		`{"type":"pub_offer","sdp":"v=0\r\n","sources":{"0":"camera"}}`,
		`{"type":"sub_answer","sdp":"v=0\r\n"}`,
		`{"type":"join","token":"a.b"}`,
		`{"type":"leave"}`,
		`{"type":42}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(&testing.T{})
	room := e.room("Fuzz")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := joinedSession(t, e, room)
		c.handle(data)
		c.stop("fuzz done")
		c.leave()
	})
}
