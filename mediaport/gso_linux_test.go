//go:build linux

package mediaport

import (
	"bytes"
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestRefusedGSOMessageSentOneByOne makes the kernel refuse a GSO message
// (a segment size far too small for its length: EINVAL) and checks that
// its datagrams still leave, one by one, whole and in order, followed by
// the next message of the call.
func TestRefusedGSOMessageSentOneByOne(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !probeGSO(conn) {
		t.Log("this kernel has no UDP GSO: the refused message is sent one by one all the same")
	}
	peer := peers(t, 1)[0]
	to := peer.LocalAddr().(*net.UDPAddr)
	s := newSender(ipv4.NewPacketConn(conn), true)
	a, b, c := bytes.Repeat([]byte{'a'}, 200), bytes.Repeat([]byte{'b'}, 150), []byte("next")
	oob := make([]byte, 64)
	msgs := []ipv4.Message{
		{Buffers: [][]byte{a, b}, Addr: to, OOB: putSegmentSize(oob, 1)},
		{Buffers: [][]byte{c}, Addr: to},
	}
	s.send(msgs)
	buf := make([]byte, 1500)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, want := range [][]byte{a, b, c} {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("datagram %d: %d bytes %q…, want %d bytes %q…", i, n, buf[:1], len(want), want[:1])
		}
	}
	if !s.gso {
		t.Fatal("GSO turned off after EINVAL, which only says this message was wrong")
	}
}
