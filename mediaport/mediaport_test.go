package mediaport

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestPeersUseTheMediaPorts: a peer connection built with Apply receives
// its ICE traffic on the shared UDP socket, or on the ICE-TCP listener
// when the other side speaks only TCP.
func TestPeersUseTheMediaPorts(t *testing.T) {
	ports, err := Open(Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ports.Close()
	tests := []struct {
		name     string
		client   []webrtc.NetworkType
		protocol webrtc.ICEProtocol
		port     int
	}{
		{"udp", []webrtc.NetworkType{webrtc.NetworkTypeUDP4}, webrtc.ICEProtocolUDP, ports.UDPAddr().(*net.UDPAddr).Port},
		{"tcp", []webrtc.NetworkType{webrtc.NetworkTypeTCP4}, webrtc.ICEProtocolTCP, ports.TCPAddr().(*net.TCPAddr).Port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var se webrtc.SettingEngine
			se.SetIncludeLoopbackCandidate(true)
			if err := ports.Apply(&se); err != nil {
				t.Fatal(err)
			}
			server := newPeer(t, webrtc.NewAPI(webrtc.WithSettingEngine(se)))
			var cse webrtc.SettingEngine
			cse.SetIncludeLoopbackCandidate(true)
			cse.SetNetworkTypes(tt.client)
			client := newPeer(t, webrtc.NewAPI(webrtc.WithSettingEngine(cse)))
			connect(t, server, client)
			pair, err := server.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
			if err != nil || pair == nil {
				t.Fatalf("no selected pair: %v", err)
			}
			if pair.Local.Protocol != tt.protocol || int(pair.Local.Port) != tt.port {
				t.Fatalf("server side of the pair is %s %s:%d, want %s port %d",
					pair.Local.Protocol, pair.Local.Address, pair.Local.Port, tt.protocol, tt.port)
			}
		})
	}
}

// TestPublicIPsAnnounced: a public IP is offered next to the local
// addresses.
func TestPublicIPsAnnounced(t *testing.T) {
	ports, err := Open(Config{UDP: "127.0.0.1:0", PublicIPs: []string{"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ports.Close()
	if ports.TCPAddr() != nil {
		t.Fatalf("ICE-TCP open at %v without being asked", ports.TCPAddr())
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	if err := ports.Apply(&se); err != nil {
		t.Fatal(err)
	}
	pc := newPeer(t, webrtc.NewAPI(webrtc.WithSettingEngine(se)))
	offer := gatheredOffer(t, pc)
	port := ports.UDPAddr().(*net.UDPAddr).Port
	for _, want := range []string{" 203.0.113.7 ", " 127.0.0.1 "} {
		if !strings.Contains(offer, want+strconv.Itoa(port)+" typ host") {
			t.Errorf("offer lacks a host candidate at%s%d:\n%s", want, port, offer)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	taken, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, cfg := range []Config{
		{UDP: taken.LocalAddr().String()},
		{UDP: "127.0.0.1:0", TCP: "not an address"},
		{UDP: "127.0.0.1:0", PublicIPs: []string{"vigie.example.org"}},
	} {
		if p, err := Open(cfg); err == nil {
			p.Close()
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

func newPeer(t *testing.T, api *webrtc.API) *webrtc.PeerConnection {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.GracefulClose() })
	return pc
}

// gatheredOffer makes pc offer a data channel and returns the offer with
// every candidate.
func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	if _, err := pc.CreateDataChannel("probe", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("gathering did not complete within 10 s")
	}
	return pc.LocalDescription().SDP
}

// connect negotiates server (offerer) with client and waits until both
// are connected.
func connect(t *testing.T, server, client *webrtc.PeerConnection) {
	t.Helper()
	connected := make(chan struct{})
	server.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	offer := gatheredOffer(t, server)
	if err := client.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := client.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(client)
	if err := client.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := server.SetRemoteDescription(*client.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatalf("not connected within 10 s: %s", server.ConnectionState())
	}
}
