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

	// After the next keyframe the old GOP is gone from the cache.
	for cam.frame%cam.gop != 0 {
		cam.next()
	}
	cam.next()
	pool.idle()
	if n := feed.retransmit(v, nack); n != 0 {
		t.Fatalf("retransmitted %d packets of a GOP no longer cached", n)
	}
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
