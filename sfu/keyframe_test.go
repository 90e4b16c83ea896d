package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TestKeyframeRequestsReachPublisherThrottled checks that a subscriber's PLI
// reaches the publisher, and that a burst of them becomes one.
func TestKeyframeRequestsReachPublisherThrottled(t *testing.T) {
	// After the first request, nothing passes during the test.
	viewer, tr, plis := keyframeRoom(t, time.Hour)

	// The new viewer's subscription asked for one keyframe already.
	select {
	case <-plis:
	case <-time.After(5 * time.Second):
		t.Fatal("no keyframe request reached the publisher")
	}
	for range 10 {
		if err := viewer.sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}}); err != nil {
			t.Fatal(err)
		}
	}
	readIntact(t, tr, 50) // time for RTCP to cross, measured in packets
	if n := len(plis); n != 0 {
		t.Fatalf("%d more keyframe requests passed the throttle", n)
	}
}

func TestKeyframeRequestForwarded(t *testing.T) {
	viewer, tr, plis := keyframeRoom(t, time.Millisecond)
	<-plis // the subscription's own request
	deadline := time.After(5 * time.Second)
	for {
		_ = viewer.sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
		select {
		case <-plis:
			return
		case <-deadline:
			t.Fatal("a subscriber's PLI never reached the publisher")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// keyframeRoom has a viewer subscribed to a publisher's video, with PLIs
// throttled to one per interval; plis signals each the publisher receives.
func keyframeRoom(t *testing.T, interval time.Duration) (*testClient, *webrtc.TrackRemote, chan struct{}) {
	t.Helper()
	s, err := New(Config{
		IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4},
		KeyframeRequestInterval: interval,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	v := newRTPSource(t, webrtc.MimeTypeVP8, "v", "v")
	pub := joinClient(t, s, "room", "camera", v.track)
	plis := watchPLIs(pub.pub.GetTransceivers()[0].Sender())
	viewer := joinClient(t, s, "room", "viewer")
	viewer.answerOffer(10 * time.Second)
	tr := nextTrack(t, viewer)
	readIntact(t, tr, 5)
	return viewer, tr, plis
}

// watchPLIs signals each PLI the publisher's sender receives, until the
// connection closes.
func watchPLIs(sender *webrtc.RTPSender) chan struct{} {
	plis := make(chan struct{}, 64)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					plis <- struct{}{}
				}
			}
		}
	}()
	return plis
}
