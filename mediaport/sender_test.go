package mediaport

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// TestSenderCoalescesRuns checks which queued datagrams share a GSO
// message: runs to one destination, all of one size but a shorter last,
// found among interleaved destinations, in order.
func TestSenderCoalescesRuns(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1000")
	b := netip.MustParseAddrPort("127.0.0.1:1001")
	c := netip.MustParseAddrPort("[::1]:1000")
	type dg struct {
		to   netip.AddrPort
		size int
	}
	type msg struct {
		to    netip.AddrPort
		seg   int
		count int
	}
	run := func(to netip.AddrPort, size, n int) []dg {
		out := make([]dg, n)
		for i := range out {
			out[i] = dg{to, size}
		}
		return out
	}
	cat := func(parts ...[]dg) (out []dg) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		gso  bool
		in   []dg
		want []msg
	}{
		{"one run", true, run(a, 1200, 5), []msg{{a, 1200, 5}}},
		{"shorter last closes", true, cat(run(a, 1200, 3), run(a, 700, 1), run(a, 1200, 2)),
			[]msg{{a, 1200, 4}, {a, 1200, 2}}},
		{"longer one starts anew", true, cat(run(a, 700, 2), run(a, 1200, 2)), []msg{{a, 700, 2}, {a, 1200, 2}}},
		{"interleaved destinations", true, []dg{{a, 1200}, {b, 1200}, {a, 1200}, {c, 1200}, {b, 1200}, {a, 900}},
			[]msg{{a, 1200, 3}, {b, 1200, 2}, {c, 1200, 1}}},
		{"at most 64 segments", true, run(a, 100, 70), []msg{{a, 100, 64}, {a, 100, 6}}},
		{"at most 64,000 bytes", true, run(a, 1200, 60), []msg{{a, 1200, 53}, {a, 1200, 7}}},
		{"large datagrams alone", true, run(a, 1450, 2), []msg{{a, 1450, 1}, {a, 1450, 1}}},
		{"without GSO", false, run(a, 1200, 3), []msg{{a, 1200, 1}, {a, 1200, 1}, {a, 1200, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(nil, tc.gso)
			ds := make([]outDatagram, len(tc.in))
			for i, d := range tc.in {
				ds[i].n, ds[i].addr = d.size, d.to
				s.add(&ds[i])
			}
			var got []msg
			for i := range s.n {
				m := s.meta[i]
				got = append(got, msg{m.addr, m.seg, m.count})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("messages %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRunsArriveInOrder sends frames of datagrams to peers, interleaved,
// through the batched sockets, and checks that each peer gets every
// datagram, whole and in order, whether or not the kernel segments.
func TestRunsArriveInOrder(t *testing.T) {
	for _, gso := range []bool{false, true} {
		t.Run(fmt.Sprintf("gso=%v", gso), func(t *testing.T) { testRunsArriveInOrder(t, gso) })
	}
}

func testRunsArriveInOrder(t *testing.T, gso bool) {
	const frames, perFrame = 20, 9
	c, err := listenUDPSockets("127.0.0.1:0", 2, true, gso)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if gso && !c.writers[0].gso {
		t.Log("this kernel has no UDP GSO: datagrams leave one by one")
	}
	clients := peers(t, 8)
	addrs := make([]netip.AddrPort, len(clients))
	for i, p := range clients {
		_ = p.SetReadBuffer(4 << 20)
		addrs[i] = p.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	size := func(k int) int { // the last datagram of a frame is shorter
		if k%perFrame == perFrame-1 {
			return 300 + k%7
		}
		return 1200
	}
	buf := make([]byte, 1500)
	for k := range frames * perFrame {
		for i, a := range addrs {
			binary.BigEndian.PutUint32(buf, uint32(k))
			buf[4] = byte(i)
			if _, err := c.WriteToAddrPort(buf[:size(k)], a); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, p := range clients {
		_ = p.SetReadDeadline(time.Now().Add(5 * time.Second))
		for k := range frames * perFrame {
			n, err := p.Read(buf)
			if err != nil {
				t.Fatalf("peer %d, datagram %d: %v", i, k, err)
			}
			if got := binary.BigEndian.Uint32(buf); got != uint32(k) || n != size(k) || buf[4] != byte(i) {
				t.Fatalf("peer %d got datagram %d of %d bytes for peer %d, want %d of %d bytes", i, got, n, buf[4], k, size(k))
			}
		}
	}
}

// BenchmarkWriteRuns writes frames of 8 datagrams of 1,200 bytes to each
// of 256 peers in turn, from every core, as the fan-out does: with GSO
// each frame leaves as one message.
func BenchmarkWriteRuns(b *testing.B) {
	for _, gso := range []bool{false, true} {
		b.Run(fmt.Sprintf("gso=%v", gso), func(b *testing.B) {
			c, err := listenUDPSockets("127.0.0.1:0", runtime.GOMAXPROCS(0), true, gso)
			if err != nil {
				b.Fatal(err)
			}
			clients := peers(b, 256)
			addrs := make([]netip.AddrPort, len(clients))
			for i, p := range clients {
				_ = p.SetReadBuffer(64 << 10)
				addrs[i] = p.LocalAddr().(*net.UDPAddr).AddrPort()
			}
			payload := make([]byte, 1200)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					_, _ = c.WriteToAddrPort(payload, addrs[(i/8)%len(addrs)])
					i++
				}
			})
			_ = c.Close()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
