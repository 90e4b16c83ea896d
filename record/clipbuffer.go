package record

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNoFootage is returned by ClipBuffer.WriteMP4 before a keyframe was kept.
var ErrNoFootage = errors.New("record: no footage kept yet")

// ClipBuffer keeps the last access units of one H.264 or H.265 video, by
// the time they show (a recorder's footage: recorded time), to save them
// as an MP4 clip on demand. It holds whole GOPs from a keyframe, at most
// about keep of video and maxBytes; when full it drops its oldest GOP.
// Keep and WriteMP4 may be called from different goroutines.
type ClipBuffer struct {
	codec string
	keep  time.Duration

	mu     sync.Mutex
	ring   *ring
	origin time.Time // recorded time of PTS 0
	begun  bool
}

// Span is the range of footage a clip holds.
type Span struct {
	From, To time.Time
}

// NewClipBuffer returns a buffer for codec (CodecH264 or CodecH265).
func NewClipBuffer(codec string, keep time.Duration, maxBytes int) *ClipBuffer {
	return &ClipBuffer{codec: codec, keep: keep, ring: newRing(keep, maxBytes)}
}

// Keep copies an access unit shown at time at; its PTS is the recorded
// time elapsed since the first one kept, so that a pause leaves no gap.
// A unit not later than the previous one is left out.
func (b *ClipBuffer) Keep(at time.Time, au [][]byte, keyframe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.begun {
		if !keyframe {
			return
		}
		b.origin, b.begun = at, true
	}
	if n := len(b.ring.units); n > 0 && !at.After(b.ring.units[n-1].wall) {
		return
	}
	u := newUnit(b.codec, ticksOf(at.Sub(b.origin)), at, au, keyframe)
	if u != nil {
		b.ring.push(u)
	}
}

// WriteMP4 writes what the buffer holds as an MP4 file at path (which
// must not exist): from the first keyframe within keep of the newest unit.
// It returns the span of footage written.
func (b *ClipBuffer) WriteMP4(path string) (Span, error) {
	units := b.units()
	if len(units) == 0 {
		return Span{}, ErrNoFootage
	}
	w, err := createFragmented(path, units[0])
	if err != nil {
		return Span{}, err
	}
	for _, u := range units[1:] {
		if err := w.write(u); err != nil {
			w.abort()
			return Span{}, err
		}
	}
	last := units[len(units)-1]
	span := Span{From: units[0].wall, To: last.wall}
	if len(units) > 1 {
		// The last frame lasts as long as the one before it.
		span.To = last.wall.Add(last.wall.Sub(units[len(units)-2].wall))
	}
	if err := w.close(); err != nil {
		return Span{}, fmt.Errorf("clip: %w", err)
	}
	return span, nil
}

// units copies the kept units from the first keyframe within keep of the
// newest one.
func (b *ClipBuffer) units() []*unit {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ring
	if len(r.keys) == 0 {
		return nil
	}
	newest := r.units[len(r.units)-1].wall
	start := r.keys[len(r.keys)-1]
	for _, k := range r.keys {
		if !r.units[k].wall.Before(newest.Add(-b.keep)) {
			start = k
			break
		}
	}
	return append([]*unit(nil), r.units[start:]...)
}
