package alarm

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"vigie/alarm/dc09"
)

const (
	udpReaders   = 4                // goroutines reading the UDP socket
	maxDatagram  = 4096             // bytes read per datagram; a frame is at most dc09.MaxLine
	writeTimeout = 10 * time.Second // to write one reply on TCP
	sinkTimeout  = 15 * time.Second // panels give up waiting for an ACK after about 20 s
	recentSize   = 1024             // DedupeKeys remembered
	recentTTL    = 10 * time.Minute // how long a retransmission is recognised without the sink
)

// DC09Receiver receives SIA DC-09 frames from alarm panels on TCP and UDP,
// hands their events to a Sink and answers ACK, NAK or DUH.
//
// Replies: ACK once every event of the frame is stored (or is a known
// retransmission); nothing when the sink fails (the panel sends again); NAK
// when an encrypted frame has no timestamp or one outside the account's
// window, and for unknown accounts under the "nak" policy; DUH when a frame
// passes its CRC but cannot be read: an unknown message type, an encrypted
// frame from an account without a key or that does not decrypt, or a clear
// message from an account that has a key. A frame that fails its CRC or
// framing gets no reply, since none of its fields can be trusted to echo:
// the panel retransmits it. Unknown event codes are acknowledged.
type DC09Receiver struct {
	setup  *dc09Setup
	log    *slog.Logger
	sink   Sink
	recent *recentKeys
	rand   io.Reader

	tcp   net.Listener
	udp   net.PacketConn
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	slots chan struct{} // one per open TCP connection: MaxConnections

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// StartDC09 listens on cfg.Addr, TCP and UDP on the same port, and serves
// until ctx ends or Close is called.
func StartDC09(ctx context.Context, cfg DC09Config, sink Sink) (*DC09Receiver, error) {
	setup, err := newDC09Setup(cfg)
	if err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("dc09: no sink")
	}
	tcp, udp, err := listenBoth(setup.cfg.Addr)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	r := &DC09Receiver{
		setup:  setup,
		log:    setup.cfg.Log,
		sink:   sink,
		recent: newRecentKeys(recentSize, recentTTL),
		rand:   rand.Reader,
		tcp:    tcp,
		udp:    udp,
		ctx:    runCtx,
		stop:   stop,
		slots:  make(chan struct{}, setup.cfg.MaxConnections),
		conns:  make(map[net.Conn]struct{}),
	}
	r.wg.Go(r.acceptLoop)
	for range udpReaders {
		r.wg.Go(r.udpLoop)
	}
	r.wg.Go(func() {
		<-runCtx.Done()
		r.shutdown()
	})
	r.log.Info("dc09: listening", "tcp", tcp.Addr().String(), "udp", udp.LocalAddr().String(), "accounts", len(setup.accounts))
	return r, nil
}

// listenBoth opens TCP and UDP on the same port. With port 0 it retries a
// few times in case the port TCP got is taken for UDP.
func listenBoth(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dc09: listen %q: %w", addr, err)
	}
	for try := 0; ; try++ {
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dc09: %w", err)
		}
		p := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			return tcp, udp, nil
		}
		tcp.Close()
		if port != "0" || try == 5 {
			return nil, nil, fmt.Errorf("dc09: %w", err)
		}
	}
}

// Addr returns the TCP and UDP listening addresses.
func (r *DC09Receiver) Addr() (tcp, udp net.Addr) { return r.tcp.Addr(), r.udp.LocalAddr() }

// Close stops listening, closes every connection, and returns once every
// goroutine of the receiver has ended. A sink call in progress sees its
// context cancelled.
func (r *DC09Receiver) Close() error {
	r.stop()
	r.wg.Wait()
	return nil
}

func (r *DC09Receiver) shutdown() {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.tcp.Close()
	r.udp.Close()
	r.log.Info("dc09: stopped")
}

func (r *DC09Receiver) acceptLoop() {
	for {
		c, err := r.tcp.Accept()
		if err != nil {
			if r.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			r.log.Warn("dc09: accept", "err", err)
			if !r.pause(100 * time.Millisecond) {
				return
			}
			continue
		}
		select {
		case r.slots <- struct{}{}:
		default:
			r.log.Warn("dc09: connection refused: limit reached", "peer", c.RemoteAddr().String(), "max", cap(r.slots))
			c.Close()
			continue
		}
		if !r.track(c) {
			c.Close()
			<-r.slots
			return
		}
		r.wg.Go(func() {
			defer r.untrack(c)
			r.serveConn(c)
		})
	}
}

// pause waits d unless the receiver stops first; false when it stopped.
func (r *DC09Receiver) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *DC09Receiver) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *DC09Receiver) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	<-r.slots // before closing: the panel, seeing the close, may reconnect at once
	c.Close()
}

// serveConn answers the frames of one TCP connection in order, several per
// read when the panel pipelines them.
func (r *DC09Receiver) serveConn(c net.Conn) {
	peer := c.RemoteAddr().String()
	r.log.Debug("dc09: connection", "peer", peer)
	sc := dc09.NewScanner(&idleReader{c: c, idle: r.setup.cfg.IdleTimeout})
	for {
		line, err := sc.Next()
		var se *dc09.ScanError
		switch {
		case errors.As(err, &se):
			r.log.Warn("dc09: bytes dropped", "source", "dc09-tcp", "peer", peer, "reason", se.Reason, "bytes", se.Bytes)
			continue
		case err != nil:
			r.logEnd(peer, err)
			return
		}
		reply := r.handle(line, "dc09-tcp", peer)
		if reply == nil {
			continue
		}
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := c.Write(reply); err != nil {
			r.log.Warn("dc09: reply not sent", "peer", peer, "err", err)
			return
		}
	}
}

func (r *DC09Receiver) logEnd(peer string, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), r.ctx.Err() != nil:
		r.log.Debug("dc09: connection closed", "peer", peer)
	case errors.As(err, &ne) && ne.Timeout():
		r.log.Info("dc09: idle connection closed", "peer", peer, "idle", r.setup.cfg.IdleTimeout)
	default:
		r.log.Warn("dc09: connection ended", "peer", peer, "err", err)
	}
}

// idleReader closes the wait for data after idle of silence.
type idleReader struct {
	c    net.Conn
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.c.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.c.Read(p)
}

// udpLoop answers each datagram's frames to its sender.
func (r *DC09Receiver) udpLoop() {
	buf := make([]byte, maxDatagram)
	sc := dc09.NewScanner(nil)
	for {
		n, from, err := r.udp.ReadFrom(buf)
		if err != nil {
			if r.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			r.log.Warn("dc09: udp read", "err", err)
			if !r.pause(100 * time.Millisecond) {
				return
			}
			continue
		}
		sc.Reset(bytes.NewReader(buf[:n]))
		r.serveDatagram(sc, from)
	}
}

func (r *DC09Receiver) serveDatagram(sc *dc09.Scanner, from net.Addr) {
	peer := from.String()
	for {
		line, err := sc.Next()
		var se *dc09.ScanError
		switch {
		case errors.As(err, &se):
			r.log.Warn("dc09: bytes dropped", "source", "dc09-udp", "peer", peer, "reason", se.Reason, "bytes", se.Bytes)
			continue
		case err != nil:
			return
		}
		if reply := r.handle(line, "dc09-udp", peer); reply != nil {
			if _, err := r.udp.WriteTo(reply, from); err != nil {
				r.log.Warn("dc09: reply not sent", "peer", peer, "err", err)
			}
		}
	}
}
