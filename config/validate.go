package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// minAPIKeyLen is the shortest admin API key accepted: 16 random characters
// are out of reach of guessing over the network.
const minAPIKeyLen = 16

// Validate checks every value, and reports each problem on its own line as
// "key: what is wrong".
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.problems() {
		errs = append(errs, errors.New(p))
	}
	return errors.Join(errs...)
}

func (c Config) problems() []string {
	var p []string
	add := func(key, msg string) { p = append(p, key+": "+msg) }
	if msg := checkListen(c.Listen); msg != "" {
		add("listen", msg)
	}
	if msg := checkPublicURL(c.PublicURL); msg != "" {
		add("public_url", msg)
	}
	if c.Data == "" {
		add("data", "must not be empty")
	}
	for i, h := range c.Hosts {
		if !validHost(h) {
			add(fmt.Sprintf("hosts[%d]", i), fmt.Sprintf("%q is not a DNS name or IP address", h))
		}
	}
	switch {
	case c.TLS.Cert != "" && c.TLS.Key == "":
		add("tls.key", "must be set with tls.cert")
	case c.TLS.Key != "" && c.TLS.Cert == "":
		add("tls.cert", "must be set with tls.key")
	}
	for i, k := range c.Admin.APIKeys {
		if msg := checkAPIKey(k); msg != "" {
			add(fmt.Sprintf("admin.api_keys[%d]", i), msg)
		}
	}
	p = append(p, checkCameras(c.Cameras)...)
	p = append(p, checkRetention(c.Retention)...)
	p = append(p, checkLimits(c.Limits)...)
	p = append(p, checkDirectory(c)...)
	p = append(p, checkAlarms(c)...)
	p = append(p, checkOperators(c.Operators)...)
	p = append(p, checkMetrics(c.Metrics)...)
	p = append(p, checkSessions(c.Sessions)...)
	p = append(p, checkMedia(c)...)
	p = append(p, checkFiles(c.Files)...)
	p = append(p, checkRecording(c.Recording)...)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		add("log.level", fmt.Sprintf("%q is not one of debug, info, warn, error", c.Log.Level))
	}
	if !slices.Contains([]string{"auto", "json", "text"}, c.Log.Format) {
		add("log.format", fmt.Sprintf("%q is not one of auto, json, text", c.Log.Format))
	}
	if c.Links.TTL <= 0 {
		add("links.ttl", "must be positive")
	}
	return p
}

func checkListen(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Sprintf("%q is not host:port, e.g. \":8443\" or \"192.0.2.1:443\"", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 1 to 65535", port)
	}
	return ""
}

func checkPublicURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Sprintf("%q is not an https:// URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must not carry credentials, a query or a fragment", raw)
	}
	return ""
}

func checkAPIKey(k string) string {
	switch {
	case len(k) < minAPIKeyLen:
		return fmt.Sprintf("too short: use at least %d random characters (openssl rand -hex 32)", minAPIKeyLen)
	case strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "must not contain spaces or control characters"
	}
	return ""
}

// validHost accepts an IP address, bracketed or not, or a DNS name made of
// letters, digits, '-', '_' and '.', optionally starting with "*.".
func validHost(h string) bool {
	if net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")) != nil {
		return true
	}
	name := strings.TrimPrefix(h, "*.")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || strings.Trim(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return true
}

// checkCameras checks what can be checked without reaching the cameras.
func checkCameras(list []Camera) []string {
	var p []string
	seen := map[string]bool{}
	for i, cam := range list {
		key := fmt.Sprintf("cameras[%d]", i)
		switch {
		case !validCameraID(cam.ID):
			p = append(p, key+".id: "+fmt.Sprintf("%q must be 1 to 64 letters, digits, - or _", cam.ID))
		case seen[cam.ID]:
			p = append(p, key+".id: "+fmt.Sprintf("%q is used by another camera", cam.ID))
		}
		seen[cam.ID] = true
		if u, err := url.Parse(cam.URL); err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
			p = append(p, key+".url: must be an rtsp:// or rtsps:// URL")
		}
		if u, err := url.Parse(cam.SubURL); cam.SubURL != "" && (err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "") {
			p = append(p, key+".sub_url: must be an rtsp:// or rtsps:// URL")
		}
		if cam.Transport != "" && cam.Transport != "tcp" && cam.Transport != "udp" {
			p = append(p, key+".transport: "+fmt.Sprintf("%q is not tcp or udp", cam.Transport))
		}
		p = append(p, checkPlayback(key, cam)...)
	}
	return p
}

func validCameraID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
