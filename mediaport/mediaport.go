// Package mediaport opens the server's WebRTC media ports: one UDP socket
// that every peer connection shares, an ICE-TCP listener for networks that
// block UDP, and the public addresses a 1:1 NAT puts in front of them. The
// SFU gets them through Apply, on its pion SettingEngine.
package mediaport

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// tcpReadBuffer and tcpWriteBuffer size ICE-TCP connections: reads hold
// one framed packet, writes queue up to this much before dropping (pion's
// recommended 4 MB).
const (
	tcpReadBuffer  = 8
	tcpWriteBuffer = 4 << 20
)

// prflxWait is how long the SFU, which nominates the candidate pair, waits
// before choosing a pair whose remote side it learnt from a connectivity
// check (peer reflexive) rather than from signaling. ICE-TCP clients are
// always such (their active candidates are not signaled), and so are TURN
// relays whose checks arrive before their candidate: pion's default, 1 s,
// would delay every locked-down responder's first image by a second.
// Host UDP pairs, when they work, are nominated at once as before.
const prflxWait = 100 * time.Millisecond

// Config says where the media ports listen.
type Config struct {
	UDP       string   // host:port of the shared UDP socket; required
	TCP       string   // host:port of ICE-TCP; "" for none
	PublicIPs []string // 1:1 NAT addresses announced next to the local ones
	Sockets   int      // sockets serving the UDP port; 0: one per core
	Batch     bool     // send UDP datagrams in batches (sendmmsg)
}

// Ports are the open media sockets. Build them with Open, give them to the
// SFU with Apply, and Close them after the SFU.
type Ports struct {
	udp       net.PacketConn
	udpMux    *ice.UDPMuxDefault
	tcp       net.Listener
	tcpMux    *ice.TCPMuxDefault
	publicIPs []string
}

// Open binds the sockets of cfg.
func Open(cfg Config) (*Ports, error) {
	for _, ip := range cfg.PublicIPs {
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("media public IP %q: not an IP address", ip)
		}
	}
	p := &Ports{publicIPs: append([]string(nil), cfg.PublicIPs...)}
	conn, err := listenUDP(cfg.UDP, cfg.Sockets, cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("media UDP port %s: %w", cfg.UDP, err)
	}
	p.udp = conn
	p.udpMux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn})
	if cfg.TCP != "" {
		ln, err := net.Listen("tcp", cfg.TCP)
		if err != nil {
			_ = p.Close()
			return nil, fmt.Errorf("ICE-TCP port %s: %w", cfg.TCP, err)
		}
		p.tcp = ln
		p.tcpMux = ice.NewTCPMuxDefault(ice.TCPMuxParams{
			Listener: ln, ReadBufferSize: tcpReadBuffer, WriteBufferSize: tcpWriteBuffer,
		})
	}
	return p, nil
}

// UDPAddr is the address the UDP socket is bound to.
func (p *Ports) UDPAddr() net.Addr { return p.udp.LocalAddr() }

// TCPAddr is the ICE-TCP listener's address; nil without ICE-TCP.
func (p *Ports) TCPAddr() net.Addr {
	if p.tcp == nil {
		return nil
	}
	return p.tcp.Addr()
}

// Apply makes every peer connection of se use the ports: host candidates
// on the shared UDP socket, passive TCP candidates on the ICE-TCP
// listener, and each public IP announced in addition to the local
// addresses (appended, not replacing them, so that clients on the
// server's own network still connect directly).
func (p *Ports) Apply(se *webrtc.SettingEngine) error {
	se.SetICEUDPMux(p.udpMux)
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if p.tcpMux != nil {
		se.SetICETCPMux(p.tcpMux)
		types = append(types, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(types)
	se.SetPrflxAcceptanceMinWait(prflxWait)
	if len(p.publicIPs) == 0 {
		return nil
	}
	rules := make([]webrtc.ICEAddressRewriteRule, 0, len(p.publicIPs))
	for _, ip := range p.publicIPs {
		rules = append(rules, webrtc.ICEAddressRewriteRule{
			External:        []string{ip},
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteAppend,
		})
	}
	if err := se.SetICEAddressRewriteRules(rules...); err != nil {
		return fmt.Errorf("media public IPs: %w", err)
	}
	return nil
}

// Close closes the sockets; peer connections still using them fail.
func (p *Ports) Close() error {
	var errs []error
	if p.udpMux != nil {
		errs = append(errs, p.udpMux.Close())
	} else if p.udp != nil {
		errs = append(errs, p.udp.Close())
	}
	if p.tcpMux != nil {
		errs = append(errs, p.tcpMux.Close())
	} else if p.tcp != nil {
		errs = append(errs, p.tcp.Close())
	}
	return errors.Join(errs...)
}
