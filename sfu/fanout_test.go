package sfu

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// seqWriter records sequence numbers.
type seqWriter struct {
	seqs []uint16
	ts   []uint32
}

func (w *seqWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.seqs = append(w.seqs, h.SequenceNumber)
	w.ts = append(w.ts, h.Timestamp)
	return len(payload), nil
}

func (w *seqWriter) Write(b []byte) (int, error) { return len(b), nil }

func boundViewer(t *testing.T, f *Feed, w *fanoutWorker, ssrc webrtc.SSRC) (*feedViewer, *seqWriter) {
	t.Helper()
	local, err := newBindSignal(f.cfg.Codec, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	out := &seqWriter{}
	if _, err := local.Bind(seqContext{boundContext{ssrc: ssrc, codec: f.cfg.Codec}, out}); err != nil {
		t.Fatal(err)
	}
	v := newFeedViewer(local, w)
	f.addViewer(v)
	f.activate(v)
	return v, out
}

type seqContext struct {
	boundContext
	out *seqWriter
}

func (c seqContext) WriteStream() webrtc.TrackLocalWriter { return c.out }

// TestStalledWorkerDropsToNextKeyframe checks the overflow policy: viewers
// of a worker that cannot keep up lose packets without holding back the
// others, keep contiguous sequence numbers, and restart at a keyframe.
func TestStalledWorkerDropsToNextKeyframe(t *testing.T) {
	feed, err := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	pool := testPool(t, 1)
	stalled := newFanoutWorker(7, 4) // not running yet: its queue fills
	cam := &fakeCamera{feed: feed, gop: 10}
	cam.next() // keyframe: SPS, PPS and 17 fragments
	_, healthy := boundViewer(t, feed, pool.shared[0], 1)
	slow, late := boundViewer(t, feed, stalled, 2)
	for range 9 {
		cam.next() // P-frames of 3 packets
	}
	pool.idle()
	if got, want := len(healthy.seqs), 19+9*3; got != want {
		t.Fatalf("healthy viewer got %d packets, want %d", got, want)
	}
	if d := stalled.drops.Load(); d == 0 {
		t.Fatal("no drop counted for the stalled worker")
	}
	feed.mu.Lock()
	if slow.state != viewerWaiting || !slow.dropped {
		t.Fatalf("stalled viewer state %v dropped %v, want waiting for a keyframe", slow.state, slow.dropped)
	}
	feed.mu.Unlock()

	// The worker recovers; its viewer resumes at the next keyframe.
	drainQueued(stalled)
	queued := len(late.seqs)
	feed.mu.Lock()
	offset := slow.offset // from before the loss
	feed.mu.Unlock()
	cam.next() // keyframe
	drainQueued(stalled)
	if len(late.seqs) <= queued {
		t.Fatal("viewer did not resume at the keyframe")
	}
	if want := uint32(int64(cam.frame-1)*3600 + offset); late.ts[len(late.ts)-1] != want {
		t.Fatalf("restart keyframe stamped %d, want %d: the missed time must show", late.ts[len(late.ts)-1], want)
	}
	for i := 1; i < len(late.seqs); i++ {
		if late.seqs[i] != late.seqs[i-1]+1 {
			t.Fatalf("sequence gap %d -> %d: a receiver would wait for lost packets", late.seqs[i-1], late.seqs[i])
		}
	}
}

// TestStatsCountFanout checks the counters metrics read.
func TestStatsCountFanout(t *testing.T) {
	s := testSFU(t)
	feed, err := NewFeed(FeedConfig{Camera: "door", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachFeed("room", feed); err != nil {
		t.Fatal(err)
	}
	cam := &fakeCamera{feed: feed, gop: 10}
	cam.next()
	w := liveViewers(t, feed, s.workers, 3)
	for range 4 {
		cam.next()
	}
	s.workers.idle()
	st := s.Stats()
	want := uint64(19 + 4*3)
	if st.PacketsIn != want || st.PacketsOut != 3*want || st.CacheStarts != 3 || st.Tracks != 1 || st.CameraViewers["door"] != 3 {
		t.Fatalf("stats %+v, want %d in, %d out, 3 cache starts, 1 track, 3 viewers", st, want, 3*want)
	}
	if w[0].packets != int(want) {
		t.Fatalf("viewer got %d packets", w[0].packets)
	}
	if st.FirstFrame.Count != 3 || st.ForwardLatency.Count == 0 || len(st.ForwardLatency.Counts) != len(st.ForwardLatency.Bounds)+1 {
		t.Fatalf("histograms %+v %+v", st.FirstFrame, st.ForwardLatency)
	}
	if st.KeyframeLatency.Count != 0 {
		t.Fatalf("keyframe latency %+v before any live keyframe", st.KeyframeLatency)
	}
	for range 6 { // through the next keyframe
		cam.next()
	}
	s.workers.idle()
	st = s.Stats()
	if k := st.KeyframeLatency.Count; k == 0 || k >= st.ForwardLatency.Count {
		t.Fatalf("keyframe latency count %d, all packets %d", k, st.ForwardLatency.Count)
	}
}

// drainQueued writes the jobs queued on a worker that is not running.
func drainQueued(w *fanoutWorker) {
	for len(w.jobs) > 0 || w.held {
		j := w.next
		if w.held {
			w.held = false
		} else {
			j = <-w.jobs
		}
		w.gather(j)
		w.do()
	}
}

// orderWriter logs which viewer each packet was written to, in the order
// of the writes of all viewers.
type orderWriter struct {
	log  *[]webrtc.SSRC
	ssrc webrtc.SSRC
}

func (w orderWriter) WriteRTP(_ *rtp.Header, payload []byte) (int, error) {
	*w.log = append(*w.log, w.ssrc)
	return len(payload), nil
}

func (w orderWriter) Write(b []byte) (int, error) { return len(b), nil }

type orderContext struct {
	boundContext
	out orderWriter
}

func (c orderContext) WriteStream() webrtc.TrackLocalWriter { return c.out }

// TestWorkerWritesFrameViewerByViewer checks that a worker writes each
// viewer a whole frame in a row, then the next viewer: the runs the media
// port sends as one GSO message.
func TestWorkerWritesFrameViewerByViewer(t *testing.T) {
	feed, err := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	w := newFanoutWorker(0, 256) // not running: the test drains it
	var log []webrtc.SSRC
	for ssrc := range webrtc.SSRC(3) {
		local, err := newBindSignal(feed.cfg.Codec, "v", "s")
		if err != nil {
			t.Fatal(err)
		}
		ctx := orderContext{boundContext{ssrc: ssrc + 1, codec: feed.cfg.Codec}, orderWriter{&log, ssrc + 1}}
		if _, err := local.Bind(ctx); err != nil {
			t.Fatal(err)
		}
		v := newFeedViewer(local, w)
		feed.addViewer(v)
		feed.activate(v)
	}
	cam := &fakeCamera{feed: feed, gop: 10}
	cam.next() // keyframe: SPS, PPS and 17 fragments
	drainQueued(w)
	cam.next() // P-frame of 3 packets
	drainQueued(w)
	var want []webrtc.SSRC
	for _, frame := range []int{19, 3} {
		for ssrc := range webrtc.SSRC(3) {
			for range frame {
				want = append(want, ssrc+1)
			}
		}
	}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("writes went to viewers %v, want %v", log, want)
	}
}
