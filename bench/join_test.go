package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
	"vigie/signaling"
	"vigie/store"
	"vigie/token"
)

// testServer is a real vigie signaling server over a real SFU and store,
// with one room showing one simulated camera.
type testServer struct {
	base   string
	tls    *tls.Config
	room   string
	signer *token.Signer
	camera *fakeCamera
}

func startServer(t *testing.T, withTLS bool) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner([]byte(strings.Repeat("s", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	media, err := sfu.New(sfu.Config{Log: quiet, IncludeLoopback: true, NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &signaling.Server{Log: quiet, SFU: media, Tokens: signer, Store: st}
	srv.Init()
	var hs *httptest.Server
	if withTLS {
		hs = httptest.NewTLSServer(srv.Handler())
	} else {
		hs = httptest.NewServer(srv.Handler())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		media.Close()
		hs.Close()
		_ = st.Close()
	})
	room := token.NewID("r_")
	if err := st.CreateRoom(ctx, store.Room{ID: room, Name: "Exercice", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{base: hs.URL, room: room, signer: signer}
	if withTLS {
		roots := x509.NewCertPool()
		roots.AddCert(hs.Certificate())
		ts.tls = &tls.Config{RootCAs: roots}
	}
	feed, err := sfu.NewFeed(sfu.FeedConfig{Camera: "cam", Codec: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := media.AttachFeed(room, feed); err != nil {
		t.Fatal(err)
	}
	ts.camera = &fakeCamera{feed: feed, gop: 100}
	ts.camera.start(t)
	return ts
}

// link is a participant join link valid for ttl.
func (s *testServer) link(t *testing.T, ttl time.Duration) string {
	t.Helper()
	tok, err := s.signer.Sign(token.Claims{Room: s.room, Subject: "p_bench", Name: "Banc", Role: token.RoleParticipant, Expiry: time.Now().Add(ttl).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return s.base + "/room/" + s.room + "?t=" + tok
}

// fakeCamera writes a 25 fps H.264 stream with a keyframe every gop frames
// (4 s at 100), like a camera with a long keyframe interval.
type fakeCamera struct {
	feed *sfu.Feed
	gop  int64
}

func (c *fakeCamera) start(t *testing.T) {
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for frame := int64(0); ; frame++ {
			c.write(frame)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func (c *fakeCamera) write(frame int64) {
	key := frame%c.gop == 0
	var au [][]byte
	if key {
		idr := make([]byte, 20000)
		idr[0] = 0x65
		au = [][]byte{{0x67, 0x42, 0xe0, 0x1f}, {0x68, 0xce, 0x3c, 0x80}, idr}
	} else {
		slice := make([]byte, 3000)
		slice[0] = 0x41
		au = [][]byte{slice}
	}
	c.feed.WriteVideo(frame*3600, au, key)
}

// benchGoroutines lists the goroutines running code of this package
// outside its tests.
func benchGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "vigie/bench.(*") && !strings.Contains(g, "vigie/bench.Test") && !strings.Contains(g, "vigie/bench.(*fakeCamera)") && !strings.Contains(g, "vigie/bench.(*whepTestServer)") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func TestJoinMeasuresCameraKeyframe(t *testing.T) {
	srv := startServer(t, true)
	res, err := Join(t.Context(), JoinConfig{
		Link:      srv.link(t, time.Hour),
		N:         5,
		MaxDelay:  time.Second,
		TLSConfig: srv.tls,
		Rand:      rand.New(rand.NewPCG(1, 2)),
		Log:       testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("join over wss, 25 fps camera, keyframe every 4 s:\n%s", table.String())

	if leftover := benchGoroutines(); leftover != "" {
		t.Errorf("goroutines of the bench still running after Join:\n%s", leftover)
	}
	if res.Failures != 0 || len(res.Samples) != 5 {
		t.Fatalf("%d samples, %d failures: %v", len(res.Samples), res.Failures, res.Errors)
	}
	for i, s := range res.Samples {
		if s.FirstPacket <= 0 || s.FirstKeyframe < s.FirstPacket || s.Live < s.FirstKeyframe || s.Codec != "H264" || s.Route != "host/udp → host/udp" {
			t.Errorf("viewer %d: %+v", i+1, s)
		}
	}
	for name, d := range map[string]Distribution{"first packet": res.FirstPacket, "first keyframe": res.FirstKeyframe} {
		if d.Min <= 0 || d.Min > d.Median || d.Median > d.P95 || d.P95 > d.Max {
			t.Errorf("%s: %+v", name, d)
		}
	}
	if res.FirstKeyframe.Min < res.FirstPacket.Min {
		t.Errorf("a keyframe before any packet: %+v, %+v", res.FirstKeyframe, res.FirstPacket)
	}
	b, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		N             int                `json:"n"`
		Failures      int                `json:"failures"`
		FirstKeyframe map[string]float64 `json:"first_keyframe_ms"`
	}
	if err := json.Unmarshal(b, &parsed); err != nil || parsed.N != 5 || parsed.Failures != 0 || parsed.FirstKeyframe["max"] <= 0 {
		t.Fatalf("JSON %s: %v", b, err)
	}
}

func TestJoinOverPlainHTTPNamedCamera(t *testing.T) {
	srv := startServer(t, false)
	res, err := Join(t.Context(), JoinConfig{Link: srv.link(t, time.Hour), N: 2, MaxDelay: -1, Camera: "cam", Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 0 || len(res.Samples) != 2 {
		t.Fatalf("%d samples, %d failures: %v", len(res.Samples), res.Failures, res.Errors)
	}
	for _, s := range res.Samples {
		if s.FirstKeyframe < s.FirstPacket {
			t.Errorf("sample %+v", s)
		}
	}
}

func TestJoinRefusedLinkStops(t *testing.T) {
	srv := startServer(t, false)
	res, err := Join(t.Context(), JoinConfig{Link: srv.link(t, -time.Minute), N: 3, MaxDelay: -1, Log: testLog(t)})
	if err == nil || !strings.Contains(err.Error(), "token_expired") {
		t.Fatalf("expired link: %v", err)
	}
	if len(res.Samples) != 0 || res.Failures != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestJoinUnknownCameraFails(t *testing.T) {
	srv := startServer(t, false)
	res, err := Join(t.Context(), JoinConfig{Link: srv.link(t, time.Hour), N: 1, MaxDelay: -1, Camera: "nope", Timeout: 2 * time.Second, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 1 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "camera nope") {
		t.Fatalf("result %+v", res)
	}
	t.Logf("failure reason: %s", res.Errors[0])
}

func TestJoinStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Join(ctx, JoinConfig{Link: "http://127.0.0.1:1/room/r?t=x", N: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled join: %v", err)
	}
}
