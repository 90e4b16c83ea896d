package record

import (
	"bytes"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// Video codec names, as the camera ingest hands them.
const (
	CodecH264 = "H264"
	CodecH265 = "H265"
)

// unit is one recorded access unit, copied out of the ingest's buffers once
// and then shared, read-only, by the pre-alarm ring and every writer.
type unit struct {
	// audio: an audio sample in this format; nil: video. On a video
	// keyframe, sound is the camera's audio format then (nil: none).
	audio   *audioFormat
	sound   *audioFormat
	pts     int64     // the camera's continuous PTS: 90 kHz, or the audio clock rate
	wall    time.Time // when it reached the recorder
	key     bool
	codec   string
	payload []byte       // the NAL units, each with a 4-byte length (MP4 sample)
	params  codecs.Codec // keyframes only: the parameter sets for the MP4 header
}

// newUnit copies an access unit into an MP4 sample. Access unit delimiters
// are left out; a keyframe's parameter sets are kept in the sample and in
// params. It returns nil for a codec it cannot record.
func newUnit(codec string, pts int64, wall time.Time, au [][]byte, key bool) *unit {
	size := 0
	for _, n := range au {
		if len(n) > 0 && !isDelimiter(codec, n) {
			size += 4 + len(n)
		}
	}
	if size == 0 || (codec != CodecH264 && codec != CodecH265) {
		return nil
	}
	u := &unit{pts: pts, wall: wall, key: key, codec: codec, payload: make([]byte, size)}
	pos := 0
	for _, n := range au {
		if len(n) == 0 || isDelimiter(codec, n) {
			continue
		}
		l := len(n)
		u.payload[pos], u.payload[pos+1], u.payload[pos+2], u.payload[pos+3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		copy(u.payload[pos+4:], n)
		pos += 4 + l
	}
	if key {
		u.params = paramSets(codec, u.payload)
		if u.params == nil {
			u.key = false // no SPS/PPS: cannot start a file
		}
	}
	return u
}

func isDelimiter(codec string, n []byte) bool {
	if codec == CodecH265 {
		return len(n) >= 2 && h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_AUD_NUT
	}
	return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter
}

// paramSets finds SPS and PPS (and VPS for H.265) among a sample's NAL
// units; nil when one is missing. The slices point into the sample.
func paramSets(codec string, payload []byte) codecs.Codec {
	var vps, sps, pps []byte
	for pos := 0; pos+4 <= len(payload); {
		l := int(payload[pos])<<24 | int(payload[pos+1])<<16 | int(payload[pos+2])<<8 | int(payload[pos+3])
		n := payload[pos+4 : pos+4+l]
		pos += 4 + l
		if codec == CodecH265 {
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				vps = n
			case h265.NALUType_SPS_NUT:
				sps = n
			case h265.NALUType_PPS_NUT:
				pps = n
			}
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		}
	}
	if codec == CodecH265 {
		if vps == nil || sps == nil || pps == nil {
			return nil
		}
		return &codecs.H265{VPS: vps, SPS: sps, PPS: pps}
	}
	if sps == nil || pps == nil {
		return nil
	}
	return &codecs.H264{SPS: sps, PPS: pps}
}

// Audio codec names, as the camera ingest hands them.
const (
	CodecPCMU = "PCMU"
	CodecPCMA = "PCMA"
	CodecOpus = "Opus"
)

// audioFormat is a camera's audio as the files carry it: G.711 becomes
// 16-bit PCM (MP4 has no G.711), Opus stays Opus.
type audioFormat struct {
	codec    string // as the ingest names it
	rate     int
	channels int
}

// mp4Codec is the MP4 track codec of the format.
func (f *audioFormat) mp4Codec() codecs.Codec {
	if f.codec == CodecOpus {
		return &codecs.Opus{ChannelCount: f.channels}
	}
	return &codecs.LPCM{BitDepth: 16, SampleRate: f.rate, ChannelCount: f.channels}
}

// ticks is the duration of an audio sample when nothing else tells it:
// its PCM length, or 20 ms of Opus.
func (f *audioFormat) ticks(payload []byte) uint32 {
	if f.codec == CodecOpus {
		return uint32(f.rate / 50)
	}
	return uint32(len(payload) / 2 / max(f.channels, 1))
}

// newAudioUnit copies an RTP audio payload into an MP4 sample; nil for a
// codec it cannot record.
func newAudioUnit(f *audioFormat, pts int64, wall time.Time, payload []byte) *unit {
	u := &unit{audio: f, pts: pts, wall: wall, codec: f.codec}
	switch f.codec {
	case CodecPCMU:
		var pcm g711.Mulaw
		pcm.Unmarshal(payload)
		u.payload = pcm
	case CodecPCMA:
		var pcm g711.Alaw
		pcm.Unmarshal(payload)
		u.payload = pcm
	case CodecOpus:
		u.payload = bytes.Clone(payload)
	default:
		return nil
	}
	if len(u.payload) == 0 {
		return nil
	}
	return u
}
