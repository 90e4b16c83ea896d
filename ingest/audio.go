package ingest

import "github.com/pion/rtp"

// audioTrack passes one session's G.711 or Opus RTP payloads to the sink as the camera sent
// them. It runs on gortsplib's reading goroutine for that media.
type audioTrack struct {
	tl      *timeline
	sink    AudioSink
	rate    int64
	prevRaw int64
	hasPrev bool
}

func newAudioTrack(tl *timeline, sink AudioSink, clockRate int) *audioTrack {
	tl.restart()
	return &audioTrack{tl: tl, sink: sink, rate: int64(clockRate)}
}

// onPacket handles one RTP packet; pts is gortsplib's PTS for it, in the clock rate.
func (a *audioTrack) onPacket(pkt *rtp.Packet, pts int64, ok bool) {
	if !ok || len(pkt.Payload) == 0 {
		return
	}
	if a.hasPrev && a.prevRaw-pts > a.rate {
		// The camera's audio clock stepped back by more than a second: a reset, not a
		// reordered packet. Continue the timeline from here.
		a.tl.restart()
	}
	a.prevRaw, a.hasPrev = pts, true
	out, ok := a.tl.next(pts)
	if !ok {
		return
	}
	a.sink.WriteAudio(out, pkt.Payload)
}
