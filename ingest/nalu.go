package ingest

import (
	"bytes"
)

// videoCodec says how to read NAL unit headers of one codec.
type videoCodec uint8

const (
	codecH264 videoCodec = iota + 1
	codecH265
)

func (c videoCodec) String() string {
	if c == codecH265 {
		return "H265"
	}
	return "H264"
}

// naluKind is what an access unit needs to know about one NAL unit.
type naluKind uint8

const (
	kindOther naluKind = iota // SEI, filler, end of sequence...
	kindVPS                   // H.265 video parameter set
	kindSPS                   // sequence parameter set
	kindPPS                   // picture parameter set
	kindAUD                   // access unit delimiter: must be first when present
	kindKey                   // slice of an IDR (H.264) or IRAP (H.265) picture
	kindSlice                 // any other coded slice
)

// kind classifies one NAL unit. An empty unit is kindOther.
func (c videoCodec) kind(nalu []byte) naluKind {
	if len(nalu) == 0 {
		return kindOther
	}
	if c == codecH265 {
		return h265Kind((nalu[0] >> 1) & 0x3F)
	}
	return h264Kind(nalu[0] & 0x1F)
}

func h264Kind(typ byte) naluKind {
	switch {
	case typ == 5:
		return kindKey
	case typ >= 1 && typ <= 4:
		return kindSlice
	case typ == 7:
		return kindSPS
	case typ == 8:
		return kindPPS
	case typ == 9:
		return kindAUD
	}
	return kindOther
}

// h265Kind: types 16-23 are IRAP pictures (BLA, IDR, CRA and two reserved IRAP types);
// every type below 32 is a coded slice.
func h265Kind(typ byte) naluKind {
	switch {
	case typ >= 16 && typ <= 23:
		return kindKey
	case typ < 32:
		return kindSlice
	case typ == 32:
		return kindVPS
	case typ == 33:
		return kindSPS
	case typ == 34:
		return kindPPS
	case typ == 35:
		return kindAUD
	}
	return kindOther
}

// paramSets holds the latest parameter sets of a stream, as owned copies: the NAL units
// the RTP decoder returns may point into gortsplib's read buffer.
type paramSets struct {
	codec videoCodec
	vps   []byte
	sps   []byte
	pps   []byte
}

// learn keeps nalu if it is a parameter set; it reports whether an SPS changed (a new
// resolution, usually).
func (p *paramSets) learn(k naluKind, nalu []byte) (spsChanged bool) {
	switch k {
	case kindVPS:
		p.vps = keepCopy(p.vps, nalu)
	case kindSPS:
		if !bytes.Equal(p.sps, nalu) {
			p.sps = keepCopy(p.sps, nalu)
			return true
		}
	case kindPPS:
		p.pps = keepCopy(p.pps, nalu)
	}
	return false
}

// keepCopy returns a copy of b, reusing old when it is equal (no allocation in the usual
// case of a camera repeating the same parameter sets before every keyframe).
func keepCopy(old, b []byte) []byte {
	if bytes.Equal(old, b) {
		return old
	}
	return append([]byte(nil), b...)
}

// complete reports whether a keyframe can be made decodable.
func (p *paramSets) complete() bool {
	if p.codec == codecH265 && len(p.vps) == 0 {
		return false
	}
	return len(p.sps) > 0 && len(p.pps) > 0
}

// prefix returns the parameter sets that must open a keyframe, in order.
func (p *paramSets) prefix(dst [][]byte) [][]byte {
	if p.codec == codecH265 {
		dst = append(dst, p.vps)
	}
	return append(dst, p.sps, p.pps)
}

// auInfo summarises one access unit.
type auInfo struct {
	key        bool // contains an IDR/IRAP slice
	coded      bool // contains at least one coded slice
	empty      bool // contains an empty NAL unit
	spsChanged bool
}

// auShaper makes every keyframe start with its parameter sets, the way the SFU's keyframe
// cache and browsers' decoders need them, whatever the camera sent in band.
type auShaper struct {
	params  paramSets
	scratch [][]byte // the reshaped access unit; reused, valid until the next call
}

func newAUShaper(codec videoCodec, vps, sps, pps []byte) *auShaper {
	s := &auShaper{params: paramSets{codec: codec}}
	s.params.learn(kindVPS, vps)
	s.params.learn(kindSPS, sps)
	s.params.learn(kindPPS, pps)
	return s
}

// inspect classifies the access unit and learns its parameter sets.
func (s *auShaper) inspect(au [][]byte) auInfo {
	var info auInfo
	for _, nalu := range au {
		if len(nalu) == 0 {
			info.empty = true
			continue
		}
		k := s.params.codec.kind(nalu)
		switch k {
		case kindKey:
			info.key, info.coded = true, true
		case kindSlice:
			info.coded = true
		case kindVPS, kindSPS, kindPPS:
			if s.params.learn(k, nalu) {
				info.spsChanged = true
			}
		}
	}
	return info
}

// shape returns the access unit to hand to the sink and whether it is a usable keyframe. A
// keyframe is returned with VPS (H.265), SPS and PPS first; without known parameter sets it
// cannot be decoded and is passed on as an ordinary access unit.
func (s *auShaper) shape(au [][]byte, info auInfo) ([][]byte, bool) {
	key := info.key && s.params.complete()
	if !key {
		if info.empty {
			return s.withoutEmpty(au), false
		}
		return au, false
	}
	if !info.empty && s.startsWithParams(au) {
		return au, true
	}
	out := s.params.prefix(s.scratch[:0])
	pre := len(out)
	for _, nalu := range au {
		if len(nalu) == 0 || s.inPrefix(nalu, out[:pre]) {
			continue
		}
		out = append(out, nalu)
	}
	s.scratch = out
	return out, true
}

// startsWithParams reports whether au already opens with the latest parameter sets.
func (s *auShaper) startsWithParams(au [][]byte) bool {
	want := s.params.prefix(s.scratch[:0])
	s.scratch = want
	if len(au) < len(want) {
		return false
	}
	for i, p := range want {
		if !bytes.Equal(au[i], p) {
			return false
		}
	}
	return true
}

// inPrefix: the unit is an access unit delimiter (only valid first, so dropped when
// parameter sets are put in front) or a copy of a parameter set already in front.
func (s *auShaper) inPrefix(nalu []byte, prefix [][]byte) bool {
	k := s.params.codec.kind(nalu)
	if k == kindAUD {
		return true
	}
	if k != kindVPS && k != kindSPS && k != kindPPS {
		return false
	}
	for _, p := range prefix {
		if bytes.Equal(p, nalu) {
			return true
		}
	}
	return false
}

func (s *auShaper) withoutEmpty(au [][]byte) [][]byte {
	out := s.scratch[:0]
	for _, nalu := range au {
		if len(nalu) > 0 {
			out = append(out, nalu)
		}
	}
	s.scratch = out
	return out
}
