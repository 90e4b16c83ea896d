package bench

import (
	"net"
	"testing"
)

func TestParseRcvbufErrors(t *testing.T) {
	tests := []struct {
		name    string
		snmp    string
		want    uint64
		wantErr bool
	}{
		{"linux", "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 1973280 403 7099301 9523008 7099301 0\nUdpLite: InDatagrams\nUdpLite: 0\n", 7099301, false},
		{"no Udp lines", "Ip: Forwarding\nIp: 1\n", 0, true},
		{"no such column", "Udp: InDatagrams NoPorts\nUdp: 1 2\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRcvbufErrors(tt.snmp)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := udpReceiveDrops(); err != nil {
		t.Errorf("this host: %v", err)
	}
}

// TestBufferedNet: sockets pion opens get the larger receive buffer.
func TestBufferedNet(t *testing.T) {
	n, err := newBufferedNet(viewerReadBuffer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	size := socketReadBuffer(t, raw)
	// Linux doubles what is asked for (bookkeeping) and caps at rmem_max.
	if size <= 212992*2 && rmemMax(t) > 212992 {
		t.Errorf("receive buffer %d bytes, the default's", size)
	}
}
