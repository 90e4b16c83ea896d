package sfu

import (
	"fmt"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// DownTrack carries one up track to one subscriber.
type DownTrack struct {
	up     *UpTrack
	local  packetWriter
	sender *webrtc.RTPSender
}

func newDownTrack(up *UpTrack, sub *webrtc.PeerConnection) (*DownTrack, error) {
	// Camera and microphone of one participant share a stream id so the
	// browser keeps them in lip sync; a screen share is a stream of its own.
	stream := up.owner.id
	if up.source == SourceScreen {
		stream += "-screen"
	}
	local, err := webrtc.NewTrackLocalStaticRTP(up.codec, up.id, stream)
	if err != nil {
		return nil, fmt.Errorf("new local track %s: %w", up.id, err)
	}
	sender, err := sub.AddTrack(local)
	if err != nil {
		return nil, fmt.Errorf("add track %s: %w", up.id, err)
	}
	return &DownTrack{up: up, local: local, sender: sender}, nil
}

// write forwards one packet; a subscriber not yet connected drops it.
func (d *DownTrack) write(p *rtp.Packet) {
	_ = d.local.WriteRTP(p)
}

// readRTCP reads the subscriber's feedback until the sender stops. Reading
// also drives the NACK responder; keyframe requests go to the publisher.
func (d *DownTrack) readRTCP() {
	for {
		pkts, _, err := d.sender.ReadRTCP()
		if err != nil {
			return
		}
		if d.up.owner.room.sfu.feedback.count(pkts) {
			d.up.requestKeyframe()
		}
	}
}
