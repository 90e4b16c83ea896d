// Package bench measures what a person joining a vigie room waits for
// before seeing a camera: viewers join one after the other through the
// real signaling protocol (docs/protocol.md), receive the room's media like
// a browser, and time the first RTP packet and the first complete keyframe
// of one camera's video. vigie replays the frames since the last keyframe
// to each new viewer, so both should come at once whatever the camera's
// keyframe interval.
package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/pion/webrtc/v4"
)

// JoinConfig says how to run a join measurement.
type JoinConfig struct {
	Link      string        // a join link: https://HOST/room/ROOM?t=TOKEN (participant role is enough)
	N         int           // number of viewers, one after the other (default 20)
	MaxDelay  time.Duration // each viewer starts after a random delay in [0, MaxDelay) (default 4 s; negative: none)
	Camera    string        // camera id to measure; "" = the first camera track offered
	Timeout   time.Duration // per viewer, from connecting to the first complete keyframe (default 15 s)
	TLSConfig *tls.Config   // to trust the server (nil: system roots)
	Rand      *rand.Rand    // for reproducible delays (nil: seeded from time)
	Log       *slog.Logger  // nil: slog.Default()
	RelayOnly bool          // use only TURN relay candidates (checks the TURN server)
}

// Defaults of JoinConfig.
const (
	DefaultViewers  = 20
	DefaultMaxDelay = 4 * time.Second // spreads joins over a common keyframe interval
	DefaultTimeout  = 15 * time.Second
)

func (c JoinConfig) withDefaults() JoinConfig {
	if c.N <= 0 {
		c.N = DefaultViewers
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Rand == nil {
		seed := uint64(time.Now().UnixNano())
		c.Rand = rand.New(rand.NewPCG(seed, seed>>32|seed<<32))
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Sample is what one viewer measured.
type Sample struct {
	FirstPacket   time.Duration // from sending "join" to the first RTP packet of the camera's video
	FirstKeyframe time.Duration // from sending "join" to the last packet (marker) of the first complete keyframe access unit
	Live          time.Duration // from sending "join" to the first frame at the camera's pace: the viewer is at the live edge
	Codec         string        // H264 or H265
	Route         string        // the ICE candidate pair the video came through (see route)
}

// Distribution summarises one measure over the samples (nearest-rank
// percentiles).
type Distribution struct {
	Median, P95, Max, Min time.Duration
}

// JoinResult is a whole measurement.
type JoinResult struct {
	Samples       []Sample
	FirstPacket   Distribution
	FirstKeyframe Distribution
	Live          Distribution
	Routes        map[string]int // viewers by the route their video came through
	Failures      int            // viewers that saw no keyframe within Timeout
	Errors        []string       // why, one per failure
}

// Join runs cfg.N viewers one after the other and measures each. A viewer
// that fails counts in Failures; Join itself fails on a bad link, when the
// server refuses the join (no other viewer could do better), and when ctx
// ends, returning what was measured so far with the error.
func Join(ctx context.Context, cfg JoinConfig) (JoinResult, error) {
	cfg = cfg.withDefaults()
	var res JoinResult
	l, err := parseLink(cfg.Link)
	if err != nil {
		return res, fmt.Errorf("bench join: %w", err)
	}
	api, err := receiveAPI(l.loopback)
	if err != nil {
		return res, fmt.Errorf("bench join: %w", err)
	}
	for i := range cfg.N {
		if err := sleep(ctx, startDelay(cfg)); err != nil {
			res.summarise()
			return res, err
		}
		name := fmt.Sprintf("bench %d", i+1)
		s, err := newViewer(name, l, api, cfg).run(ctx, cfg.Timeout)
		if ctxErr := ctx.Err(); ctxErr != nil {
			res.summarise()
			return res, ctxErr
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			res.summarise()
			return res, fmt.Errorf("bench join: %s: %w", name, err)
		}
		if err != nil {
			cfg.Log.Warn("viewer failed", "viewer", name, "err", err)
			res.Failures++
			res.Errors = append(res.Errors, name+": "+err.Error())
			continue
		}
		cfg.Log.Info("viewer measured", "viewer", name, "codec", s.Codec,
			"first_packet", s.FirstPacket, "first_keyframe", s.FirstKeyframe)
		res.Samples = append(res.Samples, s)
	}
	res.summarise()
	return res, nil
}

func startDelay(cfg JoinConfig) time.Duration {
	if cfg.MaxDelay <= 0 {
		return 0
	}
	return time.Duration(cfg.Rand.Int64N(int64(cfg.MaxDelay)))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// receiveAPI builds the pion API the viewers share: the default codecs,
// and loopback candidates when the server is on this host. It has no
// interceptors: a lost packet is not asked again, so the first keyframe
// counted is the first that arrived whole.
func receiveAPI(loopback bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(loopback)
	if err := browserLikeTransport(&se); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)), nil
}
