package config

import (
	"strings"
	"testing"
	"time"
)

func TestRecordingConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Recording
		err  string // "" when valid, else a part of the error
	}{
		{"defaults", "", Recording{Enabled: true, Segment: Duration(10 * time.Minute), PreAlarm: Duration(30 * time.Second)}, ""},
		{"off", "recording:\n  enabled: false\n", Recording{Segment: Duration(10 * time.Minute), PreAlarm: Duration(30 * time.Second)}, ""},
		{"set", "recording:\n  segment: 5m\n  pre_alarm: 1m\n", Recording{Enabled: true, Segment: Duration(5 * time.Minute), PreAlarm: Duration(time.Minute)}, ""},
		{"no clip", "recording:\n  pre_alarm: 0s\n", Recording{Enabled: true, Segment: Duration(10 * time.Minute)}, ""},
		{"segment too short", "recording:\n  segment: 1s\n", Recording{}, "recording.segment: 1s: must be between 10s and 24h"},
		{"pre-alarm too long", "recording:\n  pre_alarm: 10m\n", Recording{}, "recording.pre_alarm: 10m0s: must be between 0s and 5m"},
		{"bare number", "recording:\n  segment: 600\n", Recording{}, "recording.segment"},
		{"participants", "recording:\n  participants: true\n", Recording{Enabled: true, Segment: Duration(10 * time.Minute), PreAlarm: Duration(30 * time.Second), Participants: true}, ""},
		{"participants without recording", "recording:\n  enabled: false\n  participants: true\n", Recording{}, "recording.participants: needs recording.enabled: true"},
		{"unknown key", "recording:\n  prealarm: 30s\n", Recording{}, `unknown key "recording.prealarm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %+v, %v; want an error with %q", c.Recording, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Recording != tt.want {
				t.Fatalf("recording = %+v, want %+v", c.Recording, tt.want)
			}
		})
	}
}
