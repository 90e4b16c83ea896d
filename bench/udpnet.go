package bench

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// viewerReadBuffer is each viewer's socket receive buffer: about 4 s of a
// 2 Mbit/s camera, so a bench briefly short of CPU reads late instead of
// losing packets the server did send. Linux caps it at net.core.rmem_max.
const viewerReadBuffer = 1 << 20

// bufferedNet is the host's network for pion, with a larger receive
// buffer on every UDP socket it opens.
type bufferedNet struct {
	*stdnet.Net
	readBuffer int
}

func newBufferedNet(readBuffer int) (*bufferedNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("network interfaces: %w", err)
	}
	return &bufferedNet{Net: n, readBuffer: readBuffer}, nil
}

// ListenUDP opens a UDP socket with the larger receive buffer.
func (n *bufferedNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(n.readBuffer) // best effort: the default still works
	return c, nil
}

// udpReceiveDrops is the host's count of UDP datagrams dropped because a
// socket's receive buffer was full (RcvbufErrors in /proc/net/snmp): when it
// grows during a step, a reader (this bench, on a loaded host) fell behind.
func udpReceiveDrops() (uint64, error) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, err
	}
	return parseRcvbufErrors(string(b))
}

func parseRcvbufErrors(snmp string) (uint64, error) {
	var names []string
	for line := range strings.Lines(snmp) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Udp:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "RcvbufErrors" && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
		break
	}
	return 0, fmt.Errorf("/proc/net/snmp: no Udp RcvbufErrors")
}
