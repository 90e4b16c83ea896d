package sfu

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// whepClient is a player that offers receive-only m-lines.
func whepClient(t *testing.T, kinds ...webrtc.RTPCodecType) (*webrtc.PeerConnection, string, chan *webrtc.TrackRemote) {
	t.Helper()
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	tracks := make(chan *webrtc.TrackRemote, 4)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { tracks <- tr })
	return pc, completeOffer(t, pc), tracks
}

func TestWHEPViewerOfRoomAndItsEnd(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		s := testSFU(t)
		v := newRTPSource(t, webrtc.MimeTypeVP8, "v", "v")
		a := joinClient(t, s, "room", "alice", v.track)
		var players []*webrtc.PeerConnection
		whepClient := func(kinds ...webrtc.RTPCodecType) (*webrtc.PeerConnection, string, chan *webrtc.TrackRemote) {
			pc, offer, tracks := whepClient(t, kinds...)
			players = append(players, pc)
			return pc, offer, tracks
		}
		// Client connections are closed here, not at cleanup, so that
		// only the server's goroutines could survive.
		defer func() {
			a.peer.Close()
			s.Close()
			v.Stop()
			_ = a.pub.Close()
			_ = a.sub.Close()
			for _, pc := range players {
				_ = pc.Close()
			}
		}()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Nothing published yet in another room.
		_, offer, _ := whepClient(webrtc.RTPCodecTypeVideo)
		if _, err := s.WatchRoom(ctx, "w0", "empty", offer, PeerOptions{}, nil); !errors.Is(err, ErrNothingToWatch) {
			t.Fatalf("empty room: %v, want ErrNothingToWatch", err)
		}

		// Alice's track is published once its first packet is read.
		deadline := time.Now().Add(10 * time.Second)
		var viewer *Viewer
		var tracks chan *webrtc.TrackRemote
		for viewer == nil {
			pc, offer, ch := whepClient(webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo)
			ended := make(chan struct{})
			vw, err := s.WatchRoom(ctx, "w1", "room", offer, PeerOptions{}, func() { close(ended) })
			switch {
			case errors.Is(err, ErrNothingToWatch) && time.Now().Before(deadline):
				time.Sleep(50 * time.Millisecond)
				continue
			case err != nil:
				t.Fatal(err)
			}
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: vw.Answer()}); err != nil {
				t.Fatal(err)
			}
			viewer, tracks = vw, ch
			defer func() {
				// The player leaving ends the viewer, and says so once.
				_ = pc.Close()
				select {
				case <-ended:
				case <-time.After(15 * time.Second):
					t.Error("viewer's end not reported after the player left")
				}
				viewer.Close()
			}()
		}
		if n := viewer.Tracks(); n != 1 {
			t.Fatalf("viewer carries %d tracks, want alice's video only", n)
		}
		select {
		case tr := <-tracks:
			readIntact(t, tr, 20)
		case <-time.After(10 * time.Second):
			t.Fatal("no track at the WHEP player")
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines left, started with %d:\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPublishOnlyPeerReceivesNothing(t *testing.T) {
	s := testSFU(t)
	v := newRTPSource(t, webrtc.MimeTypeVP8, "v", "v")
	defer v.Stop()
	joinClient(t, s, "room", "alice", v.track)
	p, err := s.Join("room", "whip", events{&testClient{t: t, offers: make(chan subOffer, 1), cands: map[PCKind][]webrtc.ICECandidateInit{}, added: map[PCKind]bool{}, failed: make(chan PCKind, 2)}}, PeerOptions{PublishOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := NewFeed(FeedConfig{Camera: "c", Codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachFeed("room", f); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sub != nil || len(p.downs) != 0 {
		t.Fatalf("publish-only peer got a subscribe connection or %d tracks", len(p.downs))
	}
}
