package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// srtpReplayWindow is how far behind the newest packet a packet may come
// and still be taken (packets, at most 2^15).
const srtpReplayWindow = 1024

// whepAPI builds the pion API every WHEP viewer shares: the default codecs,
// a NACK generator (so losses are repaired as a browser's would be) and
// RTCP receiver reports; no congestion control. A server on this host is
// reached on loopback only, one socket per viewer, each with a receive
// buffer of viewerReadBuffer.
func whepAPI(loopback bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return nil, fmt.Errorf("nack: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	var se webrtc.SettingEngine
	n, err := newBufferedNet(viewerReadBuffer)
	if err != nil {
		return nil, err
	}
	se.SetNet(n)
	// A packet sent again after a NACK comes behind the packets sent since:
	// in a keyframe or a cache replay, more than pion's default window of
	// 64, which would refuse it as a replay and leave it lost.
	se.SetSRTPReplayProtectionWindow(srtpReplayWindow)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// isLoopbackURL tells whether a URL's host is this machine.
func isLoopbackURL(u *url.URL) bool {
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// whepTarget is where and how viewers ask for the stream.
type whepTarget struct {
	endpoint   *url.URL
	token      string
	client     *http.Client
	api        *webrtc.API
	frameTicks uint32
	audio      bool
}

// whepViewer is one WHEP viewer: a receive-only peer connection whose
// offer is POSTed to the endpoint. It reads its tracks and counts what
// arrives until closed.
type whepViewer struct {
	target  *whepTarget
	pc      *webrtc.PeerConnection
	session string // the session's URL, from Location; "" until created

	video *videoStats    // the first video track
	other streamCounters // any other track: packets and bytes only
	state atomic.Int32   // webrtc.PeerConnectionState

	media     chan struct{} // closed at the first video packet
	mediaOnce sync.Once

	mu       sync.Mutex // guards closed and readers.Add
	closed   bool
	readers  sync.WaitGroup
	hasVideo atomic.Bool
}

// dialWHEP negotiates one viewer and waits for its first video packet.
// On error the viewer is already closed.
func dialWHEP(parent context.Context, t *whepTarget, timeout time.Duration) (*whepViewer, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	v := &whepViewer{target: t, video: newVideoStats(t.frameTicks, false), media: make(chan struct{})}
	err := v.negotiate(ctx)
	if err == nil {
		select {
		case <-v.media:
		case <-ctx.Done():
			err = fmt.Errorf("no video within %v (connection %s)", timeout, v.connectionState())
		}
	}
	if err != nil && parent.Err() != nil {
		err = parent.Err() // stopped, not failed
	}
	if err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

func (v *whepViewer) negotiate(ctx context.Context) error {
	pc, err := v.target.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("peer connection: %w", err)
	}
	v.pc = pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { v.state.Store(int32(s)) })
	pc.OnTrack(v.onTrack)
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	if v.target.audio {
		kinds = append(kinds, webrtc.RTPCodecTypeAudio)
	}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("transceiver: %w", err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("gathering candidates: %w", ctx.Err())
	}
	answer, err := v.post(ctx, pc.LocalDescription().SDP)
	if err != nil {
		return err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}

// post sends the offer and returns the answer, keeping the session's URL.
func (v *whepViewer) post(ctx context.Context, offer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.target.endpoint.String(), strings.NewReader(offer))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	v.authorize(req)
	resp, err := v.target.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST offer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return "", fmt.Errorf("POST offer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST offer: %s: %s", resp.Status, firstLine(body))
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New("POST offer: 201 without Location")
	}
	session, err := v.target.endpoint.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("POST offer: Location %q: %w", loc, err)
	}
	v.session = session.String()
	return string(body), nil
}

func (v *whepViewer) authorize(req *http.Request) {
	if v.target.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.target.token)
	}
}

// firstLine is the start of an error body, short enough for a log line.
func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	if len(line) > 200 {
		line = line[:200]
	}
	return string(line)
}

// onTrack starts reading a new track, unless the viewer is closing.
func (v *whepViewer) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.readers.Add(2)
	go v.readRTCP(recv)
	if tr.Kind() == webrtc.RTPCodecTypeVideo && v.hasVideo.CompareAndSwap(false, true) {
		v.video.h265 = strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeH265)
		go v.readVideo(tr)
		return
	}
	go v.readOther(tr)
}

// readVideo counts the video track's packets until the connection closes.
// One buffer, and only the header fields it needs, per packet.
func (v *whepViewer) readVideo(tr *webrtc.TrackRemote) {
	defer v.readers.Done()
	buf := make([]byte, 1600)
	for first := true; ; first = false {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		h, ok := parseRTPHeader(buf[:n])
		if !ok {
			continue
		}
		v.video.push(h, n)
		if first {
			v.mediaOnce.Do(func() { close(v.media) })
		}
	}
}

func (v *whepViewer) readOther(tr *webrtc.TrackRemote) {
	defer v.readers.Done()
	buf := make([]byte, 1600)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		v.other.packets.Add(1)
		v.other.bytes.Add(uint64(n))
	}
}

// readRTCP drains the server's RTCP so the interceptors see its sender
// reports and its buffer does not fill.
func (v *whepViewer) readRTCP(recv *webrtc.RTPReceiver) {
	defer v.readers.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := recv.Read(buf); err != nil {
			return
		}
	}
}

func (v *whepViewer) connectionState() webrtc.PeerConnectionState {
	return webrtc.PeerConnectionState(v.state.Load())
}

// snapshot is the viewer's totals: video judged for loss and frames,
// bytes and packets of every track.
func (v *whepViewer) snapshot() counterSnapshot {
	s := v.video.counters.snapshot()
	s.packets += v.other.packets.Load()
	s.bytes += v.other.bytes.Load()
	return s
}

// close ends the session on the server (DELETE, bounded), closes the peer
// connection and waits for the readers.
func (v *whepViewer) close() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	if v.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if req, err := http.NewRequestWithContext(ctx, http.MethodDelete, v.session, nil); err == nil {
			v.authorize(req)
			if resp, err := v.target.client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
			}
		}
		cancel()
	}
	if v.pc != nil {
		_ = v.pc.Close()
	}
	v.readers.Wait()
}
