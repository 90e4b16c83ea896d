package ingest

import (
	"errors"
	"log/slog"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// clockJump is how far back a camera's RTP clock may step before the step is taken for a
// clock reset rather than a reordered (B-) frame: one second.
const clockJump = 90000

// auDecoder is gortsplib's RTP-to-access-unit decoder of either codec.
type auDecoder interface {
	Decode(pkt *rtp.Packet) ([][]byte, error)
}

// videoTrack turns one session's RTP packets into access units for the sink. It runs on
// gortsplib's reading goroutine only.
type videoTrack struct {
	codec     videoCodec
	dec       auDecoder
	more      error // the decoder's "need more packets"
	clock     auClock
	shaper    *auShaper
	tl        *timeline
	sink      VideoSink
	log       *slog.Logger
	events    sessionEvents
	prevPTS   int64
	hasPrev   bool // prevPTS is set
	written   int  // access units written in this session
	liveAfter int  // how many must be written before the session is live
	stopped   bool // B-frames were found: nothing more is written
	noPTS     int  // access units dropped for want of a timestamp (before the first keyframe)

	onDecodeError func(error) // damaged packets, for the session's log; may be nil
}

// sessionEvents is what a track tells its session.
type sessionEvents interface {
	decoded()        // an access unit came out of the depacketizer
	live()           // the session shows pictures
	abort(err error) // end the session with this error
}

func newVideoTrack(codec videoCodec, dec auDecoder, shaper *auShaper, tl *timeline,
	sink VideoSink, log *slog.Logger, ev sessionEvents,
) *videoTrack {
	more := rtph264.ErrMorePacketsNeeded
	if codec == codecH265 {
		more = rtph265.ErrMorePacketsNeeded
	}
	tl.restart()
	return &videoTrack{
		codec: codec, dec: dec, more: more, clock: auClock{codec: codec},
		shaper: shaper, tl: tl, sink: sink, log: log, events: ev, liveAfter: 1,
	}
}

// onPacket handles one RTP packet; pts is gortsplib's PTS for it (ok false before the
// stream's first keyframe, when it has no time reference yet).
func (v *videoTrack) onPacket(pkt *rtp.Packet, pts int64, ok bool) {
	if v.stopped {
		return
	}
	au, err := v.dec.Decode(pkt)
	res := decodedAU
	switch {
	case err == nil:
	case errors.Is(err, v.more):
		res = decodedMore
	default:
		res = decodedErr
		if v.onDecodeError != nil && !isDecoderNoise(err) {
			v.onDecodeError(err)
		}
	}
	auTS := v.clock.next(pkt.Timestamp, pkt.Payload, res)
	if res != decodedAU {
		return
	}
	v.events.decoded()
	if !ok {
		v.noPTS++
		return
	}
	v.writeAU(au, ptsAt(auTS, pkt.Timestamp, pts))
}

func (v *videoTrack) writeAU(au [][]byte, raw int64) {
	info := v.shaper.inspect(au)
	if info.spsChanged {
		logSPS(v.log, v.codec, v.shaper.params.sps)
	}
	if info.coded {
		if !v.checkOrder(raw) {
			return
		}
	}
	out, key := v.shaper.shape(au, info)
	if len(out) == 0 {
		return
	}
	pts, ok := v.tl.next(raw)
	if !ok {
		return
	}
	if v.written == 0 && v.noPTS > 0 {
		v.log.Debug("joined the stream mid-GOP", "units_before_keyframe", v.noPTS)
	}
	v.sink.WriteVideo(pts, out, key)
	v.written++
	if v.written == v.liveAfter {
		v.events.live()
	}
}

// checkOrder tells B-frames apart: with them, access units come in decode order and their
// presentation times go back and forth, which browsers' WebRTC decoders cannot play. A
// large step back is a camera clock reset instead, and starts a new timeline segment.
func (v *videoTrack) checkOrder(raw int64) bool {
	prev, hasPrev := v.prevPTS, v.hasPrev
	v.prevPTS, v.hasPrev = raw, true
	if !hasPrev || raw >= prev {
		return true
	}
	if prev-raw > clockJump {
		v.log.Warn("camera clock stepped back, continuing", "by_ticks", prev-raw)
		v.tl.restart()
		return true
	}
	v.stopped = true
	v.events.abort(failure(reasonBFrames))
	return false
}

// logSPS logs the picture size an SPS announces.
func logSPS(log *slog.Logger, codec videoCodec, sps []byte) {
	if len(sps) == 0 {
		return
	}
	w, h, err := spsSize(codec, sps)
	if err != nil {
		log.Warn("camera sent an SPS that cannot be parsed", "codec", codec.String(), "error", err)
		return
	}
	log.Info("video format", "codec", codec.String(), "width", w, "height", h)
}

func spsSize(codec videoCodec, sps []byte) (w, h int, err error) {
	if codec == codecH265 {
		var p h265.SPS
		if err = p.Unmarshal(sps); err != nil {
			return 0, 0, err
		}
		return p.Width(), p.Height(), nil
	}
	var p h264.SPS
	if err = p.Unmarshal(sps); err != nil {
		return 0, 0, err
	}
	return p.Width(), p.Height(), nil
}
