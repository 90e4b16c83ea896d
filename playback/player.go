// Package playback plays a camera's recorded footage from the site's
// recorder (NVR): an RTSP session on the camera's playback_url, either ONVIF
// Profile G replay (Require: onvif-replay, Range: clock=<start>- on PLAY) or
// a URL template with {start} and {end}. It hands H.264 access units to a
// sink (an sfu.Feed's WriteVideo) and tracks the wall-clock time of the
// picture being shown: the requested start plus the PTS elapsed.
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
type Sink func(pts int64, au [][]byte, keyframe bool)

// Options configure a Player.
type Options struct {
	Source   Source
	From, To time.Time
	Sink     Sink
	Log      *slog.Logger
}

// Player is one playing recorded range.
type Player struct {
	opts   Options
	log    *slog.Logger
	client *gortsplib.Client
	url    *base.URL

	mu       sync.Mutex // guards the clock below and paused
	base     time.Time  // recorded time of basePTS
	basePTS  int64      // PTS of the first access unit since the last (re)start; -1 before
	at       time.Time  // recorded time of the last access unit
	paused   bool
	playLock sync.Mutex // one PLAY/PAUSE at a time
}

// Start connects to the recorder and plays from opts.From.
func Start(ctx context.Context, opts Options) (*Player, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := base.ParseURL(opts.Source.URL)
	if err != nil {
		return nil, fmt.Errorf("playback: url: %w", err)
	}
	p := &Player{opts: opts, log: log, url: u, base: opts.From, basePTS: -1, at: opts.From}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 10 * time.Second}
	if opts.Source.ONVIF {
		c.OnRequest = func(req *base.Request) { req.Header["Require"] = base.HeaderValue{"onvif-replay"} }
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("playback: connect %s: %w", u.Host, err)
	}
	p.client = c
	if err := p.setup(); err != nil {
		c.Close()
		return nil, err
	}
	if err := p.play(opts.From); err != nil {
		c.Close()
		return nil, err
	}
	return p, nil
}

func (p *Player) setup() error {
	desc, _, err := p.client.Describe(p.url)
	if err != nil {
		return fmt.Errorf("playback: describe: %w", err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return errors.New("playback: the recorder offers no H.264 video")
	}
	if _, err := p.client.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fmt.Errorf("playback: setup: %w", err)
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		return fmt.Errorf("playback: decoder: %w", err)
	}
	p.client.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		pts, ok := p.client.PacketPTS(medi, pkt)
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
	}
	p.at = p.base.Add(time.Duration(pts-p.basePTS) * time.Second / 90000)
	p.mu.Unlock()
	if key {
		sps, pps := forma.SafeParams()
		if sps != nil && pps != nil {
			au = append([][]byte{sps, pps}, au...)
		}
	}
	if p.opts.Sink != nil {
		p.opts.Sink(pts, au, key)
	}
}

func (p *Player) play(from time.Time) error {
	var ra *headers.Range
	if p.opts.Source.ONVIF {
		ra = &headers.Range{Value: &headers.RangeUTC{Start: from.UTC()}}
	}
	if _, err := p.client.Play(ra); err != nil {
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

// Pause sends RTSP PAUSE; the clock stops.
func (p *Player) Pause() error {
	p.playLock.Lock()
	defer p.playLock.Unlock()
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		return nil
	}
	p.paused = true
	p.mu.Unlock()
	if _, err := p.client.Pause(); err != nil {
		return fmt.Errorf("playback: pause: %w", err)
	}
	return nil
}

// Resume plays again from where the clock stopped.
func (p *Player) Resume() error {
	p.playLock.Lock()
	defer p.playLock.Unlock()
	p.mu.Lock()
	if !p.paused {
		p.mu.Unlock()
		return nil
	}
	from := p.at
	p.mu.Unlock()
	if err := p.play(from); err != nil {
		return err
	}
	p.mu.Lock()
	p.paused, p.base, p.basePTS = false, from, -1
	p.mu.Unlock()
	return nil
}

// Close ends the RTSP session and waits for its goroutines.
func (p *Player) Close() { p.client.Close() }
