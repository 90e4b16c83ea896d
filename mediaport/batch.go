package mediaport

import (
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
)

// sendBatch is the most datagrams one sendmmsg call carries.
const sendBatch = 64

// sendQueue bounds the datagrams waiting for one socket; past it writers
// wait, as they would for a full socket buffer.
const sendQueue = 2048

// batchWriter sends one socket's datagrams in batches with sendmmsg: a
// writer copies its datagram into the queue and returns; the socket's
// goroutine sends whatever has gathered in one system call. Under load a
// call carries dozens of datagrams, which saves a third of the cost of
// sending each with its own call.
type batchWriter struct {
	conn *ipv4.PacketConn

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

func newBatchWriter(s *net.UDPConn) *batchWriter {
	w := &batchWriter{
		conn:  ipv4.NewPacketConn(s),
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
	msgs := make([]ipv4.Message, sendBatch)
	addrs := make([]net.UDPAddr, sendBatch)
	ips := make([][16]byte, sendBatch)
	bufs := make([][1][]byte, sendBatch)
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
			for start := 0; start < len(w.spare); start += sendBatch {
				batch := w.spare[start:min(start+sendBatch, len(w.spare))]
				for i := range batch {
					d := &batch[i]
					ip := d.addr.Addr()
					if ip.Is4() || ip.Is4In6() {
						ips[i] = [16]byte{}
						v4 := ip.Unmap().As4()
						copy(ips[i][:], v4[:])
						addrs[i].IP = ips[i][:4]
					} else {
						ips[i] = ip.As16()
						addrs[i].IP = ips[i][:]
					}
					addrs[i].Port = int(d.addr.Port())
					bufs[i][0] = d.buf[:d.n]
					msgs[i] = ipv4.Message{Buffers: bufs[i][:], Addr: &addrs[i]}
				}
				w.send(msgs[:len(batch)])
			}
		}
	}
}

// send writes msgs, going on past a datagram the kernel refuses.
func (w *batchWriter) send(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n, err := w.conn.WriteBatch(msgs, 0)
		if err != nil {
			n = max(n, 1) // skip the datagram that failed
		}
		msgs = msgs[n:]
	}
}

type batchError string

func (e batchError) Error() string { return string(e) }

const errTooBig = batchError("media port: datagram larger than 1,500 bytes")
