package sfu

import (
	"github.com/pion/webrtc/v4"
)

// onTrack runs on pion's goroutine when a publisher's track starts.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	source := p.sourceOf(receiver, remote.Kind())
	up := newUpTrack(p, remote, source)
	up.tap = up.newTap()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		up.tap.close()
		return
	}
	p.ups = append(p.ups, up)
	p.wg.Add(1)
	p.mu.Unlock()

	p.log.Info("track published", "source", source, "codec", remote.Codec().MimeType, "ssrc", uint32(remote.SSRC()))
	p.room.publish(up)
	go func() {
		defer p.wg.Done()
		up.run()
		up.tap.close()
		p.room.unpublish(up)
		p.dropUpTrack(up)
		p.log.Info("track ended", "source", source)
	}()
}

// sourceOf finds what the browser said the receiver's transceiver carries,
// falling back on the track kind.
func (p *Peer) sourceOf(receiver *webrtc.RTPReceiver, kind webrtc.RTPCodecType) Source {
	mid := ""
	for _, t := range p.pub.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()
			break
		}
	}
	p.mu.Lock()
	s, ok := p.sources[mid]
	p.mu.Unlock()
	if ok {
		return s
	}
	if kind == webrtc.RTPCodecTypeAudio {
		return SourceMicrophone
	}
	return SourceCamera
}

func (p *Peer) dropUpTrack(up *UpTrack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.ups {
		if x == up {
			p.ups = append(p.ups[:i], p.ups[i+1:]...)
			return
		}
	}
}
