// Package playback plays a camera's recorded footage from the site's
// recorder (NVR): an RTSP session on the camera's playback_url, either ONVIF
// Profile G replay (Require: onvif-replay, Range: clock=<start>- on PLAY) or
// a URL template with {start} and {end}. It hands H.264 access units to a
// sink (an sfu.Feed's WriteVideo) and tracks the wall-clock time of the
// picture being shown: the requested start plus the PTS elapsed. When the
// recorder drops the session, the player reconnects by itself and plays on
// from the recorded time it had reached (reconnect.go).
package playback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"vigie/config"
)

const clockLayout = "20060102T150405Z"

// ErrClosed is returned by Pause and Resume once Close was called.
var ErrClosed = errors.New("playback: player closed")

// Source is where and how a recorded range is asked for.
type Source struct {
	URL   string // RTSP URL, template placeholders filled
	ONVIF bool   // send Require: onvif-replay and a Range clock on PLAY
}

// SourceFor returns the playback source of cam for [from, to).
func SourceFor(cam config.Camera, from, to time.Time) (Source, error) {
	if cam.PlaybackURL == "" {
		return Source{}, fmt.Errorf("camera %s: no playback_url", cam.ID)
	}
	if !to.After(from) {
		return Source{}, fmt.Errorf("camera %s: playback range ends before it starts", cam.ID)
	}
	if config.PlaybackModeOf(cam) == config.PlaybackTemplate {
		r := strings.NewReplacer("{start}", from.UTC().Format(clockLayout), "{end}", to.UTC().Format(clockLayout))
		return Source{URL: r.Replace(cam.PlaybackURL)}, nil
	}
	return Source{URL: cam.PlaybackURL, ONVIF: true}, nil
}

// Sink receives access units: NAL units in decode order, pts in 90 kHz
// ticks, keyframes with their parameter sets first (sfu.Feed.WriteVideo).
// The pts run on, increasing, across pauses and reconnections.
type Sink func(pts int64, au [][]byte, keyframe bool)

// Keeper keeps what the player delivered, by recorded time, for a clip
// (record.ClipBuffer).
type Keeper interface {
	Keep(at time.Time, au [][]byte, keyframe bool)
}

// Options configure a Player.
type Options struct {
	Source   Source
	From, To time.Time
	Sink     Sink
	Keeper   Keeper // nil: nothing kept
	Log      *slog.Logger
	// SourceAt returns the source to play from at after a reconnection
	// (a template URL names its start); nil: Source again, from at.
	SourceAt func(at time.Time) (Source, error)
	// OnLost is called, once and on the player's goroutine, when the
	// recorder stayed unreachable for GiveUp; the player has stopped.
	OnLost func(err error)
	// KeepAlive is how often a paused session is kept alive with OPTIONS;
	// 20 s when 0.
	KeepAlive time.Duration
	Backoff   []time.Duration // reconnection delays, the last repeating; 0.5, 1, 2, 4, 5 s when nil
	GiveUp    time.Duration   // 60 s when 0
}

// Player is one playing recorded range.
type Player struct {
	opts Options
	log  *slog.Logger

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the reconnecting goroutine returns

	mu       sync.Mutex // guards everything below
	client   *gortsplib.Client
	base     time.Time // recorded time of basePTS
	basePTS  int64     // PTS of the first access unit since the last (re)start; -1 before
	at       time.Time // recorded time of the last access unit
	paused   bool
	needKey  bool      // drop access units until a keyframe: a (re)start joins mid-GOP
	outDelta int64     // sink PTS = session PTS + outDelta
	outLast  int64     // last sink PTS; -1 before the first
	halted   time.Time // when the picture stopped (pause, drop); zero while it flows

	playLock sync.Mutex // one PLAY/PAUSE or session swap at a time
}

// Start connects to the recorder and plays from opts.From; then it keeps
// the session up until Close.
func Start(ctx context.Context, opts Options) (*Player, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}
	}
	if opts.GiveUp <= 0 {
		opts.GiveUp = time.Minute
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 20 * time.Second
	}
	p := &Player{opts: opts, log: opts.Log, base: opts.From, basePTS: -1, at: opts.From, needKey: true, outLast: -1,
		done: make(chan struct{})}
	c, release, err := p.connect(ctx, opts.Source)
	if err != nil {
		return nil, err
	}
	if err := p.play(c, opts.From); err != nil {
		release()
		c.Close()
		return nil, ctxOr(ctx, err)
	}
	if !release() { // ctx ended: the session is closed
		c.Close()
		return nil, fmt.Errorf("playback: play: %w", ctx.Err())
	}
	p.client = c
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go p.keepUp(c)
	return p, nil
}

// connect opens a session on src and sets up its H.264 video, not playing
// yet. Until release is called, ending ctx closes the session, so that a
// recorder that accepts the connection and never answers holds nobody for
// the read timeout; release reports false when ctx ended first.
func (p *Player) connect(ctx context.Context, src Source) (c *gortsplib.Client, release func() bool, err error) {
	u, err := base.ParseURL(src.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("playback: url: %w", err)
	}
	tcp := gortsplib.ProtocolTCP
	c = &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 10 * time.Second,
		// A recorder's sequence numbers jump over a pause: not worth more than a debug line.
		OnPacketsLost: func(lost uint64) { p.log.Debug("playback: RTP packets lost", "count", lost) },
		OnDecodeError: func(err error) { p.log.Debug("playback: RTP decode error", "err", err) },
	}
	if src.ONVIF {
		c.OnRequest = func(req *base.Request) { req.Header["Require"] = base.HeaderValue{"onvif-replay"} }
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := c.Start(); err != nil {
		return nil, nil, fmt.Errorf("playback: connect %s: %w", u.Host, err)
	}
	release = context.AfterFunc(ctx, c.Close)
	if err := p.setup(c, u); err != nil {
		release()
		c.Close()
		return nil, nil, ctxOr(ctx, err)
	}
	return c, release, nil
}

// ctxOr returns ctx's error, with err's text, when ctx ended (the session
// failed because it was closed), else err.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func (p *Player) setup(c *gortsplib.Client, u *base.URL) error {
	desc, _, err := c.Describe(u)
	if err != nil {
		return fmt.Errorf("playback: describe: %w", err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return errors.New("playback: the recorder offers no H.264 video")
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fmt.Errorf("playback: setup: %w", err)
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		return fmt.Errorf("playback: decoder: %w", err)
	}
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		pts, ok := c.PacketPTS(medi, pkt)
		if !ok {
			return
		}
		au, err := dec.Decode(pkt)
		if err != nil {
			return // incomplete access unit or lost packets
		}
		p.deliver(forma, pts, au)
	})
	return nil
}

// deliver advances the clock and hands the access unit to the sink.
func (p *Player) deliver(forma *format.H264, pts int64, au [][]byte) {
	key := h264.IsRandomAccess(au)
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		return
	}
	if p.basePTS < 0 {
		p.basePTS = pts
		p.restartOutput(pts)
	}
	p.at = p.base.Add(time.Duration(pts-p.basePTS) * time.Second / 90000)
	if p.needKey && !key {
		p.mu.Unlock()
		return
	}
	p.needKey = false
	at, out := p.at, pts+p.outDelta
	if out <= p.outLast {
		p.mu.Unlock()
		return // not forward in time
	}
	p.outLast = out
	p.mu.Unlock()
	if key {
		sps, pps := forma.SafeParams()
		if sps != nil && pps != nil {
			au = append([][]byte{sps, pps}, au...)
		}
	}
	if p.opts.Sink != nil {
		p.opts.Sink(out, au, key)
	}
	if p.opts.Keeper != nil {
		p.opts.Keeper.Keep(at, au, key)
	}
}

// restartOutput makes the sink's PTS go on from the last one plus the
// time the picture stood still, so viewers keep one increasing timeline.
// p.mu is held.
func (p *Player) restartOutput(pts int64) {
	if p.outLast < 0 {
		p.outDelta = 0
		return
	}
	gap := int64(1)
	if !p.halted.IsZero() {
		gap = max(int64(time.Since(p.halted)*90000/time.Second), 1)
	}
	p.outDelta = p.outLast + gap - pts
	p.halted = time.Time{}
}

func (p *Player) play(c *gortsplib.Client, from time.Time) error {
	var ra *headers.Range
	if p.opts.Source.ONVIF {
		ra = &headers.Range{Value: &headers.RangeUTC{Start: from.UTC()}}
	}
	if _, err := c.Play(ra); err != nil {
		return fmt.Errorf("playback: play from %s: %w", from.UTC().Format(clockLayout), err)
	}
	return nil
}

// RecordedAt returns the recorded wall-clock time of the last picture.
func (p *Player) RecordedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at
}

// Paused reports whether the player is paused.
func (p *Player) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// Pause stops the clock and the picture, and sends RTSP PAUSE. A session
// that fails to pause is dropped: the player reconnects, paused.
func (p *Player) Pause() error {
	p.playLock.Lock()
	defer p.playLock.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		return nil
	}
	p.paused, p.halted = true, time.Now()
	c := p.client
	p.mu.Unlock()
	if c == nil {
		return nil // reconnecting: the new session will wait for Resume
	}
	if _, err := c.Pause(); err != nil {
		if p.ctx.Err() != nil {
			return ErrClosed
		}
		p.log.Warn("playback: pause refused, reconnecting", "err", err)
		c.Close()
	}
	return nil
}

// Resume plays again from where the clock stopped. A session that fails
// to play is dropped: the player reconnects and plays from there.
func (p *Player) Resume() error {
	p.playLock.Lock()
	defer p.playLock.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	p.mu.Lock()
	if !p.paused {
		p.mu.Unlock()
		return nil
	}
	from, c := p.at, p.client
	p.paused, p.base, p.basePTS, p.needKey = false, from, -1, true
	p.mu.Unlock()
	if c == nil {
		return nil // reconnecting: the new session plays from the clock
	}
	if err := p.play(c, from); err != nil {
		if p.ctx.Err() != nil {
			return ErrClosed
		}
		p.log.Warn("playback: resume refused, reconnecting", "err", err)
		c.Close()
	}
	return nil
}

// Close ends the RTSP session and waits for the player's goroutines.
func (p *Player) Close() {
	p.cancel()
	p.mu.Lock()
	c := p.client
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
	<-p.done
}
