package sfu

import "github.com/pion/webrtc/v4"

// subscribe adds a down track for up to this peer's subscribe connection and
// renegotiates. Called with the room's lock held.
func (p *Peer) subscribe(up *UpTrack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.downs[up] != nil {
		return
	}
	if p.sub == nil {
		sub, err := p.newConnection(PCSubscribe)
		if err != nil {
			p.log.Error("cannot subscribe", "err", err)
			return
		}
		p.sub = sub
	}
	d, err := newDownTrack(up, p.sub)
	if err != nil {
		p.log.Error("cannot subscribe", "track", up.id, "err", err)
		return
	}
	p.downs[up] = d
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		d.readRTCP()
	}()
	up.addDown(d)
	// A new viewer needs a keyframe to start decoding.
	up.requestKeyframe()
	p.offerLocked()
}

// unsubscribe removes the down track for up and renegotiates. Called with
// the room's lock held.
func (p *Peer) unsubscribe(up *UpTrack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.downs[up]
	if d == nil {
		return
	}
	delete(p.downs, up)
	up.removeDown(d)
	if p.closed {
		return
	}
	if err := p.sub.RemoveTrack(d.sender); err != nil {
		p.log.Debug("remove track", "track", up.id, "err", err)
	}
	p.offerLocked()
}

// offerLocked sends a new subscribe offer, or notes that one is due once the
// offer in flight is answered. Called with p.mu held.
func (p *Peer) offerLocked() {
	if p.closed || p.sub == nil {
		return
	}
	if p.inFlight {
		p.offerAgain = true
		return
	}
	offer, err := p.sub.CreateOffer(nil)
	if err != nil {
		p.log.Error("create subscribe offer", "err", err)
		return
	}
	if err := p.sub.SetLocalDescription(offer); err != nil {
		p.log.Error("apply subscribe offer", "err", err)
		return
	}
	p.inFlight = true
	p.ev.SubscribeOffer(offer.SDP, p.trackMapLocked())
}

// trackMapLocked maps each subscribe transceiver's mid to what it carries.
func (p *Peer) trackMapLocked() map[string]TrackInfo {
	bySender := make(map[*webrtc.RTPSender]*DownTrack, len(p.downs))
	for _, d := range p.downs {
		bySender[d.sender] = d
	}
	tracks := make(map[string]TrackInfo, len(p.downs))
	for _, t := range p.sub.GetTransceivers() {
		if d := bySender[t.Sender()]; d != nil && t.Mid() != "" {
			tracks[t.Mid()] = TrackInfo{Participant: d.up.owner.id, Source: d.up.source}
		}
	}
	return tracks
}
