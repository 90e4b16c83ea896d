package sfu

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countingSink counts what it gets; with hold set, WriteRTP waits on it.
type countingSink struct {
	mu      sync.Mutex
	track   PublishedTrack
	packets int
	closed  bool
	hold    chan struct{}
}

func (s *countingSink) WriteRTP(p *rtp.Packet) {
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p.Payload) > 0 {
		s.packets++
	}
}

func (s *countingSink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

func (s *countingSink) state() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.packets, s.closed
}

// tapSFU is an SFU whose hook records the tracks of room "rec" only.
func tapSFU(t *testing.T, hold chan struct{}) (*SFU, chan *countingSink) {
	t.Helper()
	sinks := make(chan *countingSink, 4)
	s, err := New(Config{IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4},
		OnPublishedTrack: func(tr PublishedTrack) RTPSink {
			if tr.Room != "rec" {
				return nil
			}
			k := &countingSink{track: tr, hold: hold}
			sinks <- k
			return k
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, sinks
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTapGetsPublishedPackets(t *testing.T) {
	tests := []struct {
		room   string
		record bool
	}{{"rec", true}, {"other", false}}
	for _, tt := range tests {
		t.Run(tt.room, func(t *testing.T) {
			s, sinks := tapSFU(t, nil)
			video := newRTPSource(t, webrtc.MimeTypeVP8, "a-video", "a")
			a := joinClient(t, s, tt.room, "alice", video.track)
			b := joinClient(t, s, tt.room, "bob")
			b.answerOffer(10 * time.Second)
			readIntact(t, nextTrack(t, b), 50)
			if !tt.record {
				if len(sinks) != 0 {
					t.Fatal("a room the hook refuses got a sink")
				}
				if a.peer.upTracks()[0].tap != nil {
					t.Fatal("a track without sink has a tap")
				}
				return
			}
			k := <-sinks
			if k.track.Participant != "alice" || k.track.Source != SourceCamera || k.track.Codec.MimeType != webrtc.MimeTypeVP8 {
				t.Fatalf("hook got %+v", k.track)
			}
			waitFor(t, "50 packets in the sink", func() bool { n, _ := k.state(); return n >= 50 })
			a.peer.Close()
			if _, closed := k.state(); !closed {
				t.Fatal("sink not closed once the peer closed")
			}
		})
	}
}

// A sink that blocks never holds forwarding back: packets are dropped and
// counted instead.
func TestTapNeverBlocksForwarding(t *testing.T) {
	hold := make(chan struct{})
	s, sinks := tapSFU(t, hold)
	video := newRTPSource(t, webrtc.MimeTypeVP8, "a-video", "a")
	a := joinClient(t, s, "rec", "alice", video.track)
	b := joinClient(t, s, "rec", "bob")
	b.answerOffer(10 * time.Second)
	tr := nextTrack(t, b)
	<-sinks
	// At 200 packets/s the tap's slots fill in about 2.5 s.
	readIntact(t, tr, tapSlots+300)
	up := a.peer.upTracks()[0]
	if up.tap.dropped.Load() == 0 {
		t.Fatal("a blocked sink dropped nothing")
	}
	close(hold)
	a.peer.Close()
}

type nopSink struct{}

func (nopSink) WriteRTP(*rtp.Packet) {}
func (nopSink) Close()               {}

// Offering a packet to the tap allocates nothing, full queue or not.
func TestTapOfferAllocatesNothing(t *testing.T) {
	tests := []struct {
		name string
		sink RTPSink
	}{
		{"draining", nopSink{}},
		{"full", &countingSink{hold: make(chan struct{})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := startTap(tt.sink, slog.New(slog.DiscardHandler))
			b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1}, Payload: payloadFor(1)}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(2000, func() { tp.offer(b) }); n != 0 {
				t.Fatalf("%.1f allocations per packet", n)
			}
			if k, ok := tt.sink.(*countingSink); ok {
				if tp.dropped.Load() == 0 {
					t.Fatal("a full tap dropped nothing")
				}
				close(k.hold)
			}
			tp.close()
		})
	}
}

// BenchmarkTapOffer is the cost a recorded track adds to forwarding one
// 1200-byte packet: the copy into a free buffer and the queueing (the
// benchmark frees the buffer again itself, as the tap's goroutine does).
func BenchmarkTapOffer(b *testing.B) {
	tp := newTapQueue(nopSink{}, slog.New(slog.DiscardHandler))
	pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1}, Payload: make([]byte, 1200)}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tp.offer(pkt)
		tp.free <- (<-tp.full).idx
	}
	if tp.dropped.Load() != 0 {
		b.Fatal("packets dropped")
	}
}
