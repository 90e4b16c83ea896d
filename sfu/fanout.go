package sfu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Camera fan-out. A feed cuts each access unit into packets once; the
// packets are then written to its viewers by a few fan-out workers in
// parallel, each owning a share of all viewers, so one camera's thousand
// viewers use every core while the camera's own goroutine only prepares
// headers. Each packet is copied once into an outPacket that carries the
// header of every viewer it goes to; the workers share it read-only.
//
// A worker's queue is bounded: when it is full (its viewers cannot take
// packets as fast as the camera sends them) the packet is not sent to them
// and they restart at the next keyframe, counted in Stats.Drops. Viewers
// connected over TCP, whose writes block when their link stalls, get a
// worker of their own, so they never hold others back.

// workerQueue bounds the jobs waiting for one worker: a 4 s GOP of an
// 8 Mbit/s camera is about 3,500 packets, which a new viewer's catch-up
// queues at once.
const workerQueue = 8192

// outPacket is one payload and the headers of the viewers it goes to.
type outPacket struct {
	payload []byte
	marker  bool
	arrival time.Time // when its access unit reached the feed
	key     bool      // part of a keyframe
	hdrs    []viewerHeader
	refs    atomic.Int32
	pool    *sync.Pool
}

type viewerHeader struct {
	viewer *feedViewer
	seq    uint16
	ts     uint32
}

func (p *outPacket) release() {
	if p.refs.Add(-1) == 0 {
		p.hdrs = p.hdrs[:0]
		p.pool.Put(p)
	}
}

// fanoutJob asks a worker to send hdrs[from:to] of a packet.
type fanoutJob struct {
	pkt      *outPacket
	from, to int32
	barrier  chan struct{} // non-nil: no packet, close it (tests wait for idle)
}

// maxGroup bounds the jobs a worker writes together (a keyframe of a
// 2 Mbit/s camera is about 80 packets).
const maxGroup = 128

// fanoutWorker writes packets to its viewers, a group of jobs at a time.
type fanoutWorker struct {
	index int
	jobs  chan fanoutJob
	quit  chan struct{}
	pkt   rtp.Packet
	group []fanoutJob // being written
	next  fanoutJob   // taken from the queue after the group, when held
	held  bool

	out         flowCounters
	latency     histogram
	keyLatency  histogram // latency of keyframe packets, also counted in latency
	firstFrame  histogram
	cacheStarts atomic.Uint64
	drops       atomic.Uint64
}

func newFanoutWorker(index, queue int) *fanoutWorker {
	w := &fanoutWorker{index: index, jobs: make(chan fanoutJob, queue), quit: make(chan struct{}),
		group: make([]fanoutJob, 0, maxGroup)}
	w.pkt.Version = 2
	return w
}

func (w *fanoutWorker) run() {
	for {
		var j fanoutJob
		if w.held {
			j, w.held = w.next, false
		} else {
			select {
			case j = <-w.jobs:
			case <-w.quit:
				return
			}
		}
		if j.barrier != nil {
			close(j.barrier)
			continue
		}
		w.gather(j)
		w.do()
	}
}

// gather makes a group of j and the jobs queued behind it that go to the
// same viewers: the packets of one frame, most of the time. A job that
// does not belong is kept for the next turn.
func (w *fanoutWorker) gather(j fanoutJob) {
	w.group = append(w.group[:0], j)
	for len(w.group) < maxGroup {
		select {
		case n := <-w.jobs:
			if n.barrier == nil && sameViewers(j, n) {
				w.group = append(w.group, n)
				continue
			}
			w.next, w.held = n, true
			return
		default:
			return
		}
	}
}

func sameViewers(a, b fanoutJob) bool {
	ha, hb := a.pkt.hdrs[a.from:a.to], b.pkt.hdrs[b.from:b.to]
	if len(ha) != len(hb) {
		return false
	}
	for i := range ha {
		if ha[i].viewer != hb[i].viewer {
			return false
		}
	}
	return true
}

// do writes the group viewer by viewer: each viewer gets all the group's
// packets in a row, which the media port sends as one GSO message.
func (w *fanoutWorker) do() {
	first := w.group[0]
	for k := range first.to - first.from {
		for _, j := range w.group {
			p := j.pkt
			h := &p.hdrs[j.from+k]
			w.pkt.Payload, w.pkt.Marker = p.payload, p.marker
			w.pkt.SequenceNumber, w.pkt.Timestamp = h.seq, h.ts
			if h.viewer.local.WriteRTP(&w.pkt) == nil {
				w.out.add(len(p.payload))
			}
			if p.marker {
				if started := h.viewer.activatedAt.Swap(0); started != 0 {
					w.firstFrame.observe(time.Duration(time.Now().UnixNano() - started))
				}
			}
		}
	}
	// One reading per job, when its last viewer's write is done: the worst
	// of the job. Cached frames sent to a new viewer are not forwarding.
	now := time.Now()
	for i, j := range w.group {
		if !j.pkt.arrival.IsZero() {
			w.latency.observe(now.Sub(j.pkt.arrival))
			if j.pkt.key {
				w.keyLatency.observe(now.Sub(j.pkt.arrival))
			}
		}
		j.pkt.release()
		w.group[i] = fanoutJob{}
	}
	w.pkt.Payload = nil
}

// push queues j; it fails when the worker's queue is full.
func (w *fanoutWorker) push(j fanoutJob) bool {
	select {
	case w.jobs <- j:
		return true
	default:
		return false
	}
}

// fanoutPool is the SFU's shared workers, one per core, plus one worker for
// each viewer whose writes may block.
type fanoutPool struct {
	shared []*fanoutWorker
	next   atomic.Uint32
	wg     sync.WaitGroup

	closeOnce sync.Once
	mu        sync.Mutex
	dedicated map[*fanoutWorker]bool
	retired   fanoutWorker // counters of dedicated workers that stopped
	closed    bool
}

func newFanoutPool(n int) *fanoutPool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &fanoutPool{dedicated: map[*fanoutWorker]bool{}}
	for i := range n {
		w := newFanoutWorker(i, workerQueue)
		p.shared = append(p.shared, w)
		p.wg.Go(w.run)
	}
	return p
}

// assign gives a new viewer a shared worker, in turn.
func (p *fanoutPool) assign() *fanoutWorker {
	return p.shared[int(p.next.Add(1))%len(p.shared)]
}

// dedicate starts a worker for one viewer; release stops it.
func (p *fanoutPool) dedicate() *fanoutWorker {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := newFanoutWorker(len(p.shared)+len(p.dedicated), workerQueue)
	if p.closed {
		close(w.quit)
		return w
	}
	p.dedicated[w] = true
	p.wg.Go(w.run)
	return w
}

func (p *fanoutPool) release(w *fanoutWorker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dedicated[w] {
		return
	}
	delete(p.dedicated, w)
	close(w.quit)
	p.retired.absorb(w)
}

// absorb adds w's counters to the receiver's (for stopped workers).
func (w *fanoutWorker) absorb(o *fanoutWorker) {
	w.out.packets.Add(o.out.packets.Load())
	w.out.bytes.Add(o.out.bytes.Load())
	w.cacheStarts.Add(o.cacheStarts.Load())
	w.drops.Add(o.drops.Load())
	for i := range o.latency.counts {
		w.latency.counts[i].Add(o.latency.counts[i].Load())
		w.keyLatency.counts[i].Add(o.keyLatency.counts[i].Load())
		w.firstFrame.counts[i].Add(o.firstFrame.counts[i].Load())
	}
	w.latency.sum.Add(o.latency.sum.Load())
	w.latency.count.Add(o.latency.count.Load())
	w.keyLatency.sum.Add(o.keyLatency.sum.Load())
	w.keyLatency.count.Add(o.keyLatency.count.Load())
	w.firstFrame.sum.Add(o.firstFrame.sum.Load())
	w.firstFrame.count.Add(o.firstFrame.count.Load())
}

func (p *fanoutPool) close() { p.closeOnce.Do(p.stop) }

func (p *fanoutPool) stop() {
	p.mu.Lock()
	p.closed = true
	for w := range p.dedicated {
		close(w.quit)
	}
	p.dedicated = map[*fanoutWorker]bool{}
	p.mu.Unlock()
	for _, w := range p.shared {
		close(w.quit)
	}
	p.wg.Wait()
}

// idle waits until every job queued before the call is done (tests).
func (p *fanoutPool) idle() {
	p.mu.Lock()
	workers := append([]*fanoutWorker{}, p.shared...)
	for w := range p.dedicated {
		workers = append(workers, w)
	}
	p.mu.Unlock()
	for _, w := range workers {
		b := make(chan struct{})
		select {
		case w.jobs <- fanoutJob{barrier: b}:
		case <-w.quit:
			continue
		}
		select {
		case <-b:
		case <-w.quit:
		}
	}
}

func (p *fanoutPool) addStats(st *Stats) {
	p.mu.Lock()
	workers := append([]*fanoutWorker{&p.retired}, p.shared...)
	for w := range p.dedicated {
		workers = append(workers, w)
	}
	p.mu.Unlock()
	for _, w := range workers {
		st.PacketsOut += w.out.packets.Load()
		st.BytesOut += w.out.bytes.Load()
		st.CacheStarts += w.cacheStarts.Load()
		st.Drops += w.drops.Load()
		w.latency.addTo(&st.ForwardLatency)
		w.keyLatency.addTo(&st.KeyframeLatency)
		w.firstFrame.addTo(&st.FirstFrame)
	}
}
