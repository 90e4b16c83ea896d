package mediaport

import (
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
)

// sendBatch is the most messages one sendmmsg call carries (each one
// datagram, or with GSO up to 64 to one destination).
const sendBatch = 64

// sendQueue bounds the datagrams waiting for one socket; past it writers
// wait, as they would for a full socket buffer.
const sendQueue = 2048

// batchWriter sends one socket's datagrams in batches with sendmmsg: a
// writer copies its datagram into the queue and returns; the socket's
// goroutine sends whatever has gathered in one system call. Under load a
// call carries dozens of datagrams, which saves a third of the cost of
// sending each with its own call; with GSO the datagrams of one frame to
// one viewer share a message, which saves most of the rest (sender.go).
type batchWriter struct {
	conn *ipv4.PacketConn
	gso  bool // the kernel segments UDP (probed once)

	mu     sync.Mutex
	space  sync.Cond     // signalled when the queue is emptied
	queue  []outDatagram // filled by writers
	spare  []outDatagram // being sent
	closed bool
	wake   chan struct{}
}

type outDatagram struct {
	buf  [receiveMTU]byte
	n    int
	addr netip.AddrPort
}

func newBatchWriter(s *net.UDPConn, gso bool) *batchWriter {
	w := &batchWriter{
		conn:  ipv4.NewPacketConn(s),
		gso:   gso && probeGSO(s),
		queue: make([]outDatagram, 0, sendQueue),
		spare: make([]outDatagram, 0, sendQueue),
		wake:  make(chan struct{}, 1),
	}
	w.space.L = &w.mu
	return w
}

// write queues one datagram, waiting while the queue is full.
func (w *batchWriter) write(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > receiveMTU {
		return 0, errTooBig
	}
	w.mu.Lock()
	for len(w.queue) == cap(w.queue) && !w.closed {
		w.space.Wait()
	}
	if w.closed {
		w.mu.Unlock()
		return 0, net.ErrClosed
	}
	w.queue = w.queue[:len(w.queue)+1]
	d := &w.queue[len(w.queue)-1]
	d.n = copy(d.buf[:], b)
	d.addr = addr
	first := len(w.queue) == 1
	w.mu.Unlock()
	if first {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}

// run sends until done is closed.
func (w *batchWriter) run(done <-chan struct{}) {
	defer func() {
		w.mu.Lock()
		w.closed = true
		w.space.Broadcast()
		w.mu.Unlock()
	}()
	s := newSender(w.conn, w.gso)
	for {
		select {
		case <-w.wake:
		case <-done:
			return
		}
		for {
			w.mu.Lock()
			w.queue, w.spare = w.spare[:0], w.queue
			w.space.Broadcast()
			w.mu.Unlock()
			if len(w.spare) == 0 {
				break
			}
			for i := range w.spare {
				s.add(&w.spare[i])
			}
			s.flush()
		}
	}
}

type batchError string

func (e batchError) Error() string { return string(e) }

const errTooBig = batchError("media port: datagram larger than 1,500 bytes")
