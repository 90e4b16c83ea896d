package bench

import (
	"testing"

	"github.com/pion/rtp"
)

// pkt is one RTP packet of a test sequence.
func pkt(seq uint16, ts uint32, marker bool, payload ...byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload}
}

func TestKeyframeDetector(t *testing.T) {
	tests := []struct {
		name    string
		codec   videoCodec
		packets []*rtp.Packet
		want    int // index of the packet completing the first keyframe; -1: none
	}{
		{"single IDR", codecH264, []*rtp.Packet{
			pkt(1, 90, true, 0x65, 0x88, 0x84),
		}, 0},
		{"SPS PPS IDR as single NAL packets", codecH264, []*rtp.Packet{
			pkt(1, 90, false, 0x67, 0x42, 0xe0, 0x1f),
			pkt(2, 90, false, 0x68, 0xce),
			pkt(3, 90, true, 0x65, 0x88, 0x84),
		}, 2},
		{"FU-A IDR across packets", codecH264, []*rtp.Packet{
			pkt(7, 90, false, 0x7c, 0x85, 1, 2),
			pkt(8, 90, false, 0x7c, 0x05, 3, 4),
			pkt(9, 90, true, 0x7c, 0x45, 5, 6),
		}, 2},
		{"STAP-A with SPS PPS IDR", codecH264, []*rtp.Packet{
			pkt(1, 90, true, 0x78, 0, 4, 0x67, 0x42, 0xe0, 0x1f, 0, 2, 0x68, 0xce, 0, 3, 0x65, 0x88, 0x84),
		}, 0},
		{"STAP-A parameter sets then FU-A IDR", codecH264, []*rtp.Packet{
			pkt(1, 90, false, 0x78, 0, 4, 0x67, 0x42, 0xe0, 0x1f, 0, 2, 0x68, 0xce),
			pkt(2, 90, false, 0x7c, 0x85, 1),
			pkt(3, 90, true, 0x7c, 0x45, 2),
		}, 2},
		{"gap in the middle, then a whole keyframe", codecH264, []*rtp.Packet{
			pkt(10, 90, false, 0x7c, 0x85, 1),
			pkt(12, 90, true, 0x7c, 0x45, 3), // 11 lost
			pkt(13, 3690, true, 0x41, 0x9a),
			pkt(14, 7290, false, 0x67, 0x42),
			pkt(15, 7290, true, 0x65, 0x88),
		}, 4},
		{"first packet of the access unit lost", codecH264, []*rtp.Packet{
			pkt(3, 0, true, 0x41, 0x9a),
			pkt(5, 90, false, 0x68, 0xce), // SPS at 4 lost
			pkt(6, 90, true, 0x65, 0x88),
		}, -1},
		{"marker lost", codecH264, []*rtp.Packet{
			pkt(1, 90, false, 0x7c, 0x85, 1),
			pkt(2, 90, false, 0x7c, 0x05, 2),
			pkt(4, 3690, true, 0x41, 0x9a), // 3, the end of the IDR, lost
		}, -1},
		{"joined in the middle of a fragmented IDR", codecH264, []*rtp.Packet{
			pkt(20, 90, false, 0x7c, 0x05, 2),
			pkt(21, 90, true, 0x7c, 0x45, 3),
			pkt(22, 3690, true, 0x65, 0x88),
		}, 2},
		{"sequence numbers wrap", codecH264, []*rtp.Packet{
			pkt(65535, 90, false, 0x7c, 0x85, 1),
			pkt(0, 90, true, 0x7c, 0x45, 2),
		}, 1},
		{"P-frames only", codecH264, []*rtp.Packet{
			pkt(1, 0, true, 0x41, 0x9a),
			pkt(2, 3600, false, 0x7c, 0x81, 1),
			pkt(3, 3600, true, 0x7c, 0x41, 2),
			pkt(4, 7200, true, 0x78, 0, 2, 0x06, 0x05, 0, 2, 0x41, 0x9a),
		}, -1},
		{"H.265 FU with IDR_W_RADL", codecH265, []*rtp.Packet{
			pkt(1, 90, false, 0x62, 0x01, 0x80|19, 1),
			pkt(2, 90, false, 0x62, 0x01, 19, 2),
			pkt(3, 90, true, 0x62, 0x01, 0x40|19, 3),
		}, 2},
		{"H.265 single CRA", codecH265, []*rtp.Packet{
			pkt(1, 90, true, 21<<1, 0x01, 0xaf),
		}, 0},
		{"H.265 AP with VPS SPS PPS IDR_N_LP", codecH265, []*rtp.Packet{
			pkt(1, 90, true, 48<<1, 0x01,
				0, 3, 32<<1, 0x01, 0x0c,
				0, 3, 33<<1, 0x01, 0x01,
				0, 3, 34<<1, 0x01, 0xc1,
				0, 3, 20<<1, 0x01, 0xaf),
		}, 0},
		{"H.265 trailing pictures only", codecH265, []*rtp.Packet{
			pkt(1, 0, true, 1<<1, 0x01, 0xd0),
			pkt(2, 3600, false, 0x62, 0x01, 0x80|1, 1),
			pkt(3, 3600, true, 0x62, 0x01, 0x40|1, 2),
		}, -1},
		{"H.265 FU with a gap", codecH265, []*rtp.Packet{
			pkt(1, 90, false, 0x62, 0x01, 0x80|19, 1),
			pkt(3, 90, true, 0x62, 0x01, 0x40|19, 3),
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := keyframeDetector{codec: tt.codec}
			got := -1
			for i, p := range tt.packets {
				if d.push(p) {
					got = i
					break
				}
			}
			if got != tt.want {
				t.Fatalf("keyframe completed at packet %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCodecOf(t *testing.T) {
	for mime, want := range map[string]string{"video/H264": "H264", "video/h265": "H265", "video/VP8": ""} {
		_, name, err := codecOf(mime)
		if name != want || (err == nil) != (want != "") {
			t.Errorf("%s: %q, %v; want %q", mime, name, err, want)
		}
	}
}

// BenchmarkKeyframeDetector reads a P-frame access unit of three FU-A
// packets: the detector allocates nothing.
func BenchmarkKeyframeDetector(b *testing.B) {
	body := make([]byte, 1200)
	p := pkt(0, 0, false, body...)
	d := keyframeDetector{codec: codecH264}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.SequenceNumber = uint16(i)
		p.Timestamp = uint32(i/3) * 3600
		p.Marker = i%3 == 2
		p.Payload[0], p.Payload[1] = 0x7c, [3]byte{0x81, 0x01, 0x41}[i%3]
		if d.push(p) {
			b.Fatal("P-frame taken for a keyframe")
		}
	}
}
