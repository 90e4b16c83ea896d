package sfu

import (
	"fmt"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// boundContext binds a local track the way a negotiated sender does, with
// a writer that only counts: the benchmark measures the SFU's forwarding
// and pion's track write, not SRTP or the socket.
type boundContext struct {
	ssrc   webrtc.SSRC
	writer *countingWriter
	codec  webrtc.RTPCodecCapability // VP8 when empty
}

func (c boundContext) CodecParameters() []webrtc.RTPCodecParameters {
	codec := c.codec
	if codec.MimeType == "" {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	}
	return []webrtc.RTPCodecParameters{{PayloadType: 96, RTPCodecCapability: codec}}
}
func (c boundContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c boundContext) SSRC() webrtc.SSRC                                      { return c.ssrc }
func (c boundContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c boundContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c boundContext) WriteStream() webrtc.TrackLocalWriter                   { return c.writer }
func (c boundContext) ID() string                                             { return fmt.Sprint(c.ssrc) }
func (c boundContext) RTCPReader() interceptor.RTCPReader                     { return nil }

type countingWriter struct{ packets, bytes int }

func (w *countingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets++
	w.bytes += len(payload)
	return len(payload), nil
}

func (w *countingWriter) Write(b []byte) (int, error) { return len(b), nil }

// boundDownTracks makes n down tracks bound to counting writers.
func boundDownTracks(tb testing.TB, n int) ([]*DownTrack, []*countingWriter) {
	tb.Helper()
	downs := make([]*DownTrack, n)
	writers := make([]*countingWriter, n)
	for i := range downs {
		local, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "v", "s")
		if err != nil {
			tb.Fatal(err)
		}
		writers[i] = &countingWriter{}
		if _, err := local.Bind(boundContext{ssrc: webrtc.SSRC(1000 + i), writer: writers[i]}); err != nil {
			tb.Fatal(err)
		}
		downs[i] = &DownTrack{local: local}
	}
	return downs, writers
}

// browserPacket is a 1,100-byte video packet with the header extensions a
// browser sends (transport-cc, abs-send-time).
func browserPacket(tb testing.TB) []byte {
	tb.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 90000, SSRC: 42}, Payload: make([]byte, 1100)}
	if err := p.SetExtension(3, []byte{0x01, 0x02}); err != nil {
		tb.Fatal(err)
	}
	if err := p.SetExtension(2, []byte{0x10, 0x20, 0x30}); err != nil {
		tb.Fatal(err)
	}
	b, err := p.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestForwardReachesEverySubscriberWithoutExtensions(t *testing.T) {
	downs, writers := boundDownTracks(t, 3)
	var f forwarder
	f.forward(browserPacket(t), &downs)
	for i, w := range writers {
		if w.packets != 1 || w.bytes != 1100 {
			t.Fatalf("subscriber %d got %d packets, %d bytes", i, w.packets, w.bytes)
		}
	}
	if f.pkt.Extension || len(f.pkt.Extensions) != 0 {
		t.Fatal("publisher's header extensions forwarded")
	}
	padding := rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PaddingSize: 4}, Payload: nil, PaddingSize: 4}
	b, _ := padding.Marshal()
	f.forward(b, &downs)
	if writers[0].packets != 1 {
		t.Fatal("padding-only probe forwarded")
	}
}

// BenchmarkForward measures one packet fanned out to n subscribers. Read
// ns/op divided by n as the cost per packet per subscriber; allocs/op must
// stay 0.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			downs, _ := boundDownTracks(b, n)
			pkt := browserPacket(b)
			var f forwarder
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			b.ResetTimer()
			for b.Loop() {
				f.forward(pkt, &downs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/packet/subscriber")
		})
	}
}
