package bench

import (
	"testing"

	"github.com/pion/rtp"
)

// synthPacket is one synthetic packet of a 25 fps H.264 stream: frame f (timestamp
// f*3600), sequence number seq, marker on a frame's last packet; mid marks
// a FU-A fragment that is not the first of its NAL unit.
type synthPacket struct {
	seq    uint16
	frame  uint32
	marker bool
	mid    bool
}

func (p synthPacket) bytes(t *testing.T) []byte {
	t.Helper()
	payload := []byte{0x7C, 0x85, 0, 0} // FU-A, start of an IDR slice
	if p.mid {
		payload[1] = 0x05
	}
	b, err := (&rtp.Packet{Header: rtp.Header{
		Version: 2, PayloadType: 96, SequenceNumber: p.seq, Timestamp: p.frame * 3600, Marker: p.marker, SSRC: 1,
	}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// frames builds n frames of per packets each, from sequence number seq0 and
// frame f0, in order.
func synthFrames(seq0 uint16, f0 uint32, n, per int) []synthPacket {
	var out []synthPacket
	seq := seq0
	for f := range n {
		for i := range per {
			out = append(out, synthPacket{seq: seq, frame: f0 + uint32(f), marker: i == per-1, mid: i > 0})
			seq++
		}
	}
	return out
}

// without returns ps less the packets with these sequence numbers.
func without(ps []synthPacket, seqs ...uint16) []synthPacket {
	var out []synthPacket
next:
	for _, p := range ps {
		for _, s := range seqs {
			if p.seq == s {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

func TestVideoStats(t *testing.T) {
	base := synthFrames(100, 0, 4, 3) // seq 100..111, frames 0..3
	late := append(without(base, 104), base[4])
	dup := append(append([]synthPacket{}, base...), base[5])
	// A whole frame (1, seq 103..105) never arrived: lost in transit.
	frameLost := without(base, 103, 104, 105)
	// The sender skipped frame 1 altogether: no sequence gap, a timestamp jump.
	skipped := append(synthFrames(100, 0, 1, 3), synthFrames(103, 2, 2, 3)...)
	tooLate := append(append(without(base, 101), synthFrames(112, 4, 100, 3)...), base[1])
	wrap := synthFrames(65530, 7, 4, 3)
	tests := []struct {
		name    string
		in      []synthPacket
		want    counterSnapshot
		resyncs uint64
		extra   int // packets read twice or too late
	}{
		{"clean", base, counterSnapshot{packets: 12, lost: 0, frames: 4, complete: 4}, 0, 0},
		{"one lost mid-frame", without(base, 104), counterSnapshot{packets: 11, lost: 1, frames: 4, complete: 3}, 0, 0},
		{"lost then retransmitted out of order", late, counterSnapshot{packets: 12, lost: 0, frames: 4, complete: 4}, 0, 0},
		{"duplicate", dup, counterSnapshot{packets: 13, lost: 0, frames: 4, complete: 4}, 0, 1},
		{"marker lost", without(base, 105), counterSnapshot{packets: 11, lost: 1, frames: 4, complete: 3}, 0, 0},
		{"first packet of a frame lost", without(base, 106), counterSnapshot{packets: 11, lost: 1, frames: 4, complete: 3}, 0, 0},
		{"whole frame lost in transit", frameLost, counterSnapshot{packets: 9, lost: 3, frames: 4, complete: 3}, 0, 0},
		{"frame skipped by the sender", skipped, counterSnapshot{packets: 9, lost: 0, frames: 4, complete: 3}, 0, 0},
		{"retransmission after the window", tooLate, counterSnapshot{packets: 312, lost: 1, frames: 104, complete: 103}, 0, 1},
		{"sequence wraps", wrap, counterSnapshot{packets: 12, lost: 0, frames: 4, complete: 4}, 0, 0},
		{"sender restarts", append(synthFrames(100, 0, 2, 3), synthFrames(30000, 500, 2, 3)...), counterSnapshot{packets: 12, lost: 0, frames: 4, complete: 4}, 1, 0},
		{"stream starts mid-NAL", without(base, 100), counterSnapshot{packets: 11, lost: 0, frames: 4, complete: 3}, 0, 0},
		{"last frame unfinished", base[:10], counterSnapshot{packets: 10, lost: 0, frames: 3, complete: 3}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVideoStats(3600, false)
			for _, p := range tt.in {
				b := p.bytes(t)
				h, ok := parseRTPHeader(b)
				if !ok {
					t.Fatalf("parse %+v", p)
				}
				v.push(h, len(b))
			}
			v.flush()
			got := v.counters.snapshot()
			if got.arrived != got.packets-uint64(tt.extra) {
				t.Errorf("arrived %d, want the %d packets less %d duplicate or late", got.arrived, got.packets, tt.extra)
			}
			got.bytes, got.arrived = 0, 0
			if got != tt.want {
				t.Errorf("counters %+v, want %+v", got, tt.want)
			}
			if r := v.counters.resyncs.Load(); r != tt.resyncs {
				t.Errorf("resyncs %d, want %d", r, tt.resyncs)
			}
		})
	}
}

// TestVideoStatsJudgesLate: nothing is counted lost while it can still
// be retransmitted.
func TestVideoStatsJudgesLate(t *testing.T) {
	v := newVideoStats(3600, false)
	for _, p := range without(synthFrames(0, 0, 10, 10), 5) {
		b := p.bytes(t)
		h, _ := parseRTPHeader(b)
		v.push(h, len(b))
	}
	if lost := v.counters.lost.Load(); lost != 0 {
		t.Fatalf("lost %d within the recovery window", lost)
	}
	for _, p := range synthFrames(100, 10, 30, 10) {
		b := p.bytes(t)
		h, _ := parseRTPHeader(b)
		v.push(h, len(b))
	}
	if lost := v.counters.lost.Load(); lost != 1 {
		t.Fatalf("lost %d after the recovery window, want 1", lost)
	}
}

func TestParseRTPHeader(t *testing.T) {
	withExt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 7, Timestamp: 9, Marker: true, CSRC: []uint32{1, 2}}, Payload: []byte{1, 2, 3}}
	if err := withExt.SetExtension(1, []byte{0xAA, 0xBB}); err != nil {
		t.Fatal(err)
	}
	full, err := withExt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		b       []byte
		ok      bool
		payload int
	}{
		{"CSRCs and extension", full, true, 3},
		{"short", full[:11], false, 0},
		{"extension cut", full[:22], false, 0},
		{"not version 2", append([]byte{0x40}, full[1:]...), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := parseRTPHeader(tt.b)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && (h.seq != 7 || h.ts != 9 || !h.marker || len(h.payload) != tt.payload) {
				t.Errorf("header %+v", h)
			}
		})
	}
}

// TestVideoStatsNoAllocation: reading a packet's header and counting it
// allocates nothing, so hundreds of viewers cost the bench no garbage.
func TestVideoStatsNoAllocation(t *testing.T) {
	pkts := synthFrames(0, 0, 200, 10)
	raw := make([][]byte, len(pkts))
	for i, p := range pkts {
		raw[i] = p.bytes(t)
	}
	v := newVideoStats(3600, false)
	i := 0
	allocs := testing.AllocsPerRun(5000, func() {
		b := raw[i%len(raw)]
		i++
		if h, ok := parseRTPHeader(b); ok {
			v.push(h, len(b))
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per packet", allocs)
	}
}

func BenchmarkVideoStatsPush(b *testing.B) {
	pkts := synthFrames(0, 0, 1000, 10)
	raw := make([][]byte, len(pkts))
	for i, p := range pkts {
		buf, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: p.seq, Timestamp: p.frame * 3600, Marker: p.marker}, Payload: []byte{0x7C, 0x05, 0, 0}}).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		raw[i] = buf
	}
	v := newVideoStats(3600, false)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf := raw[i%len(raw)]
		i++
		h, _ := parseRTPHeader(buf)
		v.push(h, len(buf))
	}
}
