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

// fanoutWorker writes packets to its viewers, one job at a time.
type fanoutWorker struct {
	index int
	jobs  chan fanoutJob
	quit  chan struct{}
	pkt   rtp.Packet

	out         flowCounters
	latency     histogram
	firstFrame  histogram
	cacheStarts atomic.Uint64
	drops       atomic.Uint64
}

func newFanoutWorker(index, queue int) *fanoutWorker {
	w := &fanoutWorker{index: index, jobs: make(chan fanoutJob, queue), quit: make(chan struct{})}
	w.pkt.Version = 2
	return w
}

func (w *fanoutWorker) run() {
	for {
		select {
		case j := <-w.jobs:
			w.do(j)
		case <-w.quit:
			return
		}
	}
}

func (w *fanoutWorker) do(j fanoutJob) {
	if j.barrier != nil {
		close(j.barrier)
		return
	}
	p := j.pkt
	w.pkt.Payload = p.payload
	w.pkt.Marker = p.marker
	for _, h := range p.hdrs[j.from:j.to] {
		w.pkt.SequenceNumber = h.seq
		w.pkt.Timestamp = h.ts
		if h.viewer.local.WriteRTP(&w.pkt) == nil {
			w.out.add(len(p.payload))
		}
		if p.marker {
			if started := h.viewer.activatedAt.Swap(0); started != 0 {
				w.firstFrame.observe(time.Duration(time.Now().UnixNano() - started))
			}
		}
	}
	// One reading per job: the latency of the last viewer of this worker,
	// the worst of the job. Cached frames sent to a new viewer are not
	// forwarding.
	if !p.arrival.IsZero() {
		w.latency.observe(time.Since(p.arrival))
	}
	p.release()
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
		w.firstFrame.counts[i].Add(o.firstFrame.counts[i].Load())
	}
	w.latency.sum.Add(o.latency.sum.Load())
	w.latency.count.Add(o.latency.count.Load())
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
		w.firstFrame.addTo(&st.FirstFrame)
	}
}
