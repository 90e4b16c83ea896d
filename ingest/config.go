// Package ingest pulls IP cameras over RTSP/RTSPS and hands their access units to the SFU.
//
// One Camera owns one camera stream: it connects with gortsplib, picks the video (H.264
// preferred, else H.265) and a browser-playable audio track (G.711 or Opus), repairs what
// cameras get wrong (parameter sets missing before keyframes, RTP clocks restarting on
// reconnection) and reports a plain-words Status for the camera tile. It reconnects with
// backoff until its context ends.
package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// Config describes one camera stream.
type Config struct {
	Name        string          // for logs and status
	URL         string          // rtsp:// or rtsps://; credentials may be in the URL userinfo
	Username    string          // override/complement the URL's userinfo
	Password    string          // with Username
	Transport   string          // "tcp" (default, interleaved) or "udp"
	Fingerprint string          // rtsps: SHA-256 of the camera certificate (hex, colons optional) to pin instead of CA verification
	Backoff     []time.Duration // reconnect delays; default 1s, 2s, 5s, 10s, then 30s forever (last one repeats)
	ReadTimeout time.Duration   // no packet for this long = dead session (default 10s)
}

// Transport names accepted in Config.Transport.
const (
	transportTCP = "tcp"
	transportUDP = "udp"
)

const defaultReadTimeout = 10 * time.Second

// defaultBackoff returns the default reconnection delays; a fresh slice each time, so that
// no caller can change another's.
func defaultBackoff() []time.Duration {
	return []time.Duration{1 * time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}
}

// settings is a validated Config, ready for sessions.
type settings struct {
	name        string
	url         *base.URL // with the effective credentials
	safeURL     string    // for logs: no password
	udp         bool
	fingerprint []byte // nil: verify the certificate chain
	backoff     []time.Duration
	readTimeout time.Duration
}

func (cfg Config) validate() (settings, error) {
	s := settings{name: cfg.Name, readTimeout: cfg.ReadTimeout}
	u, err := parseCameraURL(cfg.URL)
	if err != nil {
		return s, err
	}
	applyCredentials(u, cfg.Username, cfg.Password)
	s.url = u
	s.safeURL = (*url.URL)(u).Redacted()

	switch strings.ToLower(cfg.Transport) {
	case "", transportTCP:
	case transportUDP:
		s.udp = true
	default:
		return s, fmt.Errorf("camera %q: transport %q: want %q or %q", cfg.Name, cfg.Transport, transportTCP, transportUDP)
	}

	if cfg.Fingerprint != "" {
		if u.Scheme != "rtsps" {
			return s, fmt.Errorf("camera %q: a certificate fingerprint needs an rtsps:// URL", cfg.Name)
		}
		s.fingerprint, err = parseFingerprint(cfg.Fingerprint)
		if err != nil {
			return s, fmt.Errorf("camera %q: %w", cfg.Name, err)
		}
	}

	s.backoff, err = checkBackoff(cfg.Backoff)
	if err != nil {
		return s, fmt.Errorf("camera %q: %w", cfg.Name, err)
	}
	switch {
	case cfg.ReadTimeout < 0:
		return s, fmt.Errorf("camera %q: negative read timeout %v", cfg.Name, cfg.ReadTimeout)
	case cfg.ReadTimeout == 0:
		s.readTimeout = defaultReadTimeout
	}
	return s, nil
}

func parseCameraURL(raw string) (*base.URL, error) {
	u, err := base.ParseURL(raw)
	if err != nil {
		// url.Parse errors quote the whole URL, password included: say less.
		return nil, errors.New("camera URL: want rtsp://host[:port]/path or rtsps://host[:port]/path")
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("camera URL %s: no host", (*url.URL)(u).Redacted())
	}
	return u, nil
}

// applyCredentials lets Username and Password override or complete the URL's userinfo.
func applyCredentials(u *base.URL, user, pass string) {
	if user == "" && pass == "" {
		return
	}
	var urlUser, urlPass string
	if u.User != nil {
		urlUser = u.User.Username()
		urlPass, _ = u.User.Password()
	}
	if user == "" {
		user = urlUser
	}
	if pass == "" {
		pass = urlPass
	}
	u.User = url.UserPassword(user, pass)
}

// parseFingerprint accepts a SHA-256 in hex, upper or lower case, with or without colons
// or spaces between bytes (as browsers and openssl print it).
func parseFingerprint(s string) ([]byte, error) {
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	fp, err := hex.DecodeString(clean)
	if err != nil || len(fp) != sha256.Size {
		return nil, fmt.Errorf("certificate fingerprint %q: want a SHA-256 in hex (64 digits, colons optional)", s)
	}
	return fp, nil
}

func checkBackoff(b []time.Duration) ([]time.Duration, error) {
	if len(b) == 0 {
		return defaultBackoff(), nil
	}
	for i, d := range b {
		if d <= 0 {
			return nil, fmt.Errorf("backoff[%d] is %v: delays must be positive", i, d)
		}
	}
	return append([]time.Duration(nil), b...), nil
}
