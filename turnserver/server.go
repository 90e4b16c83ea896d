// Package turnserver runs vigie's embedded TURN server (pion/turn), the
// last resort of a browser whose network lets nothing through but TLS:
// TURN over UDP, TCP and TLS, the TLS side able to share the HTTPS port
// (Demux), with short-lived credentials minted per session (Credentials).
package turnserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// Config says where the TURN server listens and what it tells browsers.
type Config struct {
	UDP string       // TURN over UDP address, "" for none
	TCP string       // TURN over TCP address, "" for none
	TLS net.Listener // TURN over TLS connections (a Demux's TURN side or a tls listener), nil for none
	// TLSPort is the port put in turns: URLs: the public HTTPS port when TLS
	// shares it; 0 takes TLS's own port.
	TLSPort int

	Realm       string
	Credentials *Credentials
	// Host is the server's public name or address, put in the URLs.
	Host string
	// RelayIP is the address relays are announced at; RelayMinPort and
	// RelayMaxPort bound their UDP ports (both 0: any port).
	RelayIP                    net.IP
	RelayMinPort, RelayMaxPort uint16
	// AllowedPeers are the addresses relays may send to: the server's own.
	// Empty allows any peer.
	AllowedPeers []net.IP
	// MaxAllocations bounds the live relays of one session (default
	// DefaultMaxAllocations).
	MaxAllocations int
	Log            *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	cfg  Config
	turn *turn.Server
	udp  net.PacketConn
	tcp  net.Listener
	urls []string
}

// Start opens the listeners of cfg and serves them.
func Start(cfg Config) (*Server, error) {
	if cfg.Credentials == nil || cfg.Host == "" || cfg.RelayIP == nil {
		return nil, errors.New("turn: credentials, host and relay IP are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = DefaultMaxAllocations
	}
	s := &Server{cfg: cfg}
	if err := s.listen(); err != nil {
		s.closeListeners()
		return nil, err
	}
	relay := s.relayGenerator()
	permit := s.permission
	q := newQuota(cfg.MaxAllocations)
	sc := turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   cfg.Credentials.authHandler(time.Now),
		QuotaHandler:  q.allow,
		EventHandler:  turn.EventHandler{OnAllocationCreated: q.created, OnAllocationDeleted: q.deleted},
		LoggerFactory: slogFactory{log: cfg.Log.With("component", "turn")},
	}
	if s.udp != nil {
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, turn.PacketConnConfig{
			PacketConn: s.udp, RelayAddressGenerator: relay, PermissionHandler: permit,
		})
	}
	for _, ln := range []net.Listener{s.tcp, cfg.TLS} {
		if ln != nil {
			sc.ListenerConfigs = append(sc.ListenerConfigs, turn.ListenerConfig{
				Listener: ln, RelayAddressGenerator: relay, PermissionHandler: permit,
			})
		}
	}
	srv, err := turn.NewServer(sc)
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("turn server: %w", err)
	}
	s.turn = srv
	s.urls = s.buildURLs()
	return s, nil
}

func (s *Server) listen() error {
	var err error
	if s.cfg.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", s.cfg.UDP); err != nil {
			return fmt.Errorf("turn UDP port %s: %w", s.cfg.UDP, err)
		}
	}
	if s.cfg.TCP != "" {
		if s.tcp, err = net.Listen("tcp", s.cfg.TCP); err != nil {
			return fmt.Errorf("turn TCP port %s: %w", s.cfg.TCP, err)
		}
	}
	return nil
}

func (s *Server) relayGenerator() turn.RelayAddressGenerator {
	if s.cfg.RelayMinPort != 0 {
		return &turn.RelayAddressGeneratorPortRange{
			RelayAddress: s.cfg.RelayIP, Address: "0.0.0.0",
			MinPort: s.cfg.RelayMinPort, MaxPort: s.cfg.RelayMaxPort,
		}
	}
	return &turn.RelayAddressGeneratorStatic{RelayAddress: s.cfg.RelayIP, Address: "0.0.0.0"}
}

// permission lets relays reach only the allowed peers, so that the TURN
// server cannot be used to reach other machines of the operator's network.
func (s *Server) permission(_ net.Addr, peer net.IP) bool {
	if len(s.cfg.AllowedPeers) == 0 {
		return true
	}
	for _, ip := range s.cfg.AllowedPeers {
		if ip.Equal(peer) {
			return true
		}
	}
	s.cfg.Log.Debug("turn permission refused", "peer", peer)
	return false
}

func (s *Server) buildURLs() []string {
	var urls []string
	if s.udp != nil {
		urls = append(urls, "turn:"+s.hostPort(s.udp.LocalAddr(), 0)+"?transport=udp")
	}
	if s.tcp != nil {
		urls = append(urls, "turn:"+s.hostPort(s.tcp.Addr(), 0)+"?transport=tcp")
	}
	if s.cfg.TLS != nil {
		urls = append(urls, "turns:"+s.hostPort(s.cfg.TLS.Addr(), s.cfg.TLSPort)+"?transport=tcp")
	}
	return urls
}

func (s *Server) hostPort(a net.Addr, port int) string {
	if port == 0 {
		_, p, _ := net.SplitHostPort(a.String())
		port, _ = strconv.Atoi(p)
	}
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(port))
}

// URLs are the turn: and turns: URLs of the server, for ICE configurations.
func (s *Server) URLs() []string { return append([]string(nil), s.urls...) }

// ICEServers returns the TURN server with fresh credentials for session.
func (s *Server) ICEServers(session string) []webrtc.ICEServer {
	user, pass := s.cfg.Credentials.Mint(session, time.Now())
	return []webrtc.ICEServer{{URLs: s.URLs(), Username: user, Credential: pass}}
}

// Close stops the server and closes its listeners.
func (s *Server) Close() error {
	if s.turn != nil {
		return s.turn.Close()
	}
	s.closeListeners()
	return nil
}

func (s *Server) closeListeners() {
	if s.udp != nil {
		_ = s.udp.Close()
	}
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
	if s.cfg.TLS != nil {
		_ = s.cfg.TLS.Close()
	}
}

// NewTLSListener opens a TURN-over-TLS port of its own at addr.
func NewTLSListener(addr string, cfg *tls.Config) (net.Listener, error) {
	c := cfg.Clone()
	c.NextProtos = []string{ALPNTURN}
	ln, err := tls.Listen("tcp", addr, c)
	if err != nil {
		return nil, fmt.Errorf("turn TLS port %s: %w", addr, err)
	}
	return ln, nil
}

// slogFactory routes pion's TURN logs to slog: errors as warnings (they
// are about one client), warnings and the routine end of a client's
// connection as debug.
type slogFactory struct{ log *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{log: f.log.With("scope", scope)}
}

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Trace(string)              {}
func (l slogLogger) Tracef(string, ...any)     {}
func (l slogLogger) Debug(m string)            { l.log.Debug(m) }
func (l slogLogger) Debugf(f string, a ...any) { l.debugf(f, a...) }
func (l slogLogger) Info(m string)             { l.log.Debug(m) }
func (l slogLogger) Infof(f string, a ...any)  { l.debugf(f, a...) }
func (l slogLogger) Warn(m string)             { l.log.Debug(m) }
func (l slogLogger) Warnf(f string, a ...any)  { l.debugf(f, a...) }
func (l slogLogger) Error(m string)            { l.error(m) }
func (l slogLogger) Errorf(f string, a ...any) { l.error(fmt.Sprintf(f, a...)) }

// debugf formats only when debug logs are on: pion logs per request.
func (l slogLogger) debugf(f string, a ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(f, a...))
	}
}

func (l slogLogger) error(m string) {
	if strings.HasPrefix(m, "Failed to close conn") {
		l.log.Debug(m) // a client went away before TLS said goodbye
		return
	}
	l.log.Warn(m)
}
