package config

import (
	"strings"
	"testing"
)

func TestMetricsConfig(t *testing.T) {
	const token = "0123456789abcdef0123"
	tests := []struct {
		name string
		yaml string
		want string // "" when valid, else a part of the error
	}{
		{"off", "", ""},
		{"token only", "metrics:\n  token: " + token + "\n", ""},
		{"loopback without token", "metrics:\n  listen: \"127.0.0.1:9464\"\n", ""},
		{"localhost without token", "metrics:\n  listen: \"localhost:9464\"\n", ""},
		{"IPv6 loopback without token", "metrics:\n  listen: \"[::1]:9464\"\n", ""},
		{"every interface with token", "metrics:\n  listen: \":9464\"\n  token: " + token + "\n", ""},
		{"every interface without token", "metrics:\n  listen: \":9464\"\n",
			"metrics.listen: :9464 is reachable from other machines"},
		{"private address without token", "metrics:\n  listen: \"10.0.0.2:9464\"\n",
			"metrics.listen: 10.0.0.2:9464 is reachable from other machines: set metrics.token, or listen on 127.0.0.1"},
		{"host name without token", "metrics:\n  listen: \"vigie.lan:9464\"\n", "metrics.listen: vigie.lan:9464 is reachable"},
		{"bad listen", "metrics:\n  listen: \"9464\"\n", `metrics.listen: "9464" is not host:port`},
		{"port zero", "metrics:\n  listen: \"127.0.0.1:0\"\n", `metrics.listen: port "0" is not a number`},
		{"short token", "metrics:\n  token: short\n", "metrics.token: too short"},
		{"token with space", "metrics:\n  token: \"0123456789 abcdef0123\"\n", "metrics.token: must not contain spaces"},
		{"unknown key", "metrics:\n  listne: \"127.0.0.1:9464\"\n", `line 2: unknown key "metrics.listne"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %+v, %v; want an error with %q", c.Metrics, err, tt.want)
			}
		})
	}
}

func TestMetricsConfigValues(t *testing.T) {
	c, err := Load(writeConfig(t, "metrics:\n  listen: \"127.0.0.1:9464\"\n  token: 0123456789abcdef0123\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics != (Metrics{Listen: "127.0.0.1:9464", Token: "0123456789abcdef0123"}) {
		t.Fatalf("metrics = %+v", c.Metrics)
	}
}
