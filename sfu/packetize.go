package sfu

// Repacketizing camera video for browsers (RFC 6184 for H.264, RFC 7798 for
// H.265): camera RTP is never trusted as is; access units are cut again into
// payloads of at most maxPayload bytes, written into one reused buffer.

// maxPayload keeps every packet under common path MTUs with SRTP, TURN and
// header extensions added.
const maxPayload = 1200

// Video codecs a feed can carry.
const (
	codecH264 = "H264"
	codecH265 = "H265"
)

// payloadSink receives each payload the packetizer cuts. An interface, not
// a func, so that passing it allocates nothing.
type payloadSink interface {
	payload(p []byte, last bool)
}

// packetizer cuts NAL units into RTP payloads without allocating.
type packetizer struct {
	codec string
	buf   [maxPayload]byte
}

// each gives sink every payload of au; last is true on the access unit's
// final payload (the RTP marker). A payload is only valid during the call.
func (z *packetizer) each(au [][]byte, sink payloadSink) {
	for i, nalu := range au {
		lastNALU := i == len(au)-1
		if len(nalu) == 0 {
			continue
		}
		if len(nalu) <= maxPayload {
			sink.payload(nalu, lastNALU)
			continue
		}
		if z.codec == codecH265 {
			z.fragmentH265(nalu, lastNALU, sink)
		} else {
			z.fragmentH264(nalu, lastNALU, sink)
		}
	}
}

// fragmentH264 writes FU-A packets: indicator, FU header, then a slice of
// the NAL unit's payload (its header byte is carried in the two first).
func (z *packetizer) fragmentH264(nalu []byte, lastNALU bool, sink payloadSink) {
	indicator := nalu[0]&0xE0 | 28
	naluType := nalu[0] & 0x1F
	data := nalu[1:]
	const room = maxPayload - 2
	for start := true; len(data) > 0; start = false {
		n := min(len(data), room)
		header := naluType
		if start {
			header |= 0x80
		}
		end := n == len(data)
		if end {
			header |= 0x40
		}
		z.buf[0], z.buf[1] = indicator, header
		copy(z.buf[2:], data[:n])
		sink.payload(z.buf[:2+n], end && lastNALU)
		data = data[n:]
	}
}

// fragmentH265 writes FU packets (type 49): a two-byte payload header, the
// FU header, then a slice of the NAL unit's payload.
func (z *packetizer) fragmentH265(nalu []byte, lastNALU bool, sink payloadSink) {
	if len(nalu) < 3 {
		sink.payload(nalu, lastNALU)
		return
	}
	hdr0 := nalu[0]&0x81 | 49<<1
	hdr1 := nalu[1]
	naluType := nalu[0] >> 1 & 0x3F
	data := nalu[2:]
	const room = maxPayload - 3
	for start := true; len(data) > 0; start = false {
		n := min(len(data), room)
		fu := naluType
		if start {
			fu |= 0x80
		}
		end := n == len(data)
		if end {
			fu |= 0x40
		}
		z.buf[0], z.buf[1], z.buf[2] = hdr0, hdr1, fu
		copy(z.buf[3:], data[:n])
		sink.payload(z.buf[:3+n], end && lastNALU)
		data = data[n:]
	}
}

// nthPayload keeps the payload of a given rank, to send a packet again.
type nthPayload struct {
	want, seen int
	out        []byte
	found      bool
}

func (s *nthPayload) payload(p []byte, _ bool) {
	if s.seen == s.want {
		s.out = append(s.out[:0], p...)
		s.found = true
	}
	s.seen++
}
