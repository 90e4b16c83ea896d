package ingest

// auClock recovers the RTP timestamp of each access unit that gortsplib's decoder returns.
//
// The H.264 decoder ends an access unit either on a packet with the marker bit, or, for
// cameras that never set it (or when that packet was lost), on the first packet of the next
// access unit, whose timestamp differs: then the unit returned belongs to the previous
// timestamp, and the current packet's NAL units stay buffered for the next one. auClock
// mirrors that buffering from what it can see (packet timestamps, whether a packet
// completes a NAL unit, and the decoder's result).
//
// The H.265 decoder ends access units on marker bits only (RFC 7798 makes them mandatory),
// so its units always carry the timestamp of the packet that ends them.
type auClock struct {
	codec    videoCodec
	buffered bool   // the decoder holds NAL units of an unfinished access unit
	bufTS    uint32 // their RTP timestamp
}

// decodeResult is what the decoder made of one packet.
type decodeResult uint8

const (
	decodedAU   decodeResult = iota // an access unit came out
	decodedMore                     // more packets needed
	decodedErr                      // the packet was refused
)

// next returns the RTP timestamp of the access unit returned for a packet with timestamp ts
// (meaningful only when res is decodedAU), and updates the mirror of the decoder's buffer.
func (a *auClock) next(ts uint32, payload []byte, res decodeResult) uint32 {
	if a.codec == codecH265 {
		return ts
	}
	switch res {
	case decodedAU:
		if a.buffered && ts != a.bufTS {
			auTS := a.bufTS
			a.bufTS = ts // the packet's own units are now buffered
			return auTS
		}
		a.buffered = false
		return ts
	case decodedMore:
		if a.codec.completesNALU(payload) {
			a.buffered, a.bufTS = true, ts
		}
	}
	// A refused packet leaves the decoder's access unit buffer as it was in the common cases
	// (a lost fragment, a malformed aggregate).
	return ts
}

// completesNALU reports whether an RTP payload ends at least one NAL unit: every packet
// does except a fragmentation unit without its end bit.
func (c videoCodec) completesNALU(payload []byte) bool {
	if c == codecH265 {
		if len(payload) < 2 {
			return false
		}
		if (payload[0]>>1)&0x3F != 49 { // fragmentation unit
			return true
		}
		return len(payload) >= 3 && payload[2]&0x40 != 0
	}
	if len(payload) < 1 {
		return false
	}
	if payload[0]&0x1F != 28 { // FU-A
		return true
	}
	return len(payload) >= 2 && payload[1]&0x40 != 0
}

// ptsAt returns the presentation time of RTP timestamp ts, knowing that RTP timestamp ref has
// presentation time refPTS (both in the same clock); the difference wraps like RTP's.
func ptsAt(ts, ref uint32, refPTS int64) int64 {
	return refPTS + int64(int32(ts-ref))
}
