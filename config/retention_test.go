package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		days int
		want string // "" when valid, else a part of the error
	}{
		{"default", "", 30, ""},
		{"shorter", "retention:\n  days: 7\n", 7, ""},
		{"thirty", "retention:\n  days: 30\n", 30, ""},
		{"too long", "retention:\n  days: 31\n", 0, "retention.days: more than 30 days is not allowed"},
		{"exception without reason", "retention:\n  days: 90\n  legal_exception: true\n", 0, "retention.reason: required with retention.legal_exception"},
		{"exception with blank reason", "retention:\n  days: 90\n  legal_exception: true\n  reason: \"  \"\n", 0, "retention.reason: required"},
		{"exception with reason", "retention:\n  days: 90\n  legal_exception: true\n  reason: arrêté préfectoral 2026-17\n", 90, ""},
		{"zero", "retention:\n  days: 0\n", 0, "retention.days: must be at least 1"},
		{"negative", "retention:\n  days: -3\n", 0, "retention.days: must be at least 1"},
		{"not a number", "retention:\n  days: month\n", 0, "line 2"},
		{"unknown key", "retention:\n  dayz: 3\n", 0, `line 2: unknown key "retention.dayz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.Retention.Days != tt.days || c.Retention.After() != time.Duration(tt.days)*24*time.Hour {
					t.Fatalf("retention = %+v", c.Retention)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %+v, %v; want an error with %q", c.Retention, err, tt.want)
			}
		})
	}
}
