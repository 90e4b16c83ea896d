package bench

import (
	"fmt"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// videoCodec says how to read a camera's RTP payloads.
type videoCodec int

const (
	codecH264 videoCodec = iota + 1 // RFC 6184
	codecH265                       // RFC 7798
)

// codecOf maps a negotiated mime type to the codec whose keyframes the
// bench recognises.
func codecOf(mimeType string) (videoCodec, string, error) {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeH264):
		return codecH264, "H264", nil
	case strings.EqualFold(mimeType, webrtc.MimeTypeH265):
		return codecH265, "H265", nil
	}
	return 0, "", fmt.Errorf("codec %s: only H264 and H265 keyframes are recognised", mimeType)
}

// keyframeDetector follows one track's RTP packets and says when the first
// complete keyframe has arrived: an access unit (packets of one timestamp,
// ending with the marker bit) that holds an IDR (H.264) or IRAP (H.265)
// picture, received from its first packet to its marker with no sequence
// gap. Packets lost and not retransmitted make an access unit incomplete;
// the detector then waits for the next keyframe, as a decoder would.
type keyframeDetector struct {
	codec videoCodec

	seen    bool   // a packet has been read
	nextSeq uint16 // sequence number expected next
	marker  bool   // the previous packet ended an access unit
	ts      uint32 // timestamp of the current access unit
	whole   bool   // every packet of the current access unit since its start arrived
	key     bool   // the current access unit holds a keyframe picture
}

// push reads one packet; true when it completes a keyframe access unit.
func (d *keyframeDetector) push(p *rtp.Packet) bool {
	contiguous := d.seen && p.SequenceNumber == d.nextSeq
	if !d.seen || d.marker || p.Timestamp != d.ts {
		// A new access unit. The very first packet read is taken as a
		// start unless it is plainly the middle of a fragmented NAL unit.
		d.ts, d.key = p.Timestamp, false
		if d.seen {
			d.whole = contiguous
		} else {
			d.whole = !d.continuesFragment(p.Payload)
		}
	} else if !contiguous {
		d.whole = false
	}
	if !d.key && d.startsKeyPicture(p.Payload) {
		d.key = true
	}
	d.seen, d.nextSeq, d.marker = true, p.SequenceNumber+1, p.Marker
	return p.Marker && d.whole && d.key
}

// startsKeyPicture tells whether a payload carries a keyframe NAL unit or
// the first fragment of one.
func (d *keyframeDetector) startsKeyPicture(b []byte) bool {
	if d.codec == codecH265 {
		return h265StartsKey(b)
	}
	return h264StartsKey(b)
}

// continuesFragment tells whether a payload is a fragment other than the
// first of a NAL unit.
func (d *keyframeDetector) continuesFragment(b []byte) bool {
	if d.codec == codecH265 {
		return len(b) >= 3 && b[0]>>1&0x3F == h265FU && b[2]&0x80 == 0
	}
	return len(b) >= 2 && b[0]&0x1F == h264FUA && b[1]&0x80 == 0
}

// H.264 NAL unit and payload types.
const (
	h264IDR   = 5
	h264STAPA = 24
	h264FUA   = 28
)

func h264StartsKey(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch t := b[0] & 0x1F; t {
	case h264IDR:
		return true
	case h264STAPA:
		for rest := b[1:]; len(rest) > 2; {
			n := int(rest[0])<<8 | int(rest[1])
			if n == 0 || n > len(rest)-2 {
				return false
			}
			if rest[2]&0x1F == h264IDR {
				return true
			}
			rest = rest[2+n:]
		}
	case h264FUA:
		return len(b) >= 2 && b[1]&0x80 != 0 && b[1]&0x1F == h264IDR
	}
	return false
}

// H.265 payload types; IRAP pictures are NAL types 16 to 21. Aggregation
// packets are read without DONL fields (sprop-max-don-diff 0, as vigie sends).
const (
	h265AP = 48
	h265FU = 49
)

func h265IRAP(t byte) bool { return t >= 16 && t <= 21 }

func h265StartsKey(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	switch t := b[0] >> 1 & 0x3F; {
	case h265IRAP(t):
		return true
	case t == h265AP:
		for rest := b[2:]; len(rest) > 2; {
			n := int(rest[0])<<8 | int(rest[1])
			if n == 0 || n > len(rest)-2 {
				return false
			}
			if h265IRAP(rest[2] >> 1 & 0x3F) {
				return true
			}
			rest = rest[2+n:]
		}
	case t == h265FU:
		return len(b) >= 3 && b[2]&0x80 != 0 && h265IRAP(b[2]&0x3F)
	}
	return false
}
