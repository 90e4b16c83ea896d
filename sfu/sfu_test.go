package sfu

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// readIntact reads n packets from tr and checks each payload is exactly what
// the publisher wrote for that sequence number.
func readIntact(t *testing.T, tr *webrtc.TrackRemote, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for got := 0; got < n; got++ {
		_ = tr.SetReadDeadline(deadline)
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatalf("track %s: read after %d packets: %v", tr.ID(), got, err)
		}
		if want := payloadFor(p.SequenceNumber); !bytes.Equal(p.Payload, want) {
			t.Fatalf("track %s: packet %d altered", tr.ID(), p.SequenceNumber)
		}
	}
}

func nextTrack(t *testing.T, c *testClient) *webrtc.TrackRemote {
	t.Helper()
	select {
	case tr := <-c.tracks:
		return tr
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no track arrived", c.id)
		return nil
	}
}

func TestForwardsMediaBetweenParticipants(t *testing.T) {
	s := testSFU(t)
	aVideo := newRTPSource(t, webrtc.MimeTypeVP8, "a-video", "a")
	aAudio := newRTPSource(t, webrtc.MimeTypeOpus, "a-audio", "a")
	a := joinClient(t, s, "room", "alice", aVideo.track, aAudio.track)
	bVideo := newRTPSource(t, webrtc.MimeTypeVP8, "b-video", "b")
	b := joinClient(t, s, "room", "bob", bVideo.track)

	// Bob receives Alice's two tracks, possibly over two offers.
	seen := map[string]TrackInfo{}
	for len(seen) < 2 {
		for mid, info := range b.answerOffer(10 * time.Second) {
			seen[mid] = info
		}
	}
	for _, info := range seen {
		if info.Participant != "alice" {
			t.Fatalf("bob's offer names %+v", info)
		}
	}
	readIntact(t, nextTrack(t, b), 50)
	readIntact(t, nextTrack(t, b), 50)

	// Alice receives Bob's video.
	tracks := a.answerOffer(10 * time.Second)
	if len(tracks) != 1 {
		t.Fatalf("alice's offer: %+v", tracks)
	}
	for _, info := range tracks {
		if info.Participant != "bob" || info.Source != SourceCamera {
			t.Fatalf("alice's offer names %+v", info)
		}
	}
	tr := nextTrack(t, a)
	if tr.StreamID() != "bob" {
		t.Fatalf("stream id %q, want bob", tr.StreamID())
	}
	readIntact(t, tr, 50)

	// Bob leaves: Alice is offered a session without his track.
	b.peer.Close()
	if left := a.answerOffer(10 * time.Second); len(left) != 0 {
		t.Fatalf("after bob left, alice still offered %+v", left)
	}
	if rooms, peers := s.Counts(); rooms != 1 || peers != 1 {
		t.Fatalf("counts after leave: %d rooms, %d peers", rooms, peers)
	}
	a.peer.Close()
	if rooms, peers := s.Counts(); rooms != 0 || peers != 0 {
		t.Fatalf("counts after all left: %d rooms, %d peers", rooms, peers)
	}
}

func TestSameIdentityReplacesPeer(t *testing.T) {
	s := testSFU(t)
	first := joinClient(t, s, "room", "alice")
	second := joinClient(t, s, "room", "alice")
	if _, peers := s.Counts(); peers != 1 {
		t.Fatalf("%d peers, want 1", peers)
	}
	if _, err := first.peer.HandlePublishOffer("v=0", nil); err != ErrClosed {
		t.Fatalf("old peer still open: %v", err)
	}
	second.peer.Close()
}

func TestVanishedParticipantReported(t *testing.T) {
	s, err := New(Config{
		IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4},
		ICEDisconnectedTimeout: time.Second, ICEFailedTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := newRTPSource(t, webrtc.MimeTypeVP8, "v", "v")
	c := joinClient(t, s, "room", "ghost", v.track)
	connected := make(chan struct{})
	c.pub.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("publish connection never connected")
	}
	_ = c.pub.Close() // the browser vanishes
	select {
	case pc := <-c.failed:
		if pc != PCPublish {
			t.Fatalf("failed connection %s", pc)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("vanished participant not reported within 15 s")
	}
}

func TestNoGoroutineSurvivesRoom(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		s := testSFU(t)
		v := newRTPSource(t, webrtc.MimeTypeVP8, "v", "v")
		a := joinClient(t, s, "room", "alice", v.track)
		b := joinClient(t, s, "room", "bob")
		b.answerOffer(10 * time.Second)
		readIntact(t, nextTrack(t, b), 20)
		a.peer.Close()
		b.peer.Close()
		s.Close()
		v.Stop()
		_ = a.pub.Close()
		_ = a.sub.Close()
		_ = b.pub.Close()
		_ = b.sub.Close()
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
