package metrics

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"vigie/sfu"
)

// sfuCollector turns one sfu.Stats snapshot per scrape into metrics.
type sfuCollector struct {
	src SFU

	rooms, participants, tracks, viewers     *prometheus.Desc
	packetsIn, bytesIn, packetsOut, bytesOut *prometheus.Desc
	nacks, plis, cacheStarts, drops          *prometheus.Desc
	forwardLatency, keyframeLatency          *prometheus.Desc
	firstFrame                               *prometheus.Desc
}

func newSFUCollector(src SFU) *sfuCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &sfuCollector{
		src:          src,
		rooms:        d("vigie_sfu_rooms", "Rooms open in the SFU."),
		participants: d("vigie_sfu_participants", "Participants connected to the SFU."),
		tracks:       d("vigie_sfu_tracks", "Tracks the SFU forwards: participants' and cameras'."),
		viewers:      d("vigie_sfu_camera_viewers", "Viewers of a camera, main and sub-stream together.", "camera"),
		packetsIn:    d("vigie_sfu_received_packets_total", "RTP packets received from participants and cameras."),
		bytesIn:      d("vigie_sfu_received_bytes_total", "RTP bytes received from participants and cameras."),
		packetsOut:   d("vigie_sfu_sent_packets_total", "RTP packets written to subscribers."),
		bytesOut:     d("vigie_sfu_sent_bytes_total", "RTP bytes written to subscribers."),
		nacks:        d("vigie_sfu_nacks_received_total", "NACKs (retransmission requests) received from subscribers."),
		plis:         d("vigie_sfu_plis_received_total", "PLIs (keyframe requests) received from subscribers."),
		cacheStarts:  d("vigie_sfu_keyframe_cache_starts_total", "Camera viewers started from the camera's keyframe cache."),
		drops:        d("vigie_sfu_dropped_packets_total", "Packets skipped for subscribers that fell behind."),
		forwardLatency: d("vigie_sfu_forward_latency_seconds",
			"Time from a camera packet's arrival to its writing to a viewer."),
		keyframeLatency: d("vigie_sfu_keyframe_forward_latency_seconds",
			"The forwarding latency of keyframe packets only (also counted in vigie_sfu_forward_latency_seconds)."),
		firstFrame: d("vigie_sfu_first_frame_seconds",
			"Time from a viewer's connection to the first keyframe packet written to it."),
	}
}

func (c *sfuCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.rooms, c.participants, c.tracks, c.viewers, c.packetsIn, c.bytesIn, c.packetsOut, c.bytesOut,
		c.nacks, c.plis, c.cacheStarts, c.drops, c.forwardLatency, c.keyframeLatency, c.firstFrame,
	} {
		ch <- d
	}
}

func (c *sfuCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(c.rooms, s.Rooms)
	gauge(c.participants, s.Peers)
	gauge(c.tracks, s.Tracks)
	for _, cam := range slices.Sorted(maps.Keys(s.CameraViewers)) {
		gauge(c.viewers, s.CameraViewers[cam], cam)
	}
	counter(c.packetsIn, s.PacketsIn)
	counter(c.bytesIn, s.BytesIn)
	counter(c.packetsOut, s.PacketsOut)
	counter(c.bytesOut, s.BytesOut)
	counter(c.nacks, s.NACKs)
	counter(c.plis, s.PLIs)
	counter(c.cacheStarts, s.CacheStarts)
	counter(c.drops, s.Drops)
	ch <- histogram(c.forwardLatency, s.ForwardLatency)
	ch <- histogram(c.keyframeLatency, s.KeyframeLatency)
	ch <- histogram(c.firstFrame, s.FirstFrame)
}

// histogram turns the SFU's per-bucket counts into Prometheus's cumulative
// buckets. The count is the sum of the buckets, so that the +Inf bucket
// and the count agree even when the snapshot was taken while observations
// were being added. A histogram without buckets and observations is an
// empty one; a malformed one is reported as an error for this metric only.
func histogram(d *prometheus.Desc, h sfu.Histogram) prometheus.Metric {
	if len(h.Bounds) == 0 && len(h.Counts) == 0 {
		return prometheus.MustNewConstHistogram(d, h.Count, h.Sum, nil)
	}
	if len(h.Counts) != len(h.Bounds)+1 {
		return prometheus.NewInvalidMetric(d, fmt.Errorf("%d counts for %d bounds, want one more", len(h.Counts), len(h.Bounds)))
	}
	if !strictlyIncreasing(h.Bounds) {
		return prometheus.NewInvalidMetric(d, errors.New("bounds are not strictly increasing"))
	}
	buckets := make(map[float64]uint64, len(h.Bounds))
	var total uint64
	for i, b := range h.Bounds {
		total += h.Counts[i]
		buckets[b] = total
	}
	total += h.Counts[len(h.Bounds)]
	return prometheus.MustNewConstHistogram(d, total, h.Sum, buckets)
}

func strictlyIncreasing(bounds []float64) bool {
	for i := 1; i < len(bounds); i++ {
		if !(bounds[i] > bounds[i-1]) {
			return false
		}
	}
	return true
}
