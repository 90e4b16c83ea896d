package mediaport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The media UDP port is served by several sockets bound to the same address
// (SO_REUSEPORT), one per core by default. Every viewer's packets leave
// through one socket chosen from its address, so writers to different
// viewers never queue on one socket's lock: a single socket caps a server
// near 100,000 packets/s whatever its cores, while a big incident needs
// several hundred thousand. The kernel spreads incoming packets over the
// sockets; they are read back into one stream for the ICE mux.

// listenUDP opens the media port with the given number of sockets (0: one
// per core).
func listenUDP(addr string, sockets int, batch bool) (net.PacketConn, error) {
	if sockets <= 0 {
		sockets = runtime.GOMAXPROCS(0)
	}
	return listenUDPSockets(addr, sockets, batch, true)
}

// datagram is one received packet waiting for ReadFrom.
type datagram struct {
	buf  [receiveMTU]byte
	n    int
	from netip.AddrPort
}

// receiveMTU is the largest datagram read.
const receiveMTU = 1500

// receiveQueue bounds the datagrams read but not yet taken; past it the
// newest are dropped, as a full socket buffer would.
const receiveQueue = 4096

// socketBuffer is asked of the kernel for each socket, in each direction.
const socketBuffer = 4 << 20

// multiConn is a net.PacketConn over sockets sharing one port. It also
// offers the allocation-free address methods pion's ICE mux uses.
type multiConn struct {
	socks   []*net.UDPConn
	writers []*batchWriter // nil: each datagram is its own system call
	in      chan *datagram
	free    sync.Pool
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	readDeadline atomic.Pointer[time.Time]
	dropped      atomic.Uint64
}

// listenUDPSockets binds n sockets to addr; the first decides the port when
// addr's port is 0. With batch, datagrams leave through sendmmsg, and with
// gso runs of them to one destination leave as one message when the kernel
// can segment them.
func listenUDPSockets(addr string, n int, batch, gso bool) (*multiConn, error) {
	n = max(1, min(n, maxSockets()))
	c := &multiConn{in: make(chan *datagram, receiveQueue), done: make(chan struct{})}
	c.free.New = func() any { return new(datagram) }
	lc := reuseListenConfig(n > 1)
	for i := range n {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			c.closeSockets()
			return nil, fmt.Errorf("media port udp %s: %w", addr, err)
		}
		sock := pc.(*net.UDPConn)
		_ = sock.SetReadBuffer(socketBuffer)
		_ = sock.SetWriteBuffer(socketBuffer)
		c.socks = append(c.socks, sock)
		if i == 0 {
			addr = sock.LocalAddr().String() // the others share its port
		}
	}
	for _, s := range c.socks {
		c.wg.Go(func() { c.readLoop(s) })
		if batch {
			w := newBatchWriter(s, gso)
			c.writers = append(c.writers, w)
			c.wg.Go(func() { w.run(c.done) })
		}
	}
	return c, nil
}

func (c *multiConn) readLoop(s *net.UDPConn) {
	for {
		d := c.free.Get().(*datagram)
		n, from, err := s.ReadFromUDPAddrPort(d.buf[:])
		if err != nil {
			c.free.Put(d)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP errors and the like: the socket is still good
		}
		d.n, d.from = n, from
		select {
		case c.in <- d:
		default:
			c.dropped.Add(1)
			c.free.Put(d)
		}
	}
}

// ReadFromAddrPort returns the next datagram from any socket.
func (c *multiConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	var timeout <-chan time.Time
	if dl := c.readDeadline.Load(); dl != nil && !dl.IsZero() {
		t := time.NewTimer(time.Until(*dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case d := <-c.in:
		n := copy(b, d.buf[:d.n])
		from := d.from
		c.free.Put(d)
		return n, from, nil
	case <-timeout:
		return 0, netip.AddrPort{}, timeoutError{}
	case <-c.done:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

func (c *multiConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// WriteToAddrPort sends through the socket that belongs to addr.
func (c *multiConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	k := socketFor(addr, len(c.socks))
	if c.writers != nil {
		return c.writers[k].write(b, addr)
	}
	return c.socks[k].WriteToUDPAddrPort(b, addr)
}

func (c *multiConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("media port: write to %T, want *net.UDPAddr", addr)
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// socketFor spreads peers over the sockets by address and port.
func socketFor(addr netip.AddrPort, n int) int {
	if n == 1 {
		return 0
	}
	h := uint32(addr.Port()) * 2654435761
	for _, b := range addr.Addr().As16() {
		h = (h ^ uint32(b)) * 16777619
	}
	return int(h % uint32(n))
}

func (c *multiConn) LocalAddr() net.Addr { return c.socks[0].LocalAddr() }

func (c *multiConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *multiConn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Store(&t)
	return nil
}

func (c *multiConn) SetWriteDeadline(t time.Time) error {
	for _, s := range c.socks {
		if err := s.SetWriteDeadline(t); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every socket and waits for the readers.
func (c *multiConn) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.closeSockets()
		c.wg.Wait()
	})
	return nil
}

func (c *multiConn) closeSockets() {
	for _, s := range c.socks {
		_ = s.Close()
	}
}

// Dropped counts datagrams dropped because the reader fell behind.
func (c *multiConn) Dropped() uint64 { return c.dropped.Load() }

type timeoutError struct{}

func (timeoutError) Error() string   { return "media port: read deadline exceeded" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
