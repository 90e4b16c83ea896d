package config

import (
	"strings"
	"testing"
)

func TestMediaValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string // "" for valid; else a part of the error
	}{
		{"defaults", func(*Config) {}, ""},
		{"ports the system picks", func(c *Config) { c.Media.UDP, c.Media.TCP, c.TURN.UDP = ":0", "127.0.0.1:0", "[::1]:0" }, ""},
		{"no ICE-TCP", func(c *Config) { c.Media.TCP = "" }, ""},
		{"public IPs", func(c *Config) { c.Media.PublicIPs = []string{"203.0.113.7", "2001:db8::7"} }, ""},
		{"TURN/TLS on the HTTPS address", func(c *Config) { c.TURN.TLS = c.Listen }, ""},
		{"TURN/TLS on its own port", func(c *Config) { c.TURN.TLS = ":5349" }, ""},
		{"TURN/TLS off", func(c *Config) { c.TURN.TLS = TURNOff }, ""},
		{"TURN off ignores its keys", func(c *Config) { c.TURN = TURN{Enabled: false, UDP: "nonsense", RelayPorts: "x"} }, ""},
		{"media UDP missing", func(c *Config) { c.Media.UDP = "" }, "media.udp: must be set"},
		{"media UDP not host:port", func(c *Config) { c.Media.UDP = "8443" }, "media.udp: \"8443\" is not host:port"},
		{"media TCP port too big", func(c *Config) { c.Media.TCP = ":70000" }, "media.tcp: port \"70000\""},
		{"media UDP on a name", func(c *Config) { c.Media.UDP = "vigie.example.org:8443" }, "media.udp: \"vigie.example.org:8443\": the host must be an IP address"},
		{"public IP not an IP", func(c *Config) { c.Media.PublicIPs = []string{"vigie.example.org"} }, "media.public_ips[0]: \"vigie.example.org\" is not an IP address"},
		{"TURN UDP bad", func(c *Config) { c.TURN.UDP = "3478" }, "turn.udp:"},
		{"TURN TLS bad", func(c *Config) { c.TURN.TLS = "yes" }, "turn.tls: \"yes\" is not host:port"},
		{"TURN without listener", func(c *Config) { c.TURN.UDP, c.TURN.TCP, c.TURN.TLS = "", "", TURNOff }, "turn: enabled with no listener"},
		{"TURN realm empty", func(c *Config) { c.TURN.Realm = "" }, "turn.realm: must not be empty"},
		{"relay IP bad", func(c *Config) { c.TURN.RelayIP = "here" }, "turn.relay_ip: \"here\" is not an IP address"},
		{"relay ports reversed", func(c *Config) { c.TURN.RelayPorts = "50000-49000" }, "turn.relay_ports: \"50000-49000\" is not a port range"},
		{"relay ports one number", func(c *Config) { c.TURN.RelayPorts = "49160" }, "turn.relay_ports:"},
		{"relay ports from 0", func(c *Config) { c.TURN.RelayPorts = "0-100" }, "turn.relay_ports:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRelayPortRange(t *testing.T) {
	lo, hi, err := TURN{RelayPorts: "49160-49200"}.RelayPortRange()
	if err != nil || lo != 49160 || hi != 49200 {
		t.Fatalf("49160-49200: %d, %d, %v", lo, hi, err)
	}
	if lo, hi, err := (TURN{}).RelayPortRange(); err != nil || lo != 0 || hi != 0 {
		t.Fatalf("empty: %d, %d, %v", lo, hi, err)
	}
}

func TestTURNSharesHTTPS(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		tls     string
		enabled bool
		want    bool
	}{
		{"", true, true}, {c.Listen, true, true}, {":5349", true, false}, {TURNOff, true, false}, {"", false, false},
	} {
		c.TURN.TLS, c.TURN.Enabled = tt.tls, tt.enabled
		if got := c.TURNSharesHTTPS(); got != tt.want {
			t.Errorf("tls %q enabled %v: shares %v, want %v", tt.tls, tt.enabled, got, tt.want)
		}
	}
}

func TestLoadMediaSections(t *testing.T) {
	path := writeConfig(t, `
media:
  udp: ":443"
  tcp: ""
  public_ips: [203.0.113.7]
turn:
  tls: ":443"
  relay_ports: "40000-40100"
  relay_ip: 203.0.113.8
listen: ":443"
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Media.UDP != ":443" || c.Media.TCP != "" || len(c.Media.PublicIPs) != 1 || !c.TURN.Enabled ||
		c.TURN.UDP != ":3478" || !c.TURNSharesHTTPS() || c.TURN.RelayIP != "203.0.113.8" {
		t.Fatalf("loaded %+v %+v", c.Media, c.TURN)
	}
	_, err = Load(writeConfig(t, "turn:\n  enabled: false\n  relay_port: 1\n"))
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown key "turn.relay_port"`) {
		t.Fatalf("typo in turn: %v", err)
	}
}
