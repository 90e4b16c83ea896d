package ingest

import "time"

// reanchorEvery is how many writes go by between two readings of the wall clock, so that
// the estimate of when the last write happened stays close even if the camera's clock
// drifts, without a clock reading per packet.
const reanchorEvery = 64

// timeline maps one track's per-session PTS (gortsplib's, restarting with each RTSP session
// and each camera reboot) onto the PTS handed to sinks, which must stay continuous and
// increasing for the whole life of the Camera so that viewers' tracks carry on across
// reconnections. A new session continues from the last PTS written plus the wall-clock time
// that went by since.
type timeline struct {
	rate      int64 // ticks per second
	offset    int64 // sink PTS = session PTS + offset
	inSession bool
	written   bool
	last      int64     // last sink PTS written
	anchor    time.Time // wall-clock time when anchorPTS was written
	anchorPTS int64
	sinceAnch int
	now       func() time.Time
}

func newTimeline(rate int, now func() time.Time) *timeline {
	return &timeline{rate: int64(rate), now: now}
}

// restart makes the next PTS the start of a new session (or of a camera clock jump).
func (t *timeline) restart() { t.inSession = false }

// next maps a session PTS; ok is false when the unit would not move time forward (a
// duplicate or reordered audio packet) and must be dropped.
func (t *timeline) next(raw int64) (pts int64, ok bool) {
	if !t.inSession {
		t.startSession(raw)
	}
	pts = raw + t.offset
	if t.written && pts < t.last {
		return 0, false
	}
	t.last, t.written = pts, true
	t.sinceAnch++
	if t.sinceAnch >= reanchorEvery {
		t.anchor, t.anchorPTS, t.sinceAnch = t.now(), pts, 0
	}
	return pts, true
}

func (t *timeline) startSession(raw int64) {
	t.inSession = true
	wall := t.now()
	t.sinceAnch = 0
	if !t.written {
		// First session: gortsplib's PTS already starts near zero and keeps audio and
		// video aligned; keep it as is.
		t.offset = 0
		t.anchor, t.anchorPTS = wall, raw
		return
	}
	lastWall := t.anchor.Add(t.duration(t.last - t.anchorPTS))
	gap := max(wall.Sub(lastWall), 0)
	start := max(t.last+t.ticks(gap), t.last+1)
	t.offset = start - raw
	t.anchor, t.anchorPTS = wall, start
}

func (t *timeline) ticks(d time.Duration) int64 {
	return int64(d/time.Second)*t.rate + int64(d%time.Second)*t.rate/int64(time.Second)
}

func (t *timeline) duration(ticks int64) time.Duration {
	return time.Duration(ticks/t.rate)*time.Second + time.Duration(ticks%t.rate)*time.Second/time.Duration(t.rate)
}
