package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid; otherwise the whole error
	}{
		{"defaults", func(*Config) {}, ""},
		{"listen with host", func(c *Config) { c.Listen = "192.0.2.1:443" }, ""},
		{"listen IPv6", func(c *Config) { c.Listen = "[::]:8443" }, ""},
		{"listen without port", func(c *Config) { c.Listen = "localhost" },
			`listen: "localhost" is not host:port, e.g. ":8443" or "192.0.2.1:443"`},
		{"listen port name", func(c *Config) { c.Listen = ":https" }, `listen: port "https" is not a number from 1 to 65535`},
		{"listen port zero", func(c *Config) { c.Listen = ":0" }, `listen: port "0" is not a number from 1 to 65535`},
		{"listen port too big", func(c *Config) { c.Listen = ":70000" }, `listen: port "70000" is not a number from 1 to 65535`},
		{"public_url https", func(c *Config) { c.PublicURL = "https://vigie.example.org/base" }, ""},
		{"public_url http", func(c *Config) { c.PublicURL = "http://vigie.example.org" },
			`public_url: "http://vigie.example.org" is not an https:// URL`},
		{"public_url no host", func(c *Config) { c.PublicURL = "https:///x" }, `public_url: "https:///x" is not an https:// URL`},
		{"public_url query", func(c *Config) { c.PublicURL = "https://a.example.org/?x=1" },
			`public_url: "https://a.example.org/?x=1" must not carry credentials, a query or a fragment`},
		{"data empty", func(c *Config) { c.Data = "" }, "data: must not be empty"},
		{"dc09 listen", func(c *Config) { c.DC09.Listen = "9000" }, `dc09.listen: "9000" is not host:port, e.g. ":8443" or "192.0.2.1:443"`},
		{"dc09 policy", func(c *Config) { c.DC09.UnknownAccount = "drop" }, `dc09.unknown_account: "drop" is not ignore, nak or accept`},
		{"dc09 zone", func(c *Config) { c.DC09.Accounts = []DC09Account{{Number: "1234", TimeZone: "Mars/Olympus"}} },
			`dc09.accounts[0] (1234).time_zone: "Mars/Olympus" is not a known time zone`},
		{"webhook short secret", func(c *Config) { c.Webhooks = []Webhook{{Name: "arc", Secret: "short"}} },
			"webhooks[0] (arc): needs a name and a secret of at least 32 characters"},
		{"resume window", func(c *Config) { c.Sessions.ResumeWindow = Duration(time.Minute) }, ""},
		{"resume window too long", func(c *Config) { c.Sessions.ResumeWindow = Duration(time.Hour) },
			"sessions.resume_window: must be between 0s and 10m"},
		{"smtp tls", func(c *Config) { c.SMTP.TLS = "ssl" }, `smtp.tls: "ssl" is not starttls, implicit or none`},
		{"smtp from", func(c *Config) { c.SMTP.Host = "smtp.example.org" }, "smtp.from: must be set with smtp.host"},
		{"camera good", func(c *Config) {
			c.Cameras = []Camera{{ID: "entree-1", URL: "rtsp://10.0.0.5:554/Streaming/Channels/101"}, {ID: "cour", URL: "rtsps://cam/x", Transport: "udp"}}
		}, ""},
		{"camera bad id", func(c *Config) { c.Cameras = []Camera{{ID: "entrée", URL: "rtsp://cam/x"}} },
			`cameras[0].id: "entrée" must be 1 to 64 letters, digits, - or _`},
		{"camera twice", func(c *Config) { c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x"}, {ID: "a", URL: "rtsp://cam/y"}} },
			`cameras[1].id: "a" is used by another camera`},
		{"camera http url", func(c *Config) { c.Cameras = []Camera{{ID: "a", URL: "http://cam/x"}} },
			"cameras[0].url: must be an rtsp:// or rtsps:// URL"},
		{"camera transport", func(c *Config) { c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", Transport: "quic"}} },
			`cameras[0].transport: "quic" is not tcp or udp`},
		{"playback onvif", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackURL: "rtsp://nvr/Streaming/tracks/101"}}
		}, ""},
		{"playback template", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackMode: "template",
				PlaybackURL: "rtsp://nvr/Streaming/tracks/101?starttime={start}&endtime={end}"}}
		}, ""},
		{"playback bad mode", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackURL: "rtsp://nvr/x", PlaybackMode: "hik"}}
		}, `cameras[0].playback_mode: "hik" is not onvif or template`},
		{"playback mode without url", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackMode: "onvif"}}
		}, "cameras[0].playback_mode: needs playback_url"},
		{"playback http url", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackURL: "http://nvr/x"}}
		}, "cameras[0].playback_url: must be an rtsp:// or rtsps:// URL"},
		{"playback template without start", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackURL: "rtsp://nvr/x", PlaybackMode: "template"}}
		}, "cameras[0].playback_url: a template needs {start}"},
		{"playback placeholders in onvif", func(c *Config) {
			c.Cameras = []Camera{{ID: "a", URL: "rtsp://cam/x", PlaybackURL: "rtsp://nvr/x?s={start}"}}
		}, "cameras[0].playback_url: {start} and {end} need playback_mode: template"},
		{"hosts names and IPs", func(c *Config) { c.Hosts = []string{"*.example.org", "10.0.0.1", "[::1]", "cam_1.local."} }, ""},
		{"hosts bad", func(c *Config) { c.Hosts = []string{"ok.example.org", "https://x.example.org"} },
			`hosts[1]: "https://x.example.org" is not a DNS name or IP address`},
		{"hosts empty entry", func(c *Config) { c.Hosts = []string{""} }, `hosts[0]: "" is not a DNS name or IP address`},
		{"tls both", func(c *Config) { c.TLS = TLS{Cert: "c.pem", Key: "k.pem"} }, ""},
		{"tls cert only", func(c *Config) { c.TLS.Cert = "c.pem" }, "tls.key: must be set with tls.cert"},
		{"tls key only", func(c *Config) { c.TLS.Key = "k.pem" }, "tls.cert: must be set with tls.key"},
		{"api key good", func(c *Config) { c.Admin.APIKeys = []string{strings.Repeat("k", 16)} }, ""},
		{"api key short", func(c *Config) { c.Admin.APIKeys = []string{"secret"} },
			"admin.api_keys[0]: too short: use at least 16 random characters (openssl rand -hex 32)"},
		{"api key space", func(c *Config) { c.Admin.APIKeys = []string{"0123456789 abcdef"} },
			"admin.api_keys[0]: must not contain spaces or control characters"},
		{"log level", func(c *Config) { c.Log.Level = "INFO" }, `log.level: "INFO" is not one of debug, info, warn, error`},
		{"log format", func(c *Config) { c.Log.Format = "" }, `log.format: "" is not one of auto, json, text`},
		{"ttl zero", func(c *Config) { c.Links.TTL = 0 }, "links.ttl: must be positive"},
		{"ttl negative", func(c *Config) { c.Links.TTL = -1 }, "links.ttl: must be positive"},
		{"several", func(c *Config) { c.Data, c.Links.TTL = "", 0 }, "data: must not be empty\nlinks.ttl: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
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
