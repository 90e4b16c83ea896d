package sfu

import (
	"bytes"
	"testing"
)

// reassemble undoes packetizer output for one codec, as a receiver would.
func reassemble(t *testing.T, codec string, payloads [][]byte) [][]byte {
	t.Helper()
	var nalus [][]byte
	var cur []byte
	for _, p := range payloads {
		if len(p) > maxPayload {
			t.Fatalf("payload of %d bytes", len(p))
		}
		switch {
		case codec == codecH264 && p[0]&0x1F == 28:
			if p[1]&0x80 != 0 {
				cur = []byte{p[0]&0xE0 | p[1]&0x1F}
			}
			cur = append(cur, p[2:]...)
			if p[1]&0x40 != 0 {
				nalus = append(nalus, cur)
			}
		case codec == codecH265 && p[0]>>1&0x3F == 49:
			if p[2]&0x80 != 0 {
				cur = []byte{p[0]&0x81 | (p[2]&0x3F)<<1, p[1]}
			}
			cur = append(cur, p[3:]...)
			if p[2]&0x40 != 0 {
				nalus = append(nalus, cur)
			}
		default:
			nalus = append(nalus, append([]byte(nil), p...))
		}
	}
	return nalus
}

func TestPacketizerRoundTrip(t *testing.T) {
	big := func(header []byte, n int) []byte {
		b := append([]byte(nil), header...)
		for i := 0; len(b) < n; i++ {
			b = append(b, byte(i*7))
		}
		return b
	}
	tests := []struct {
		name  string
		codec string
		au    [][]byte
	}{
		{"h264 small", codecH264, [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 4, 5, 6}}},
		{"h264 idr 50 kB", codecH264, [][]byte{{0x67, 1, 2}, {0x68, 3}, big([]byte{0x65}, 50_000)}},
		{"h264 exactly one payload", codecH264, [][]byte{big([]byte{0x41}, maxPayload)}},
		{"h264 one byte over", codecH264, [][]byte{big([]byte{0x41}, maxPayload+1)}},
		{"h265 idr 40 kB", codecH265, [][]byte{{0x40, 1, 9}, {0x42, 1, 8}, {0x44, 1, 7}, big([]byte{0x26, 0x01}, 40_000)}},
		{"h265 p slice", codecH265, [][]byte{big([]byte{0x02, 0x01}, 3000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := packetizer{codec: tt.codec}
			var c collected
			z.each(tt.au, &c)
			payloads, markers := c.payloads, c.markers
			if markers != 1 {
				t.Fatalf("%d marker packets, want 1", markers)
			}
			got := reassemble(t, tt.codec, payloads)
			if len(got) != len(tt.au) {
				t.Fatalf("%d NAL units back, want %d", len(got), len(tt.au))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.au[i]) {
					t.Fatalf("NAL unit %d differs (len %d vs %d)", i, len(got[i]), len(tt.au[i]))
				}
			}
		})
	}
}

func BenchmarkPacketize720pKeyframe(b *testing.B) {
	idr := make([]byte, 60_000)
	idr[0] = 0x65
	au := [][]byte{{0x67, 1, 2, 3}, {0x68, 4}, idr}
	z := packetizer{codec: codecH264}
	b.ReportAllocs()
	for b.Loop() {
		z.each(au, discard{})
	}
}

type collected struct {
	payloads [][]byte
	markers  int
}

func (c *collected) payload(p []byte, last bool) {
	c.payloads = append(c.payloads, append([]byte(nil), p...))
	if last {
		c.markers++
	}
}

type discard struct{}

func (discard) payload([]byte, bool) {}
