package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// testClient is a pion participant driving a Peer directly, as the signaling
// package would for a browser.
type testClient struct {
	t    *testing.T
	id   string
	peer *Peer
	pub  *webrtc.PeerConnection
	sub  *webrtc.PeerConnection

	offers chan subOffer
	mu     sync.Mutex
	cands  map[PCKind][]webrtc.ICECandidateInit
	added  map[PCKind]bool
	failed chan PCKind

	tracks chan *webrtc.TrackRemote
}

type subOffer struct {
	sdp    string
	tracks map[string]TrackInfo
}

// events implements PeerEvents for testClient without calling back.
type events struct{ c *testClient }

func (e events) SubscribeOffer(sdp string, tracks map[string]TrackInfo) {
	e.c.offers <- subOffer{sdp, tracks}
}

func (e events) ICECandidate(pc PCKind, c *webrtc.ICECandidateInit) {
	if c == nil {
		return
	}
	e.c.mu.Lock()
	defer e.c.mu.Unlock()
	e.c.cands[pc] = append(e.c.cands[pc], *c)
}

func (e events) ConnectionFailed(pc PCKind) {
	select {
	case e.c.failed <- pc:
	default:
	}
}

func testSFU(t *testing.T) *SFU {
	t.Helper()
	s, err := New(Config{IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func clientAPI(t *testing.T) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
}

// joinClient joins room with the given local tracks published.
func joinClient(t *testing.T, s *SFU, room, id string, locals ...webrtc.TrackLocal) *testClient {
	t.Helper()
	c := &testClient{
		t: t, id: id,
		offers: make(chan subOffer, 16),
		cands:  map[PCKind][]webrtc.ICECandidateInit{},
		added:  map[PCKind]bool{},
		failed: make(chan PCKind, 2),
		tracks: make(chan *webrtc.TrackRemote, 16),
	}
	api := clientAPI(t)
	var err error
	if c.pub, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	if c.sub, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.pub.Close(); _ = c.sub.Close() })
	c.sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.tracks <- tr })

	if c.peer, err = s.Join(room, id, events{c}, PeerOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(locals) == 0 {
		return c // receive only: nothing to offer on the publish connection
	}
	sources := map[string]Source{}
	for _, l := range locals {
		if _, err := c.pub.AddTrack(l); err != nil {
			t.Fatal(err)
		}
	}
	offer := completeOffer(t, c.pub)
	for _, tr := range c.pub.GetTransceivers() {
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			sources[tr.Mid()] = SourceMicrophone
		} else {
			sources[tr.Mid()] = SourceCamera
		}
	}
	answer, err := c.peer.HandlePublishOffer(offer, sources)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	c.addServerCandidates(PCPublish, c.pub)
	return c
}

// completeOffer creates an offer and waits for ICE gathering, so the test
// needs no trickle from the client side.
func completeOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP
}

// addServerCandidates adds the server's candidates once per connection: a
// renegotiation gathers none.
func (c *testClient) addServerCandidates(kind PCKind, pc *webrtc.PeerConnection) {
	c.t.Helper()
	if c.added[kind] {
		return
	}
	c.added[kind] = true
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		list := c.cands[kind]
		c.cands[kind] = nil
		c.mu.Unlock()
		for _, cand := range list {
			if err := pc.AddICECandidate(cand); err != nil {
				c.t.Fatal(err)
			}
		}
		if len(list) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("%s: no server candidate for %s", c.id, kind)
}

// answerOffers answers subscribe offers until it has received want tracks,
// returning the last track map seen.
func (c *testClient) answerOffer(timeout time.Duration) map[string]TrackInfo {
	c.t.Helper()
	select {
	case o := <-c.offers:
		if err := c.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: o.sdp}); err != nil {
			c.t.Fatal(err)
		}
		answer, err := c.sub.CreateAnswer(nil)
		if err != nil {
			c.t.Fatal(err)
		}
		done := webrtc.GatheringCompletePromise(c.sub)
		if err := c.sub.SetLocalDescription(answer); err != nil {
			c.t.Fatal(err)
		}
		<-done
		if err := c.peer.HandleSubscribeAnswer(c.sub.LocalDescription().SDP); err != nil {
			c.t.Fatal(err)
		}
		c.addServerCandidates(PCSubscribe, c.sub)
		return o.tracks
	case <-time.After(timeout):
		c.t.Fatalf("%s: no subscribe offer within %v", c.id, timeout)
		return nil
	}
}

// rtpSource writes numbered RTP packets to a local track until stopped.
type rtpSource struct {
	track *webrtc.TrackLocalStaticRTP
	stop  chan struct{}
	done  chan struct{}
}

func newRTPSource(t *testing.T, mime, id, stream string) *rtpSource {
	t.Helper()
	cap := webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}
	if mime == webrtc.MimeTypeOpus {
		cap = webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 48000, Channels: 2}
	}
	tr, err := webrtc.NewTrackLocalStaticRTP(cap, id, stream)
	if err != nil {
		t.Fatal(err)
	}
	s := &rtpSource{track: tr, stop: make(chan struct{}), done: make(chan struct{})}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// payloadFor is the content of packet n: tests check it arrives intact.
func payloadFor(n uint16) []byte {
	b := make([]byte, 200)
	for i := range b {
		b[i] = byte(int(n) + i)
	}
	// A VP8 payload descriptor starting a keyframe partition, so the
	// stream also looks plausible to a real decoder.
	b[0], b[1] = 0x10, 0x00
	return b
}

func (s *rtpSource) start() {
	go func() {
		defer close(s.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n := uint16(1); ; n++ {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			_ = s.track.WriteRTP(&rtp.Packet{
				Header:  rtp.Header{Version: 2, SequenceNumber: n, Timestamp: uint32(n) * 3000, Marker: true},
				Payload: payloadFor(n),
			})
		}
	}()
}

func (s *rtpSource) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
		<-s.done
	}
}
