package mediaport

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// peers opens n client sockets on loopback.
func peers(t testing.TB, n int) []*net.UDPConn {
	t.Helper()
	out := make([]*net.UDPConn, n)
	for i := range out {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		out[i] = c
	}
	return out
}

// TestSocketsShareOnePort checks that every peer reaches the port and
// hears back from that same port, whichever socket serves it.
func TestSocketsShareOnePort(t *testing.T) {
	for _, tc := range []struct {
		sockets int
		batch   bool
	}{{1, false}, {4, false}, {1, true}, {4, true}} {
		t.Run(fmt.Sprintf("sockets=%d,batch=%v", tc.sockets, tc.batch), func(t *testing.T) {
			n := tc.sockets
			c, err := listenUDPSockets("127.0.0.1:0", n, tc.batch, true)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if len(c.socks) != n {
				t.Fatalf("%d sockets, want %d", len(c.socks), n)
			}
			port := c.LocalAddr().(*net.UDPAddr).AddrPort()
			clients := peers(t, 32)
			for i, p := range clients {
				if _, err := p.WriteToUDPAddrPort([]byte(fmt.Sprint("hello ", i)), port); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[netip.AddrPort]string{}
			buf := make([]byte, 1500)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for len(seen) < len(clients) {
				k, from, err := c.ReadFromAddrPort(buf)
				if err != nil {
					t.Fatalf("after %d peers: %v", len(seen), err)
				}
				seen[from] = string(buf[:k])
				if _, err := c.WriteToAddrPort(buf[:k], from); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range clients {
				_ = p.SetReadDeadline(time.Now().Add(5 * time.Second))
				k, from, err := p.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("peer %d: %v", i, err)
				}
				if from != port {
					t.Fatalf("peer %d answered from %v, want the port %v", i, from, port)
				}
				if got, want := string(buf[:k]), fmt.Sprint("hello ", i); got != want {
					t.Fatalf("peer %d got %q", i, got)
				}
			}
		})
	}
}

func TestReadDeadlineAndClose(t *testing.T) {
	c, err := listenUDPSockets("127.0.0.1:0", 2, true, true)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, _, err = c.ReadFrom(make([]byte, 10))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("read after the deadline: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrom(make([]byte, 10))
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != net.ErrClosed {
			t.Fatalf("read after close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read still blocked after close")
	}
}

func TestPortInUse(t *testing.T) {
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := listenUDPSockets(busy.LocalAddr().String(), 2, false, true); err == nil {
		t.Fatal("bound a port another program holds")
	}
}

// BenchmarkWriteParallel writes 1,200-byte packets to 256 peers from every
// core: through one socket, through one socket per core, and through one
// socket per core with batched sends. The cost per packet (ns/op, with
// every core writing) is what a viewer costs the server in system time.
func BenchmarkWriteParallel(b *testing.B) {
	for _, tc := range []struct {
		sockets int
		batch   bool
	}{{1, false}, {runtime.GOMAXPROCS(0), false}, {runtime.GOMAXPROCS(0), true}} {
		b.Run(fmt.Sprintf("sockets=%d,batch=%v", tc.sockets, tc.batch), func(b *testing.B) {
			c, err := listenUDPSockets("127.0.0.1:0", tc.sockets, tc.batch, true)
			if err != nil {
				b.Fatal(err)
			}
			clients := peers(b, 256)
			addrs := make([]netip.AddrPort, len(clients))
			for i, p := range clients {
				_ = p.SetReadBuffer(64 << 10) // the kernel drops what overflows
				addrs[i] = p.LocalAddr().(*net.UDPAddr).AddrPort()
			}
			payload := make([]byte, 1200)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					_, _ = c.WriteToAddrPort(payload, addrs[i%len(addrs)])
					i++
				}
			})
			_ = c.Close()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
