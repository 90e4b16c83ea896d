package sfu

import (
	"sync"
	"time"

	"github.com/pion/rtcp"

	"github.com/pion/webrtc/v4"
)

// published is a track a room offers its peers: a participant's UpTrack or
// a camera's Feed.
type published interface {
	// publisher is the peer that sends it, nil for a camera.
	publisher() *Peer
	info() TrackInfo
	// subscribe adds the track to p's subscribe connection.
	subscribe(p *Peer) (subscription, error)
	addStats(st *Stats)
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

// addStats adds the track's counters to a snapshot.
func (u *UpTrack) addStats(st *Stats) {
	st.PacketsIn += u.in.packets.Load()
	st.BytesIn += u.in.bytes.Load()
	st.PacketsOut += u.out.packets.Load()
	st.BytesOut += u.out.bytes.Load()
}

func (f *Feed) addStats(st *Stats) {
	for _, x := range []*Feed{f, f.substream.Load()} {
		if x == nil {
			continue
		}
		st.PacketsIn += x.in.packets.Load()
		st.BytesIn += x.in.bytes.Load()
		st.CameraViewers[f.cfg.Camera] += x.Viewers()
	}
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
	start := f.startFeed(p.opts)
	// Video and audio of one camera share a stream id for lip sync.
	local, err := newBindSignal(start.cfg.Codec, "camera-"+f.cfg.Camera+"-"+string(f.source), "camera-"+f.cfg.Camera)
	if err != nil {
		return nil, err
	}
	local.ssrcs = &p.room.sfu.feedSSRCs
	sender, err := p.sub.AddTrack(local)
	if err != nil {
		return nil, err
	}
	v := newFeedViewer(local, p.room.sfu.workers.assign())
	start.addViewer(v)
	return &feedSubscription{main: f, feed: start, viewer: v, sender: sender, peer: p, done: make(chan struct{})}, nil
}

// startFeed picks where a new viewer starts: the sub-stream when it has the
// main stream's codec (a new tile is small) or when the browser cannot
// decode H.265 and the sub-stream is H.264; otherwise the main stream.
func (f *Feed) startFeed(opts PeerOptions) *Feed {
	sub := f.substream.Load()
	switch {
	case sub == nil:
		return f
	case sub.cfg.Codec.MimeType == f.cfg.Codec.MimeType:
		return sub
	case f.cfg.Codec.MimeType == webrtc.MimeTypeH265 && !opts.ReceiveH265:
		return sub
	}
	return f
}

// feedSubscription carries a feed to one peer.
type feedSubscription struct {
	main   *Feed // the feed published in the room
	viewer *feedViewer
	sender *webrtc.RTPSender
	peer   *Peer
	done   chan struct{}

	mu        sync.Mutex
	feed      *Feed         // the one the viewer takes its packets from now
	dedicated *fanoutWorker // the viewer's own worker, over TCP
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
	s.mu.Lock()
	if s.overTCP() {
		s.dedicated = s.peer.room.sfu.workers.dedicate()
		s.feed.setWorker(s.viewer, s.dedicated)
	}
	s.feed.activate(s.viewer)
	s.mu.Unlock()
	var lastReplay time.Time
	fb := &s.peer.room.sfu.feedback
	for {
		pkts, _, err := s.sender.ReadRTCP()
		if err != nil {
			return
		}
		s.retransmit(pkts)
		if fb.count(pkts) && time.Since(lastReplay) >= replayInterval {
			lastReplay = time.Now()
			s.mu.Lock()
			s.feed.replay(s.viewer)
			s.mu.Unlock()
		}
	}
}

// replayInterval throttles cache replays to one viewer: a decoder that
// lost its reference asks again and again until it gets a keyframe.
const replayInterval = time.Second

// count counts the NACKs and keyframe requests of one RTCP read and says
// whether a keyframe was asked for.
func (c *feedbackCounters) count(pkts []rtcp.Packet) (keyframe bool) {
	for _, p := range pkts {
		switch p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			c.plis.Add(1)
			keyframe = true
		case *rtcp.TransportLayerNack:
			c.nacks.Add(1)
		}
	}
	return keyframe
}

// retransmit answers the viewer's NACKs from the feed's cache.
func (s *feedSubscription) retransmit(pkts []rtcp.Packet) {
	for _, p := range pkts {
		if nack, ok := p.(*rtcp.TransportLayerNack); ok {
			s.mu.Lock()
			s.feed.retransmit(s.viewer, nack)
			s.mu.Unlock()
		}
	}
}

// overTCP tells whether the viewer's media leaves over a TCP connection,
// whose writes block when its link stalls.
func (s *feedSubscription) overTCP() bool {
	dtls := s.sender.Transport()
	if dtls == nil {
		return false
	}
	pair, err := dtls.ICETransport().GetSelectedCandidatePair()
	return err == nil && pair != nil && pair.Local.Protocol == webrtc.ICEProtocolTCP
}

func (s *feedSubscription) cancel() {
	s.mu.Lock()
	s.feed.removeViewer(s.viewer)
	if s.dedicated != nil {
		s.peer.room.sfu.workers.release(s.dedicated)
	}
	s.mu.Unlock()
	close(s.done)
}

// setQuality moves the viewer to the main stream or the sub-stream when
// both share the track's codec. The new stream starts from its cached
// keyframe, so the switch shows no freeze; the viewer's sequence numbers
// and timestamps carry on.
func (s *feedSubscription) setQuality(main bool) {
	target := s.main
	if !main {
		target = s.main.substream.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if target == nil || target == s.feed || target.cfg.Codec.MimeType != s.feed.cfg.Codec.MimeType {
		return
	}
	started := s.feed.removeViewer(s.viewer)
	target.addViewer(s.viewer)
	if started {
		target.activate(s.viewer)
	}
	s.feed = target
}
