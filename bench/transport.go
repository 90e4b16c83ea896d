package bench

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// tcpDialTimeout bounds a viewer's TCP connection to a TURN server. pion
// dials TURN over TCP and TLS without a deadline, and closing a peer
// connection waits for those dials: behind a firewall that drops packets
// (rather than refusing them) it would wait for the kernel's own timeout,
// minutes. A browser gives up on its own too.
const tcpDialTimeout = 3 * time.Second

// browserLikeTransport makes viewers gather candidates as a browser does:
// UDP and TCP (pion enables only UDP by default), so that they reach the
// server over ICE-TCP when UDP is blocked.
func browserLikeTransport(se *webrtc.SettingEngine) error {
	se.SetNetworkTypes([]webrtc.NetworkType{
		webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6,
	})
	n, err := stdnet.NewNet()
	if err != nil {
		return fmt.Errorf("network interfaces: %w", err)
	}
	se.SetNet(boundedDialNet{n})
	return nil
}

// boundedDialNet is the host's network with TCP dials bounded by
// tcpDialTimeout.
type boundedDialNet struct{ transport.Net }

func (n boundedDialNet) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	d := net.Dialer{Timeout: tcpDialTimeout}
	if laddr != nil {
		d.LocalAddr = laddr
	}
	c, err := d.Dial(network, raddr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
