package sfu

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the SFU's counters since start, for metrics.
type Stats struct {
	Rooms, Peers, Tracks int
	CameraViewers        map[string]int // camera id -> viewers (main and sub-stream)
	PacketsIn, BytesIn   uint64         // RTP received from publishers and cameras
	PacketsOut, BytesOut uint64         // RTP written to subscribers
	NACKs, PLIs          uint64         // feedback received from subscribers
	CacheStarts          uint64         // viewers started from a camera's keyframe cache
	Drops                uint64         // packets skipped for subscribers that fell behind
	ForwardLatency       Histogram      // camera packet arrival -> written to a viewer
	KeyframeLatency      Histogram      // the same, for the packets of keyframes only
	FirstFrame           Histogram      // viewer connected -> first keyframe packet written
}

// Histogram holds observations in seconds. Counts[i] counts observations
// <= Bounds[i] and > Bounds[i-1] (not cumulative); Counts has one more
// element than Bounds, for observations above the last bound.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Sum    float64
	Count  uint64
}

// Stats returns the current counters. Feeds shown in several rooms are
// counted once.
func (s *SFU) Stats() Stats {
	st := Stats{CameraViewers: map[string]int{}}
	s.mu.Lock()
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	st.Rooms = len(rooms)
	seen := map[published]bool{}
	for _, r := range rooms {
		r.mu.Lock()
		st.Peers += len(r.peers)
		for _, t := range r.tracks {
			if !seen[t] {
				seen[t] = true
				st.Tracks++
				t.addStats(&st)
			}
		}
		r.mu.Unlock()
	}
	st.NACKs = s.feedback.nacks.Load()
	st.PLIs = s.feedback.plis.Load()
	s.workers.addStats(&st)
	return st
}

// feedbackCounters count subscribers' RTCP feedback, a few packets a second
// per subscriber: one shared counter is cheap enough.
type feedbackCounters struct {
	nacks, plis atomic.Uint64
}

// flowCounters count packets and bytes; each has a single writer.
type flowCounters struct {
	packets, bytes atomic.Uint64
}

func (c *flowCounters) add(n int) {
	c.packets.Add(1)
	c.bytes.Add(uint64(n))
}

// histogram is a fixed-bucket histogram written without locks. The buckets
// are fine between 50 µs and 10 ms, where forwarding latency lives.
type histogram struct {
	counts [len(histogramBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
	count  atomic.Uint64
}

// histogramBounds are the bucket upper bounds.
var histogramBounds = [...]time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond,
	7500 * time.Microsecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second,
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(histogramBounds) && d > histogramBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
	h.count.Add(1)
}

// addTo adds h's counts to the snapshot out, sizing it on first use.
func (h *histogram) addTo(out *Histogram) {
	if out.Bounds == nil {
		out.Bounds = make([]float64, len(histogramBounds))
		for i, b := range histogramBounds {
			out.Bounds[i] = b.Seconds()
		}
		out.Counts = make([]uint64, len(histogramBounds)+1)
	}
	for i := range h.counts {
		out.Counts[i] += h.counts[i].Load()
	}
	out.Sum += time.Duration(h.sum.Load()).Seconds()
	out.Count += h.count.Load()
}
