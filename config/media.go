package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Media sets the server's WebRTC media ports. Browsers try UDP first, then
// ICE over TCP, then the TURN server (see TURN).
type Media struct {
	// UDP is the one UDP address all WebRTC media uses, such as ":8443"
	// (UDP, next to HTTPS on TCP 8443). Port 0: a port the system picks.
	UDP string `yaml:"udp"`
	// TCP is the ICE-TCP address for browsers whose UDP is blocked, such as
	// ":8444"; "" turns ICE-TCP off.
	TCP string `yaml:"tcp"`
	// PublicIPs are the server's public addresses behind a 1:1 NAT; they
	// are announced to browsers next to the local ones.
	PublicIPs []string `yaml:"public_ips"`
	// UDPSockets is how many sockets serve the UDP port (SO_REUSEPORT):
	// 0, the default, is one per core, so that writes to many viewers
	// never queue on one socket; at most 64.
	UDPSockets int `yaml:"udp_sockets"`
	// UDPBatch sends datagrams in batches with sendmmsg (default true).
	UDPBatch bool `yaml:"udp_batch"`
}

// TURN sets the embedded TURN server, the last resort of browsers behind
// firewalls that let only TLS out. Its short-lived credentials are given
// to each browser when it joins.
type TURN struct {
	Enabled bool   `yaml:"enabled"`
	UDP     string `yaml:"udp"` // TURN over UDP, such as ":3478"; "" for none
	TCP     string `yaml:"tcp"` // TURN over TCP, such as ":3478"; "" for none
	// TLS is TURN over TLS: "" (the default) or the HTTPS listen address
	// shares the HTTPS port, so that port 443 alone is enough; another
	// address opens its own TLS listener; "off" turns it off.
	TLS string `yaml:"tls"`
	// Realm is the TURN realm (default "vigie").
	Realm string `yaml:"realm"`
	// RelayIP is the address relays are announced at (default: the host's
	// own address). Only vigie's media port talks to relays, from the same
	// host, so it need not be public.
	RelayIP string `yaml:"relay_ip"`
	// RelayPorts is the UDP port range of relays, "first-last"; "" lets
	// the system pick each port.
	RelayPorts string `yaml:"relay_ports"`
}

// TURNOff is the value of turn.tls that turns TURN over TLS off.
const TURNOff = "off"

// DefaultMedia and DefaultTURN are the defaults of the media and turn
// sections.
func DefaultMedia() Media { return Media{UDP: ":8443", TCP: ":8444", UDPBatch: true} }

func DefaultTURN() TURN {
	return TURN{Enabled: true, UDP: ":3478", TCP: ":3478", Realm: "vigie", RelayPorts: "49152-65535"}
}

// TURNSharesHTTPS tells whether TURN over TLS is served on the HTTPS port.
func (c Config) TURNSharesHTTPS() bool {
	return c.TURN.Enabled && (c.TURN.TLS == "" || c.TURN.TLS == c.Listen)
}

// RelayPortRange parses turn.relay_ports; 0, 0 when empty.
func (t TURN) RelayPortRange() (lo, hi uint16, err error) {
	if t.RelayPorts == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(t.RelayPorts, "-")
	x, errA := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	y, errB := strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	if !ok || errA != nil || errB != nil || x == 0 || y < x {
		return 0, 0, fmt.Errorf("%q is not a port range such as \"49152-65535\"", t.RelayPorts)
	}
	return uint16(x), uint16(y), nil
}

func checkMedia(c Config) []string {
	var p []string
	add := func(key, msg string) { p = append(p, key+": "+msg) }
	if c.Media.UDP == "" {
		add("media.udp", "must be set, such as \":8443\"")
	} else if msg := checkMediaAddr(c.Media.UDP); msg != "" {
		add("media.udp", msg)
	}
	if c.Media.UDPSockets < 0 || c.Media.UDPSockets > 64 {
		add("media.udp_sockets", fmt.Sprintf("%d: must be 0 (one per core) to 64", c.Media.UDPSockets))
	}
	if msg := checkMediaAddr(c.Media.TCP); c.Media.TCP != "" && msg != "" {
		add("media.tcp", msg)
	}
	for i, ip := range c.Media.PublicIPs {
		if net.ParseIP(ip) == nil {
			add(fmt.Sprintf("media.public_ips[%d]", i), fmt.Sprintf("%q is not an IP address", ip))
		}
	}
	if !c.TURN.Enabled {
		return p
	}
	for _, f := range []struct{ key, addr string }{{"turn.udp", c.TURN.UDP}, {"turn.tcp", c.TURN.TCP}} {
		if msg := checkMediaAddr(f.addr); f.addr != "" && msg != "" {
			add(f.key, msg)
		}
	}
	if tls := c.TURN.TLS; tls != "" && tls != TURNOff && tls != c.Listen {
		if msg := checkMediaAddr(tls); msg != "" {
			add("turn.tls", msg+`, "off", or empty to share the HTTPS port`)
		}
	}
	if c.TURN.UDP == "" && c.TURN.TCP == "" && c.TURN.TLS == TURNOff {
		add("turn", "enabled with no listener: set udp, tcp or tls, or enabled: false")
	}
	if c.TURN.Realm == "" {
		add("turn.realm", "must not be empty")
	}
	if c.TURN.RelayIP != "" && net.ParseIP(c.TURN.RelayIP) == nil {
		add("turn.relay_ip", fmt.Sprintf("%q is not an IP address", c.TURN.RelayIP))
	}
	if _, _, err := c.TURN.RelayPortRange(); err != nil {
		add("turn.relay_ports", err.Error())
	}
	return p
}

// checkMediaAddr accepts host:port with a port from 0 (the system picks)
// to 65535.
func checkMediaAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port, e.g. \":8443\"", addr)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Sprintf("%q: the host must be an IP address or empty", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 0 to 65535", port)
	}
	return ""
}
