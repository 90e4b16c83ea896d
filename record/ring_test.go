package record

import (
	"testing"
	"time"
)

// The ring starts on a keyframe, keeps whole GOPs reaching back at least
// keep when it can, and never holds more than its byte cap.
func TestRing(t *testing.T) {
	const size = 1000
	for _, tc := range []struct {
		name      string
		keep      time.Duration
		maxBytes  int
		gop       int // frames between keyframes, at 25 fps
		frames    int
		firstKey  bool // the first frame pushed is a keyframe
		wantUnits int
		wantStart int // frame number of the oldest unit kept
	}{
		// Keyframes every 2 s, 5 s to keep after 20 s: from the keyframe
		// at 14 s (6 s back) to 19.96 s.
		{"by time", 5 * time.Second, 1 << 30, 50, 500, true, 150, 350},
		// Same, with room for 120 frames: only the last GOP and a bit.
		{"by bytes", 5 * time.Second, 120 * size, 50, 500, true, 100, 400},
		// One GOP larger than the cap: nothing until the next keyframe fits.
		{"gop over cap", 5 * time.Second, 40 * size, 50, 500, true, 0, 0},
		// Nothing before the first keyframe.
		{"waits for a keyframe", 5 * time.Second, 1 << 30, 50, 40, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRing(tc.keep, tc.maxBytes)
			shift := 0
			if !tc.firstKey {
				shift = 10
			}
			for i := range tc.frames {
				r.push(&unit{pts: int64(i) * frameTicks, wall: t0.Add(time.Duration(i) * 40 * time.Millisecond),
					key: (i+shift)%tc.gop == 0, payload: make([]byte, size)})
				if r.bytes > tc.maxBytes {
					t.Fatalf("frame %d: %d bytes held, cap %d", i, r.bytes, tc.maxBytes)
				}
			}
			if len(r.units) != tc.wantUnits || r.bytes != tc.wantUnits*size {
				t.Fatalf("%d units, %d bytes; want %d units", len(r.units), r.bytes, tc.wantUnits)
			}
			if tc.wantUnits == 0 {
				return
			}
			if !r.units[0].key || r.units[0].pts != int64(tc.wantStart)*frameTicks {
				t.Fatalf("oldest unit pts %d key %v, want frame %d, a keyframe", r.units[0].pts, r.units[0].key, tc.wantStart)
			}
			// The keyframe at 16 s is the last at or before 17 s.
			from := r.since(t0.Add(17 * time.Second))
			if len(from) != 100 || !from[0].key || from[0].pts != 400*frameTicks {
				t.Fatalf("since 17 s: %d units", len(from))
			}
		})
	}
}
