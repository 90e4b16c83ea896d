package sfu

import "github.com/pion/webrtc/v4"

// published is a track a room offers its peers: a participant's UpTrack or
// a camera's Feed.
type published interface {
	// publisher is the peer that sends it, nil for a camera.
	publisher() *Peer
	info() TrackInfo
	// subscribe adds the track to p's subscribe connection.
	subscribe(p *Peer) (subscription, error)
}

// subscription is one published track carried to one peer.
type subscription interface {
	rtpSender() *webrtc.RTPSender
	// run serves the subscription (RTCP, start of a camera) until the
	// sender stops or cancel is called.
	run()
	// cancel stops sending to this peer.
	cancel()
}

func (u *UpTrack) publisher() *Peer { return u.owner }

func (u *UpTrack) info() TrackInfo {
	return TrackInfo{Participant: u.owner.id, Source: u.source}
}

func (u *UpTrack) subscribe(p *Peer) (subscription, error) {
	d, err := newDownTrack(u, p.sub)
	if err != nil {
		return nil, err
	}
	u.addDown(d)
	// A new viewer needs a keyframe to start decoding.
	u.requestKeyframe()
	return d, nil
}

func (d *DownTrack) rtpSender() *webrtc.RTPSender { return d.sender }
func (d *DownTrack) run()                         { d.readRTCP() }
func (d *DownTrack) cancel()                      { d.up.removeDown(d) }

func (f *Feed) publisher() *Peer { return nil }

func (f *Feed) info() TrackInfo {
	return TrackInfo{Camera: f.cfg.Camera, Source: f.source}
}

func (f *Feed) subscribe(p *Peer) (subscription, error) {
	// Video and audio of one camera share a stream id for lip sync.
	local, err := newBindSignal(f.cfg.Codec, "camera-"+f.cfg.Camera+"-"+string(f.source), "camera-"+f.cfg.Camera)
	if err != nil {
		return nil, err
	}
	sender, err := p.sub.AddTrack(local)
	if err != nil {
		return nil, err
	}
	v := newFeedViewer(local)
	f.addViewer(v)
	return &feedSubscription{feed: f, viewer: v, sender: sender, peer: p, done: make(chan struct{})}, nil
}

// feedSubscription carries a feed to one peer.
type feedSubscription struct {
	feed   *Feed
	viewer *feedViewer
	sender *webrtc.RTPSender
	peer   *Peer
	done   chan struct{}
}

func (s *feedSubscription) rtpSender() *webrtc.RTPSender { return s.sender }

// run starts the viewer once its track is bound and the subscribe
// connection is up, then reads RTCP to drive the NACK responder.
func (s *feedSubscription) run() {
	select {
	case <-s.viewer.local.bound:
	case <-s.done:
		return
	}
	select {
	case <-s.peer.subConnected:
	case <-s.done:
		return
	}
	s.feed.activate(s.viewer)
	for {
		if _, _, err := s.sender.ReadRTCP(); err != nil {
			return
		}
	}
}

func (s *feedSubscription) cancel() {
	s.feed.removeViewer(s.viewer)
	close(s.done)
}
