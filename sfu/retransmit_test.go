package sfu

import (
	"bytes"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// packetLog records whole packets.
type packetLog struct{ pkts []rtp.Packet }

func (w *packetLog) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.pkts = append(w.pkts, rtp.Packet{Header: *h, Payload: bytes.Clone(payload)})
	return len(payload), nil
}

func (w *packetLog) Write(b []byte) (int, error) { return len(b), nil }

type logContext struct {
	boundContext
	out *packetLog
}

func (c logContext) WriteStream() webrtc.TrackLocalWriter { return c.out }

// TestRetransmitFromCache checks that a lost packet comes back identical,
// cut again from the keyframe cache, and that packets of a GOP the cache
// no longer holds are not invented.
func TestRetransmitFromCache(t *testing.T) {
	feed, err := NewFeed(FeedConfig{Camera: "c", Codec: h264Codec})
	if err != nil {
		t.Fatal(err)
	}
	pool := testPool(t, 1)
	local, err := newBindSignal(feed.cfg.Codec, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	log := &packetLog{}
	if _, err := local.Bind(logContext{boundContext{ssrc: 9, codec: feed.cfg.Codec}, log}); err != nil {
		t.Fatal(err)
	}
	cam := &fakeCamera{feed: feed, gop: 10}
	cam.next()
	v := newFeedViewer(local, pool.shared[0])
	feed.addViewer(v)
	feed.activate(v)
	for range 5 {
		cam.next()
	}
	pool.idle()
	sent := append([]rtp.Packet(nil), log.pkts...)
	lost := []int{0, 3, 10, len(sent) - 1} // SPS, a keyframe fragment, P-frame parts, the last
	nack := &rtcp.TransportLayerNack{}
	for _, i := range lost {
		nack.Nacks = append(nack.Nacks, rtcp.NackPair{PacketID: sent[i].SequenceNumber})
	}
	if n := feed.retransmit(v, nack); n != len(lost) {
		t.Fatalf("retransmitted %d packets, want %d", n, len(lost))
	}
	again := log.pkts[len(sent):]
	for k, i := range lost {
		a, b := sent[i], again[k]
		if a.SequenceNumber != b.SequenceNumber || a.Timestamp != b.Timestamp || a.Marker != b.Marker || !bytes.Equal(a.Payload, b.Payload) {
			t.Fatalf("packet %d sent again differs: seq %d/%d ts %d/%d marker %v/%v, payload equal %v",
				i, a.SequenceNumber, b.SequenceNumber, a.Timestamp, b.Timestamp, a.Marker, b.Marker, bytes.Equal(a.Payload, b.Payload))
		}
	}

	// A NACK that comes after the next keyframe is still answered, from the
	// tail of the previous GOP kept for that.
	for cam.frame%cam.gop != 0 {
		cam.next()
	}
	cam.next()
	pool.idle()
	if n := feed.retransmit(v, nack); n != len(lost) {
		t.Fatalf("after the next keyframe, retransmitted %d packets of the previous GOP, want %d", n, len(lost))
	}

	// After one more keyframe the old GOP is gone.
	for cam.frame%cam.gop != 0 {
		cam.next()
	}
	cam.next()
	pool.idle()
	if n := feed.retransmit(v, nack); n != 0 {
		t.Fatalf("retransmitted %d packets of a GOP no longer cached", n)
	}
}

// TestGOPTailKeptForRetransmission checks which frames of the previous GOP
// the cache can still give after a keyframe: the newest, up to tailBytes,
// byte for byte, and none after one more keyframe.
func TestGOPTailKeptForRetransmission(t *testing.T) {
	const p = 3000 // a P-frame's size
	tests := []struct {
		name      string
		gop       []int // sizes of the previous GOP's frames, the keyframe first
		keyframes int   // keyframes since
		maxBytes  int
		kept      [2]int // frames kept: [from, to)
	}{
		{name: "small GOP kept whole", gop: sizes(20000, p, 9), keyframes: 1, kept: [2]int{0, 10}},
		{name: "large GOP: its newest frames", gop: sizes(20000, p, 250), keyframes: 1, kept: [2]int{251 - tailBytes/p, 251}},
		{name: "gone after one more keyframe", gop: sizes(20000, p, 9), keyframes: 2},
		{name: "newest frame larger than the tail", gop: sizes(20000, tailBytes+1, 1), keyframes: 1},
		{name: "cache over its bound keeps no tail", gop: sizes(20000, p, 9), keyframes: 1, maxBytes: 30000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &gopCache{maxBytes: 16 << 20, maxTicks: 1 << 40}
			if tt.maxBytes > 0 {
				c.maxBytes = tt.maxBytes
			}
			var pts int64
			add := func(i, size int, key bool) {
				c.add(pts, testFrame(i, size, key), key)
				pts += 3600
			}
			for i, size := range tt.gop {
				add(i, size, i == 0)
			}
			gen := c.gen
			for k := range tt.keyframes {
				add(1000+k, 20000, true)
				add(2000+k, p, false)
			}
			var dst [][]byte
			for i := range tt.gop {
				au, ok := c.sent(gen, int32(i), dst)
				dst = au
				want := i >= tt.kept[0] && i < tt.kept[1]
				if ok != want {
					t.Fatalf("frame %d of %d given: %v, want %v", i, len(tt.gop), ok, want)
				}
				if ok && !bytes.Equal(bytes.Join(au, nil), bytes.Join(testFrame(i, tt.gop[i], i == 0), nil)) {
					t.Fatalf("frame %d given differs from the one cached", i)
				}
			}
			if au, ok := c.sent(c.gen, 1, dst); !ok || !bytes.Equal(bytes.Join(au, nil), bytes.Join(testFrame(2000+tt.keyframes-1, p, false), nil)) {
				t.Fatalf("the current GOP's frame 1 not given as cached (given: %v)", ok)
			}
		})
	}
}

// sizes is a keyframe's size then n frames of size each.
func sizes(key, each, n int) []int {
	out := []int{key}
	for range n {
		out = append(out, each)
	}
	return out
}

// testFrame is an access unit of frame i, size bytes of NAL units whose
// content names i.
func testFrame(i, size int, key bool) [][]byte {
	body := bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(i * 7)}, size/3+1)[:size]
	body[0] = 0x41
	if key {
		body[0] = 0x65
		return [][]byte{{0x67, 0x42, 0xe0, 0x1f}, {0x68, 0xce}, body}
	}
	return [][]byte{body}
}

// TestFeedTracksLeftToFeedRetransmission checks that pion keeps no copy of
// camera packets: the responder filter refuses feed SSRCs.
func TestFeedTracksLeftToFeedRetransmission(t *testing.T) {
	var ssrcs feedSSRCs
	local, err := newBindSignal(h264Codec, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	local.ssrcs = &ssrcs
	ctx := boundContext{ssrc: 4242, writer: &countingWriter{}, codec: h264Codec}
	if _, err := local.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	if !ssrcs.has(4242) {
		t.Fatal("bound feed track's SSRC not recorded")
	}
	if err := local.Unbind(ctx); err != nil {
		t.Fatal(err)
	}
	if ssrcs.has(4242) {
		t.Fatal("SSRC kept after unbind")
	}
}
