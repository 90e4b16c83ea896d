package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The playback API is served, behind the admin key, once a camera has a playback_url.
func TestServePlaybackRoutes(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(data, "vigie.yaml")
	body := "cameras:\n  - id: cour\n    url: rtsp://127.0.0.1:9/main\n    playback_url: rtsp://127.0.0.1:9/playback\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, data, "--config", cfg)
	defer stop()
	client := trustingClient(t, data)
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		want      int
	}{
		{"no key", "", http.StatusUnauthorized},
		{"unknown incident", strings.TrimSpace(string(key)), http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+"/api/v1/incidents/nope/playback",
				strings.NewReader(`{"camera":"cour","from":"2026-12-04T14:02:10Z","to":"2026-12-04T14:05:10Z"}`))
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || (tt.want == http.StatusNotFound && !strings.Contains(string(b), "no such incident")) {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, tt.want)
			}
		})
	}
}
