package sfu

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

// Stats returns the current counters.
func (s *SFU) Stats() Stats {
	rooms, peers := s.Counts()
	return Stats{Rooms: rooms, Peers: peers, CameraViewers: map[string]int{}}
}
