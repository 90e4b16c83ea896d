package ingest

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"
)

// Parameter sets of a 320×240 picture, made once with ffmpeg (libx264 baseline, libx265).
var (
	testSPS264 = mustHex("6742c00dd90141fb011000000300100000030320f142a480")
	testPPS264 = mustHex("68cb83cb20")
	testVPS265 = mustHex("40010c01ffff0408000003009e0800000300003c959809")
	testSPS265 = mustHex("4201010408000003009e0800000300003c90014101e2cb2b349265780b7020200040000003004000000642")
	testPPS265 = mustHex("4401c172860c4624")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// testLog logs into the test's output.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runCamera runs a Camera for cfg until the test ends (or stop is called) and checks that
// Run returns promptly.
func runCamera(t *testing.T, cfg Config) (rec *recorder, stop func()) {
	t.Helper()
	rec = newRecorder()
	cam, err := New(cfg, rec, testLog(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cam.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			deadline := time.NewTimer(5 * time.Second)
			defer deadline.Stop()
			select {
			case <-done:
			case <-deadline.C:
				t.Errorf("Run did not return within 5s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return rec, stop
}

// fakeCamera is a minimal RTSP camera on a gortsplib server, for what the camera simulator
// does not do (RTSPS, UDP, odd codecs, parameter sets only in the SDP, no marker bits).
type fakeCamera struct {
	srv    *gortsplib.Server
	stream *gortsplib.ServerStream
	user   string
	pass   string
	scheme string
}

type fakeOptions struct {
	user, pass string
	tls        *tls.Config
	udp        bool
}

func startFakeCamera(t *testing.T, medias []*description.Media, opt fakeOptions) *fakeCamera {
	t.Helper()
	f := &fakeCamera{user: opt.user, pass: opt.pass, scheme: "rtsp"}
	if opt.tls != nil {
		f.scheme = "rtsps"
	}
	var err error
	for range 20 {
		f.srv = &gortsplib.Server{Handler: f, RTSPAddress: "127.0.0.1:0", TLSConfig: opt.tls}
		if opt.udp {
			port := 20000 + 2*rand.IntN(20000)
			f.srv.UDPRTPAddress = "127.0.0.1:" + strconv.Itoa(port)
			f.srv.UDPRTCPAddress = "127.0.0.1:" + strconv.Itoa(port+1)
		}
		if err = f.srv.Start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start RTSP server: %v", err)
	}
	f.stream = &gortsplib.ServerStream{Server: f.srv, Desc: &description.Session{Medias: medias}}
	if err := f.stream.Initialize(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	t.Cleanup(func() {
		f.stream.Close()
		f.srv.Close()
	})
	return f
}

// url is the camera's stream URL, with credentials if given.
func (f *fakeCamera) url(userinfo string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return f.scheme + "://" + userinfo + f.srv.NetListener().Addr().String() + "/cam"
}

func (f *fakeCamera) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return f.serve(ctx.Conn, ctx.Request, ctx.Path)
}

func (f *fakeCamera) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return f.serve(ctx.Conn, ctx.Request, ctx.Path)
}

func (f *fakeCamera) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (f *fakeCamera) serve(sc *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if f.user != "" && !sc.VerifyCredentials(req, f.user, f.pass) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	if path != "/cam" {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, f.stream, nil
}

// feed calls frame(i) every period, from a goroutine that ends with the test.
func feed(t *testing.T, period time.Duration, frame func(i int)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for i := 0; ; i++ {
			frame(i)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// videoWriter packetizes access units of one media into the fake camera's stream.
type videoWriter struct {
	f        *fakeCamera
	medi     *description.Media
	encode   func([][]byte) ([]*rtp.Packet, error)
	tsBase   uint32
	noMarker bool // like cameras that never set the marker bit
}

func newVideoWriter(t *testing.T, f *fakeCamera, medi *description.Media) *videoWriter {
	w := &videoWriter{f: f, medi: medi, tsBase: rand.Uint32()}
	switch forma := medi.Formats[0].(type) {
	case *format.H264:
		enc, err := forma.CreateEncoder()
		if err != nil {
			t.Fatal(err)
		}
		w.encode = enc.Encode
	case *format.H265:
		enc, err := forma.CreateEncoder()
		if err != nil {
			t.Fatal(err)
		}
		w.encode = enc.Encode
	default:
		t.Fatalf("no video writer for %T", forma)
	}
	return w
}

func (w *videoWriter) write(pts uint32, au [][]byte) {
	pkts, err := w.encode(au)
	if err != nil {
		panic(fmt.Sprintf("encode: %v", err))
	}
	for _, p := range pkts {
		p.Timestamp = w.tsBase + pts
		if w.noMarker {
			p.Marker = false
		}
		// A closed stream at the end of the test is not an error worth reporting.
		_ = w.f.stream.WritePacketRTP(w.medi, p)
	}
}

// slice returns a fake coded slice NAL unit with this header and size.
func slice(header []byte, size int) []byte {
	b := make([]byte, size)
	copy(b, header)
	for i := len(header); i < size; i++ {
		b[i] = byte(i*7 + 1) // no start code emulation: never two zero bytes in a row
	}
	return b
}

func h264Media(sprop bool) *description.Media {
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	if sprop {
		f.SPS, f.PPS = testSPS264, testPPS264
	}
	return &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
}

func h265Media(sprop bool) *description.Media {
	f := &format.H265{PayloadTyp: 96}
	if sprop {
		f.VPS, f.SPS, f.PPS = testVPS265, testSPS265, testPPS265
	}
	return &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
}

// h264GOP writes frame i of a 10-frame GOP at 25 fps; inBand puts SPS and PPS before IDRs.
func h264GOP(w *videoWriter, inBand bool) func(int) {
	return func(i int) {
		pts := uint32(i) * 3600
		if i%10 != 0 {
			w.write(pts, [][]byte{slice([]byte{0x41, 0x9a}, 300)})
			return
		}
		idr := slice([]byte{0x65, 0x88}, 4000) // fragmented into FU-A
		if inBand {
			w.write(pts, [][]byte{testSPS264, testPPS264, idr})
			return
		}
		w.write(pts, [][]byte{idr})
	}
}

// h265GOP is h264GOP for H.265 (IDR_W_RADL keyframes, TRAIL_R frames).
func h265GOP(w *videoWriter) func(int) {
	return func(i int) {
		pts := uint32(i) * 3600
		if i%10 != 0 {
			w.write(pts, [][]byte{slice([]byte{0x02, 0x01}, 300)})
			return
		}
		w.write(pts, [][]byte{slice([]byte{0x26, 0x01}, 4000)})
	}
}
