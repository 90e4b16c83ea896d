package sfu

import "testing"

// TestHeldFeedIgnoresKeyframeRequests checks a paused recording: a
// viewer's keyframe request replays nothing while the feed is held, and
// the cache again once it is released.
func TestHeldFeedIgnoresKeyframeRequests(t *testing.T) {
	feed, _, pool, v, w := cachedFeedViewer(t)
	pool.idle()
	cached := w.packets
	for _, tc := range []struct {
		held bool
		want int
	}{{true, 0}, {false, cached}} {
		feed.Hold(tc.held)
		before := w.packets
		feed.replay(v)
		pool.idle()
		if got := w.packets - before; got != tc.want {
			t.Errorf("held=%v: replay sent %d packets, want %d", tc.held, got, tc.want)
		}
	}
}
