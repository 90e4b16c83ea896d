package sfu

import "github.com/pion/webrtc/v4"

// RestartSubscribeICE renegotiates the subscribe connection with fresh ICE
// credentials: the browser asks for it when that connection is
// disconnected or failed, since only the server offers on it. With an offer
// already in flight, the restart is made by the next offer.
func (p *Peer) RestartSubscribeICE() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.sub == nil {
		return
	}
	p.iceRestartDue = true
	p.offerLocked()
}

// ResendSubscribeOffer sends again the subscribe offer that awaits its
// answer, if any: the signaling connection that carried it may have died
// before the browser read it.
func (p *Peer) ResendSubscribeOffer() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.sub == nil || !p.inFlight {
		return
	}
	if offer := p.sub.PendingLocalDescription(); offer != nil {
		p.ev.SubscribeOffer(offer.SDP, p.trackMapLocked())
	}
}

// ConnectionState tells where one of the two connections stands; a
// subscribe connection not made yet is "new".
func (p *Peer) ConnectionState(kind PCKind) webrtc.PeerConnectionState {
	if kind == PCPublish {
		return p.pub.ConnectionState()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sub == nil {
		return webrtc.PeerConnectionStateNew
	}
	return p.sub.ConnectionState()
}

// offerOptionsLocked asks for new ICE credentials when a restart is due.
// Called with p.mu held.
func (p *Peer) offerOptionsLocked() *webrtc.OfferOptions {
	if !p.iceRestartDue {
		return nil
	}
	p.iceRestartDue = false
	return &webrtc.OfferOptions{ICERestart: true}
}
