package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigie/bench"
	"vigie/config"
)

func TestParseFanoutFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		steps   []int
		wantErr string
	}{
		{name: "defaults", args: nil, steps: bench.DefaultFanoutSteps()},
		{name: "ramp", args: []string{"--viewers", "10, 50,100", "--duration", "10s"}, steps: []int{10, 50, 100}},
		{name: "whep with pid", args: []string{"--whep", "https://h/api/v1/whep/cameras/c", "--token", "k", "--pid", "42", "--viewers", "3"}, steps: []int{3}},
		{name: "shrinking", args: []string{"--viewers", "50,10"}, wantErr: "each step must add viewers"},
		{name: "not a number", args: []string{"--viewers", "ten"}, wantErr: "want counts"},
		{name: "zero", args: []string{"--viewers", "0"}, wantErr: "want counts"},
		{name: "token without whep", args: []string{"--token", "k"}, wantErr: "--token goes with --whep"},
		{name: "pid without whep", args: []string{"--pid", "1"}, wantErr: "--pid goes with --whep"},
		{name: "rtsp with whep", args: []string{"--whep", "https://h/w", "--rtsp", "rtsp://c/x"}, wantErr: "--rtsp starts a server"},
		{name: "clip with rtsp", args: []string{"--rtsp", "rtsp://c/x", "--clip", "main"}, wantErr: "--clip is for the simulated camera"},
		{name: "zero duration", args: []string{"--duration", "0s"}, wantErr: "must be positive"},
		{name: "stray argument", args: []string{"now"}, wantErr: `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseFanoutFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.steps, tt.steps) {
				t.Errorf("steps %v, want %v", f.steps, tt.steps)
			}
		})
	}
	if f, err := parseFanoutFlags([]string{"--settle", "0s"}, io.Discard); err != nil || f.cfg.Settle >= 0 {
		t.Errorf("--settle 0s: %v, settle %v, want none", err, f.cfg.Settle)
	}
	f, err := parseFanoutFlags([]string{"--duration", "10s", "--settle", "1s", "--concurrency", "8", "--fps", "30"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.cfg.Duration != 10*time.Second || f.cfg.Settle != time.Second || f.cfg.Concurrency != 8 || f.cfg.FPS != 30 || f.clip != "bench2m" {
		t.Errorf("flags %+v", f)
	}
}

// TestFanoutConfigYAML: the child vigie's generated configuration loads
// and says what the bench relies on.
func TestFanoutConfigYAML(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigie.yaml")
	key := randomKey()
	yaml := fanoutConfigYAML(dir, "127.0.0.1:1", "127.0.0.1:2", key, "rtsp://127.0.0.1:3/bench2m", 600) +
		fanoutMedia{Sockets: 1, Batch: false}.yaml()
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	if !slices.Equal(cfg.Admin.APIKeys, []string{key}) || cfg.Metrics.Listen != "127.0.0.1:2" || cfg.Data != dir || cfg.Listen != "127.0.0.1:1" {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.Cameras) != 1 || cfg.Cameras[0].ID != "bench" || !cfg.Cameras[0].Preload || cfg.Cameras[0].URL != "rtsp://127.0.0.1:3/bench2m" {
		t.Errorf("cameras %+v", cfg.Cameras)
	}
	if cfg.Media.UDPSockets != 1 || cfg.Media.UDPBatch || cfg.Media.TCP != "" || cfg.TURN.Enabled || !cfg.Metrics.Pprof {
		t.Errorf("media %+v turn %+v metrics %+v", cfg.Media, cfg.TURN, cfg.Metrics)
	}
	if cfg.Limits.MaxWHEPSessions < 600 || cfg.Limits.ConnectionsPerIPPerMinute < 600 || cfg.Limits.MaxRooms != config.DefaultLimits().MaxRooms {
		t.Errorf("limits %+v", cfg.Limits)
	}
}
