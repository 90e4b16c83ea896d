package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialRoom opens the signaling WebSocket of a served vigie, trusting its CA.
func dialRoom(t *testing.T, base, data string) *websocket.Conn {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("wss"+strings.TrimPrefix(base, "https")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// next reads messages until one of type typ.
func next(t *testing.T, conn *websocket.Conn, typ string) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m map[string]any
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m["type"] == typ {
			return m
		}
	}
}

// After a restart on the same data directory, the server has forgotten the
// browsers' sessions but not the room nor its chat: a resume is refused,
// and a join with the same link works and brings back the chat.
func TestRestartForgetsSessionsKeepsRoomAndChat(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"room", "create", "Exercice", "--data", data, "--server", base, "--json"}, &out, io.Discard); code != 0 {
		t.Fatalf("room create exit %d", code)
	}
	var created struct{ Links []struct{ URL string } }
	if err := json.Unmarshal(out.Bytes(), &created); err != nil || len(created.Links) == 0 {
		t.Fatalf("room create printed %q: %v", out.String(), err)
	}
	link, err := url.Parse(created.Links[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	tok := link.Query().Get("t")

	conn := dialRoom(t, base, data)
	_ = conn.WriteJSON(map[string]any{"type": "join", "token": tok, "name": "Anne"})
	key, _ := next(t, conn, "joined")["resume"].(string)
	_ = conn.WriteJSON(map[string]any{"type": "chat", "text": "avant l'arrêt"})
	next(t, conn, "chat")
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	base, stop = startServe(t, data)
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exit %d", code)
		}
	}()
	back := dialRoom(t, base, data)
	_ = back.WriteJSON(map[string]any{"type": "resume", "resume": key, "chat_after": 1})
	if m := next(t, back, "error"); m["code"] != "resume_refused" {
		t.Fatalf("resume after restart: %v", m)
	}
	again := dialRoom(t, base, data)
	_ = again.WriteJSON(map[string]any{"type": "join", "token": tok, "name": "Anne"})
	joined := next(t, again, "joined")
	chat, _ := joined["chat"].([]any)
	if len(chat) != 1 || chat[0].(map[string]any)["text"] != "avant l'arrêt" || chat[0].(map[string]any)["seq"] != 1.0 {
		t.Fatalf("chat after restart %v", joined["chat"])
	}
}
