package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/pion/webrtc/v4"

	"vigie/config"
	"vigie/mediaport"
	"vigie/token"
	"vigie/turnserver"
)

// network is how media reaches browsers: the shared media ports, and the
// embedded TURN server with, when it shares the HTTPS port, the
// demultiplexer in front of HTTPS.
type network struct {
	ports *mediaport.Ports
	turn  *turnserver.Server
	demux *turnserver.Demux // nil unless TURN over TLS shares the HTTPS port
}

// useFreePorts moves media and TURN to ports the system picks, so that
// several servers run on one host (tests, in-process benches). TURN over
// TLS keeps sharing the HTTPS port.
func useFreePorts(cfg *config.Config) {
	cfg.Media.UDP, cfg.Media.TCP = ":0", ":0"
	cfg.TURN.UDP, cfg.TURN.TCP, cfg.TURN.RelayPorts = ":0", ":0", ""
	if cfg.TURN.TLS != config.TURNOff {
		cfg.TURN.TLS = ""
	}
}

// openMediaPorts binds the media ports; the SFU takes them through
// s.net.ports.Apply.
func (s *server) openMediaPorts() error {
	ports, err := mediaport.Open(mediaport.Config{
		UDP: s.cfg.Media.UDP, TCP: s.cfg.Media.TCP, PublicIPs: s.cfg.Media.PublicIPs,
		Sockets: s.cfg.Media.UDPSockets, Batch: s.cfg.Media.UDPBatch,
	})
	if err != nil {
		return err
	}
	s.net.ports = ports
	s.log.Info("media ports listening", "udp", ports.UDPAddr().String(), "ice_tcp", addrString(ports.TCPAddr()),
		"public_ips", s.cfg.Media.PublicIPs)
	return nil
}

// startTURN starts the TURN server once the HTTPS port is bound, and puts
// the demultiplexer in front of HTTPS when TURN over TLS shares its port.
func (s *server) startTURN() error {
	c := s.cfg.TURN
	if !c.Enabled {
		return nil
	}
	secret, err := token.LoadOrCreateSecret(filepath.Join(s.cfg.Data, "turn.key"))
	if err != nil {
		return err
	}
	creds, err := turnserver.NewCredentials(secret, s.cfg.Links.TTL.Std())
	if err != nil {
		return err
	}
	pub, err := url.Parse(s.publicURL)
	if err != nil {
		return fmt.Errorf("public URL %q: %w", s.publicURL, err)
	}
	tc := turnserver.Config{
		UDP: c.UDP, TCP: c.TCP, Realm: c.Realm, Credentials: creds, Host: pub.Hostname(),
		RelayIP: relayIP(s.cfg), AllowedPeers: ownIPs(s.cfg), Log: s.log,
	}
	if tc.RelayMinPort, tc.RelayMaxPort, err = c.RelayPortRange(); err != nil {
		return fmt.Errorf("turn.relay_ports: %w", err)
	}
	switch {
	case s.cfg.TURNSharesHTTPS():
		s.net.demux = turnserver.NewDemux(s.listener, s.tls.TLSConfig, s.log)
		s.listener = s.net.demux.HTTP()
		// The demultiplexer terminates TLS. Without a TLSConfig of its
		// own, http.Server.Serve sets up HTTP/2 for the "h2" connections
		// it hands over; with one lacking "h2", it would drop them.
		s.http.TLSConfig = nil
		tc.TLS = s.net.demux.TURN()
		tc.TLSPort = publicPort(pub)
	case c.TLS != config.TURNOff:
		if tc.TLS, err = turnserver.NewTLSListener(c.TLS, s.tls.TLSConfig); err != nil {
			return err
		}
	}
	if s.net.turn, err = turnserver.Start(tc); err != nil {
		return err
	}
	s.log.Info("turn server listening", "urls", s.net.turn.URLs(), "relay_ip", tc.RelayIP.String(),
		"relay_ports", c.RelayPorts, "tls_shares_https", s.net.demux != nil)
	return nil
}

// iceServersFor gives a browser's session the TURN server with its own
// credentials.
func (s *server) iceServersFor(session string) []webrtc.ICEServer {
	if s.net.turn == nil {
		return nil
	}
	return s.net.turn.ICEServers(session)
}

// serveHTTPS serves the HTTPS listener; behind the demultiplexer its
// connections are already TLS.
func (s *server) serveHTTPS() error {
	if s.net.demux != nil {
		return s.http.Serve(s.listener)
	}
	return s.http.ServeTLS(s.listener, "", "")
}

// close stops TURN and closes the media ports; call it after the SFU has
// closed its peer connections.
func (n *network) close() error {
	var errs []error
	if n.turn != nil {
		errs = append(errs, n.turn.Close())
	}
	if n.demux != nil {
		errs = append(errs, n.demux.Close())
	}
	if n.ports != nil {
		errs = append(errs, n.ports.Close())
	}
	*n = network{}
	return errors.Join(errs...)
}

// relayIP is where TURN relays are announced: turn.relay_ip, else the
// host's own address. Only vigie's media port talks to a relay, from this
// same host, so a public IP would only add a trip through the NAT (which
// many do not allow back in: no hairpinning).
func relayIP(cfg config.Config) net.IP {
	if ip := net.ParseIP(cfg.TURN.RelayIP); ip != nil {
		return ip
	}
	return hostIP()
}

// hostIP is the address of the interface of the default route, else of
// the first interface that is up, else loopback.
func hostIP() net.IP {
	// Connecting a UDP socket sends nothing: it only picks the route.
	if c, err := net.Dial("udp4", "192.0.2.1:9"); err == nil {
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).IP
	}
	for _, ip := range interfaceIPs() {
		if ip.To4() != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
			return ip
		}
	}
	return net.IPv4(127, 0, 0, 1)
}

// ownIPs are the addresses TURN relays may send to: this host's.
func ownIPs(cfg config.Config) []net.IP {
	ips := interfaceIPs()
	for _, s := range append([]string{cfg.TURN.RelayIP}, cfg.Media.PublicIPs...) {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

func interfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

func publicPort(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	return 443
}

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}
