package ingest

import (
	"bytes"
	"testing"
)

func TestNALUKind(t *testing.T) {
	cases := []struct {
		codec videoCodec
		nalu  []byte
		want  naluKind
	}{
		{codecH264, nil, kindOther},
		{codecH264, []byte{0x67}, kindSPS},
		{codecH264, []byte{0x68}, kindPPS},
		{codecH264, []byte{0x65}, kindKey},
		{codecH264, []byte{0x41}, kindSlice},
		{codecH264, []byte{0x01}, kindSlice},
		{codecH264, []byte{0x09}, kindAUD},
		{codecH264, []byte{0x06}, kindOther}, // SEI
		{codecH265, []byte{0x40, 0x01}, kindVPS},
		{codecH265, []byte{0x42, 0x01}, kindSPS},
		{codecH265, []byte{0x44, 0x01}, kindPPS},
		{codecH265, []byte{0x46, 0x01}, kindAUD},
		{codecH265, []byte{0x26, 0x01}, kindKey},   // IDR_W_RADL
		{codecH265, []byte{0x28, 0x01}, kindKey},   // IDR_N_LP
		{codecH265, []byte{0x2a, 0x01}, kindKey},   // CRA
		{codecH265, []byte{0x20, 0x01}, kindKey},   // BLA_W_LP
		{codecH265, []byte{0x02, 0x01}, kindSlice}, // TRAIL_R
		{codecH265, []byte{0x4e, 0x01}, kindOther}, // prefix SEI
	}
	for _, tc := range cases {
		if got := tc.codec.kind(tc.nalu); got != tc.want {
			t.Errorf("%v kind(% x) = %d, want %d", tc.codec, tc.nalu, got, tc.want)
		}
	}
}

var (
	idr264   = []byte{0x65, 0x88, 0x80}
	slice264 = []byte{0x41, 0x9a, 0x02}
	aud264   = []byte{0x09, 0xf0}
	sei264   = []byte{0x06, 0x05, 0x01}
	newSPS   = []byte{0x67, 0x64, 0x00, 0x28}
	idr265   = []byte{0x26, 0x01, 0xaf}
)

func TestShapeKeyframes(t *testing.T) {
	cases := []struct {
		name     string
		codec    videoCodec
		sdp      [3][]byte // VPS, SPS, PPS from the SDP
		au       [][]byte
		want     [][]byte
		keyframe bool
	}{
		{
			name: "parameter sets already first", codec: codecH264,
			au:   [][]byte{testSPS264, testPPS264, idr264},
			want: [][]byte{testSPS264, testPPS264, idr264}, keyframe: true,
		},
		{
			name: "parameter sets from the SDP put in front", codec: codecH264,
			sdp:  [3][]byte{nil, testSPS264, testPPS264},
			au:   [][]byte{idr264},
			want: [][]byte{testSPS264, testPPS264, idr264}, keyframe: true,
		},
		{
			name: "delimiter and SEI before in-band sets", codec: codecH264,
			au:   [][]byte{aud264, sei264, testSPS264, testPPS264, idr264},
			want: [][]byte{testSPS264, testPPS264, sei264, idr264}, keyframe: true,
		},
		{
			name: "in-band SPS replaces the SDP's", codec: codecH264,
			sdp:  [3][]byte{nil, testSPS264, testPPS264},
			au:   [][]byte{newSPS, idr264},
			want: [][]byte{newSPS, testPPS264, idr264}, keyframe: true,
		},
		{
			name: "no parameter sets known: not a usable keyframe", codec: codecH264,
			au:   [][]byte{idr264},
			want: [][]byte{idr264},
		},
		{
			name: "ordinary frame untouched", codec: codecH264,
			sdp:  [3][]byte{nil, testSPS264, testPPS264},
			au:   [][]byte{slice264},
			want: [][]byte{slice264},
		},
		{
			name: "empty NAL units dropped", codec: codecH264,
			sdp:  [3][]byte{nil, testSPS264, testPPS264},
			au:   [][]byte{{}, slice264, {}},
			want: [][]byte{slice264},
		},
		{
			name: "H265 VPS SPS PPS put in front", codec: codecH265,
			sdp:  [3][]byte{testVPS265, testSPS265, testPPS265},
			au:   [][]byte{testPPS265, idr265},
			want: [][]byte{testVPS265, testSPS265, testPPS265, idr265}, keyframe: true,
		},
		{
			name: "H265 without VPS: not a usable keyframe", codec: codecH265,
			sdp:  [3][]byte{nil, testSPS265, testPPS265},
			au:   [][]byte{idr265},
			want: [][]byte{idr265},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAUShaper(tc.codec, tc.sdp[0], tc.sdp[1], tc.sdp[2])
			got, key := s.shape(tc.au, s.inspect(tc.au))
			if key != tc.keyframe {
				t.Errorf("keyframe = %v, want %v", key, tc.keyframe)
			}
			if !equalAU(got, tc.want) {
				t.Errorf("got % x\nwant % x", got, tc.want)
			}
		})
	}
}

// TestShapeRemembersInBandSets: parameter sets seen once serve the following keyframes,
// even though the decoder reuses the buffers they came in.
func TestShapeRemembersInBandSets(t *testing.T) {
	s := newAUShaper(codecH264, nil, nil, nil)
	first := [][]byte{bytes.Clone(testSPS264), bytes.Clone(testPPS264), idr264}
	if _, key := s.shape(first, s.inspect(first)); !key {
		t.Fatal("first keyframe not usable")
	}
	first[0][1] ^= 0xff
	first[1][1] ^= 0xff
	next := [][]byte{idr264}
	got, key := s.shape(next, s.inspect(next))
	want := [][]byte{testSPS264, testPPS264, idr264}
	if !key || !equalAU(got, want) {
		t.Fatalf("got % x (keyframe %v), want % x", got, key, want)
	}
}

func TestInspectReportsSPSChange(t *testing.T) {
	s := newAUShaper(codecH264, nil, testSPS264, testPPS264)
	if info := s.inspect([][]byte{testSPS264, idr264}); info.spsChanged {
		t.Error("same SPS reported as changed")
	}
	if info := s.inspect([][]byte{newSPS, idr264}); !info.spsChanged || !info.key || !info.coded {
		t.Errorf("new SPS: %+v", info)
	}
}

func equalAU(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
