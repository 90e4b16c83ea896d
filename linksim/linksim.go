// Package linksim is a slow, lossy network link between two network
// namespaces, in user space: a TUN device in each namespace, and between
// them a copy of every IP packet that drops some at random and delivers
// the others a fixed delay later. The tests use it where the kernel has no
// netem queueing discipline (sch_netem) to do the same on a veth pair.
package linksim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	// DefaultQueue bounds the packets in flight in one direction: 1,024
	// packets is 0.8 s of a 20 Mbit/s stream of full packets.
	DefaultQueue = 1024
	// packetSize is the largest packet carried; the devices' MTU must
	// stay below it (TUN devices start at 1,500).
	packetSize = 2048
)

// Config is how the link treats packets, the same in both directions.
type Config struct {
	Loss  float64       // the share of packets dropped at random, 0 to 1
	Delay time.Duration // how long every other packet takes to cross
	Queue int           // packets in flight per direction; more are dropped (0: DefaultQueue)
	Seed  uint64        // the random drops' seed (0: a random one)
}

func (c Config) check() error {
	switch {
	case c.Loss < 0 || c.Loss > 1:
		return fmt.Errorf("link: loss %v is not between 0 and 1", c.Loss)
	case c.Delay < 0:
		return fmt.Errorf("link: delay %v is negative", c.Delay)
	case c.Queue < 0:
		return fmt.Errorf("link: queue %d is negative", c.Queue)
	}
	return nil
}

// Counts is what one direction did with the packets it read.
type Counts struct {
	Read, Lost, Overflow, Oversize, Delivered uint64
}

// LostShare is the share of the packets read that the random loss dropped.
func (c Counts) LostShare() float64 {
	if c.Read == 0 {
		return 0
	}
	return float64(c.Lost) / float64(c.Read)
}

func (c Counts) String() string {
	return fmt.Sprintf("%d packets, %d lost (%.1f%%), %d over the queue, %d too large, %d delivered",
		c.Read, c.Lost, 100*c.LostShare(), c.Overflow, c.Oversize, c.Delivered)
}

// Device is one end of the link: a TUN device, or in tests anything that
// reads and writes one whole packet per call.
type Device interface {
	io.ReadWriteCloser
}

// Link carries packets both ways between two devices until Close.
type Link struct {
	ab, ba *direction
	a, b   Device
	wg     sync.WaitGroup
	stop   context.CancelFunc
	once   sync.Once
}

// Start carries packets between a and b as cfg says. The link owns the
// devices: Close closes them.
func Start(a, b Device, cfg Config, log *slog.Logger) (*Link, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	ctx, stop := context.WithCancel(context.Background())
	l := &Link{a: a, b: b, stop: stop}
	l.ab = newDirection("a→b", a, b, cfg, seed, log)
	l.ba = newDirection("b→a", b, a, cfg, seed+1, log)
	for _, d := range []*direction{l.ab, l.ba} {
		l.wg.Add(2)
		go func() {
			defer l.wg.Done()
			d.read(ctx)
		}()
		go func() {
			defer l.wg.Done()
			d.write(ctx)
		}()
	}
	return l, nil
}

// Counts returns what each direction has done so far.
func (l *Link) Counts() (ab, ba Counts) { return l.ab.counts(), l.ba.counts() }

// Close stops the link, closes both devices and waits for its goroutines.
func (l *Link) Close() error {
	var err error
	l.once.Do(func() {
		l.stop()
		err = errors.Join(l.a.Close(), l.b.Close())
		l.wg.Wait()
	})
	return err
}

// inFlight is a packet on its way: buf[:n], to write at due.
type inFlight struct {
	buf []byte
	n   int
	due time.Time
}

// direction copies packets from one device to the other. Its buffers are
// allocated once: free holds the unused ones, queue those in flight, in
// the order they were read, which is also the order they are due.
type direction struct {
	name      string
	from, to  Device
	loss      float64
	delay     time.Duration
	rng       *rand.Rand
	free      chan []byte
	queue     chan inFlight
	log       *slog.Logger
	nread     atomic.Uint64
	lost      atomic.Uint64
	overflow  atomic.Uint64
	oversize  atomic.Uint64
	delivered atomic.Uint64
}

func newDirection(name string, from, to Device, cfg Config, seed uint64, log *slog.Logger) *direction {
	d := &direction{
		name: name, from: from, to: to, loss: cfg.Loss, delay: cfg.Delay,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		free:  make(chan []byte, cfg.Queue),
		queue: make(chan inFlight, cfg.Queue),
		log:   log,
	}
	for range cfg.Queue {
		d.free <- make([]byte, packetSize)
	}
	return d
}

func (d *direction) counts() Counts {
	return Counts{
		Read: d.nread.Load(), Lost: d.lost.Load(), Overflow: d.overflow.Load(),
		Oversize: d.oversize.Load(), Delivered: d.delivered.Load(),
	}
}

// read takes packets from the source device until it fails (closed).
// When every buffer is in flight, the packet read is dropped, as a full
// queue would.
func (d *direction) read(ctx context.Context) {
	spare := make([]byte, packetSize)
	for {
		var buf []byte
		select {
		case buf = <-d.free:
		default:
			buf = spare
		}
		n, err := d.from.Read(buf)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("link: read failed", "direction", d.name, "error", err)
			}
			return
		}
		d.nread.Add(1)
		switch {
		case &buf[0] == &spare[0]:
			d.overflow.Add(1)
			continue
		case n >= len(buf):
			d.oversize.Add(1)
		case d.loss > 0 && d.rng.Float64() < d.loss:
			d.lost.Add(1)
		default:
			d.queue <- inFlight{buf: buf, n: n, due: time.Now().Add(d.delay)}
			continue
		}
		d.free <- buf
	}
}

// write sends each packet in flight to the other device when it is due.
func (d *direction) write(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var p inFlight
		select {
		case <-ctx.Done():
			return
		case p = <-d.queue:
		}
		if wait := time.Until(p.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if _, err := d.to.Write(p.buf[:p.n]); err == nil {
			d.delivered.Add(1)
		} else if ctx.Err() == nil {
			d.log.Debug("link: write failed", "direction", d.name, "error", err)
		}
		d.free <- p.buf
	}
}
