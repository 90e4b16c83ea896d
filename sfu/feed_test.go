package sfu

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

var h264Codec = webrtc.RTPCodecCapability{
	MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
	SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
}

// fakeCamera writes a 25 fps H.264 stream with a keyframe every gop frames.
type fakeCamera struct {
	feed  *Feed
	frame int64
	gop   int64
}

func (c *fakeCamera) next() {
	pts := c.frame * 3600
	key := c.frame%c.gop == 0
	body := make([]byte, 3000)
	body[0] = 0x41 // non-IDR slice
	au := [][]byte{body}
	if key {
		body = make([]byte, 20000)
		body[0] = 0x65
		au = [][]byte{{0x67, 0x42, 0xe0, 0x1f}, {0x68, 0xce}, body}
	}
	body[1], body[2] = byte(c.frame>>8), byte(c.frame) // frame number, for the test
	c.feed.WriteVideo(pts, au, key)
	c.frame++
}

func TestFeedViewerStartsAtCachedKeyframe(t *testing.T) {
	s := testSFU(t)
	feed, err := NewFeed(FeedConfig{Camera: "entrance", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachFeed("room", feed); err != nil {
		t.Fatal(err)
	}
	cam := &fakeCamera{feed: feed, gop: 100}
	for range 60 { // 2.4 s into a 4 s GOP
		cam.next()
	}
	viewer := joinClient(t, s, "room", "viewer")
	tracks := viewer.answerOffer(10 * time.Second)
	for _, info := range tracks {
		if info.Camera != "entrance" || info.Source != SourceCamera || info.Participant != "" {
			t.Fatalf("track info %+v", info)
		}
	}
	// Keep the camera going while the viewer connects.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				cam.next()
			}
		}
	}()
	defer func() { close(stop); <-done }()

	tr := nextTrack(t, viewer)
	if tr.StreamID() != "camera-entrance" {
		t.Fatalf("stream %q", tr.StreamID())
	}
	// Read what arrives, then check it in sequence-number order: with
	// several candidate pairs on one host, packets may arrive reordered.
	_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
	type received struct {
		seq   int
		ts    uint32
		frame int // -1 when the packet does not start a slice
		nal   byte
	}
	var got []received
	first := -1
	for frames := 0; frames < 90; {
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatalf("after %d frames: %v", frames, err)
		}
		if len(p.Payload) > maxPayload {
			t.Fatalf("payload %d bytes", len(p.Payload))
		}
		seq := int(p.SequenceNumber)
		if first < 0 {
			first = seq
		}
		if seq < first-1000 { // wrapped
			seq += 1 << 16
		}
		r := received{seq: seq, ts: p.Timestamp, frame: -1, nal: p.Payload[0] & 0x1F}
		switch {
		case r.nal == 1 || r.nal == 5:
			r.frame = int(p.Payload[1])<<8 | int(p.Payload[2])
		case r.nal == 28 && p.Payload[1]&0x80 != 0:
			r.frame = int(p.Payload[2])<<8 | int(p.Payload[3])
		}
		if r.frame >= 0 {
			frames++
		}
		got = append(got, r)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].seq < got[j].seq })
	if got[0].nal != 7 {
		t.Fatalf("the stream starts with NAL type %d, want the keyframe's SPS (7)", got[0].nal)
	}
	// The cached frames come one tick apart, in order, then live frames at
	// their own pace; timestamps and frame numbers never go back.
	lastFrame, lastTS := -1, got[0].ts
	for _, r := range got {
		if int32(r.ts-lastTS) < 0 {
			t.Fatalf("timestamp went back from %d to %d at seq %d", lastTS, r.ts, r.seq)
		}
		lastTS = r.ts
		if r.frame >= 0 {
			if r.frame <= lastFrame {
				t.Fatalf("frame %d after %d", r.frame, lastFrame)
			}
			lastFrame = r.frame
		}
	}
	s.DetachFeed("room", feed)
	if feed.Viewers() != 0 {
		t.Fatalf("%d viewers after detach", feed.Viewers())
	}
}

// testPool is a fan-out pool closed at the end of the test.
func testPool(tb testing.TB, workers int) *fanoutPool {
	p := newFanoutPool(workers)
	tb.Cleanup(p.close)
	return p
}

// liveViewers adds n viewers bound to counting writers and starts them,
// spread over pool's workers. Read the writers after pool.idle().
func liveViewers(tb testing.TB, f *Feed, pool *fanoutPool, n int) []*countingWriter {
	tb.Helper()
	writers := make([]*countingWriter, n)
	for i := range writers {
		local, err := newBindSignal(f.cfg.Codec, "v", "s")
		if err != nil {
			tb.Fatal(err)
		}
		writers[i] = &countingWriter{}
		ctx := boundContext{ssrc: webrtc.SSRC(1000 + i), writer: writers[i], codec: f.cfg.Codec}
		if _, err := local.Bind(ctx); err != nil {
			tb.Fatal(err)
		}
		v := newFeedViewer(local, pool.assign())
		f.addViewer(v)
		f.activate(v)
	}
	return writers
}

func TestFeedViewerWaitsForKeyframeWhenCacheOverflows(t *testing.T) {
	feed, err := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec, MaxCacheBytes: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	cam := &fakeCamera{feed: feed, gop: 10}
	for range 4 { // keyframe 20 kB + 3 × 3 kB fits; a 4th P-frame would not
		cam.next()
	}
	pool := testPool(t, 2)
	w := liveViewers(t, feed, pool, 1)[0]
	pool.idle()
	if w.packets == 0 {
		t.Fatal("cache within bounds was not replayed")
	}
	for range 3 {
		cam.next()
	}
	late := liveViewers(t, feed, pool, 1)[0]
	pool.idle()
	if late.packets != 0 {
		t.Fatalf("overflowed cache replayed %d packets", late.packets)
	}
	for cam.frame%cam.gop != 0 {
		cam.next()
		pool.idle()
		if late.packets != 0 {
			t.Fatal("viewer started before a keyframe")
		}
	}
	cam.next() // the keyframe
	pool.idle()
	if late.packets == 0 {
		t.Fatal("viewer did not start at the keyframe")
	}
}

// BenchmarkFeedWriteVideo measures access units of a camera stream written
// to n live viewers through the fan-out workers (P-frames are 3 packets),
// waiting for the workers at each keyframe so that none is dropped:
// allocs/op must stay 0 and drops/op 0.
func BenchmarkFeedWriteVideo(b *testing.B) {
	for _, n := range []int{1, 10, 50, 500} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			feed, _ := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec})
			idr := make([]byte, 20000)
			idr[0] = 0x65
			key := [][]byte{{0x67, 0x42, 0xe0, 0x1f}, {0x68, 0xce}, idr}
			slice := make([]byte, 3000)
			slice[0] = 0x41
			au := [][]byte{slice}
			feed.WriteVideo(0, key, true)
			pool := testPool(b, 0)
			liveViewers(b, feed, pool, n)
			pool.idle()
			b.ReportAllocs()
			// A 4 s GOP at 25 fps, as cameras send: the cache reuses its
			// storage from one keyframe to the next.
			for i := int64(1); b.Loop(); i++ {
				if i%100 == 0 {
					pool.idle()
					feed.WriteVideo(i*3600, key, true)
				} else {
					feed.WriteVideo(i*3600, au, false)
				}
			}
			pool.idle()
			var st Stats
			pool.addStats(&st)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/frame/viewer")
			b.ReportMetric(float64(st.Drops)/float64(b.N), "drops/op")
		})
	}
}

// TestFeedReplaysCacheOnKeyframeRequest checks a camera viewer's answer to
// a PLI: the cached frames again, at once, not the camera's next keyframe
// seconds later.
func TestFeedReplaysCacheOnKeyframeRequest(t *testing.T) {
	feed, cam, pool, v, w := cachedFeedViewer(t)
	cam.next()
	pool.idle()
	live := w.packets
	feed.replay(v)
	pool.idle()
	// The viewer has had every frame since the keyframe once: the cache.
	if replayed := w.packets - live; replayed != live {
		t.Fatalf("replay sent %d packets, the cache holds %d", replayed, live)
	}
	cam.next()
	pool.idle()
	if w.packets == 2*live {
		t.Fatal("no live packet after the replay")
	}
}

// cachedFeedViewer is a feed with ten frames in its cache and one live
// viewer started from them: v, whose packets w counts.
func cachedFeedViewer(t *testing.T) (*Feed, *fakeCamera, *fanoutPool, *feedViewer, *countingWriter) {
	t.Helper()
	feed, err := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec})
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
	return feed, cam, pool, v, w
}
