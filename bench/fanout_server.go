package bench

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"time"
)

// serverProbe reads the server's side of a step: its CPU and memory from
// /proc when its PID is known, its CPU (without a PID) and forwarding
// latency from its /metrics when given.
type serverProbe struct {
	pid     int
	metrics string
	client  *http.Client
	log     *slog.Logger
	baseRSS int64 // resident memory with no viewer; -1 when unknown
	warned  bool  // a failed scrape was logged
}

func newServerProbe(pid int, metrics string, client *http.Client) *serverProbe {
	return &serverProbe{pid: pid, metrics: metrics, client: client, baseRSS: -1, log: slog.Default()}
}

// serverSample is the server at one edge of a window; each part may be
// missing.
type serverSample struct {
	cpu       time.Duration
	cpuOK     bool
	latency   histogram
	latencyOK bool
	keyframes histogram // latency of keyframe packets; nil buckets when the server has none
	rss       int64
	rssOK     bool
}

// baseline reads the server's memory before any viewer.
func (p *serverProbe) baseline(ctx context.Context, log *slog.Logger) {
	p.log = log
	if p.pid <= 0 {
		return
	}
	rss, err := procRSS(p.pid)
	if err != nil {
		log.Warn("server memory unknown", "pid", p.pid, "err", err)
		return
	}
	p.baseRSS = rss
}

func (p *serverProbe) sample(ctx context.Context) serverSample {
	var s serverSample
	if p.pid > 0 {
		if cpu, err := procCPU(p.pid); err == nil {
			s.cpu, s.cpuOK = cpu, true
		}
		if rss, err := procRSS(p.pid); err == nil {
			s.rss, s.rssOK = rss, true
		}
	}
	if p.metrics == "" {
		return s
	}
	m, err := scrapeMetrics(ctx, p.client, p.metrics)
	if err != nil {
		if !p.warned {
			p.log.Warn("server metrics unreadable", "err", err)
			p.warned = true
		}
		return s
	}
	if !s.cpuOK && !math.IsNaN(m.cpuSeconds) {
		s.cpu, s.cpuOK = time.Duration(m.cpuSeconds*float64(time.Second)), true
	}
	if len(m.latency.le) > 0 {
		s.latency, s.latencyOK, s.keyframes = m.latency, true, m.keyLatency
	}
	return s
}

// fill puts the server's figures into a step; what is unknown stays NaN.
func (p *serverProbe) fill(st *FanoutStep, before, after serverSample) {
	if before.cpuOK && after.cpuOK {
		st.ServerCPU = (after.cpu - before.cpu).Seconds() / st.Window.Seconds()
	}
	if before.latencyOK && after.latencyOK {
		d := after.latency.since(before.latency)
		st.LatencyP50, st.LatencyP99 = d.quantile(0.5), d.quantile(0.99)
		if len(after.keyframes.le) > 0 {
			k := after.keyframes.since(before.keyframes)
			st.LatencyP99Key, st.LatencyP99Other = k.quantile(0.99), d.without(k).quantile(0.99)
		}
	}
	if p.baseRSS >= 0 && after.rssOK && st.Connected > 0 {
		st.MemPerViewer = float64(after.rss-p.baseRSS) / float64(st.Connected)
	}
}
