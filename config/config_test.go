package config

import (
	"reflect"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	want := Config{
		Listen:    ":8443",
		Data:      "./data",
		Hosts:     []string{"localhost"},
		Retention: Retention{Days: 30},
		Log:       Log{Level: "info", Format: "auto"},
		Links:     Links{TTL: Duration(12 * time.Hour)},
		Incidents: Incidents{EscalateAfter: Duration(5 * time.Minute)},
		Limits:    DefaultLimits(),
		Sessions:  Sessions{ResumeWindow: Duration(30 * time.Second)},
		Media:     DefaultMedia(),
		TURN:      DefaultTURN(),
		Files:     DefaultFiles(),
		Recording: DefaultRecording(),
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Default() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
	if got := c.PublicBase(); got != "https://localhost:8443" {
		t.Errorf("Default().PublicBase() = %q, want https://localhost:8443", got)
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Hosts[0] = "changed"
	if b := Default(); b.Hosts[0] != "localhost" {
		t.Errorf("Default() shares its Hosts slice between calls")
	}
}

func TestExampleFileIsDefaults(t *testing.T) {
	c, err := Load("../vigie.example.yaml")
	if err != nil {
		t.Fatalf("Load(vigie.example.yaml): %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("vigie.example.yaml loads as %+v, want the defaults %+v", c, Default())
	}
}

func TestPublicBase(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		listen    string
		hosts     []string
		want      string
	}{
		{"explicit URL", "https://vigie.example.org/", ":8443", nil, "https://vigie.example.org"},
		{"explicit URL with path", "https://example.org/vigie", ":8443", nil, "https://example.org/vigie"},
		{"first host and port", "", "0.0.0.0:9443", []string{"vigie.example.org", "10.0.0.1"}, "https://vigie.example.org:9443"},
		{"port 443 left out", "", ":443", []string{"vigie.example.org"}, "https://vigie.example.org"},
		{"IPv6 host", "", ":8443", []string{"2001:db8::1"}, "https://[2001:db8::1]:8443"},
		{"IPv6 host on 443", "", ":443", []string{"[2001:db8::1]"}, "https://[2001:db8::1]"},
		{"wildcard skipped", "", ":8443", []string{"*.example.org", "vigie.example.org"}, "https://vigie.example.org:8443"},
		{"no hosts", "", ":8443", nil, "https://localhost:8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.PublicURL, c.Listen, c.Hosts = tt.publicURL, tt.listen, tt.hosts
			if got := c.PublicBase(); got != tt.want {
				t.Errorf("PublicBase() = %q, want %q", got, tt.want)
			}
		})
	}
}
