package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// writeConfig writes content to vigie.yaml in a temporary directory.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFullFile(t *testing.T) {
	path := writeConfig(t, `
listen: "192.0.2.10:443"
public_url: "https://vigie.example.org/"
data: /var/lib/vigie
hosts: [vigie.example.org, 192.0.2.10]
tls:
  cert: /etc/vigie/cert.pem
  key: /etc/vigie/key.pem
admin:
  api_keys:
    - 0123456789abcdef0123
    - fedcba9876543210fedc
log:
  level: debug
  format: json
links:
  ttl: 90m
`)
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Listen:    "192.0.2.10:443",
		PublicURL: "https://vigie.example.org/",
		Data:      "/var/lib/vigie",
		Hosts:     []string{"vigie.example.org", "192.0.2.10"},
		Retention: Retention{Days: 30},
		TLS:       TLS{Cert: "/etc/vigie/cert.pem", Key: "/etc/vigie/key.pem"},
		Admin:     Admin{APIKeys: []string{"0123456789abcdef0123", "fedcba9876543210fedc"}},
		Log:       Log{Level: "debug", Format: "json"},
		Links:     Links{TTL: Duration(90 * time.Minute)},
		Incidents: Incidents{EscalateAfter: Duration(5 * time.Minute)},
		Limits:    DefaultLimits(),
		Sessions:  Sessions{ResumeWindow: Duration(30 * time.Second)},
		Media:     DefaultMedia(),
		TURN:      DefaultTURN(),
		Files:     DefaultFiles(),
		Recording: DefaultRecording(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadOverlaysDefaults(t *testing.T) {
	tests := []struct {
		name    string
		content string
		change  func(*Config)
	}{
		{"empty file", "", func(*Config) {}},
		{"comments only", "# nothing\n", func(*Config) {}},
		{"one key", "listen: \":9443\"\n", func(c *Config) { c.Listen = ":9443" }},
		{"nested key keeps siblings", "log:\n  format: text\n", func(c *Config) { c.Log.Format = "text" }},
		{"key without value keeps default", "listen:\nlog:\n  level: ~\ntls:\n", func(*Config) {}},
		{"list replaces default", "hosts: [a.example.org]\n", func(c *Config) { c.Hosts = []string{"a.example.org"} }},
		{"anchors and aliases", "data: &d /srv/vigie\ntls: {cert: *d, key: *d}\n", func(c *Config) {
			c.Data, c.TLS = "/srv/vigie", TLS{Cert: "/srv/vigie", Key: "/srv/vigie"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeConfig(t, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tt.change(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // one line each, after "config <path>: "
	}{
		{"unknown key", "listen: \":8443\"\n\nlistne: \":9443\"\n", []string{`line 3: unknown key "listne"`}},
		{"unknown nested key", "tls:\n  crt: a.pem\n", []string{`line 2: unknown key "tls.crt"`}},
		{"string expected", "data: /d\nhosts: []\nlisten: [a, b]\n", []string{"line 3: listen: expected a string"}},
		{"null in list", "hosts:\n  - a\n  -\n", []string{"line 3: hosts[1]: expected a string"}},
		{"list expected", "hosts: localhost\n", []string{"line 1: hosts: expected a list"}},
		{"mapping expected", "log: debug\n", []string{"line 1: log: expected keys and values"}},
		{"document not a mapping", "- listen\n", []string{"line 1: expected keys and values"}},
		{"bare number duration", "links:\n  ttl: 3600\n", []string{`line 2: links.ttl: expected a duration such as "12h" or "30m"`}},
		{"bad duration", "links:\n  ttl: 12 hours\n", []string{`line 2: links.ttl: invalid duration "12 hours": expected a duration`}},
		{"duplicate key", "data: a\ndata: b\n", []string{`line 2: key "data" already set at line 1`}},
		{"syntax error", "listen: \":8443\n", []string{"line 2: found unexpected end of stream"}},
		{"two documents", "listen: \":8443\"\n---\nlisten: \":9443\"\n", []string{"only one YAML document is allowed"}},
		{"several problems", "listne: a\nlinks:\n  ttl: 5\n", []string{
			`line 1: unknown key "listne"`,
			`line 3: links.ttl: expected a duration`,
		}},
		{"validation after decoding", "links:\n  ttl: 0s\nlog:\n  format: xml\n", []string{
			`log.format: "xml" is not one of auto, json, text`,
			"links.ttl: must be positive",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.content)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load: want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("error has %d lines, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, want := range tt.want {
				if prefix := "config " + path + ": " + want; !strings.HasPrefix(lines[i], prefix) {
					t.Errorf("line %d = %q\nwant prefix %q", i+1, lines[i], prefix)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	_, err := Load(path)
	if want := "config " + path + ": cannot read: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"12h"`, 12 * time.Hour, false},
		{`1h30m`, 90 * time.Minute, false},
		{`"-5m"`, -5 * time.Minute, false}, // accepted here, refused by Validate
		{`3600`, 0, true},
		{`"soon"`, 0, true},
		{`[1h]`, 0, true},
	}
	for _, tt := range tests {
		var d Duration
		err := yaml.Unmarshal([]byte(tt.in), &d)
		if (err != nil) != tt.wantErr || d.Std() != tt.want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v, error %v", tt.in, d, err, tt.want, tt.wantErr)
		}
	}
	out, err := yaml.Marshal(Links{TTL: Duration(90 * time.Minute)})
	if err != nil || string(out) != "ttl: 1h30m0s\n" {
		t.Errorf("Marshal = %q, %v; want \"ttl: 1h30m0s\\n\"", out, err)
	}
}

func TestLoadCameras(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	body := "cameras:\n  - id: entree\n    name: \"Entrée\"\n    url: rtsp://192.0.2.10/main\n    preload: true\n  - id: cour\n    url: rtsp://192.0.2.11/main\n    colour: red\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "line 8") || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("unknown camera key: %v", err)
	}
	if err := os.WriteFile(path, []byte(strings.TrimSuffix(body, "    colour: red\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Cameras) != 2 || cfg.Cameras[0].Name != "Entrée" || !cfg.Cameras[0].Preload || cfg.Cameras[1].ID != "cour" {
		t.Fatalf("cameras %+v", cfg.Cameras)
	}
}
