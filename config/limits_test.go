package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateLimits(t *testing.T) {
	const noUnlimited = ": must be at least 1 (there is no unlimited: one client could then exhaust the server; set a large number instead)"
	tests := []struct {
		name   string
		change func(*Limits)
		want   string // "" for valid
	}{
		{"defaults", func(*Limits) {}, ""},
		{"small but positive", func(l *Limits) { *l = Limits{1, 1, 1, 1, 1, 1} }, ""},
		{"max rooms zero", func(l *Limits) { l.MaxRooms = 0 }, "limits.max_rooms" + noUnlimited},
		{"participants zero", func(l *Limits) { l.MaxParticipantsPerRoom = 0 }, "limits.max_participants_per_room" + noUnlimited},
		{"rate negative", func(l *Limits) { l.MessagesPerSecond = -5 }, "limits.messages_per_second" + noUnlimited},
		{"connections zero", func(l *Limits) { l.ConnectionsPerIPPerMinute = 0 }, "limits.connections_per_ip_per_minute" + noUnlimited},
		{"whep zero", func(l *Limits) { l.MaxWHEPSessions = 0 }, "limits.max_whep_sessions" + noUnlimited},
		{"burst below rate", func(l *Limits) { l.MessagesPerSecond, l.MessageBurst = 50, 10 },
			"limits.message_burst: 10 is below messages_per_second (50); a burst must allow at least one second's messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c.Limits)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate() = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLoadLimitsKeepsDefaultsOfKeysLeftOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	if err := os.WriteFile(path, []byte("limits:\n  max_rooms: 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultLimits()
	want.MaxRooms = 20
	if c.Limits != want {
		t.Errorf("Limits = %+v, want %+v", c.Limits, want)
	}
	if err := os.WriteFile(path, []byte("limits:\n  max_room: 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "max_room") {
		t.Errorf("Load with a misspelt key = %v, want an error naming it", err)
	}
}
