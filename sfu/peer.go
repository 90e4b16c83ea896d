package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/webrtc/v4"
)

// Source says what a published track carries.
type Source string

// The sources a participant publishes.
const (
	SourceMicrophone Source = "microphone"
	SourceCamera     Source = "camera"
	SourceScreen     Source = "screen"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	return s == SourceMicrophone || s == SourceCamera || s == SourceScreen
}

// PCKind names one of a participant's two peer connections.
type PCKind string

// The two peer connections of a participant.
const (
	PCPublish   PCKind = "pub"
	PCSubscribe PCKind = "sub"
)

// TrackInfo tells a subscriber whose track a transceiver carries.
type TrackInfo struct {
	Participant string `json:"participant,omitempty"` // a participant's track
	Camera      string `json:"camera,omitempty"`      // or a camera's
	Source      Source `json:"source"`
}

// PeerEvents is how a peer speaks to its participant's signaling. Every
// method must return quickly without calling back into the Peer: they are
// called with the peer's locks held or from pion's goroutines.
type PeerEvents interface {
	// SubscribeOffer delivers a new offer for the subscribe connection;
	// tracks maps each transceiver mid to what it carries.
	SubscribeOffer(sdp string, tracks map[string]TrackInfo)
	// ICECandidate delivers a local candidate, nil when gathering is done.
	ICECandidate(pc PCKind, c *webrtc.ICECandidateInit)
	// ConnectionFailed says a peer connection is lost for good.
	ConnectionFailed(pc PCKind)
}

// PeerOptions are what a participant's browser said it can do.
type PeerOptions struct {
	// ReceiveH265 is true when the browser decodes H.265; otherwise a
	// camera whose main stream is H.265 is shown from its H.264 sub-stream.
	ReceiveH265 bool
	// PublishOnly peers (WHIP publishers) receive nothing.
	PublishOnly bool
}

// maxPendingCandidates bounds candidates held until a remote description.
const maxPendingCandidates = 64

// Peer is one participant's media: a publish connection where the browser
// offers and a subscribe connection where the SFU offers. Each connection
// has a single offerer, so renegotiation can never glare.
type Peer struct {
	id   string
	room *Room
	ev   PeerEvents
	opts PeerOptions
	log  *slog.Logger
	pub  *webrtc.PeerConnection

	// pubMu serialises publish negotiations.
	pubMu sync.Mutex

	mu          sync.Mutex
	closed      bool
	sources     map[string]Source // publish transceiver mid -> source
	ups         []*UpTrack
	sub         *webrtc.PeerConnection
	downs       map[published]subscription
	inFlight    bool // a subscribe offer awaits its answer
	offerAgain  bool // something changed while an offer was in flight
	pendingPub  []webrtc.ICECandidateInit
	pendingSub  []webrtc.ICECandidateInit
	subAnswered bool
	// iceRestartDue: the next subscribe offer carries new ICE credentials.
	iceRestartDue bool

	subConnected     chan struct{}
	subConnectedOnce sync.Once

	wg sync.WaitGroup
}

func newPeer(id string, r *Room, ev PeerEvents, opts PeerOptions) (*Peer, error) {
	p := &Peer{
		id: id, room: r, ev: ev, opts: opts,
		log:     r.sfu.cfg.Log.With("room", r.id, "participant", id),
		sources: map[string]Source{},
		downs:   map[published]subscription{},
		// closed when the subscribe connection first connects: a camera
		// viewer starts then.
		subConnected: make(chan struct{}),
	}
	pub, err := p.newConnection(PCPublish)
	if err != nil {
		return nil, err
	}
	p.pub = pub
	pub.OnTrack(p.onTrack)
	return p, nil
}

// ID is the participant's identity.
func (p *Peer) ID() string { return p.id }

func (p *Peer) newConnection(kind PCKind) (*webrtc.PeerConnection, error) {
	pc, err := p.room.sfu.api.NewPeerConnection(webrtc.Configuration{ICEServers: p.room.sfu.cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("new %s peer connection: %w", kind, err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			p.ev.ICECandidate(kind, nil)
			return
		}
		init := c.ToJSON()
		p.ev.ICECandidate(kind, &init)
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("peer connection state", "pc", kind, "state", s.String())
		if kind == PCSubscribe && s == webrtc.PeerConnectionStateConnected {
			p.subConnectedOnce.Do(func() { close(p.subConnected) })
		}
		// Closed without our Close means the browser's DTLS said goodbye.
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			p.ev.ConnectionFailed(kind)
		}
	})
	return pc, nil
}

// HandlePublishOffer applies the browser's offer on the publish connection
// and returns the answer. sources maps the offer's mids to what they carry.
func (p *Peer) HandlePublishOffer(sdp string, sources map[string]Source) (string, error) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return "", ErrClosed
	}
	for mid, s := range sources {
		if s.Valid() {
			p.sources[mid] = s
		}
	}
	p.mu.Unlock()

	if err := p.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return "", fmt.Errorf("apply publish offer: %w", err)
	}
	answer, err := p.pub.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create publish answer: %w", err)
	}
	if err := p.pub.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("apply publish answer: %w", err)
	}
	p.mu.Lock()
	pending := p.pendingPub
	p.pendingPub = nil
	p.mu.Unlock()
	for _, c := range pending {
		if err := p.pub.AddICECandidate(c); err != nil {
			p.log.Debug("drop publish candidate", "err", err)
		}
	}
	return answer.SDP, nil
}

// HandleSubscribeAnswer applies the browser's answer to the latest subscribe
// offer, then sends the next offer if something changed meanwhile.
func (p *Peer) HandleSubscribeAnswer(sdp string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if !p.inFlight || p.sub == nil {
		return errors.New("no subscribe offer is waiting for an answer")
	}
	if err := p.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("apply subscribe answer: %w", err)
	}
	p.inFlight = false
	p.subAnswered = true
	for _, c := range p.pendingSub {
		if err := p.sub.AddICECandidate(c); err != nil {
			p.log.Debug("drop subscribe candidate", "err", err)
		}
	}
	p.pendingSub = nil
	if p.offerAgain {
		p.offerAgain = false
		p.offerLocked()
	}
	return nil
}

// AddICECandidate adds a browser candidate to one of the two connections,
// holding it until that connection has its remote description.
func (p *Peer) AddICECandidate(kind PCKind, c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	switch kind {
	case PCPublish:
		if p.pub.RemoteDescription() == nil {
			return holdCandidate(&p.pendingPub, c)
		}
		return p.pub.AddICECandidate(c)
	case PCSubscribe:
		if p.sub == nil || !p.subAnswered {
			return holdCandidate(&p.pendingSub, c)
		}
		return p.sub.AddICECandidate(c)
	}
	return fmt.Errorf("unknown peer connection %q", kind)
}

func holdCandidate(list *[]webrtc.ICECandidateInit, c webrtc.ICECandidateInit) error {
	if len(*list) >= maxPendingCandidates {
		return errors.New("too many ICE candidates before the session description")
	}
	*list = append(*list, c)
	return nil
}

// Close leaves the room, withdraws this peer's tracks from the others,
// closes both connections and waits for every goroutine of the peer.
func (p *Peer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()

	p.room.remove(p)
	for _, up := range p.upTracks() {
		p.room.unpublish(up)
	}
	p.mu.Lock()
	for _, sub := range p.downs {
		sub.cancel()
	}
	p.downs = map[published]subscription{}
	sub := p.sub
	p.mu.Unlock()

	if err := p.pub.Close(); err != nil {
		p.log.Debug("close publish connection", "err", err)
	}
	if sub != nil {
		if err := sub.Close(); err != nil {
			p.log.Debug("close subscribe connection", "err", err)
		}
	}
	p.wg.Wait()
}

func (p *Peer) upTracks() []*UpTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*UpTrack(nil), p.ups...)
}

// SetCameraQuality asks for a camera's main stream (an enlarged tile) or
// its sub-stream (a small one). Nothing changes when the camera has no
// sub-stream or the two streams differ in codec.
func (p *Peer) SetCameraQuality(camera string, main bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, sub := range p.downs {
		if f, ok := t.(*Feed); ok && f.video && f.cfg.Camera == camera {
			sub.(*feedSubscription).setQuality(main)
		}
	}
}
