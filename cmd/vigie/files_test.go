package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeFiles runs the file API in `vigie serve`, with the tokens of
// real rooms checked by the signaling server.
func TestServeFiles(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(data, "vigie.yaml")
	if err := os.WriteFile(cfg, []byte("files:\n  max_size: 1KiB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, data, "--config", cfg)
	defer stop()
	client := trustingClient(t, data)
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	room := func(name string) (string, map[string]string) {
		body := `{"name":"` + name + `","links":[{"name":"Op","role":"operator"},{"name":"Guest","role":"participant"},{"name":"Obs","role":"observer"}]}`
		req, _ := http.NewRequest("POST", base+"/api/v1/rooms", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var created struct {
			Room  struct{ ID string }
			Links []struct{ Role, URL string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 201 {
			t.Fatalf("create room: %s %v", resp.Status, err)
		}
		toks := map[string]string{}
		for _, l := range created.Links {
			toks[l.Role] = l.URL[strings.Index(l.URL, "?t=")+3:]
		}
		return created.Room.ID, toks
	}
	a, aTok := room("A")
	_, bTok := room("B")
	do := func(method, path, tok string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := do("POST", "/api/v1/rooms/"+a+"/files?name=note.txt", aTok["participant"], []byte("bonjour\n"))
	if code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	var info struct{ URL, SHA256 string }
	_ = json.Unmarshal(body, &info)
	if _, err := os.Stat(filepath.Join(data, "files", info.SHA256)); err != nil {
		t.Fatalf("not stored under <data>/files/<sha256>: %v", err)
	}
	cases := []struct {
		name, method, path, tok string
		body                    []byte
		want                    int
	}{
		{"same room reads", "GET", info.URL, aTok["observer"], nil, 200},
		{"other room's token", "GET", info.URL, bTok["participant"], nil, 403},
		{"other room's operator lists", "GET", "/api/v1/rooms/" + a + "/files", bTok["operator"], nil, 403},
		{"no token", "GET", info.URL, "", nil, 401},
		{"observer uploads", "POST", "/api/v1/rooms/" + a + "/files?name=x", aTok["observer"], []byte("x"), 403},
		{"over files.max_size", "POST", "/api/v1/rooms/" + a + "/files?name=x", aTok["participant"], bytes.Repeat([]byte("x"), 1025), 413},
		{"participant withdraws", "DELETE", info.URL, aTok["participant"], nil, 403},
		{"operator withdraws", "DELETE", info.URL, aTok["operator"], nil, 204},
		{"withdrawn", "GET", info.URL, aTok["participant"], nil, 410},
	}
	for _, c := range cases {
		if code, body := do(c.method, c.path, c.tok, c.body); code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.want)
		}
	}
}
