package sfu

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// HandleWHIPOffer applies a WHIP publisher's offer (RFC 9725) on the
// publish connection and returns the answer once ICE gathering is done (or
// ctx ends), so a client without trickle ICE gets every candidate. Join
// the peer with PeerOptions.PublishOnly: a WHIP client receives nothing.
// Its audio shows as a microphone and its video as a camera.
func (p *Peer) HandleWHIPOffer(ctx context.Context, sdp string) (string, error) {
	if _, err := p.HandlePublishOffer(sdp, nil); err != nil {
		return "", err
	}
	select {
	case <-webrtc.GatheringCompletePromise(p.pub):
	case <-ctx.Done():
	}
	d := p.pub.LocalDescription()
	if d == nil {
		return "", fmt.Errorf("WHIP answer: no local description")
	}
	return d.SDP, nil
}

// Published counts the tracks the peer publishes now.
func (p *Peer) Published() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ups)
}

// PublishRemoteSDP is the publisher's offer.
func (p *Peer) PublishRemoteSDP() string {
	if d := p.pub.RemoteDescription(); d != nil {
		return d.SDP
	}
	return ""
}
