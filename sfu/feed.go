package sfu

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
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
	pkt     rtp.Packet
	pts     int64         // PTS of the access unit being written
	targets []*feedViewer // viewers the current access unit goes to
	scratch [][]byte
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
	f.pkt.Version = 2
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
			v.offset = int64(v.nextTS) - pts
			v.state = viewerLive
		}
		if v.state == viewerLive {
			f.targets = append(f.targets, v)
		}
	}
	f.pts = pts
	f.z.each(au, f)
}

// WriteAudio writes one RTP payload of audio, pts in the codec's clock.
func (f *Feed) WriteAudio(pts int64, payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets = f.targets[:0]
	for _, v := range f.viewers {
		if v.state == viewerWaiting {
			v.offset = int64(v.nextTS) - pts
			v.state = viewerLive
		}
		if v.state == viewerLive {
			f.targets = append(f.targets, v)
		}
	}
	f.pts = pts
	f.payload(payload, true)
}

// payload sends one payload to every target with its own header.
func (f *Feed) payload(p []byte, last bool) {
	f.pkt.Payload = p
	f.pkt.Marker = last
	for _, v := range f.targets {
		f.pkt.SequenceNumber = v.seq
		f.pkt.Timestamp = uint32(f.pts + v.offset)
		v.seq++
		v.nextTS = f.pkt.Timestamp + 1
		_ = v.local.WriteRTP(&f.pkt)
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
	if f.video && f.cache.len() > 0 {
		f.sendCache(v)
	}
}

// replay sends a live video viewer the cached frames again, from its next
// timestamp on: its answer to a keyframe request, which a camera cannot
// honour. Without a cache the viewer waits for the camera's next keyframe.
func (f *Feed) replay(v *feedViewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.video || v.state != viewerLive || f.cache.len() == 0 {
		return
	}
	f.sendCache(v)
}

// sendCache sends the cached frames to v at once, one timestamp tick
// apart, and leaves it live from the last one on. Called with f.mu held.
func (f *Feed) sendCache(v *feedViewer) {
	f.targets = append(f.targets[:0], v)
	base := int64(v.nextTS)
	for i := range f.cache.len() {
		au := f.cache.frame(i, f.scratch)
		f.scratch = au
		f.pts = f.cache.frames[i].pts
		v.offset = base + int64(i) - f.pts
		f.z.each(au, f)
	}
	v.state = viewerLive
}

func (f *Feed) addViewer(v *feedViewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.viewers = append(f.viewers, v)
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
	v.state = viewerPending
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
// feed's mutex.
type feedViewer struct {
	local  *bindSignal
	state  viewerState
	seq    uint16
	nextTS uint32
	offset int64 // output timestamp = pts + offset (mod 2^32)
}

func newFeedViewer(local *bindSignal) *feedViewer {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &feedViewer{
		local:  local,
		seq:    binary.BigEndian.Uint16(b[:2]),
		nextTS: binary.BigEndian.Uint32(b[2:]),
	}
}

// bindSignal is a local track that says when a peer connection has bound
// it, that is when packets written to it can leave.
type bindSignal struct {
	*webrtc.TrackLocalStaticRTP
	once  sync.Once
	bound chan struct{}
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
	params, err := b.TrackLocalStaticRTP.Bind(ctx)
	if err == nil {
		b.once.Do(func() { close(b.bound) })
	}
	return params, err
}

// Codec is the feed's codec.
func (f *Feed) Codec() webrtc.RTPCodecCapability { return f.cfg.Codec }
