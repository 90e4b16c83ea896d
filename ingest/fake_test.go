package ingest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

const waitLive = 10 * time.Second

func fastBackoff() []time.Duration {
	return []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
}

// waitFrames waits for the codec's sink to hold at least n frames, keyframes included.
func waitFrames(t *testing.T, rec *recorder, codec string, n, keys int) {
	t.Helper()
	rec.waitUntil(t, waitLive, codec+" frames", func() bool {
		v := rec.videos[codec]
		return v != nil && len(v.frames) >= n && v.keyframes() >= keys
	})
}

// TestFakeCameraVideo covers the ways cameras carry parameter sets and mark access units.
func TestFakeCameraVideo(t *testing.T) {
	cases := []struct {
		name     string
		media    *description.Media
		codec    videoCodec
		inBand   bool
		noMarker bool
	}{
		{name: "H264 parameter sets only in SDP", media: h264Media(true), codec: codecH264},
		{name: "H264 parameter sets only in band", media: h264Media(false), codec: codecH264, inBand: true},
		{name: "H264 without marker bits", media: h264Media(true), codec: codecH264, noMarker: true},
		{name: "H265 parameter sets only in SDP", media: h265Media(true), codec: codecH265},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cam := startFakeCamera(t, []*description.Media{tc.media}, fakeOptions{})
			w := newVideoWriter(t, cam, tc.media)
			w.noMarker = tc.noMarker
			gop := h265GOP(w)
			if tc.codec == codecH264 {
				gop = h264GOP(w, tc.inBand)
			}
			feed(t, 10*time.Millisecond, gop)
			rec, _ := runCamera(t, Config{Name: tc.name, URL: cam.url(""), Backoff: fastBackoff()})
			name := tc.codec.String()
			waitFrames(t, rec, name, 25, 2)

			rec.mu.Lock()
			defer rec.mu.Unlock()
			frames := rec.videos[name].frames
			checkKeyframePrefix(t, tc.codec, frames)
			checkIncreasing(t, "video", rec.videos[name].ptsList())
			checkFrameSpacing(t, frames)
			if got := rec.statuses[len(rec.statuses)-1]; got.State != StateLive || got.Video != name {
				t.Fatalf("status %+v, want live %s", got, name)
			}
		})
	}
}

// checkFrameSpacing: the fake camera's frames are 3600 ticks apart and every tenth is a
// keyframe; the recovered PTS must say so, whatever the marker bits.
func checkFrameSpacing(t *testing.T, frames []videoFrame) {
	t.Helper()
	firstKey := -1
	for i, f := range frames {
		if f.key {
			firstKey = i
			break
		}
	}
	if firstKey < 0 {
		t.Fatal("no keyframe")
	}
	for i := firstKey + 1; i < len(frames); i++ {
		if d := frames[i].pts - frames[i-1].pts; d != 3600 {
			t.Fatalf("frame %d is %d ticks after the previous one, want 3600", i, d)
		}
		if want := (i-firstKey)%10 == 0; frames[i].key != want {
			t.Fatalf("frame %d: keyframe %v, want %v", i, frames[i].key, want)
		}
	}
}

func TestFakeCameraMedia(t *testing.T) {
	pcmu := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{
		&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1},
	}}
	mjpeg := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{&format.MJPEG{}}}
	cases := []struct {
		name   string
		medias []*description.Media
		reason string
	}{
		{name: "MJPEG", medias: []*description.Media{mjpeg, pcmu}, reason: "codec MJPEG not supported"},
		{name: "audio only", medias: []*description.Media{pcmu}, reason: reasonNoVideo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cam := startFakeCamera(t, tc.medias, fakeOptions{})
			rec, _ := runCamera(t, Config{Name: tc.name, URL: cam.url(""), Backoff: fastBackoff()})
			rec.waitUntil(t, waitLive, "failed: "+tc.reason, func() bool {
				return rec.hasStatus(0, StateFailed, tc.reason)
			})
		})
	}
}

func TestFakeCameraOpusAndUDP(t *testing.T) {
	video := h264Media(true)
	opus := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{
		&format.Opus{PayloadTyp: 111, ChannelCount: 2},
	}}
	cam := startFakeCamera(t, []*description.Media{video, opus}, fakeOptions{udp: true})
	w := newVideoWriter(t, cam, video)
	gop := h264GOP(w, false)
	audioBase := uint32(12345)
	feed(t, 20*time.Millisecond, func(i int) {
		gop(i)
		pkt := testRTP(111, uint16(i), audioBase+uint32(i)*960, []byte{0xfc, 0xff, 0xfe})
		_ = cam.stream.WritePacketRTP(opus, pkt)
	})
	rec, _ := runCamera(t, Config{Name: "udp", URL: cam.url(""), Transport: "udp", Backoff: fastBackoff()})
	waitFrames(t, rec, "H264", 5, 1)
	rec.waitUntil(t, waitLive, "Opus packets", func() bool {
		a := rec.audios["Opus"]
		return a != nil && len(a.packets) >= 20
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	a := rec.audios["Opus"]
	if a.clockRate != 48000 || a.channels != 2 {
		t.Fatalf("Opus sink asked with %d Hz, %d channels; want 48000, 2", a.clockRate, a.channels)
	}
	checkIncreasing(t, "audio", a.ptsList())
	if s := rec.last(); s.Audio != "Opus" || s.AudioNote != "" {
		t.Fatalf("status %+v, want Opus audio", s)
	}
}

// TestFakeCameraVideoStalls: the camera keeps its connection and its audio going, but its
// video stops; the session is restarted, and comes back live when the video does.
func TestFakeCameraVideoStalls(t *testing.T) {
	video := h264Media(true)
	pcmu := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{
		&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1},
	}}
	cam := startFakeCamera(t, []*description.Media{video, pcmu}, fakeOptions{})
	gop := h264GOP(newVideoWriter(t, cam, video), true)
	var videoOn atomic.Bool
	videoOn.Store(true)
	feed(t, 20*time.Millisecond, func(i int) {
		if videoOn.Load() {
			gop(i)
		}
		_ = cam.stream.WritePacketRTP(pcmu, testRTP(0, uint16(i), uint32(i)*160, make([]byte, 160)))
	})
	rec, _ := runCamera(t, Config{Name: "stall", URL: cam.url(""), ReadTimeout: 300 * time.Millisecond, Backoff: fastBackoff()})
	waitFrames(t, rec, "H264", 5, 1)
	videoOn.Store(false)
	rec.waitUntil(t, waitLive, "reconnecting: stopped sending", func() bool {
		return rec.hasStatus(0, StateReconnecting, reasonStopped)
	})
	videoOn.Store(true)
	rec.waitUntil(t, waitLive, "live again", func() bool { return rec.last().State == StateLive })
}

func TestFakeCameraAuthAndPath(t *testing.T) {
	video := h264Media(true)
	cam := startFakeCamera(t, []*description.Media{video}, fakeOptions{user: "admin", pass: "s3cret"})
	feed(t, 20*time.Millisecond, h264GOP(newVideoWriter(t, cam, video), false))
	cases := []struct {
		name  string
		cfg   Config
		state State
		want  string
	}{
		{name: "no credentials", cfg: Config{URL: cam.url("")}, state: StateFailed, want: reasonNeedAuth},
		{name: "wrong password", cfg: Config{URL: cam.url("admin:nope")}, state: StateFailed, want: reasonAuth},
		{name: "password from config", cfg: Config{URL: cam.url("admin:nope"), Password: "s3cret"}, state: StateLive},
		{name: "wrong path", cfg: Config{URL: cam.url("admin:s3cret") + "x"}, state: StateFailed, want: reasonNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Name, tc.cfg.Backoff = tc.name, fastBackoff()
			rec, _ := runCamera(t, tc.cfg)
			rec.waitUntil(t, waitLive, string(tc.state)+" "+tc.want, func() bool {
				return rec.hasStatus(0, tc.state, tc.want)
			})
		})
	}
}

func TestFakeCameraTLS(t *testing.T) {
	cert := selfSigned(t)
	video := h264Media(true)
	cam := startFakeCamera(t, []*description.Media{video}, fakeOptions{
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	})
	feed(t, 20*time.Millisecond, h264GOP(newVideoWriter(t, cam, video), false))
	other := selfSigned(t)
	cases := []struct {
		name        string
		fingerprint string
		state       State
		want        string
	}{
		{name: "pinned", fingerprint: fingerprintOf(cert.Certificate[0]), state: StateLive},
		{name: "pinned lower case without colons", fingerprint: lowerNoColons(fingerprintOf(cert.Certificate[0])), state: StateLive},
		{name: "other certificate pinned", fingerprint: fingerprintOf(other.Certificate[0]), state: StateFailed, want: reasonCertPin},
		{name: "not pinned, self-signed", state: StateFailed, want: reasonCertUntrusted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := runCamera(t, Config{Name: tc.name, URL: cam.url(""), Fingerprint: tc.fingerprint, Backoff: fastBackoff()})
			rec.waitUntil(t, waitLive, string(tc.state)+" "+tc.want, func() bool {
				return rec.hasStatus(0, tc.state, tc.want)
			})
		})
	}
}

func lowerNoColons(fp string) string {
	out := make([]byte, 0, len(fp))
	for _, c := range []byte(fp) {
		switch {
		case c == ':':
		case c >= 'A' && c <= 'F':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// selfSigned makes a certificate for 127.0.0.1, signed by itself, like a camera's.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "camera"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
