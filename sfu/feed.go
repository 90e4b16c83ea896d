package sfu

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// FeedConfig describes a track the server produces itself: a camera's
// video or audio.
type FeedConfig struct {
	Camera string                    // the camera's id, shown to browsers
	Codec  webrtc.RTPCodecCapability // H264/H265 video, PCMU/PCMA/Opus audio
	// MaxCacheBytes and MaxCacheDuration bound the keyframe cache of a
	// video feed (defaults 16 MiB and 12 s).
	MaxCacheBytes    int
	MaxCacheDuration time.Duration
}

// Feed fans a camera's media out to viewers. Video viewers start from the
// cached keyframe and catch up to live with compressed timestamps, so their
// first image comes at once whatever the camera's keyframe interval; each
// viewer has its own sequence numbers and timestamps.
type Feed struct {
	cfg    FeedConfig
	video  bool
	source Source
	// substream is the camera's smaller stream, for small tiles and for
	// browsers that cannot decode the main stream's codec.
	substream atomic.Pointer[Feed]

	mu      sync.Mutex // one writer (the camera) and viewer changes
	viewers []*feedViewer
	cache   gopCache
	z       packetizer
	pts     int64         // PTS of the access unit being written
	arrival time.Time     // when it reached the feed; zero for cached frames
	key     bool          // it is a keyframe
	targets []*feedViewer // viewers the current access unit goes to
	scratch [][]byte
	pending []pendingJob    // the jobs of the access unit being cut
	full    []*fanoutWorker // workers whose queue refused a job of it
	packets sync.Pool       // of *outPacket
	in      flowCounters
	frame   int32       // cache index of the access unit being written, -1: none
	part    uint16      // rank of the next payload in it
	nth     nthPayload  // a payload cut again for a retransmission
	held    atomic.Bool // paused source: keyframe requests get nothing (Hold)
}

// NewFeed builds a feed for one codec.
func NewFeed(cfg FeedConfig) (*Feed, error) {
	f := &Feed{cfg: cfg}
	switch cfg.Codec.MimeType {
	case webrtc.MimeTypeH264:
		f.video, f.z.codec = true, codecH264
	case webrtc.MimeTypeH265:
		f.video, f.z.codec = true, codecH265
	case webrtc.MimeTypePCMU, webrtc.MimeTypePCMA, webrtc.MimeTypeOpus:
	default:
		return nil, fmt.Errorf("feed %s: codec %s not supported", cfg.Camera, cfg.Codec.MimeType)
	}
	f.source = SourceMicrophone
	if f.video {
		f.source = SourceCamera
	}
	if cfg.MaxCacheBytes == 0 {
		f.cache.maxBytes = 16 << 20
	} else {
		f.cache.maxBytes = cfg.MaxCacheBytes
	}
	d := cfg.MaxCacheDuration
	if d == 0 {
		d = 12 * time.Second
	}
	f.cache.maxTicks = int64(d.Seconds() * 90000)
	f.packets.New = func() any { return &outPacket{pool: &f.packets} }
	return f, nil
}

// WriteVideo writes one access unit (NAL units in decode order; pts in
// 90 kHz ticks; keyframes carry their parameter sets first). The NAL units
// are copied where kept.
func (f *Feed) WriteVideo(pts int64, au [][]byte, keyframe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cache.add(pts, au, keyframe)
	f.targets = f.targets[:0]
	for _, v := range f.viewers {
		if v.state == viewerWaiting && keyframe {
			// A viewer that lost packets keeps its offset: its timestamps
			// jump by the time it missed, so its player neither stretches
			// the gap nor falls behind live.
			if !v.dropped {
				v.offset = int64(v.nextTS) - pts
			}
			v.state, v.dropped = viewerLive, false
		}
		if v.state == viewerLive || v.dropped {
			f.targets = append(f.targets, v)
		}
	}
	f.pts, f.arrival, f.key = pts, time.Now(), keyframe
	f.frame, f.part = f.cache.last(), 0
	f.z.each(au, f)
	f.push()
}

// WriteAudio writes one RTP payload of audio, pts in the codec's clock.
func (f *Feed) WriteAudio(pts int64, payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets = f.targets[:0]
	for _, v := range f.viewers {
		if v.state == viewerWaiting {
			v.offset = int64(v.nextTS) - pts
			v.state, v.dropped = viewerLive, false
		}
		if v.state == viewerLive {
			f.targets = append(f.targets, v)
		}
	}
	f.pts, f.arrival, f.key = pts, time.Now(), false
	f.frame, f.part = -1, 0
	f.payload(payload, true)
	f.push()
}

// payload copies one payload into a packet with every target's header and
// makes a job of it for each of the targets' fan-out workers. Targets are
// sorted by worker, so each worker gets one job per packet.
func (f *Feed) payload(p []byte, last bool) {
	if !f.arrival.IsZero() { // not a cached frame sent again
		f.in.add(len(p))
	}
	part := f.part // its rank in the access unit, for retransmissions
	f.part++
	if len(f.targets) == 0 {
		return
	}
	pkt := f.packets.Get().(*outPacket)
	pkt.payload = append(pkt.payload[:0], p...)
	pkt.marker, pkt.arrival, pkt.key = last, f.arrival, f.key
	for _, v := range f.targets {
		if v.dropped {
			v.worker.drops.Add(1)
			continue
		}
		ts := uint32(f.pts + v.offset)
		pkt.hdrs = append(pkt.hdrs, viewerHeader{viewer: v, seq: v.seq, ts: ts})
		f.remember(v, part, v.seq, ts, last)
		v.seq++
		v.nextTS = ts + 1
	}
	pkt.refs.Store(1)
	hdrs := pkt.hdrs
	for start, i := 0, 1; start < len(hdrs); i++ {
		if i < len(hdrs) && hdrs[i].viewer.worker == hdrs[start].viewer.worker {
			continue
		}
		pkt.refs.Add(1)
		f.pending = append(f.pending, pendingJob{
			worker: hdrs[start].viewer.worker,
			job:    fanoutJob{pkt: pkt, from: int32(start), to: int32(i)},
		})
		start = i
	}
	pkt.release()
}

// pendingJob is a job waiting for its access unit to be cut whole.
type pendingJob struct {
	worker *fanoutWorker
	job    fanoutJob
}

// push hands the jobs of the access unit just cut to the workers, all at
// once, so that a worker finds the whole frame in its queue and writes it
// to each viewer in a row. A worker whose queue is full loses the rest of
// the unit: its viewers keep contiguous sequence numbers and wait for the
// next keyframe.
func (f *Feed) push() {
	f.full = f.full[:0]
	for i := range f.pending {
		w, j := f.pending[i].worker, f.pending[i].job
		f.pending[i] = pendingJob{}
		if !slices.Contains(f.full, w) && w.push(j) {
			continue
		}
		if !slices.Contains(f.full, w) {
			f.full = append(f.full, w)
		}
		f.drop(j.pkt.hdrs[j.from:j.to])
		j.pkt.release()
	}
	f.pending = f.pending[:0]
}

// drop handles a worker that could not take a packet: its viewers lose
// it, keep their sequence numbers contiguous, and skip to the next
// keyframe (audio: the next packet).
func (f *Feed) drop(hdrs []viewerHeader) {
	for _, h := range hdrs {
		v := h.viewer
		v.seq--
		v.worker.drops.Add(1)
		if f.video {
			v.state, v.dropped = viewerWaiting, true
		}
	}
}

// activate starts a viewer whose track is bound and connected: a video
// viewer gets the cached frames at once, one timestamp tick apart, then
// continues live from there.
func (f *Feed) activate(v *feedViewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.state != viewerPending {
		return
	}
	v.state = viewerWaiting
	// Viewers stay sorted by worker: payload hands each worker one job.
	slices.SortStableFunc(f.viewers, func(a, b *feedViewer) int { return a.worker.index - b.worker.index })
	if !f.video {
		return
	}
	v.activatedAt.Store(time.Now().UnixNano())
	if f.cache.len() > 0 {
		v.worker.cacheStarts.Add(1)
		f.sendCache(v)
	}
}

// replay sends a live video viewer the cached frames again, from its next
// timestamp on: its answer to a keyframe request, which a camera cannot
// honour. Without a cache the viewer waits for the camera's next keyframe.
func (f *Feed) replay(v *feedViewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.video || v.state != viewerLive || f.cache.len() == 0 || f.held.Load() {
		return
	}
	f.sendCache(v)
}

// Hold tells the feed its source is paused (a recording on pause): a
// viewer's decoder asks for a keyframe after a few seconds without frames,
// and replaying the cache would only show the same picture again. A new
// viewer still gets the cache, so it sees the paused picture.
func (f *Feed) Hold(paused bool) { f.held.Store(paused) }

// sendCache sends the cached frames to v at once, one timestamp tick
// apart, and leaves it live from the last one on. Called with f.mu held.
func (f *Feed) sendCache(v *feedViewer) {
	f.targets = append(f.targets[:0], v)
	f.arrival = time.Time{}
	base := int64(v.nextTS)
	v.dropped = false
	for i := range f.cache.len() {
		au := f.cache.frame(i, f.scratch)
		f.scratch = au
		f.pts = f.cache.frames[i].pts
		f.frame, f.part = int32(i), 0
		v.offset = base + int64(i) - f.pts
		f.z.each(au, f)
		f.push()
		if v.dropped {
			return // its worker is full: it waits for the next keyframe
		}
	}
	v.state = viewerLive
}

func (f *Feed) addViewer(v *feedViewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.viewers = append(f.viewers, v)
	if !f.video {
		return
	}
	// What it was sent from another feed cannot be cut from this one's cache.
	if v.history == nil {
		v.history = new([historySize]sentPacket)
	}
	for i := range v.history {
		v.history[i] = sentPacket{frame: -1}
	}
}

// removeViewer takes v out of the feed; it returns whether v had started,
// and leaves it pending, ready to start on another feed.
func (f *Feed) removeViewer(v *feedViewer) (started bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.viewers {
		if x == v {
			f.viewers = append(f.viewers[:i], f.viewers[i+1:]...)
			break
		}
	}
	started = v.state != viewerPending
	v.state, v.dropped = viewerPending, false
	return started
}

// SetSubstream gives a video feed the camera's sub-stream. Viewers start
// on it when the codecs allow, and move between the two on request.
func (f *Feed) SetSubstream(sub *Feed) { f.substream.Store(sub) }

// Viewers counts the feed's viewers, live or starting.
func (f *Feed) Viewers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.viewers)
}

type viewerState int

const (
	viewerPending viewerState = iota // track not yet bound and connected
	viewerWaiting                    // connected; starts at the next keyframe (audio: next packet)
	viewerLive
)

// feedViewer is one subscriber of a feed. Its fields are guarded by the
// feed's mutex, but for local, written by its worker only once started.
type feedViewer struct {
	local   *bindSignal
	worker  *fanoutWorker
	state   viewerState
	dropped bool // its worker overflowed: it skips to the next keyframe
	seq     uint16
	nextTS  uint32
	offset  int64                    // output timestamp = pts + offset (mod 2^32)
	history *[historySize]sentPacket // video: what recent packets carried
	// activatedAt is when it started (unix ns), until its worker writes its
	// first complete frame and reports the wait.
	activatedAt atomic.Int64
}

func newFeedViewer(local *bindSignal, w *fanoutWorker) *feedViewer {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &feedViewer{
		local:  local,
		worker: w,
		seq:    binary.BigEndian.Uint16(b[:2]),
		nextTS: binary.BigEndian.Uint32(b[2:]),
	}
}

// setWorker moves a viewer that has not started to another worker.
func (f *Feed) setWorker(v *feedViewer, w *fanoutWorker) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v.worker = w
}

// bindSignal is a local track that says when a peer connection has bound
// it, that is when packets written to it can leave.
type bindSignal struct {
	*webrtc.TrackLocalStaticRTP
	once  sync.Once
	bound chan struct{}
	// ssrcs, when set, learns the SSRC the track is sent with, so pion's
	// NACK responder leaves it to the feed.
	ssrcs *feedSSRCs
}

func newBindSignal(codec webrtc.RTPCodecCapability, id, stream string) (*bindSignal, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(codec, id, stream)
	if err != nil {
		return nil, err
	}
	return &bindSignal{TrackLocalStaticRTP: t, bound: make(chan struct{})}, nil
}

// Bind records the binding, then signals it.
func (b *bindSignal) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	if b.ssrcs != nil {
		b.ssrcs.add(ctx.SSRC())
	}
	params, err := b.TrackLocalStaticRTP.Bind(ctx)
	if err == nil {
		b.once.Do(func() { close(b.bound) })
	}
	return params, err
}

// Unbind forgets the binding's SSRC.
func (b *bindSignal) Unbind(ctx webrtc.TrackLocalContext) error {
	if b.ssrcs != nil {
		b.ssrcs.remove(ctx.SSRC())
	}
	return b.TrackLocalStaticRTP.Unbind(ctx)
}

// Codec is the feed's codec.
func (f *Feed) Codec() webrtc.RTPCodecCapability { return f.cfg.Codec }
