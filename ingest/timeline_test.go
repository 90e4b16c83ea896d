package ingest

import (
	"testing"
	"time"
)

// fakeClock is a wall clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestTimelineAcrossSessions(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tl := newTimeline(90000, clock.now)

	// First session: gortsplib's PTS passes through.
	for i := range 100 {
		pts, ok := tl.next(int64(i) * 3600)
		if !ok || pts != int64(i)*3600 {
			t.Fatalf("first session frame %d: %d %v", i, pts, ok)
		}
		clock.advance(40 * time.Millisecond)
	}
	last := int64(99 * 3600)

	// The camera reboots: 5 s without frames, then its clock starts somewhere else.
	clock.advance(5 * time.Second)
	tl.restart()
	pts, ok := tl.next(123456789)
	if !ok {
		t.Fatal("first frame of the second session dropped")
	}
	// The last frame was written at 99×40 ms; it is now 100×40 ms + 5 s.
	const wantGap = 90000*5 + 3600
	if pts != last+wantGap {
		t.Fatalf("second session starts at %d, want %d (last %d + %d)", pts, last+wantGap, last, wantGap)
	}
	next, _ := tl.next(123456789 + 3600)
	if next != pts+3600 {
		t.Fatalf("second frame at %d, want %d", next, pts+3600)
	}
}

func TestTimelineNeverGoesBack(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tl := newTimeline(8000, clock.now)
	for i := range 10 {
		tl.next(int64(i) * 160)
	}
	// Reconnected at once, but the wall clock says less time went by than the camera's
	// clock did: the new session still starts after the last PTS.
	tl.restart()
	pts, _ := tl.next(-5000)
	if pts <= 9*160 {
		t.Fatalf("new session at %d, not after %d", pts, 9*160)
	}
	if _, ok := tl.next(-5000 - 160); ok {
		t.Fatal("a packet older than the last one was accepted")
	}
}

func TestTimelineReanchors(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tl := newTimeline(90000, clock.now)
	// The camera's clock runs 1% slow against the wall clock for a long session.
	for i := range 10 * reanchorEvery {
		tl.next(int64(i) * 3564)
		clock.advance(40 * time.Millisecond)
	}
	lastWall := clock.t.Add(-40 * time.Millisecond)
	clock.advance(2 * time.Second)
	tl.restart()
	pts, _ := tl.next(0)
	// The gap must be close to the 2 s (+ one frame) of wall time since the last frame,
	// not shrunk by the drift accumulated over the whole session.
	last := int64(10*reanchorEvery-1) * 3564
	gotGap := time.Duration(pts-last) * time.Second / 90000
	wantGap := clock.t.Sub(lastWall)
	if d := gotGap - wantGap; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Fatalf("gap %v, want about %v", gotGap, wantGap)
	}
}

func TestTimelineConversions(t *testing.T) {
	tl := newTimeline(48000, time.Now)
	for _, d := range []time.Duration{0, time.Millisecond, 1500 * time.Millisecond, 90 * time.Hour} {
		if got := tl.duration(tl.ticks(d)); got != d {
			t.Errorf("%v → %d ticks → %v", d, tl.ticks(d), got)
		}
	}
}
