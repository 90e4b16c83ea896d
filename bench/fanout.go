package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// FanoutConfig says how to load a WHEP server with viewers of one stream.
type FanoutConfig struct {
	WHEP  string // the WHEP endpoint: https://HOST/api/v1/whep/cameras/CAMERA
	Token string // Bearer token sent with every request ("" = none)
	Steps []int  // viewers at each step, growing: 10, 50, 100

	Duration       time.Duration // measurement window of each step (default 30 s)
	Settle         time.Duration // wait after a step's last viewer connected (default 3 s)
	Concurrency    int           // negotiations at once while ramping up (default 50)
	ConnectTimeout time.Duration // per viewer, from offer to first video packet (default 20 s)
	FPS            int           // the stream's frame rate, to count missing frames (default 25)
	Audio          bool          // ask for an audio track too

	// The server's CPU comes from /proc/PID/stat when PID is set, else from
	// process_cpu_seconds_total at Metrics; its memory per viewer needs PID;
	// its forwarding latency needs Metrics (vigie_sfu_forward_latency_seconds).
	PID     int
	Metrics string

	TLSConfig *tls.Config // to trust the server (nil: system roots)
	Log       *slog.Logger

	// OnWindow, when set, runs during each measurement window (a profile
	// of the server, say); the step waits for it to return.
	OnWindow func(ctx context.Context, viewers int, window time.Duration)
}

// Defaults of FanoutConfig.
const (
	DefaultFanoutDuration    = 30 * time.Second
	DefaultFanoutSettle      = 3 * time.Second
	DefaultFanoutConcurrency = 50
	DefaultFanoutConnect     = 20 * time.Second
	DefaultFanoutFPS         = 25
)

// DefaultFanoutSteps is the default ramp of viewers.
func DefaultFanoutSteps() []int { return []int{10, 50, 100, 200, 400, 600} }

func (c FanoutConfig) withDefaults() FanoutConfig {
	if c.Duration <= 0 {
		c.Duration = DefaultFanoutDuration
	}
	if c.Settle < 0 {
		c.Settle = 0
	} else if c.Settle == 0 {
		c.Settle = DefaultFanoutSettle
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultFanoutConcurrency
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultFanoutConnect
	}
	if c.FPS <= 0 {
		c.FPS = DefaultFanoutFPS
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Fanout ramps viewers up step by step and measures each step for
// cfg.Duration. Viewers stay from one step to the next; every viewer is
// closed (its session DELETEd) before Fanout returns. When ctx ends it
// returns the steps measured so far with ctx's error.
func Fanout(ctx context.Context, cfg FanoutConfig) (FanoutResult, error) {
	cfg = cfg.withDefaults()
	var res FanoutResult
	if len(cfg.Steps) == 0 || !slices.IsSorted(cfg.Steps) || cfg.Steps[0] < 1 {
		return res, fmt.Errorf("bench fanout: steps %v: want growing counts of at least 1", cfg.Steps)
	}
	endpoint, err := url.Parse(cfg.WHEP)
	if err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") {
		return res, fmt.Errorf("bench fanout: WHEP URL %q: want http(s)://HOST/PATH", cfg.WHEP)
	}
	api, err := whepAPI(isLoopbackURL(endpoint))
	if err != nil {
		return res, fmt.Errorf("bench fanout: %w", err)
	}
	transport := &http.Transport{TLSClientConfig: cfg.TLSConfig, MaxIdleConnsPerHost: cfg.Concurrency, ForceAttemptHTTP2: true}
	defer transport.CloseIdleConnections()
	r := &fanoutRun{
		cfg: cfg,
		target: &whepTarget{
			endpoint: endpoint, token: cfg.Token, api: api, audio: cfg.Audio,
			client:     &http.Client{Transport: transport, Timeout: cfg.ConnectTimeout},
			frameTicks: uint32(90000 / cfg.FPS),
		},
		probe: newServerProbe(cfg.PID, cfg.Metrics, &http.Client{Transport: transport}),
	}
	defer r.closeAll()
	r.probe.baseline(ctx, cfg.Log)
	for _, n := range cfg.Steps {
		step, err := r.step(ctx, n)
		if err != nil {
			res.Errors = r.errors
			return res, err
		}
		res.Steps = append(res.Steps, step)
		cfg.Log.Info("step measured", "viewers", n, "connected", step.Connected, "failed", step.Failed,
			"server_cores", step.ServerCPU, "mbit_s", step.Mbps, "loss_worst", step.LossWorst, "frames_complete", step.FramesComplete)
	}
	res.Errors = r.errors
	return res, nil
}

// fanoutRun is one Fanout's state: its viewers, kept across steps.
type fanoutRun struct {
	cfg     FanoutConfig
	target  *whepTarget
	probe   *serverProbe
	viewers []*whepViewer
	errors  []string // distinct reasons viewers failed, a few at most
}

// maxErrors bounds the failure reasons kept for the report.
const maxErrors = 5

// step tops the viewers up to n, lets them settle and measures.
func (r *fanoutRun) step(ctx context.Context, n int) (FanoutStep, error) {
	r.dropDead()
	if err := r.rampTo(ctx, n); err != nil {
		return FanoutStep{}, err
	}
	r.cfg.Log.Info("viewers connected; settling", "target", n, "connected", len(r.viewers))
	if err := sleep(ctx, r.cfg.Settle); err != nil {
		return FanoutStep{}, err
	}
	before := r.sample(ctx)
	var window sync.WaitGroup
	if r.cfg.OnWindow != nil {
		window.Go(func() { r.cfg.OnWindow(ctx, n, r.cfg.Duration) })
	}
	err := sleep(ctx, r.cfg.Duration)
	window.Wait()
	if err != nil {
		return FanoutStep{}, err
	}
	after := r.sample(ctx)
	return measureStep(n, before, after, r.probe), nil
}

// rampTo dials viewers, Concurrency at a time, until n are live or have
// failed for this step.
func (r *fanoutRun) rampTo(ctx context.Context, n int) error {
	missing := n - len(r.viewers)
	if missing <= 0 {
		return nil
	}
	sem := make(chan struct{}, r.cfg.Concurrency)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range missing {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			v, err := dialWHEP(ctx, r.target, r.cfg.ConnectTimeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.noteError(err)
				return
			}
			r.viewers = append(r.viewers, v)
		})
	}
	wg.Wait()
	return ctx.Err()
}

func (r *fanoutRun) noteError(err error) {
	if errors.Is(err, context.Canceled) {
		return // the run is stopping: not the server's fault
	}
	r.cfg.Log.Warn("viewer failed", "err", err)
	if msg := err.Error(); len(r.errors) < maxErrors && !slices.Contains(r.errors, msg) {
		r.errors = append(r.errors, msg)
	}
}

// dropDead closes viewers whose connection failed, so the next step
// replaces them.
func (r *fanoutRun) dropDead() {
	r.viewers = slices.DeleteFunc(r.viewers, func(v *whepViewer) bool {
		if !v.dead() {
			return false
		}
		r.noteError(fmt.Errorf("connection %s", v.connectionState()))
		v.close()
		return true
	})
}

// closeAll closes every viewer, Concurrency at a time.
func (r *fanoutRun) closeAll() {
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, v := range r.viewers {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v.close()
		})
	}
	wg.Wait()
	r.viewers = nil
}

// stepSample is everything read at one edge of a measurement window.
type stepSample struct {
	at      time.Time
	viewers []counterSnapshot // by index into the viewers at the window's start
	live    []bool            // connection still up
	server  serverSample
	self    time.Duration
	drops   uint64 // host UDP receive-buffer drops
	dropsOK bool
}

func (r *fanoutRun) sample(ctx context.Context) stepSample {
	s := stepSample{at: time.Now(), self: selfCPU(), server: r.probe.sample(ctx)}
	if d, err := udpReceiveDrops(); err == nil {
		s.drops, s.dropsOK = d, true
	}
	s.viewers = make([]counterSnapshot, len(r.viewers))
	s.live = make([]bool, len(r.viewers))
	for i, v := range r.viewers {
		s.viewers[i] = v.snapshot()
		s.live[i] = !v.dead()
	}
	return s
}

// measureStep turns the samples at both edges of a window into a step.
func measureStep(n int, before, after stepSample, probe *serverProbe) FanoutStep {
	window := after.at.Sub(before.at)
	st := FanoutStep{
		Viewers:         n,
		Window:          window,
		ToolCPU:         (after.self - before.self).Seconds() / window.Seconds(),
		ServerCPU:       math.NaN(),
		LatencyP50:      math.NaN(),
		LatencyP99:      math.NaN(),
		LatencyP99Key:   math.NaN(),
		LatencyP99Other: math.NaN(),
		MemPerViewer:    math.NaN(),
		FramesComplete:  math.NaN(),
		FPSPerViewer:    math.NaN(),
		HostUDPDrops:    -1,
	}
	if before.dropsOK && after.dropsOK {
		st.HostUDPDrops = int64(after.drops - before.drops)
	}
	var packets, bytes, frames, complete uint64
	var losses []float64
	for i, b := range before.viewers {
		d := after.viewers[i].sub(b)
		if !after.live[i] || d.packets == 0 {
			continue
		}
		st.Connected++
		packets += d.packets
		bytes += d.bytes
		frames += d.frames
		complete += d.complete
		if judged := d.arrived + d.lost; judged > 0 {
			losses = append(losses, float64(d.lost)/float64(judged))
		} else {
			losses = append(losses, 0)
		}
	}
	st.Failed = n - st.Connected
	secs := window.Seconds()
	st.PacketsPerSec = float64(packets) / secs
	st.Mbps = float64(bytes) * 8 / secs / 1e6
	if st.Connected > 0 {
		st.MbpsPerViewer = st.Mbps / float64(st.Connected)
		st.PacketsPerViewer = st.PacketsPerSec / float64(st.Connected)
		var sum float64
		for _, l := range losses {
			sum += l
			st.LossWorst = max(st.LossWorst, l)
		}
		st.LossMean = sum / float64(len(losses))
	}
	if frames > 0 {
		st.FramesComplete = float64(complete) / float64(frames)
	}
	if st.Connected > 0 {
		st.FPSPerViewer = float64(complete) / secs / float64(st.Connected)
	}
	probe.fill(&st, before.server, after.server)
	return st
}

// dead tells whether the viewer's connection has failed or closed.
func (v *whepViewer) dead() bool {
	switch v.connectionState() {
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		return true
	}
	return false
}

// WaitStream tries one viewer after another until one receives video,
// for about limit: the server is up, the camera live and its keyframe
// cache filled, so the first step measures the fan-out and not the start.
func WaitStream(ctx context.Context, cfg FanoutConfig, limit time.Duration) error {
	cfg = cfg.withDefaults()
	endpoint, err := url.Parse(cfg.WHEP)
	if err != nil {
		return fmt.Errorf("bench fanout: WHEP URL %q: %w", cfg.WHEP, err)
	}
	api, err := whepAPI(isLoopbackURL(endpoint))
	if err != nil {
		return fmt.Errorf("bench fanout: %w", err)
	}
	transport := &http.Transport{TLSClientConfig: cfg.TLSConfig}
	defer transport.CloseIdleConnections()
	target := &whepTarget{
		endpoint: endpoint, token: cfg.Token, api: api,
		client:     &http.Client{Transport: transport, Timeout: 10 * time.Second},
		frameTicks: uint32(90000 / cfg.FPS),
	}
	deadline := time.Now().Add(limit)
	for try := 0; ; try++ {
		// Each try gets at least 2 s, so the last one's answer is the reason given.
		v, err := dialWHEP(ctx, target, min(10*time.Second, max(time.Until(deadline), 2*time.Second)))
		if err == nil {
			v.close()
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench fanout: no video from %s within %v: %w", cfg.WHEP, limit, err)
		}
		if try%10 == 0 { // every 5 s or so
			cfg.Log.Info("stream not ready yet", "err", err)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return context.Cause(ctx)
		}
	}
}
