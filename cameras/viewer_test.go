package cameras

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
)

// viewer is a pion browser stand-in that only receives: it answers the
// SFU's subscribe offers and counts the tracks it is given.
type viewer struct {
	t      *testing.T
	peer   *sfu.Peer
	pc     *webrtc.PeerConnection
	tracks chan *webrtc.TrackRemote
	offers chan string

	mu    sync.Mutex
	cands []webrtc.ICECandidateInit
}

func (v *viewer) SubscribeOffer(sdp string, _ map[string]sfu.TrackInfo) { v.offers <- sdp }
func (v *viewer) ConnectionFailed(sfu.PCKind)                           {}
func (v *viewer) ICECandidate(pc sfu.PCKind, c *webrtc.ICECandidateInit) {
	if c == nil || pc != sfu.PCSubscribe {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cands = append(v.cands, *c)
}

func newViewer(t *testing.T, media *sfu.SFU, room string) *viewer {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer{t: t, pc: pc, tracks: make(chan *webrtc.TrackRemote, 8), offers: make(chan string, 8)}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { v.tracks <- tr })
	if v.peer, err = media.Join(room, "viewer", v, sfu.PeerOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.peer.Close(); _ = pc.Close() })
	return v
}

// answer applies one offer with a complete answer, then the SFU's
// candidates gathered so far.
func (v *viewer) answer() {
	v.t.Helper()
	select {
	case sdp := <-v.offers:
		if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
			v.t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		v.t.Fatal("no subscribe offer")
	}
	ans, err := v.pc.CreateAnswer(nil)
	if err != nil {
		v.t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(v.pc)
	_ = v.pc.SetLocalDescription(ans)
	<-done
	if err := v.peer.HandleSubscribeAnswer(v.pc.LocalDescription().SDP); err != nil {
		v.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		v.mu.Lock()
		cands := v.cands
		v.cands = nil
		v.mu.Unlock()
		for _, c := range cands {
			_ = v.pc.AddICECandidate(c)
		}
		if len(cands) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// packetsWithin reads the track for d and counts packets.
func packetsWithin(tr *webrtc.TrackRemote, d time.Duration) int {
	n := 0
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		_ = tr.SetReadDeadline(end)
		if _, _, err := tr.ReadRTP(); err != nil {
			break
		}
		n++
	}
	return n
}

// TestViewerKeepsTrackAcrossCameraRestart checks what a responder sees
// when the camera reboots: the same track, its picture back by itself,
// without a new negotiation.
func TestViewerKeepsTrackAcrossCameraRestart(t *testing.T) {
	sim := startSim(t, "", "")
	media, err := sfu.New(sfu.Config{IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	log := &statusLog{notify: make(chan struct{}, 1)}
	reg, err := New(context.Background(), []Camera{{ID: "cam", URL: sim.URL("/main"), Preload: true}}, media, quiet(), log.record)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if err := reg.Attach("room", []string{"cam"}); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "cam", state("live"))

	v := newViewer(t, media, "room")
	v.answer()
	var tr *webrtc.TrackRemote
	select {
	case tr = <-v.tracks:
	case <-time.After(20 * time.Second):
		t.Fatal("no camera track")
	}
	if n := packetsWithin(tr, time.Second); n == 0 {
		t.Fatal("no packet from the live camera")
	}

	go func() { _ = sim.Restart(2 * time.Second) }()
	log.waitFor(t, "cam", state("reconnecting"))
	log.waitFor(t, "cam", state("live"))
	if n := packetsWithin(tr, 6*time.Second); n == 0 {
		t.Fatal("no packet on the same track after the camera came back")
	}
	select {
	case sdp := <-v.offers:
		t.Fatalf("the restart caused a renegotiation:\n%s", sdp)
	case extra := <-v.tracks:
		t.Fatalf("the restart gave a second track %s", extra.ID())
	default:
	}
}
