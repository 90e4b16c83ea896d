package camsim

import (
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// TestClips checks what the embedded clips promise, without a network:
// track layout, loop length, keyframe spacing, parameter sets in band before
// every keyframe, and presentation order.
func TestClips(t *testing.T) {
	tests := []struct {
		path      string
		codecs    []string
		gop       time.Duration
		reordered bool // B-frames: presentation order differs from decode order
	}{
		{path: "/main", codecs: []string{"H264"}, gop: 4 * time.Second},
		{path: "/sub", codecs: []string{"H264"}, gop: 4 * time.Second},
		{path: "/h265", codecs: []string{"H265"}, gop: 4 * time.Second},
		{path: "/bframes", codecs: []string{"H264"}, gop: 2 * time.Second, reordered: true},
		{path: "/aac", codecs: []string{"H264", "MPEG-4 Audio"}, gop: 4 * time.Second},
		{path: "/g711", codecs: []string{"H264", "G711"}, gop: 4 * time.Second},
		{path: "/bench2m", codecs: []string{"H264"}, gop: 4 * time.Second},
	}
	sources := map[string]clipSource{}
	for _, src := range catalogue() {
		sources[src.path] = src
	}
	for _, tt := range tests {
		t.Run(tt.path[1:], func(t *testing.T) {
			c, err := loadClip(sources[tt.path])
			if err != nil {
				t.Fatal(err)
			}
			if got := trackCodecs(c); !equalStrings(got, tt.codecs) {
				t.Fatalf("tracks = %v, want %v", got, tt.codecs)
			}
			if c.length != 8*time.Second {
				t.Errorf("loop length = %v, want 8s", c.length)
			}
			checkSendOrder(t, c)
			checkKeyframes(t, c, tt.gop)
			if got := hasReorder(c); got != tt.reordered {
				t.Errorf("presentation out of decode order = %v, want %v", got, tt.reordered)
			}
		})
	}
}

func trackCodecs(c *clip) []string {
	var out []string
	for _, tr := range c.tracks {
		out = append(out, tr.media.Formats[0].Codec())
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSendOrder: frames are sorted by send time and fit in one loop, and
// each audio track covers the loop without gaps.
func checkSendOrder(t *testing.T, c *clip) {
	t.Helper()
	var prev time.Duration
	covered := make([]time.Duration, len(c.tracks))
	for _, f := range c.frames {
		if f.at < prev || f.at >= c.length {
			t.Fatalf("frame sent at %v after %v (loop %v)", f.at, prev, c.length)
		}
		prev = f.at
		covered[f.track] = f.at
	}
	for i, tr := range c.tracks[1:] {
		if end := covered[i+1]; c.length-end > 50*time.Millisecond {
			t.Errorf("%s audio ends at %v of %v", tr.media.Formats[0].Codec(), end, c.length)
		}
	}
}

// checkKeyframes decodes the video track and checks keyframes come every
// gop, each with its parameter sets in band, the first at time zero.
func checkKeyframes(t *testing.T, c *clip, gop time.Duration) {
	t.Helper()
	decode := videoDecoder(t, c.tracks[0].media.Formats[0])
	var keyframes []time.Duration
	for _, f := range c.frames {
		if f.track != 0 {
			continue
		}
		au := decodeAll(t, decode, f.packets)
		isH265 := c.tracks[0].media.Formats[0].Codec() == "H265"
		if !isRandomAccess(au, isH265) {
			continue
		}
		if findParamSets(au, isH265) == nil {
			t.Errorf("keyframe at %v lacks in-band parameter sets", f.pts)
		}
		keyframes = append(keyframes, f.at)
	}
	want := int(c.length / gop)
	if len(keyframes) != want {
		t.Fatalf("keyframes at %v, want %d of them", keyframes, want)
	}
	for i, at := range keyframes {
		if at != time.Duration(i)*gop {
			t.Errorf("keyframe %d sent at %v, want %v", i, at, time.Duration(i)*gop)
		}
	}
}

func videoDecoder(t *testing.T, forma format.Format) func(*rtp.Packet) ([][]byte, error) {
	t.Helper()
	switch f := forma.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		return d.Decode
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		return d.Decode
	}
	t.Fatalf("not a video format: %s", forma.Codec())
	return nil
}

// decodeAll reassembles one access unit from all its packets.
func decodeAll(t *testing.T, decode func(*rtp.Packet) ([][]byte, error), pkts []*rtp.Packet) [][]byte {
	t.Helper()
	for i, pkt := range pkts {
		au, err := decode(pkt)
		if i < len(pkts)-1 {
			continue
		}
		if err != nil {
			t.Fatalf("decode access unit: %v", err)
		}
		return au
	}
	return nil
}

func isRandomAccess(au [][]byte, isH265 bool) bool {
	if isH265 {
		return h265.IsRandomAccess(au)
	}
	return h264.IsRandomAccess(au)
}

func hasReorder(c *clip) bool {
	var prev uint32
	for i, f := range c.frames {
		if f.track != 0 {
			continue
		}
		if i > 0 && f.ts < prev {
			return true
		}
		prev = f.ts
	}
	return false
}
