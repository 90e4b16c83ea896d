package ingest

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

// checkingSink fails the fuzz run when what reaches the SFU breaks the VideoSink contract.
type checkingSink struct {
	t       *testing.T
	codec   videoCodec
	last    int64
	written bool
}

func (s *checkingSink) WriteVideo(pts int64, au [][]byte, keyframe bool) {
	if s.written && pts < s.last {
		s.t.Fatalf("PTS went back: %d after %d", pts, s.last)
	}
	s.last, s.written = pts, true
	if len(au) == 0 {
		s.t.Fatal("empty access unit")
	}
	for _, n := range au {
		if len(n) == 0 {
			s.t.Fatal("empty NAL unit")
		}
	}
	if keyframe {
		checkPrefix(s.t, s.codec, au)
	}
}

func checkPrefix(t *testing.T, codec videoCodec, au [][]byte) {
	want := []naluKind{kindSPS, kindPPS}
	if codec == codecH265 {
		want = []naluKind{kindVPS, kindSPS, kindPPS}
	}
	if len(au) <= len(want) {
		t.Fatalf("keyframe of %d NAL units", len(au))
	}
	for i, k := range want {
		if codec.kind(au[i]) != k {
			t.Fatalf("keyframe NAL unit %d is kind %d, want %d", i, codec.kind(au[i]), k)
		}
	}
	for _, n := range au {
		if codec.kind(n) == kindKey {
			return
		}
	}
	t.Fatal("keyframe without a key slice")
}

// FuzzAccessUnit feeds camera data to what ingest parses itself: NAL unit classification,
// parameter-set tracking and keyframe shaping on a raw access unit, then RTP payloads through
// a video track (gortsplib's depacketizer, access-unit timestamps, B-frame and clock-jump
// detection, timeline).
//
// Input: byte 0 picks the codec; then records of [flags][timestamp step][length][payload].
// flags bit 0: marker, bit 1: no PTS yet, bit 2: the session restarts before this packet.
func FuzzAccessUnit(f *testing.F) {
	f.Add(seedPackets(0, [][]byte{testSPS264, testPPS264, idr264, slice264}))
	f.Add(seedPackets(1, [][]byte{testVPS265, testSPS265, testPPS265, idr265, {0x02, 0x01, 0x10}}))
	f.Add(seedPackets(0, [][]byte{{0x78, 0x00, 0x03, 0x67, 0x42, 0xc0, 0x00, 0x02, 0x68, 0xcb}, {0x7c, 0x85, 1, 2}, {0x7c, 0x45, 3}}))
	f.Add(seedPackets(1, [][]byte{{0x60, 0x01, 0x00, 0x02, 0x40, 0x01}, {0x62, 0x01, 0x93, 1}, {0x62, 0x01, 0x53, 2}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		codec := codecH264
		if data[0]&1 == 1 {
			codec = codecH265
		}
		fuzzShaper(t, codec, data[1:])
		fuzzTrack(t, codec, data[1:])
	})
}

// seedPackets lays payloads out as fuzz records, one frame (3000 ticks) apart, with markers.
func seedPackets(codec byte, payloads [][]byte) []byte {
	out := []byte{codec}
	for _, p := range payloads {
		out = append(out, 1, 30, byte(len(p)))
		out = append(out, p...)
	}
	return out
}

// fuzzShaper reads data as one access unit of length-prefixed NAL units.
func fuzzShaper(t *testing.T, codec videoCodec, data []byte) {
	var au [][]byte
	for len(data) > 0 {
		n := min(int(data[0]), len(data)-1)
		au = append(au, data[1:1+n])
		data = data[1+n:]
	}
	s := newAUShaper(codec, testVPS265, testSPS264, testPPS264)
	if codec == codecH265 {
		s = newAUShaper(codec, testVPS265, testSPS265, testPPS265)
	}
	info := s.inspect(au)
	out, key := s.shape(au, info)
	if key != info.key {
		t.Fatalf("keyframe %v for an access unit with key slice %v and known parameter sets", key, info.key)
	}
	if key {
		checkPrefix(t, codec, out)
	}
	for _, n := range out {
		if len(n) == 0 {
			t.Fatal("empty NAL unit kept")
		}
	}
	// Every coded slice comes out, in order.
	if !bytes.Equal(slicesOf(codec, au), slicesOf(codec, out)) {
		t.Fatal("coded slices changed")
	}
}

func slicesOf(codec videoCodec, au [][]byte) []byte {
	var b []byte
	for _, n := range au {
		if k := codec.kind(n); k == kindKey || k == kindSlice {
			b = append(b, n...)
			b = append(b, 0xff)
		}
	}
	return b
}

func fuzzTrack(t *testing.T, codec videoCodec, data []byte) {
	dec, _ := decoderFor(t, codec)
	sink := &checkingSink{t: t, codec: codec}
	shaper := newAUShaper(codec, nil, nil, nil)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tl := newTimeline(90000, clock.now)
	v := newVideoTrack(codec, dec, shaper, tl, sink, slog.New(slog.DiscardHandler), &trackEvents{})
	var ts uint32
	var pts int64
	for seq := uint16(0); len(data) >= 3; seq++ {
		flags, step, n := data[0], data[1], min(int(data[2]), len(data)-3)
		payload := data[3 : 3+n]
		data = data[3+n:]
		if flags&4 != 0 {
			tl.restart()
			v = newVideoTrack(codec, dec, shaper, tl, sink, slog.New(slog.DiscardHandler), &trackEvents{})
			clock.advance(time.Second)
		}
		// Steps are signed, so that timestamps can go back as with B-frames.
		ts += uint32(int32(int8(step)) * 100)
		pts += int64(int32(int8(step)) * 100)
		pkt := testRTP(96, seq, ts, payload)
		pkt.Marker = flags&1 != 0
		v.onPacket(pkt, pts, flags&2 == 0)
	}
}
