package sfu

import "testing"

// TestHeldFeedIgnoresKeyframeRequests checks a paused recording: a
// viewer's keyframe request replays nothing while the feed is held, and
// the cache again once it is released.
func TestHeldFeedIgnoresKeyframeRequests(t *testing.T) {
	feed, err := NewFeed(FeedConfig{Camera: "c-rec-1", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	cam := &fakeCamera{feed: feed, gop: 100}
	for range 10 {
		cam.next()
	}
	pool := testPool(t, 2)
	w := liveViewers(t, feed, pool, 1)[0]
	feed.mu.Lock()
	v := feed.viewers[0]
	feed.mu.Unlock()
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
