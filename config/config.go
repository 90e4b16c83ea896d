// Package config reads vigie's YAML configuration file. Decoding is strict:
// an unknown key or a value of the wrong type is an error naming the file,
// the line and the key, so that a typo never silently falls back to a default.
package config

import (
	"net"
	"strings"
	"time"
)

// Config is the whole configuration of a vigie server.
type Config struct {
	Listen    string    `yaml:"listen"`     // HTTPS address, host:port
	PublicURL string    `yaml:"public_url"` // base URL put in links; derived from Hosts and Listen when empty
	Data      string    `yaml:"data"`       // data directory: database, generated TLS material, recordings
	Hosts     []string  `yaml:"hosts"`      // names for the generated certificate
	TLS       TLS       `yaml:"tls"`
	Admin     Admin     `yaml:"admin"`
	Retention Retention `yaml:"retention"` // purge after closing, legal hold (retention.go)
	Log       Log       `yaml:"log"`
	Links     Links     `yaml:"links"`
	Limits    Limits    `yaml:"limits"`
	Cameras   []Camera  `yaml:"cameras"`
	Sites     []Site    `yaml:"sites"`
	Contacts  []Contact `yaml:"contacts"`
	Lists     Lists     `yaml:"lists"`
	DC09      DC09      `yaml:"dc09"`
	Webhooks  []Webhook `yaml:"webhooks"`
	SMTP      SMTP      `yaml:"smtp"`
	Incidents Incidents `yaml:"incidents"`
	Metrics   Metrics   `yaml:"metrics"`
	Sessions  Sessions  `yaml:"sessions"`
	Media     Media     `yaml:"media"` // WebRTC media ports (media.go)
	TURN      TURN      `yaml:"turn"`  // embedded TURN server (media.go)
	Files     Files     `yaml:"files"` // files shared in rooms (files.go)

	// Operators are the users of the operator console (/console).
	Operators []Operator `yaml:"operators"`

	// Recording sets incidents' recordings (recording.go).
	Recording Recording `yaml:"recording"`
}

// Camera is one IP camera vigie can show in rooms.
type Camera struct {
	ID          string `yaml:"id"`          // short name used by the API: letters, digits, - and _
	Name        string `yaml:"name"`        // shown on its tile
	URL         string `yaml:"url"`         // rtsp:// or rtsps:// URL of the main stream
	SubURL      string `yaml:"sub_url"`     // optional smaller stream: small tiles, browsers without H.265
	Username    string `yaml:"username"`    // when not in the URL
	Password    string `yaml:"password"`    // when not in the URL
	Transport   string `yaml:"transport"`   // tcp (default) or udp
	Fingerprint string `yaml:"fingerprint"` // rtsps: SHA-256 of the camera's certificate, to pin it
	Preload     bool   `yaml:"preload"`     // stay connected even when no room shows it
	// Recorded footage from the site's recorder (playback.go).
	PlaybackURL  string `yaml:"playback_url"`  // onvif: rtsp(s) URL; template: URL with {start} and {end}
	PlaybackMode string `yaml:"playback_mode"` // onvif (default when playback_url is set) or template
}

// TLS names a provided certificate chain and key; both empty means vigie
// generates a local CA and certificate in the data directory.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Admin holds what protects the REST API.
type Admin struct {
	// APIKeys are the accepted Bearer keys. When empty the server generates
	// one in <data>/admin.key.
	APIKeys []string `yaml:"api_keys"`
}

// Log chooses the log level and format.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // auto (text on a terminal, JSON otherwise), json or text
}

// Links sets how invitation links behave.
type Links struct {
	TTL Duration `yaml:"ttl"` // how long a join link stays valid
}

// Default returns the configuration used for every key the file leaves out.
func Default() Config {
	return Config{
		Listen:    ":8443",
		Data:      "./data",
		Hosts:     []string{"localhost"},
		Retention: Retention{Days: maxRetentionDays},
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
}

// PublicBase returns the base URL for links, without a trailing slash:
// PublicURL when set, otherwise https://<first host>:<port of Listen>, the
// port left out when it is 443.
func (c Config) PublicBase() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host := "localhost"
	for _, h := range c.Hosts {
		if h != "" && !strings.HasPrefix(h, "*") {
			host = strings.Trim(h, "[]")
			break
		}
	}
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "" {
		port = "8443"
	}
	if port == "443" {
		if strings.Contains(host, ":") {
			return "https://[" + host + "]"
		}
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}
