package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Publisher receives what the camera produces. The same codec asked twice (after a reconnection)
// must return the same sink, so viewers keep their tracks: that is the Publisher's job.
//
// Video and Audio are called from Run's goroutine when a session starts. Status is called
// from Run's goroutine or from the goroutine reading the camera, never concurrently and
// in order; it must not block for long.
type Publisher interface {
	Video(codec string) (VideoSink, error)                          // "H264" | "H265"
	Audio(codec string, clockRate, channels int) (AudioSink, error) // "PCMU" | "PCMA" | "Opus"
	Status(Status)                                                  // every state change
}

// VideoSink receives a camera's video. It is called from one goroutine at a time.
type VideoSink interface {
	// WriteVideo gets one access unit: NAL units without start codes, in decode order;
	// pts in 90 kHz ticks, continuous and increasing across reconnections (see below);
	// keyframe true for IDR/IRAP access units, which always start with SPS+PPS (H.265: VPS+SPS+PPS).
	//
	// The au slices, and the bytes they point to, are only valid during the call: they
	// point into buffers the ingest reuses. A sink that keeps anything must copy it.
	WriteVideo(pts int64, au [][]byte, keyframe bool)
}

// AudioSink receives a camera's audio. It is called from one goroutine at a time.
type AudioSink interface {
	// WriteAudio gets one RTP payload as the camera sent it (G.711 or Opus), pts in clock-rate ticks.
	//
	// payload is only valid during the call; a sink that keeps it must copy it.
	WriteAudio(pts int64, payload []byte)
}

// liveResetAfter: a session live for this long resets the backoff to its first delay.
const liveResetAfter = 30 * time.Second

// Camera pulls one camera stream into a Publisher, reconnecting until its context ends.
type Camera struct {
	set     settings
	pub     Publisher
	log     *slog.Logger
	status  reporter
	now     func() time.Time
	running atomic.Bool

	// Owned by Run's goroutine between sessions, and by gortsplib's reading goroutine of the
	// track while a session plays.
	videoTL        *timeline
	audioTL        *timeline
	refusedBFrames bool // the last session ended on B-frames
}

// New checks cfg (URL scheme, transport, fingerprint, backoff) and returns a Camera ready to
// Run. log may be nil.
func New(cfg Config, pub Publisher, log *slog.Logger) (*Camera, error) {
	if pub == nil {
		return nil, errors.New("ingest: nil Publisher")
	}
	set, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("camera", cfg.Name, "url", set.safeURL)
	c := &Camera{set: set, pub: pub, log: log, now: time.Now}
	c.status = reporter{pub: pub, log: log}
	c.videoTL = newTimeline(90000, c.now)
	return c, nil
}

// Run connects, plays and reconnects with backoff until ctx ends. It returns once the
// camera's connection and every goroutine it started have stopped. A Camera runs once at
// a time; a second concurrent Run returns at once.
func (c *Camera) Run(ctx context.Context) {
	if !c.running.CompareAndSwap(false, true) {
		c.log.Error("camera is already running")
		return
	}
	defer c.running.Store(false)

	c.status.setState(StateConnecting, "")
	b := backoff{delays: c.set.backoff}
	for {
		end := c.runSession(ctx)
		if ctx.Err() != nil {
			return
		}
		if !sleep(ctx, c.afterSession(end, &b)) {
			return
		}
	}
}

// afterSession reports why the session ended and returns how long to wait before the next.
func (c *Camera) afterSession(end sessionEnd, b *backoff) time.Duration {
	state, reason := classify(end.err, c.set.url.User != nil)
	c.refusedBFrames = reason == reasonBFrames
	if end.liveFor >= liveResetAfter {
		b.reset()
	}
	delay := b.next()
	if state == StateFailed {
		// Only a change of the camera's settings can fix it: do not hammer the camera.
		delay = b.slowest()
	}
	level := slog.LevelDebug
	if c.status.setState(state, reason) {
		level = slog.LevelWarn
	}
	c.log.Log(context.Background(), level, "camera session ended",
		"error", end.err, "state", string(state), "reason", reason, "retry_in", delay)
	return delay
}

// sleep waits for d or for ctx to end; it reports whether d went by.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff walks through the reconnection delays, repeating the last one.
type backoff struct {
	delays []time.Duration
	i      int
}

func (b *backoff) next() time.Duration {
	d := b.delays[min(b.i, len(b.delays)-1)]
	if b.i < len(b.delays) {
		b.i++
	}
	return d
}

func (b *backoff) reset() { b.i = 0 }

func (b *backoff) slowest() time.Duration {
	b.i = len(b.delays)
	return b.delays[len(b.delays)-1]
}

// audioTimeline returns the audio timeline for a clock rate; a new rate (the camera's audio
// codec changed) starts a new one.
func (c *Camera) audioTimeline(rate int) *timeline {
	if c.audioTL == nil || c.audioTL.rate != int64(rate) {
		c.audioTL = newTimeline(rate, c.now)
	}
	return c.audioTL
}
