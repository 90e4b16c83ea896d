package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/webrtc/v4"
)

// ErrNothingToWatch is returned when a WHEP offer finds no track to carry:
// nothing is published in the room, or the offer has no m-line of the kind.
var ErrNothingToWatch = errors.New("sfu: nothing to watch")

// Viewer is a WHEP viewer (draft-ietf-wish-whep): one peer connection
// where the remote offers receive-only m-lines and the SFU answers with
// the tracks it watches. WHEP has no server-initiated renegotiation, so
// the tracks are those chosen when the offer came; a track that ends
// leaves its m-line silent.
type Viewer struct {
	pc    *webrtc.PeerConnection
	log   *slog.Logger
	onEnd func()

	// peer is not in any room: it only carries pc, the options and the
	// connected signal to the subscribe methods of published tracks,
	// which are written for a participant's subscribe connection.
	peer *Peer

	mu      sync.Mutex
	closed  bool
	subs    []subscription
	wg      sync.WaitGroup
	endOnce sync.Once
}

// WatchFeeds answers a WHEP offer with feeds, such as a camera's video and
// audio, starting video from the keyframe cache. Each feed takes one
// offered m-line of its kind; feeds without one are left out. onEnd is
// called once when the connection fails or closes, on pion's goroutine: it
// must not block, nor call Close before returning.
func (s *SFU) WatchFeeds(ctx context.Context, id, offer string, feeds []*Feed, opts PeerOptions, onEnd func()) (*Viewer, error) {
	list := make([]published, len(feeds))
	for i, f := range feeds {
		list[i] = f
	}
	return s.watch(ctx, id, offer, opts, onEnd, func() []published { return list }, true)
}

// WatchRoom answers a WHEP offer with the tracks published in a room now:
// cameras first, then participants' tracks, as many as the offer has
// m-lines of each kind.
func (s *SFU) WatchRoom(ctx context.Context, id, roomID, offer string, opts PeerOptions, onEnd func()) (*Viewer, error) {
	return s.watch(ctx, id, offer, opts, onEnd, func() []published {
		s.mu.Lock()
		r := s.rooms[roomID]
		s.mu.Unlock()
		if r == nil {
			return nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		list := make([]published, 0, len(r.tracks))
		for _, t := range r.tracks {
			if t.publisher() == nil {
				list = append(list, t)
			}
		}
		for _, t := range r.tracks {
			if t.publisher() != nil {
				list = append(list, t)
			}
		}
		return list
	}, false)
}

func (s *SFU) watch(ctx context.Context, id, offer string, opts PeerOptions, onEnd func(), tracks func() []published, mainStream bool) (*Viewer, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("new WHEP peer connection: %w", err)
	}
	v := &Viewer{pc: pc, log: s.cfg.Log.With("whep", id), onEnd: onEnd}
	// A room of its own, in no map of the SFU: it only links the peer
	// to the SFU's shared parts.
	v.peer = &Peer{id: id, room: newRoom("whep-"+id, s), opts: opts, log: v.log, sub: pc, subConnected: make(chan struct{})}
	pc.OnConnectionStateChange(v.stateChanged)
	if err := v.start(ctx, offer, tracks(), mainStream); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// start applies the offer, binds tracks to its m-lines and answers once
// ICE gathering is done (or ctx ends), so the answer carries candidates.
func (v *Viewer) start(ctx context.Context, offer string, tracks []published, mainStream bool) error {
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fmt.Errorf("apply WHEP offer: %w", err)
	}
	v.mu.Lock()
	for _, t := range tracks {
		if !v.freeMLine(t) {
			continue
		}
		sub, err := t.subscribe(v.peer)
		if err != nil {
			v.mu.Unlock()
			return fmt.Errorf("watch %v: %w", t.info(), err)
		}
		if fs, ok := sub.(*feedSubscription); ok && mainStream {
			fs.setQuality(true) // a WHEP player shows one camera, large
		}
		v.subs = append(v.subs, sub)
		v.wg.Go(sub.run)
	}
	n := len(v.subs)
	v.mu.Unlock()
	if n == 0 {
		return ErrNothingToWatch
	}
	return answerGathered(ctx, v.pc)
}

// freeMLine reports whether the offer has an m-line left for t's kind.
func (v *Viewer) freeMLine(t published) bool {
	kind := webrtc.RTPCodecTypeAudio
	if t.info().Source != SourceMicrophone {
		kind = webrtc.RTPCodecTypeVideo
	}
	for _, tr := range v.pc.GetTransceivers() {
		if tr.Kind() == kind && tr.Sender() == nil {
			return true
		}
	}
	return false
}

// answerGathered creates and applies the answer, then waits for ICE
// gathering so that a client without trickle ICE gets every candidate.
func answerGathered(ctx context.Context, pc *webrtc.PeerConnection) error {
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("create answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("apply answer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done(): // answer with the candidates found so far
	}
	return nil
}

func (v *Viewer) stateChanged(s webrtc.PeerConnectionState) {
	v.log.Debug("WHEP connection state", "state", s.String())
	switch s {
	case webrtc.PeerConnectionStateConnected:
		v.peer.subConnectedOnce.Do(func() { close(v.peer.subConnected) })
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		v.end()
	}
}

// end reports the connection's end once. onEnd runs on pion's goroutine:
// it must not block, nor call Close before returning.
func (v *Viewer) end() {
	v.endOnce.Do(func() {
		if v.onEnd != nil {
			v.onEnd()
		}
	})
}

// Answer is the SDP answer with the candidates gathered.
func (v *Viewer) Answer() string {
	if d := v.pc.LocalDescription(); d != nil {
		return d.SDP
	}
	return ""
}

// AddICECandidate adds a candidate the client trickled.
func (v *Viewer) AddICECandidate(c webrtc.ICECandidateInit) error {
	return v.pc.AddICECandidate(c)
}

// RemoteSDP is the client's offer.
func (v *Viewer) RemoteSDP() string {
	if d := v.pc.RemoteDescription(); d != nil {
		return d.SDP
	}
	return ""
}

// Tracks counts the tracks the viewer receives.
func (v *Viewer) Tracks() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.subs)
}

// Close stops every track and closes the connection, then waits for the
// viewer's goroutines.
func (v *Viewer) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	subs := v.subs
	v.subs = nil
	v.mu.Unlock()
	v.endOnce.Do(func() {}) // a Close asked for is no failure to report
	for _, s := range subs {
		s.cancel()
	}
	if err := v.pc.Close(); err != nil {
		v.log.Debug("close WHEP connection", "err", err)
	}
	v.wg.Wait()
}
