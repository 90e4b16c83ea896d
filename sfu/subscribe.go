package sfu

import "github.com/pion/webrtc/v4"

// subscribe adds t to this peer's subscribe connection and renegotiates.
// Called with the room's lock held.
func (p *Peer) subscribe(t published) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.opts.PublishOnly || p.downs[t] != nil {
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
	sub, err := t.subscribe(p)
	if err != nil {
		p.log.Error("cannot subscribe", "track", t.info(), "err", err)
		return
	}
	p.downs[t] = sub
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		sub.run()
	}()
	p.offerLocked()
}

// unsubscribe removes t from this peer and renegotiates. Called with the
// room's lock held.
func (p *Peer) unsubscribe(t published) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sub := p.downs[t]
	if sub == nil {
		return
	}
	delete(p.downs, t)
	sub.cancel()
	if p.closed {
		return
	}
	if err := p.sub.RemoveTrack(sub.rtpSender()); err != nil {
		p.log.Debug("remove track", "track", t.info(), "err", err)
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
	offer, err := p.sub.CreateOffer(p.offerOptionsLocked())
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
	bySender := make(map[*webrtc.RTPSender]TrackInfo, len(p.downs))
	for t, sub := range p.downs {
		bySender[sub.rtpSender()] = t.info()
	}
	tracks := make(map[string]TrackInfo, len(p.downs))
	for _, tr := range p.sub.GetTransceivers() {
		if info, ok := bySender[tr.Sender()]; ok && tr.Mid() != "" {
			tracks[tr.Mid()] = info
		}
	}
	return tracks
}
