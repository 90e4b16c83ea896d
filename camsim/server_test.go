package camsim

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
)

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// viewer is an RTSP client playing one path over TCP.
type viewer struct {
	client *gortsplib.Client
	desc   *description.Session
}

// describe connects to rawURL and returns the session description.
func describe(t *testing.T, rawURL string) (*viewer, error) {
	t.Helper()
	u, err := base.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 5 * time.Second}
	if err := c.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(c.Close)
	desc, _, err := c.Describe(u)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &viewer{client: c, desc: desc}, nil
}

// play sets up every media and starts playing; onPacket runs on the
// client's reading goroutine.
func (v *viewer) play(t *testing.T, onPacket gortsplib.OnPacketRTPAnyFunc) {
	t.Helper()
	if err := v.client.SetupAll(v.desc.BaseURL, v.desc.Medias); err != nil {
		t.Fatal(err)
	}
	v.client.OnPacketRTPAny(onPacket)
	if _, err := v.client.Play(nil); err != nil {
		t.Fatal(err)
	}
}

// playPath describes and plays a path, failing the test on any error.
func playPath(t *testing.T, rawURL string, onPacket gortsplib.OnPacketRTPAnyFunc) *viewer {
	t.Helper()
	v, err := describe(t, rawURL)
	if err != nil {
		t.Fatalf("describe %s: %v", rawURL, err)
	}
	v.play(t, onPacket)
	return v
}

// waitFirstPackets plays rawURL and waits until every media has sent a packet.
func waitFirstPackets(t *testing.T, rawURL string, within time.Duration) *viewer {
	t.Helper()
	v, err := describe(t, rawURL)
	if err != nil {
		t.Fatalf("describe %s: %v", rawURL, err)
	}
	var mu sync.Mutex
	seen := map[*description.Media]bool{}
	want := len(v.desc.Medias)
	all := make(chan struct{})
	v.play(t, func(m *description.Media, _ format.Format, _ *rtp.Packet) {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < want {
			seen[m] = true
			if len(seen) == want {
				close(all)
			}
		}
	})
	select {
	case <-all:
	case <-time.After(within):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: packets from %d of %d medias within %v", rawURL, len(seen), want, within)
	}
	return v
}

func TestPathsDescribeAndStream(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	tests := []struct {
		path  string
		check func(t *testing.T, d *description.Session)
	}{
		{"/main", expectH264},
		{"/sub", expectH264},
		{"/bframes", expectH264},
		{"/h265", expectH265},
		{"/aac", func(t *testing.T, d *description.Session) { expectH264(t, d); expectAAC(t, d) }},
		{"/g711", func(t *testing.T, d *description.Session) { expectH264(t, d); expectPCMU(t, d) }},
		{"/bench2m", expectH264},
	}
	if got, want := len(s.Paths()), len(tests); got != want {
		t.Fatalf("Paths() = %v, want %d paths", s.Paths(), want)
	}
	for _, tt := range tests {
		t.Run(tt.path[1:], func(t *testing.T) {
			t.Parallel()
			v := waitFirstPackets(t, s.URL(tt.path), 3*time.Second)
			tt.check(t, v.desc)
		})
	}
}

func expectH264(t *testing.T, d *description.Session) {
	t.Helper()
	var f *format.H264
	if d.FindFormat(&f) == nil {
		t.Fatalf("no H264 in %v", d.Medias)
	}
	if len(f.SPS) == 0 || len(f.PPS) == 0 || f.PacketizationMode != 1 {
		t.Errorf("H264 SPS %x PPS %x mode %d: want sprop-parameter-sets and mode 1", f.SPS, f.PPS, f.PacketizationMode)
	}
}

func expectH265(t *testing.T, d *description.Session) {
	t.Helper()
	var f *format.H265
	if d.FindFormat(&f) == nil {
		t.Fatalf("no H265 in %v", d.Medias)
	}
	if len(f.VPS) == 0 || len(f.SPS) == 0 || len(f.PPS) == 0 {
		t.Errorf("H265 without VPS/SPS/PPS in the SDP")
	}
}

func expectAAC(t *testing.T, d *description.Session) {
	t.Helper()
	var f *format.MPEG4Audio
	if d.FindFormat(&f) == nil {
		t.Fatalf("no MPEG-4 audio in %v", d.Medias)
	}
	if f.Config == nil || f.Config.SampleRate != 48000 || f.Config.ChannelCount != 1 {
		t.Errorf("AAC config %+v, want 48 kHz mono", f.Config)
	}
}

func expectPCMU(t *testing.T, d *description.Session) {
	t.Helper()
	var f *format.G711
	if d.FindFormat(&f) == nil {
		t.Fatalf("no G711 in %v", d.Medias)
	}
	if !f.MULaw || f.SampleRate != 8000 || f.ChannelCount != 1 || f.PayloadType() != 0 {
		t.Errorf("G711 %+v, want PCMU 8 kHz mono, payload type 0", f)
	}
}

// TestMainKeyframes: a viewer joins mid-GOP, gets a keyframe within 4.5 s,
// then one every 4 s of RTP time, across a loop of the clip, each with SPS
// and PPS in band.
func TestMainKeyframes(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	v, err := describe(t, s.URL("/main"))
	if err != nil {
		t.Fatal(err)
	}
	var forma *format.H264
	if v.desc.FindFormat(&forma) == nil {
		t.Fatal("no H264 on /main")
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	type keyframe struct {
		ts       uint32
		arrived  time.Time
		inBandPS bool
	}
	keyframes := make(chan keyframe, 16)
	v.play(t, func(_ *description.Media, _ format.Format, pkt *rtp.Packet) {
		au, err := dec.Decode(pkt)
		if err != nil || !h264.IsRandomAccess(au) {
			return
		}
		select {
		case keyframes <- keyframe{ts: pkt.Timestamp, arrived: time.Now(), inBandPS: findParamSets(au, false) != nil}:
		default:
		}
	})
	playing := time.Now()

	var got []keyframe
	deadline := time.After(13 * time.Second)
	for len(got) < 3 {
		select {
		case k := <-keyframes:
			got = append(got, k)
		case <-deadline:
			t.Fatalf("%d keyframes within 13 s, want 3", len(got))
		}
	}
	if wait := got[0].arrived.Sub(playing); wait > 4500*time.Millisecond {
		t.Errorf("first keyframe after %v, want within 4.5 s", wait)
	}
	for i, k := range got {
		if !k.inBandPS {
			t.Errorf("keyframe %d without SPS/PPS in band", i)
		}
		if i == 0 {
			continue
		}
		if d := k.ts - got[i-1].ts; d != 4*90000 {
			t.Errorf("keyframes %d and %d are %d ticks apart, want %d", i-1, i, d, 4*90000)
		}
		// paced on the wall clock, not sent as fast as possible
		if d := k.arrived.Sub(got[i-1].arrived); d < 3500*time.Millisecond || d > 4500*time.Millisecond {
			t.Errorf("keyframes %d and %d arrived %v apart, want about 4 s", i-1, i, d)
		}
	}
}

// TestBFramesReordered: on /bframes, RTP timestamps (presentation times) go
// back now and then, as a receiver sees a camera sending B-frames.
func TestBFramesReordered(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	back := make(chan struct{})
	var once sync.Once
	var prev uint32
	started := false
	playPath(t, s.URL("/bframes"), func(_ *description.Media, _ format.Format, pkt *rtp.Packet) {
		if started && int32(pkt.Timestamp-prev) < 0 {
			once.Do(func() { close(back) })
		}
		prev, started = pkt.Timestamp, true
	})
	select {
	case <-back:
	case <-time.After(3 * time.Second):
		t.Fatal("presentation timestamps never went back within 3 s")
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{User: "admin", Pass: "s3cret"})
	withCreds := func(user, pass string) string {
		return strings.Replace(s.URL("/main"), "rtsp://", "rtsp://"+user+":"+pass+"@", 1)
	}
	tests := []struct {
		name    string
		url     string
		wantErr string // empty: success
	}{
		{"digest, right password", withCreds("admin", "s3cret"), ""},
		{"wrong password", withCreds("admin", "nope"), "401"},
		{"wrong user", withCreds("root", "s3cret"), "401"},
		{"no credentials", s.URL("/main"), "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := describe(t, tt.url)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("describe: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("describe error = %v, want one saying %s", err, tt.wantErr)
			case err != nil:
				t.Logf("refused: %v", err)
			}
		})
	}
	t.Run("basic", func(t *testing.T) {
		if status := rawDescribe(t, s.URL("/main"), "admin:s3cret"); status != 200 {
			t.Fatalf("DESCRIBE with Basic credentials: status %d, want 200", status)
		}
		if status := rawDescribe(t, s.URL("/main"), "admin:nope"); status != 401 {
			t.Fatalf("DESCRIBE with wrong Basic credentials: status %d, want 401", status)
		}
	})
}

// rawDescribe sends one DESCRIBE with Basic credentials and returns the
// response's status code.
func rawDescribe(t *testing.T, rawURL, userPass string) int {
	t.Helper()
	u, err := base.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	req := base.Request{
		Method: base.Describe,
		URL:    u,
		Header: base.Header{
			"CSeq":          base.HeaderValue{"1"},
			"Authorization": base.HeaderValue{"Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))},
		},
	}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	var res base.Response
	if err := res.Unmarshal(bufio.NewReader(conn)); err != nil {
		t.Fatalf("read DESCRIBE response: %v", err)
	}
	return int(res.StatusCode)
}

// TestDropSessions: dropping ends a playing viewer's session, and a new
// viewer can connect at once.
func TestDropSessions(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	v := waitFirstPackets(t, s.URL("/sub"), 3*time.Second)
	s.DropSessions()
	waitEnded(t, v, 3*time.Second)
	waitFirstPackets(t, s.URL("/sub"), 3*time.Second)
}

// waitEnded waits for a viewer's client to end on its own.
func waitEnded(t *testing.T, v *viewer, within time.Duration) {
	t.Helper()
	ended := make(chan error, 1)
	go func() { ended <- v.client.Wait() }()
	select {
	case err := <-ended:
		t.Logf("viewer ended: %v", err)
	case <-time.After(within):
		v.client.Close()
		<-ended
		t.Fatalf("viewer still connected %v later", within)
	}
}

// TestRestart: during a reboot the port refuses connections; after it the
// same URL streams again.
func TestRestart(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	v := waitFirstPackets(t, s.URL("/main"), 3*time.Second)
	u, err := base.ParseURL(s.URL("/main"))
	if err != nil {
		t.Fatal(err)
	}
	const down = 500 * time.Millisecond
	called := time.Now()
	restarted := make(chan error, 1)
	go func() { restarted <- s.Restart(down) }()

	waitEnded(t, v, 2*time.Second)
	if err := waitRefused(u.Host, called.Add(down)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-restarted:
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
	case <-time.After(down + 3*time.Second):
		t.Fatal("Restart did not return")
	}
	if d := time.Since(called); d < down {
		t.Errorf("back up after %v, want at least %v", d, down)
	}
	waitFirstPackets(t, s.URL("/main"), 3*time.Second)
}

// waitRefused dials host until a connection is refused, before the window
// closes at until.
func waitRefused(host string, until time.Time) error {
	for time.Now().Before(until) {
		conn, err := net.DialTimeout("tcp", host, 100*time.Millisecond)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				return nil
			}
			return fmt.Errorf("dial during reboot: %w, want connection refused", err)
		}
		conn.Close()
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("connections still accepted during the reboot window")
}

// TestStopsWithContext: ending Start's context shuts the server down; a
// reboot then reports it is closed.
func TestStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	s, err := Start(ctx, Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	s.Close()
	if err := s.Restart(time.Millisecond); !errors.Is(err, ErrClosed) {
		t.Fatalf("Restart after shutdown = %v, want ErrClosed", err)
	}
	if _, err := describe(t, s.URL("/main")); err == nil {
		t.Fatal("describe succeeded after shutdown")
	}
}

func TestURL(t *testing.T) {
	s := &Server{addr: "[::]:8554"}
	tests := []struct{ addr, path, want string }{
		{"[::]:8554", "/main", "rtsp://127.0.0.1:8554/main"},
		{"0.0.0.0:554", "sub", "rtsp://127.0.0.1:554/sub"},
		{"192.0.2.7:8554", "/h265", "rtsp://192.0.2.7:8554/h265"},
		{"[2001:db8::1]:8554", "/g711", "rtsp://[2001:db8::1]:8554/g711"},
	}
	for _, tt := range tests {
		s.addr = tt.addr
		if got := s.URL(tt.path); got != tt.want {
			t.Errorf("URL(%q) on %s = %q, want %q", tt.path, tt.addr, got, tt.want)
		}
	}
}
