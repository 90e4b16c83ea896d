package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigie/config"
)

// TestPlaybackShutdownWithSilentRecorder: a playback being started from a
// recorder that accepts the connection and never answers does not hold
// the server's shutdown.
func TestPlaybackShutdownWithSilentRecorder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns <- c // held open, never answered
		}
	}()
	defer func() {
		for len(conns) > 0 {
			(<-conns).Close()
		}
	}()
	dir, err := os.MkdirTemp("", "vigie-playback-")
	if err != nil {
		t.Fatal(err)
	}
	const key = "playback-test-admin-key-0123456789"
	cfg := config.Default()
	cfg.Data, cfg.Listen, cfg.Admin.APIKeys = dir, "127.0.0.1:"+freePort(), []string{key}
	cfg.Cameras = []config.Camera{{ID: "cour", Name: "Cour", URL: "rtsp://127.0.0.1:9/main", PlaybackURL: "rtsp://" + ln.Addr().String() + "/replay"}}
	cfg.Contacts = []config.Contact{{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example"}}
	cfg.Sites = []config.Site{{ID: "joliette", Name: "Poste Joliette", Cameras: []string{"cour"}, Committee: []string{"dupont"}}}
	srv, stop, err := startInProcess(t.Context(), cfg, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: trustServer(srv)}, Timeout: 30 * time.Second}
	post := func(ctx context.Context, path, body string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.publicURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		return client.Do(req)
	}
	resp, err := post(t.Context(), "/api/v1/incidents", `{"site":"joliette"}`)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var inc struct{ ID string }
	if err := json.Unmarshal(b, &inc); err != nil || inc.ID == "" {
		stop()
		t.Fatalf("incident: %s %s", resp.Status, b)
	}
	id := inc.ID
	go func() {
		if resp, err := post(t.Context(), "/api/v1/incidents/"+id+"/playback",
			`{"camera":"cour","from":"2026-12-04T14:02:10Z","to":"2026-12-04T14:05:10Z"}`); err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for accepted.Load() == 0 {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("the recorder got no connection")
		}
		time.Sleep(20 * time.Millisecond)
	}
	began := time.Now()
	stop()
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("shutdown took %s with a playback starting on a silent recorder", took.Round(time.Millisecond))
	}
}
