package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// whepTestServer is a small, real WHEP server: pion peer connections that
// answer the viewers' offers and send one shared H.264 track at 25 fps,
// ten 500-byte packets a frame (1 Mbit/s), answering NACKs. dropEvery > 0 skips every such
// sequence number for good, as a lossy sender would. Its /metrics has a
// histogram of how long writing each packet to every viewer took.
type whepTestServer struct {
	hs        *httptest.Server
	track     *webrtc.TrackLocalStaticRTP
	api       *webrtc.API
	dropEvery uint16

	mu       sync.Mutex
	sessions map[string]*webrtc.PeerConnection
	posts    int
	latency  []uint64 // counts per bound of latencyBounds, then +Inf
}

var latencyBounds = []float64{0.0001, 0.001, 0.01}

// packetsPerFrame of the test server's stream: 250 packets a second, so
// the 256-packet recovery window judges packets about 1 s after they come.
const packetsPerFrame = 10

func startWHEPTestServer(t *testing.T, dropEvery uint16) *whepTestServer {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}, "video", "cam")
	if err != nil {
		t.Fatal(err)
	}
	s := &whepTestServer{
		track: track, dropEvery: dropEvery,
		api:      webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		sessions: map[string]*webrtc.PeerConnection{},
		latency:  make([]uint64, len(latencyBounds)+1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whep", s.post)
	mux.HandleFunc("DELETE /sessions/{id}", s.delete)
	mux.HandleFunc("GET /metrics", s.metrics)
	s.hs = httptest.NewServer(mux)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.send(stop)
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		s.hs.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, pc := range s.sessions {
			_ = pc.Close()
		}
	})
	return s
}

func (s *whepTestServer) post(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer k" {
		http.Error(w, "bad key", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != "application/sdp" {
		http.Error(w, "want application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	offer, _ := io.ReadAll(r.Body)
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	answer, err := s.answer(pc, string(offer))
	if err != nil {
		_ = pc.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.posts++
	id := fmt.Sprint(s.posts)
	s.sessions[id] = pc
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/sessions/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func (s *whepTestServer) answer(pc *webrtc.PeerConnection, offer string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(s.track)
	if err != nil {
		return "", err
	}
	go func() { // drain RTCP so NACKs reach the responder; ends with pc
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

func (s *whepTestServer) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	pc, ok := s.sessions[r.PathValue("id")]
	delete(s.sessions, r.PathValue("id"))
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_ = pc.Close()
	w.WriteHeader(http.StatusNoContent)
}

func (s *whepTestServer) metrics(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	cum := uint64(0)
	for i, c := range s.latency {
		cum += c
		le := "+Inf"
		if i < len(latencyBounds) {
			le = fmt.Sprint(latencyBounds[i])
		}
		fmt.Fprintf(&b, "%s_bucket{camera=\"cam\",le=%q} %d\n", metricForwardLatency, le, cum)
	}
	_, _ = io.WriteString(w, b.String())
}

func (s *whepTestServer) openSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// send writes 25 frames a second of ten 500-byte FU-A packets (an IDR
// every 100 frames) until stop.
func (s *whepTestServer) send(stop <-chan struct{}) {
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	payload := make([]byte, 500)
	for frame := uint32(0); ; frame++ {
		nalType := byte(1)
		if frame%100 == 0 {
			nalType = 5
		}
		for i := range packetsPerFrame {
			payload[0], payload[1] = 0x7C, nalType
			if i == 0 {
				payload[1] |= 0x80
			}
			last := i == packetsPerFrame-1
			if last {
				payload[1] |= 0x40
			}
			seq++
			if s.dropEvery > 0 && seq%s.dropEvery == 0 {
				continue
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: frame * 3600, Marker: last}, Payload: payload}
			start := time.Now()
			_ = s.track.WriteRTP(&p)
			s.observe(time.Since(start).Seconds())
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func (s *whepTestServer) observe(secs float64) {
	i := 0
	for i < len(latencyBounds) && secs > latencyBounds[i] {
		i++
	}
	s.mu.Lock()
	s.latency[i]++
	s.mu.Unlock()
}

func TestFanoutMeasuresViewers(t *testing.T) {
	tests := []struct {
		name      string
		dropEvery uint16
		steps     []int
		wantLoss  float64 // per viewer, about
		minFrames float64 // complete ratio at least
		maxFrames float64 // and at most
	}{
		{"clean, viewers kept from step to step", 0, []int{1, 3}, 0, 0.99, 1},
		{"sender loses one packet in 50", 50, []int{3}, 0.02, 0.75, 0.85}, // one frame in five misses a packet
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startWHEPTestServer(t, tt.dropEvery)
			res, err := Fanout(t.Context(), FanoutConfig{
				WHEP: srv.hs.URL + "/whep", Token: "k", Steps: tt.steps,
				Duration: 2 * time.Second, Settle: 1500 * time.Millisecond,
				PID: os.Getpid(), Metrics: srv.hs.URL + "/metrics", Log: testLog(t),
			})
			if err != nil {
				t.Fatal(err)
			}
			var table bytes.Buffer
			if err := res.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", table.String())
			if len(res.Steps) != len(tt.steps) || len(res.Errors) != 0 {
				t.Fatalf("steps %d, errors %v", len(res.Steps), res.Errors)
			}
			for _, st := range res.Steps {
				checkStep(t, st, tt.wantLoss, tt.minFrames, tt.maxFrames)
			}
			if n := srv.openSessions(); n != 0 {
				t.Errorf("%d sessions left open on the server: DELETE missing", n)
			}
			if leftover := benchGoroutines(); leftover != "" {
				t.Errorf("goroutines of the bench still running after Fanout:\n%s", leftover)
			}
		})
	}
}

func checkStep(t *testing.T, st FanoutStep, wantLoss, minFrames, maxFrames float64) {
	t.Helper()
	if st.Connected != st.Viewers || st.Failed != 0 {
		t.Errorf("%d viewers: %d connected, %d failed", st.Viewers, st.Connected, st.Failed)
	}
	// 250 packets a second are sent; the window edges cut a few.
	if st.PacketsPerViewer < 220*(1-wantLoss) || st.PacketsPerViewer > 280 {
		t.Errorf("%.1f packets/s per viewer, want about 250", st.PacketsPerViewer)
	}
	if st.MbpsPerViewer < 0.8 || st.MbpsPerViewer > 1.2 {
		t.Errorf("%.3f Mbit/s per viewer, want about 1", st.MbpsPerViewer)
	}
	if math.Abs(st.LossMean-wantLoss) > 0.01 || st.LossWorst < st.LossMean {
		t.Errorf("loss mean %.4f worst %.4f, want about %.2f", st.LossMean, st.LossWorst, wantLoss)
	}
	if fps := st.FPSPerViewer / st.FramesComplete; fps < 22 || fps > 28 {
		t.Errorf("%.1f frames/s per viewer (%.1f complete), want about 25", fps, st.FPSPerViewer)
	}
	if st.HostUDPDrops < 0 {
		t.Errorf("host UDP drops unknown")
	}
	if st.FramesComplete < minFrames || st.FramesComplete > maxFrames {
		t.Errorf("frames complete %.3f, want in [%.2f, %.2f]", st.FramesComplete, minFrames, maxFrames)
	}
	for name, v := range map[string]float64{"server CPU": st.ServerCPU, "tool CPU": st.ToolCPU, "memory per viewer": st.MemPerViewer} {
		if math.IsNaN(v) {
			t.Errorf("%s unknown with a PID", name)
		}
	}
	if math.IsNaN(st.LatencyP50) || st.LatencyP99 < st.LatencyP50 || st.LatencyP99 > 0.01 {
		t.Errorf("latency p50 %v p99 %v from the server's histogram", st.LatencyP50, st.LatencyP99)
	}
}

func TestFanoutRefusedViewers(t *testing.T) {
	srv := startWHEPTestServer(t, 0)
	res, err := Fanout(t.Context(), FanoutConfig{
		WHEP: srv.hs.URL + "/whep", Token: "wrong", Steps: []int{2},
		Duration: 200 * time.Millisecond, Settle: -1, Log: testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Steps[0]
	if st.Connected != 0 || st.Failed != 2 {
		t.Errorf("step %+v", st)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "401") || !strings.Contains(res.Errors[0], "bad key") {
		t.Errorf("errors %q, want the server's 401 and reason once", res.Errors)
	}
	if !math.IsNaN(st.ServerCPU) || !math.IsNaN(st.LatencyP50) || !math.IsNaN(st.MemPerViewer) {
		t.Errorf("server figures without PID or metrics: %+v", st)
	}
	b, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Steps []map[string]any `json:"steps"`
	}
	if err := json.Unmarshal(b, &parsed); err != nil || len(parsed.Steps) != 1 {
		t.Fatalf("JSON %s: %v", b, err)
	}
	if v, ok := parsed.Steps[0]["server_cores"]; !ok || v != nil {
		t.Errorf("server_cores = %v, want null: %s", v, b)
	}
}

func TestFanoutStopsWithContext(t *testing.T) {
	srv := startWHEPTestServer(t, 0)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := Fanout(ctx, FanoutConfig{
			WHEP: srv.hs.URL + "/whep", Token: "k", Steps: []int{2}, Duration: time.Hour, Settle: -1, Log: testLog(t),
		})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for srv.openSessions() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("cancelled Fanout: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Fanout did not stop with its context")
	}
	if n := srv.openSessions(); n != 0 {
		t.Errorf("%d sessions left open after cancel", n)
	}
	if leftover := benchGoroutines(); leftover != "" {
		t.Errorf("goroutines left:\n%s", leftover)
	}
}

func TestFanoutConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  FanoutConfig
		want string
	}{
		{"no steps", FanoutConfig{WHEP: "http://127.0.0.1:1/w"}, "steps"},
		{"shrinking steps", FanoutConfig{WHEP: "http://127.0.0.1:1/w", Steps: []int{5, 2}}, "steps"},
		{"zero viewers", FanoutConfig{WHEP: "http://127.0.0.1:1/w", Steps: []int{0}}, "steps"},
		{"not http", FanoutConfig{WHEP: "rtsp://cam/x", Steps: []int{1}}, "WHEP URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fanout(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWaitStream(t *testing.T) {
	srv := startWHEPTestServer(t, 0)
	tests := []struct {
		name    string
		url     string
		token   string
		wantErr string
	}{
		{"ready", srv.hs.URL + "/whep", "k", ""},
		{"refused until the limit", srv.hs.URL + "/whep", "wrong", "401 Unauthorized"},
		{"no such endpoint", srv.hs.URL + "/nope", "k", "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WaitStream(t.Context(), FanoutConfig{WHEP: tt.url, Token: tt.token, Log: testLog(t)}, time.Second)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if n := srv.openSessions(); n != 0 {
		t.Errorf("%d probe sessions left open", n)
	}
}
