package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/camsim"
	"vigie/config"
)

// TestWHEPWatchesSimulatedCamera runs the whole server with the camera
// simulator as an RTSP camera no room shows: a pion WHEP player watching
// it starts its ingest and receives H.264 from a keyframe on; DELETE lets
// the camera go.
func TestWHEPWatchesSimulatedCamera(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := camsim.Start(ctx, camsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "vigie-whep-")
	if err != nil {
		t.Fatal(err)
	}
	const key = "whep-test-admin-key-0123456789"
	cfg := config.Default()
	cfg.Data = dir
	cfg.Listen = "127.0.0.1:" + freePort()
	cfg.Admin.APIKeys = []string{key}
	cfg.Cameras = []config.Camera{{ID: "hall", Name: "Hall", URL: sim.URL("/main")}}
	srv, stop, err := startInProcess(ctx, cfg, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: trustServer(srv)}, Timeout: 20 * time.Second}

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
	defer pc.Close()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	videos := make(chan *webrtc.TrackRemote, 2)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			videos <- tr
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered

	req, _ := http.NewRequest(http.MethodPost, srv.publicURL+"/api/v1/whep/cameras/hall", strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %s %q", resp.Status, answer)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/whep/sessions/") || resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("POST headers %v", resp.Header)
	}
	if n := srv.cameras.Watchers("hall"); n != 1 {
		t.Fatalf("camera held by %d viewers, want 1", n)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	var tr *webrtc.TrackRemote
	select {
	case tr = <-videos:
	case <-time.After(15 * time.Second):
		t.Fatal("no video track within 15 s")
	}
	if !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeH264) {
		t.Fatalf("video codec %s, want H.264", tr.Codec().MimeType)
	}
	if !readsKeyframe(t, tr) {
		t.Fatal("no H.264 keyframe (SPS then IDR) received")
	}

	req, _ = http.NewRequest(http.MethodDelete, srv.publicURL+loc, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %s", resp.Status)
	}
	if n := srv.cameras.Watchers("hall"); n != 0 {
		t.Fatalf("camera still held by %d viewers after DELETE", n)
	}
}

// readsKeyframe reads RTP until an SPS and then an IDR slice (single NAL
// unit or FU-A start) arrive, within 15 s.
func readsKeyframe(t *testing.T, tr *webrtc.TrackRemote) bool {
	t.Helper()
	_ = tr.SetReadDeadline(time.Now().Add(15 * time.Second))
	sps := false
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Logf("read: %v (SPS seen: %v)", err, sps)
			return false
		}
		if len(p.Payload) < 2 {
			continue
		}
		switch nal := p.Payload[0] & 0x1f; {
		case nal == 7:
			sps = true
		case sps && (nal == 5 || nal == 28 && p.Payload[1]&0x9f == 0x85):
			return true
		}
	}
}
