package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPlayback(t *testing.T) {
	tests := []struct {
		name, extra, wantErr string
	}{
		{"onvif", "    playback_url: rtsp://192.0.2.2/replay/cour\n", ""},
		{"template", "    playback_mode: template\n    playback_url: \"rtsp://192.0.2.2/t?starttime={start}&endtime={end}\"\n", ""},
		{"bad mode", "    playback_mode: vcr\n    playback_url: rtsp://192.0.2.2/x\n", `cameras[0].playback_mode: "vcr" is not onvif or template`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigie.yaml")
			body := "cameras:\n  - id: cour\n    url: rtsp://192.0.2.11/main\n" + tt.extra
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Cameras[0].PlaybackURL == "" {
				t.Fatalf("playback_url not loaded: %+v", cfg.Cameras[0])
			}
		})
	}
}
