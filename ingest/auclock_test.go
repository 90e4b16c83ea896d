package ingest

import (
	"errors"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"
)

// taggedAU returns access unit number i: its last NAL unit carries i in its third byte.
func taggedAU(codec videoCodec, i int) [][]byte {
	size := 200
	if i%3 == 1 {
		size = 3000 // fragmented
	}
	if codec == codecH265 {
		if i%5 == 0 {
			return [][]byte{testVPS265, testSPS265, testPPS265, tagged([]byte{0x26, 0x01}, size, i)}
		}
		return [][]byte{tagged([]byte{0x02, 0x01}, 1500, i+100), tagged([]byte{0x02, 0x01}, size, i)}
	}
	if i%5 == 0 {
		return [][]byte{testSPS264, testPPS264, tagged([]byte{0x65, 0x88}, size, i)}
	}
	return [][]byte{tagged([]byte{0x41, 0x9a}, 1500, i+100), tagged([]byte{0x41, 0x9a}, size, i)}
}

func tagged(header []byte, size, i int) []byte {
	b := slice(header, size)
	b[2] = byte(i)
	return b
}

func encoderFor(t *testing.T, codec videoCodec) func([][]byte) ([]*rtp.Packet, error) {
	if codec == codecH265 {
		enc, err := (&format.H265{PayloadTyp: 96}).CreateEncoder()
		if err != nil {
			t.Fatal(err)
		}
		return enc.Encode
	}
	enc, err := (&format.H264{PayloadTyp: 96, PacketizationMode: 1}).CreateEncoder()
	if err != nil {
		t.Fatal(err)
	}
	return enc.Encode
}

func decoderFor(t *testing.T, codec videoCodec) (auDecoder, error) {
	if codec == codecH265 {
		d, err := (&format.H265{PayloadTyp: 96}).CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		return d, rtph265.ErrMorePacketsNeeded
	}
	d, err := (&format.H264{PayloadTyp: 96, PacketizationMode: 1}).CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	return d, rtph264.ErrMorePacketsNeeded
}

// TestAUClock checks that every access unit the decoder returns gets its own RTP timestamp,
// whether it ended on a marker bit or on the next unit's first packet. (gortsplib's H.265
// decoder needs marker bits: without them it returns nothing.)
func TestAUClock(t *testing.T) {
	cases := []struct {
		name     string
		codec    videoCodec
		noMarker bool
		loseLast int // drop the last packet of every loseLast-th unit (0: none)
	}{
		{name: "H264 with markers", codec: codecH264},
		{name: "H264 without markers", codec: codecH264, noMarker: true},
		{name: "H264 last packets lost", codec: codecH264, loseLast: 4},
		{name: "H265 with markers", codec: codecH265},
		{name: "H265 last packets lost", codec: codecH265, loseLast: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			encode := encoderFor(t, tc.codec)
			dec, more := decoderFor(t, tc.codec)
			clock := auClock{codec: tc.codec}
			const units = 40
			base := uint32(1<<32 - 50000) // wraps during the test
			tsOf := func(i int) uint32 { return base + uint32(i)*3000 }
			got, lost := 0, 0
			for i := range units {
				pkts, err := encode(taggedAU(tc.codec, i))
				if err != nil {
					t.Fatal(err)
				}
				if tc.loseLast > 0 && i%tc.loseLast == 2 && i%5 != 0 && len(pkts) > 1 {
					pkts = pkts[:len(pkts)-1]
					lost++
				}
				for _, p := range pkts {
					p.Timestamp = tsOf(i)
					if tc.noMarker {
						p.Marker = false
					}
					au, err := dec.Decode(p)
					res := decodedAU
					switch {
					case errors.Is(err, more):
						res = decodedMore
					case err != nil:
						res = decodedErr
					}
					ts := clock.next(p.Timestamp, p.Payload, res)
					if res != decodedAU {
						continue
					}
					last := au[len(au)-1]
					tag := int(last[2])
					if tag >= 100 { // the unit lost its tagged last NAL unit
						tag -= 100
					}
					if ts != tsOf(tag) {
						t.Fatalf("unit %d came out with timestamp %d, want %d", tag, ts, tsOf(tag))
					}
					got++
				}
			}
			// H.264 splits a unit whose marker packet was lost on the next timestamp;
			// H.265 merges it into the next unit.
			want := units - 1
			if tc.codec == codecH265 {
				want -= lost
			}
			if got < want {
				t.Fatalf("%d units decoded, want at least %d", got, want)
			}
		})
	}
}

func TestCompletesNALU(t *testing.T) {
	cases := []struct {
		codec   videoCodec
		payload []byte
		want    bool
	}{
		{codecH264, nil, false},
		{codecH264, []byte{0x65, 0x01}, true},       // single NAL unit
		{codecH264, []byte{0x18, 0x00, 0x02}, true}, // STAP-A
		{codecH264, []byte{0x7c, 0x85}, false},      // FU-A start
		{codecH264, []byte{0x7c, 0x05}, false},      // FU-A middle
		{codecH264, []byte{0x7c, 0x45}, true},       // FU-A end
		{codecH264, []byte{0x7c}, false},            // truncated FU-A
		{codecH265, []byte{0x02}, false},            // truncated header
		{codecH265, []byte{0x26, 0x01, 0xaa}, true},
		{codecH265, []byte{0x60, 0x01, 0x00}, true},  // aggregation unit
		{codecH265, []byte{0x62, 0x01, 0x93}, false}, // FU start
		{codecH265, []byte{0x62, 0x01, 0x53}, true},  // FU end
		{codecH265, []byte{0x62, 0x01}, false},       // truncated FU
	}
	for _, tc := range cases {
		if got := tc.codec.completesNALU(tc.payload); got != tc.want {
			t.Errorf("%v completesNALU(% x) = %v, want %v", tc.codec, tc.payload, got, tc.want)
		}
	}
}

func TestPTSAt(t *testing.T) {
	cases := []struct {
		ts, ref uint32
		refPTS  int64
		want    int64
	}{
		{ts: 1000, ref: 4600, refPTS: 90000, want: 86400},
		{ts: 4294967000, ref: 304, refPTS: 9000, want: 8400}, // across the wrap
		{ts: 304, ref: 4294967000, refPTS: 9000, want: 9600},
	}
	for _, tc := range cases {
		if got := ptsAt(tc.ts, tc.ref, tc.refPTS); got != tc.want {
			t.Errorf("ptsAt(%d, %d, %d) = %d, want %d", tc.ts, tc.ref, tc.refPTS, got, tc.want)
		}
	}
}
