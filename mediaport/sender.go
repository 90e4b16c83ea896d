package mediaport

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// With UDP GSO one sendmmsg message carries a run of datagrams to one
// destination, all of one size but the last, which may be shorter: the
// packets of a camera frame to one viewer. The kernel builds and routes one
// large packet and cuts it into datagrams at the end of its send path,
// which costs much less than sending each datagram on its own.
const (
	gsoSegments = 64    // datagrams in one message (UDP_MAX_SEGMENTS)
	gsoBytes    = 64000 // payload of one message, under the 64 KiB IP limit
	gsoSegment  = 1400  // larger datagrams are sent alone: a 1,500-byte MTU link must carry each segment
	gsoLookback = 8     // messages searched for the destination of a datagram
)

// sender turns queued datagrams into sendmmsg messages and sends them. It
// belongs to one socket's sending goroutine.
type sender struct {
	conn *ipv4.PacketConn
	gso  bool // coalesce runs to one destination into GSO messages

	n     int // messages prepared
	msgs  []ipv4.Message
	meta  []pendingMessage
	addrs []net.UDPAddr
	ips   [][16]byte
	bufs  [][gsoSegments][]byte
	oob   []byte // segmentOOBSpace per message, 8-byte aligned

	single [1]ipv4.Message // a GSO message sent again datagram by datagram
	one    [1][]byte
}

type pendingMessage struct {
	addr  netip.AddrPort
	seg   int  // size of each datagram but the last
	count int  // datagrams
	bytes int  // their total size
	open  bool // more datagrams may join
}

func newSender(conn *ipv4.PacketConn, gso bool) *sender {
	return &sender{
		conn:  conn,
		gso:   gso,
		msgs:  make([]ipv4.Message, sendBatch),
		meta:  make([]pendingMessage, sendBatch),
		addrs: make([]net.UDPAddr, sendBatch),
		ips:   make([][16]byte, sendBatch),
		bufs:  make([][gsoSegments][]byte, sendBatch),
		oob:   make([]byte, sendBatch*segmentOOBSpace),
	}
}

// add prepares d, the datagrams of one destination leaving in the order
// they were added. It may send the messages prepared so far.
func (s *sender) add(d *outDatagram) {
	b := d.buf[:d.n]
	if s.gso {
		for i := s.n - 1; i >= max(0, s.n-gsoLookback); i-- {
			m := &s.meta[i]
			if m.addr != d.addr {
				continue
			}
			// The latest message to this destination: join it or follow it.
			if m.open && d.n <= m.seg && m.count < gsoSegments && m.bytes+d.n <= gsoBytes {
				s.bufs[i][m.count] = b
				m.count++
				m.bytes += d.n
				m.open = d.n == m.seg
				return
			}
			break
		}
	}
	if s.n == len(s.msgs) {
		s.flush()
	}
	i := s.n
	s.n++
	s.meta[i] = pendingMessage{addr: d.addr, seg: d.n, count: 1, bytes: d.n, open: d.n <= gsoSegment}
	s.bufs[i][0] = b
}

// flush sends the prepared messages.
func (s *sender) flush() {
	for i := range s.n {
		m := &s.meta[i]
		ip := m.addr.Addr()
		if ip.Is4() || ip.Is4In6() {
			s.ips[i] = [16]byte{}
			v4 := ip.Unmap().As4()
			copy(s.ips[i][:], v4[:])
			s.addrs[i].IP = s.ips[i][:4]
		} else {
			s.ips[i] = ip.As16()
			s.addrs[i].IP = s.ips[i][:]
		}
		s.addrs[i].Port = int(m.addr.Port())
		s.msgs[i] = ipv4.Message{Buffers: s.bufs[i][:m.count], Addr: &s.addrs[i]}
		if m.count > 1 {
			s.msgs[i].OOB = putSegmentSize(s.oob[i*segmentOOBSpace:], m.seg)
		}
	}
	s.send(s.msgs[:s.n])
	for i := range s.n {
		clear(s.bufs[i][:s.meta[i].count]) // let the queue's buffers go
	}
	s.n = 0
}

// send writes msgs, going on past a message the kernel refuses. A refused
// GSO message is sent again one datagram at a time; when the device
// cannot segment at all, GSO stays off.
func (s *sender) send(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n, err := s.conn.WriteBatch(msgs, 0)
		if err == nil {
			msgs = msgs[n:]
			continue
		}
		if n > 0 {
			msgs = msgs[n:]
			continue
		}
		if m := &msgs[0]; m.OOB != nil {
			if gsoRefused(err) {
				s.gso = false
			}
			s.sendEach(m)
		}
		msgs = msgs[1:] // skip the datagram that failed
	}
}

func (s *sender) sendEach(m *ipv4.Message) {
	for _, b := range m.Buffers {
		s.one[0] = b
		s.single[0] = ipv4.Message{Buffers: s.one[:], Addr: m.Addr}
		_, _ = s.conn.WriteBatch(s.single[:], 0)
	}
	s.one[0], s.single[0] = nil, ipv4.Message{}
}
