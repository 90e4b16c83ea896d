package turnserver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ALPNTURN is the ALPN protocol id of TURN over TLS (RFC 7443).
const ALPNTURN = "stun.turn"

const (
	// handshakeTimeout bounds a TLS handshake and the wait for the first
	// application byte.
	handshakeTimeout = 10 * time.Second
	// maxHandshakes bounds connections being classified at once; more
	// wait in the kernel's accept queue.
	maxHandshakes = 128
	// acceptQueue bounds classified connections waiting for their server.
	acceptQueue = 64
)

// Demux shares one TLS port between HTTPS and TURN over TLS, so that a
// network that lets only port 443 out reaches both. It terminates TLS on
// each accepted connection, then hands it to HTTP or TURN:
//
//   - by ALPN: "stun.turn" is TURN; "h2" and "http/1.1" are HTTP;
//   - without ALPN, by the first application byte: a STUN message starts
//     with two zero bits, an HTTP request with a letter.
//
// HTTP connections chosen by ALPN are the *tls.Conn itself; the others
// are wrapped (to replay the byte read), so net/http sees them as plain
// connections (r.TLS is nil): only non-browser clients omit ALPN.
type Demux struct {
	ln   net.Listener
	tls  *tls.Config
	log  *slog.Logger
	http *subListener
	turn *subListener

	sem       chan struct{}
	mu        sync.Mutex
	pending   map[net.Conn]struct{} // being classified: closed by Close
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewDemux starts accepting on ln with cfg's certificates. It owns ln:
// closing the Demux, or either of its listeners, closes ln.
func NewDemux(ln net.Listener, cfg *tls.Config, log *slog.Logger) *Demux {
	c := cfg.Clone()
	c.NextProtos = []string{"h2", "http/1.1", ALPNTURN}
	d := &Demux{
		ln: ln, tls: c, log: log,
		sem:     make(chan struct{}, maxHandshakes),
		pending: map[net.Conn]struct{}{},
		done:    make(chan struct{}),
	}
	d.http = &subListener{d: d, conns: make(chan net.Conn, acceptQueue)}
	d.turn = &subListener{d: d, conns: make(chan net.Conn, acceptQueue)}
	d.wg.Go(d.acceptLoop)
	return d
}

// HTTP is the listener of HTTPS connections, already TLS: serve it with
// http.Server.Serve, not ServeTLS.
func (d *Demux) HTTP() net.Listener { return d.http }

// TURN is the listener of TURN-over-TLS connections.
func (d *Demux) TURN() net.Listener { return d.turn }

// Close stops accepting, closes the port and the connections not yet
// handed over, and waits for its goroutines.
func (d *Demux) Close() error {
	var err error
	d.closeOnce.Do(func() {
		close(d.done)
		err = d.ln.Close()
		d.mu.Lock()
		for c := range d.pending {
			c.Close()
		}
		d.mu.Unlock()
	})
	d.wg.Wait()
	for _, l := range []*subListener{d.http, d.turn} {
		for len(l.conns) > 0 {
			(<-l.conns).Close()
		}
	}
	return err
}

// track records c as being classified; false once the Demux is closed.
func (d *Demux) track(c net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-d.done:
		return false
	default:
	}
	d.pending[c] = struct{}{}
	return true
}

func (d *Demux) untrack(c net.Conn) {
	d.mu.Lock()
	delete(d.pending, c)
	d.mu.Unlock()
}

func (d *Demux) acceptLoop() {
	for {
		c, err := d.ln.Accept()
		if err != nil {
			select {
			case <-d.done:
			default:
				d.log.Error("https port stopped accepting", "err", err)
				go d.Close() // Close waits for this loop: not from it
			}
			return
		}
		select {
		case d.sem <- struct{}{}:
		case <-d.done:
			c.Close()
			return
		}
		if !d.track(c) {
			c.Close()
			<-d.sem
			return
		}
		d.wg.Go(func() {
			defer func() { <-d.sem }()
			defer d.untrack(c)
			d.classify(c)
		})
	}
}

// classify terminates TLS on c and queues it for HTTP or TURN.
func (d *Demux) classify(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	tc := tls.Server(c, d.tls)
	if err := tc.Handshake(); err != nil {
		d.log.Debug("tls handshake on the https port", "remote", c.RemoteAddr(), "err", err)
		c.Close()
		return
	}
	var conn net.Conn = tc
	to := d.http
	switch tc.ConnectionState().NegotiatedProtocol {
	case ALPNTURN:
		to = d.turn
	case "h2", "http/1.1":
	default:
		br := bufio.NewReaderSize(tc, 1500)
		first, err := br.Peek(1)
		if err != nil {
			c.Close()
			return
		}
		if IsSTUN(first[0]) {
			to = d.turn
		}
		conn = &peekedConn{Conn: tc, r: br}
	}
	_ = c.SetDeadline(time.Time{})
	select {
	case to.conns <- conn:
	case <-d.done:
		conn.Close()
	}
}

// IsSTUN tells whether a stream starting with b is STUN (its first two
// bits are 0) rather than HTTP (a method in capital letters).
func IsSTUN(b byte) bool { return b&0xC0 == 0 }

// peekedConn replays the bytes read while classifying.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// subListener is one side of a Demux.
type subListener struct {
	d     *Demux
	conns chan net.Conn
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.d.done:
		return nil, net.ErrClosed
	}
}

func (l *subListener) Close() error {
	err := l.d.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (l *subListener) Addr() net.Addr { return l.d.ln.Addr() }
