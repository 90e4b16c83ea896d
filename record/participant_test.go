package record

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// mediaFrame is one frame of a test clip, timed in its RTP clock.
type mediaFrame struct {
	data []byte
	ts   uint32
	key  bool
}

// The test clips (make them again with record/testdata/make-clips.sh).
func vp8Frames(t *testing.T) []mediaFrame {
	t.Helper()
	f, err := os.Open("testdata/participant-vp8.ivf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []mediaFrame
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mediaFrame{data: frame, ts: uint32(len(out) * 3600), key: frame[0]&1 == 0}) // 25 fps
	}
	return out
}

func h264Frames(t *testing.T) []mediaFrame {
	t.Helper()
	_, aus := loadAUs(t, "main.ts")
	var out []mediaFrame
	for i, au := range aus { // 8 s at 25 fps, a keyframe every 4 s
		var b []byte
		for _, n := range au.nalus {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		out = append(out, mediaFrame{data: b, ts: uint32(i * 3600), key: au.key})
	}
	return out
}

// opusFrames reads the Opus packets of an Ogg file (RFC 3533 pages, RFC
// 7845 headers skipped).
func opusFrames(t *testing.T) []mediaFrame {
	t.Helper()
	data, err := os.ReadFile("testdata/participant-opus.ogg")
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	var cur []byte
	for len(data) >= 27 {
		if string(data[:4]) != "OggS" {
			t.Fatal("bad Ogg page")
		}
		n := int(data[26])
		lacing := data[27 : 27+n]
		body := data[27+n:]
		for _, l := range lacing {
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		data = body
	}
	var out []mediaFrame
	ts := uint32(0)
	for _, p := range packets[2:] { // OpusHead, OpusTags
		out = append(out, mediaFrame{data: p, ts: ts, key: true})
		ts += uint32(opusTicks(p))
	}
	return out
}

// packetize cuts frames into RTP packets as a browser would.
func packetize(t *testing.T, kind trackKind, frames []mediaFrame) []*rtp.Packet {
	t.Helper()
	var pay rtp.Payloader
	switch kind {
	case kindVP8:
		pay = &codecs.VP8Payloader{}
	case kindH264:
		pay = &codecs.H264Payloader{}
	default:
		pay = &codecs.OpusPayloader{}
	}
	var out []*rtp.Packet
	seq := uint16(65000) // wraps during the clip
	for n, f := range frames {
		parts := pay.Payload(1200, f.data)
		for i, p := range parts {
			out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: f.ts + 4000000000,
				Marker: i == len(parts)-1, SSRC: 1}, Payload: p})
			seq++
		}
		if kind.video() && n%5 == 2 {
			// Browsers probe bandwidth with padding-only packets between frames.
			for range 2 {
				out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, SequenceNumber: seq,
					Timestamp: f.ts + 4000000000, SSRC: 1, PaddingSize: 200}})
				seq++
			}
		}
	}
	return out
}

type participantCase struct {
	name   string
	kind   trackKind
	mime   string
	frames func(*testing.T) []mediaFrame
	codec  string // as ffprobe names it
}

var participantCases = []participantCase{
	{"vp8", kindVP8, webrtc.MimeTypeVP8, vp8Frames, "vp8"},
	{"h264", kindH264, webrtc.MimeTypeH264, h264Frames, "h264"},
	{"opus", kindOpus, webrtc.MimeTypeOpus, opusFrames, "opus"},
}

// recordTrack feeds packets to a new participant track with a clock that
// follows the media, and closes it; it returns the files written, in
// order, and how many keyframes were asked for.
func recordTrack(t *testing.T, c participantCase, segment time.Duration, pkts []*rtp.Packet) (files []string, keyframes int) {
	t.Helper()
	dir := t.TempDir()
	clock := &fakeClock{now: time.Date(2026, 12, 4, 18, 45, 1, 0, time.UTC)}
	start := clock.Now()
	p, err := NewParticipants(ParticipantsConfig{Dir: dir, Segment: segment, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	codec := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: c.mime, ClockRate: uint32(c.kind.clock()), Channels: 2}}
	tr := p.Track(TrackInfo{Incident: "i_1", Participant: "c_42", Name: "Léa Martin / police", Source: "camera",
		Codec: codec, Keyframe: func() { asked.Add(1) }})
	if tr == nil {
		t.Fatal("no track")
	}
	first := pkts[0].Timestamp
	for _, pkt := range pkts {
		clock.set(start.Add(time.Duration(float64(pkt.Timestamp-first) / float64(c.kind.clock()) * float64(time.Second))))
		tr.WriteRTP(pkt)
	}
	tr.Close()
	p.Close()
	folder := filepath.Join(dir, "i_1", "participants", "Léa_Martin___police-c_42")
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), "-camera."+c.kind.ext()) && !strings.Contains(e.Name(), "-camera-") {
			t.Errorf("file %s: not named <UTC>-camera.%s", e.Name(), c.kind.ext())
		}
		files = append(files, filepath.Join(folder, e.Name()))
	}
	sort.Strings(files)
	return files, int(asked.Load())
}

// probeAny is ffprobe's codec and duration of a file's first stream.
func probeAny(t *testing.T, path string, audio bool) (string, float64) {
	t.Helper()
	if audio {
		codec, _, secs := ffprobeAudio(t, path)
		return codec, secs
	}
	p := ffprobe(t, path)
	if !p.firstIsKey {
		t.Errorf("%s: does not start on a keyframe", path)
	}
	return p.codec, p.duration
}

func clipSeconds(c participantCase, frames []mediaFrame) float64 {
	last := frames[len(frames)-1]
	end := float64(last.ts) / float64(c.kind.clock())
	if c.kind == kindOpus {
		return end + float64(opusTicks(last.data))/48000
	}
	return end + float64(frames[1].ts-frames[0].ts)/float64(c.kind.clock())
}

func TestParticipantTrackWritesReadableFiles(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames(t)
			// Padding is no loss: every frame is written, no keyframe asked for.
			expectWholeClip(t, c, frames, packetize(t, c.kind, frames))
		})
	}
}

// expectWholeClip records pkts, the packets of frames, and checks that they
// make one file that ffprobe reads as the clip (codec, and duration within
// 10 %), and for video that every frame is in it with no keyframe asked for.
func expectWholeClip(t *testing.T, c participantCase, frames []mediaFrame, pkts []*rtp.Packet) {
	t.Helper()
	files, keyframes := recordTrack(t, c, time.Hour, pkts)
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	want := clipSeconds(c, frames)
	codec, secs := probeAny(t, files[0], c.kind == kindOpus)
	if codec != c.codec || math.Abs(secs-want) > want/10 {
		t.Fatalf("%s: ffprobe says %s, %.2f s; want %s, %.2f s ± 10 %%", files[0], codec, secs, c.codec, want)
	}
	if c.kind.video() {
		if p := ffprobe(t, files[0]); p.packets != len(frames) || keyframes != 0 {
			t.Fatalf("%d frames written of %d, %d keyframes asked for", p.packets, len(frames), keyframes)
		}
	}
}

// Reordered packets are put back in order: nothing is lost.
func TestParticipantTrackReorders(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames(t)
			pkts := packetize(t, c.kind, frames)
			for i := 10; i+1 < len(pkts); i += 7 {
				pkts[i], pkts[i+1] = pkts[i+1], pkts[i]
			}
			files, _ := recordTrack(t, c, time.Hour, pkts)
			want := clipSeconds(c, frames)
			codec, secs := probeAny(t, files[0], c.kind == kindOpus)
			if len(files) != 1 || codec != c.codec || math.Abs(secs-want) > want/10 {
				t.Fatalf("%v: %s, %.2f s; want one %s file of %.2f s", files, codec, secs, c.codec, want)
			}
		})
	}
}

// Lost packets: video drops the broken frame and what follows up to a
// keyframe, and asks for one; audio fills the gap with silence. The
// files stay readable and as long as the time they cover.
func TestParticipantTrackLosesPackets(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames(t)
			pkts := packetize(t, c.kind, frames)
			lost, n := len(pkts)/3, 1
			if c.kind == kindOpus {
				n = 30 // 0.6 s: without the silence the file would be 15 % short
			}
			pkts = append(pkts[:lost:lost], pkts[lost+n:]...)
			files, keyframes := recordTrack(t, c, time.Hour, pkts)
			if len(files) != 1 {
				t.Fatalf("files %v", files)
			}
			codec, secs := probeAny(t, files[0], c.kind == kindOpus)
			want := clipSeconds(c, frames)
			if codec != c.codec || math.Abs(secs-want) > want/10 {
				t.Fatalf("%s: %s, %.2f s; want %s, %.2f s ± 10 %%", files[0], codec, secs, c.codec, want)
			}
			if c.kind.video() && keyframes == 0 {
				t.Fatal("a lost video packet asked for no keyframe")
			}
			if c.kind.video() {
				p := ffprobe(t, files[0])
				if p.packets >= len(frames) {
					t.Fatalf("%d frames written of %d sent, one packet lost", p.packets, len(frames))
				}
			}
		})
	}
}

// Files rotate: a new one on the first keyframe past the segment.
func TestParticipantTrackRotates(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames(t)
			files, keyframes := recordTrack(t, c, 1500*time.Millisecond, packetize(t, c.kind, frames))
			if len(files) < 2 {
				t.Fatalf("files %v: want 2 or more with 1.5 s segments of a 4 s clip", files)
			}
			if c.kind.video() && keyframes == 0 {
				t.Fatal("no keyframe asked to rotate")
			}
			total := 0.0
			for _, f := range files {
				_, secs := probeAny(t, f, c.kind == kindOpus)
				total += secs
			}
			if want := clipSeconds(c, frames); math.Abs(total-want) > want/10 {
				t.Fatalf("files %v last %.2f s in all, want %.2f s", files, total, want)
			}
		})
	}
}

func TestParticipantTrackStops(t *testing.T) {
	dir := t.TempDir()
	p, err := NewParticipants(ParticipantsConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}}
	if tr := p.Track(TrackInfo{Incident: "i_1", Participant: "c_1", Codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/G722"}}}); tr != nil {
		t.Fatal("a G.722 track is recorded")
	}
	if tr := p.Track(TrackInfo{Incident: "../x", Participant: "c_1", Codec: opus}); tr != nil {
		t.Fatal("an incident id with a separator is recorded")
	}
	a := p.Track(TrackInfo{Incident: "i_1", Participant: "c_1", Name: "A", Source: "microphone", Codec: opus})
	b := p.Track(TrackInfo{Incident: "i_2", Participant: "c_2", Name: "B", Source: "microphone", Codec: opus})
	pkts := packetize(t, kindOpus, opusFrames(t))
	for _, pkt := range pkts[:50] {
		a.WriteRTP(pkt)
		b.WriteRTP(pkt)
	}
	p.Stop("i_1")
	for _, pkt := range pkts[50:] {
		a.WriteRTP(pkt)
		b.WriteRTP(pkt)
	}
	p.Close()
	b.Close()
	sizes := map[string]int64{}
	for _, who := range []string{filepath.Join("i_1", "participants", "A-c_1"), filepath.Join("i_2", "participants", "B-c_2")} {
		entries, err := os.ReadDir(filepath.Join(dir, who))
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: %v %v", who, entries, err)
		}
		path := filepath.Join(dir, who, entries[0].Name())
		_, _, secs := ffprobeAudio(t, path)
		sizes[who] = int64(secs * 1000)
	}
	if a, b := sizes[filepath.Join("i_1", "participants", "A-c_1")], sizes[filepath.Join("i_2", "participants", "B-c_2")]; a > 1500 || b < 3500 {
		t.Fatalf("stopped incident's file lasts %d ms, the other %d ms", a, b)
	}
	if tr := p.Track(TrackInfo{Incident: "i_3", Participant: "c_3", Codec: opus}); tr != nil {
		t.Fatal("a closed recorder takes a new track")
	}
}

func TestFolderName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Léa Martin", "Léa_Martin"},
		{"../../etc", "______etc"},
		{"", "_"},
		{"  x\x00y ", "x_y"},
		{strings.Repeat("a", 50), strings.Repeat("a", 40)},
	}
	for _, tt := range tests {
		if got := folderName(tt.in); got != tt.want {
			t.Errorf("folderName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpusTicks(t *testing.T) {
	tests := []struct {
		in   []byte
		want int
	}{
		{[]byte{0xf8, 0xff, 0xfe}, 960}, // CELT 20 ms, one frame
		{[]byte{0xfc}, 960},             // stereo
		{[]byte{0x0b << 3}, 2880},       // SILK 60 ms
		{[]byte{0xf8 | 1}, 1920},        // two frames
		{[]byte{0xf8 | 3, 0x03}, 2880},  // three frames, code 3
		{[]byte{0x80 | 3}, 0},           // code 3 without its count
		{nil, 0},
	}
	for _, tt := range tests {
		if got := opusTicks(tt.in); got != tt.want {
			t.Errorf("opusTicks(% x) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
