package camsim

import (
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// paramSets are the parameter sets a decoder needs before a keyframe.
type paramSets struct {
	vps, sps, pps []byte // vps only for H.265
}

// findParamSets returns the parameter sets an access unit carries in band,
// or nil when it lacks any of them.
func findParamSets(au [][]byte, isH265 bool) *paramSets {
	var ps paramSets
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		if isH265 {
			switch h265.NALUType((nalu[0] >> 1) & 0b111111) {
			case h265.NALUType_VPS_NUT:
				ps.vps = nalu
			case h265.NALUType_SPS_NUT:
				ps.sps = nalu
			case h265.NALUType_PPS_NUT:
				ps.pps = nalu
			}
			continue
		}
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeSPS:
			ps.sps = nalu
		case h264.NALUTypePPS:
			ps.pps = nalu
		}
	}
	if ps.sps == nil || ps.pps == nil || (isH265 && ps.vps == nil) {
		return nil
	}
	return &ps
}
