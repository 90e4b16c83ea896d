package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// clipAU is one access unit of a test clip.
type clipAU struct {
	nalus [][]byte
	key   bool
}

// loadAUs reads the camera simulator's clip (25 fps, a keyframe every 4 s,
// 8 s long), in decode order.
func loadAUs(t testing.TB, name string) (codec string, aus []clipAU) {
	t.Helper()
	data, err := os.ReadFile("../camsim/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r := &mpegts.Reader{R: bytes.NewReader(data)}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	on := func(_, _ int64, au [][]byte) error {
		cp := make([][]byte, len(au))
		for i, n := range au {
			cp[i] = bytes.Clone(n)
		}
		key := h264.IsRandomAccess(au)
		if codec == CodecH265 {
			key = h265.IsRandomAccess(au)
		}
		aus = append(aus, clipAU{nalus: cp, key: key})
		return nil
	}
	for _, tr := range r.Tracks() {
		switch tr.Codec.(type) {
		case *tscodecs.H264:
			codec = CodecH264
			r.OnDataH264(tr, on)
		case *tscodecs.H265:
			codec = CodecH265
			r.OnDataH265(tr, on)
		}
	}
	for {
		if err := r.Read(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if len(aus) < 100 || !aus[0].key {
		t.Fatalf("%s: %d access units, first keyframe %v", name, len(aus), len(aus) > 0 && aus[0].key)
	}
	return codec, aus
}

// fakeClock is the recorder's injected clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// frameTicks is one frame at 25 fps in 90 kHz ticks.
const frameTicks = 3600

// feeder plays a clip in a loop into the recorder as the ingest would:
// frame i has PTS i*3600 and reaches the recorder at start + i*40 ms.
type feeder struct {
	rec    *Recorder
	camera string
	codec  string
	aus    []clipAU
	clock  *fakeClock
	start  time.Time
	i      int
	audio  string // with an audio codec: also 40 ms of it per frame, in two 20 ms packets
}

// wallOf is when frame i reaches the recorder.
func (f *feeder) wallOf(i int) time.Time {
	return f.start.Add(time.Duration(i) * 40 * time.Millisecond)
}

// until feeds the frames that arrive before t.
func (f *feeder) until(t time.Time) {
	for ; f.wallOf(f.i).Before(t); f.i++ {
		f.clock.set(f.wallOf(f.i))
		au := f.aus[f.i%len(f.aus)]
		f.rec.WriteVideo(f.camera, f.codec, int64(f.i)*frameTicks, au.nalus, au.key)
		for k := range 2 {
			switch f.audio {
			case CodecPCMU, CodecPCMA:
				f.rec.WriteAudio(f.camera, f.audio, 8000, 1, int64(f.i*320+k*160), tone[:])
			case CodecOpus:
				f.rec.WriteAudio(f.camera, f.audio, 48000, 2, int64(f.i*1920+k*960), opusFrame)
			}
		}
	}
}

// tone is 20 ms of G.711 μ-law at 8 kHz.
var tone = func() (b [160]byte) {
	for i := range b {
		b[i] = byte(0x80 + i%32)
	}
	return b
}()

// opusFrame is an Opus packet: one 20 ms CELT frame (TOC 0xfc), stereo.
var opusFrame = []byte{0xfc, 0xff, 0xfe}

// ffprobeAudio says what the first audio stream of a file is.
func ffprobeAudio(t testing.TB, path string) (codec string, packets int, seconds float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a:0", "-count_packets",
		"-show_entries", "stream=codec_name,nb_read_packets,duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v %s", path, err, stderrOf(err))
	}
	var res struct {
		Streams []struct {
			Codec    string `json:"codec_name"`
			Packets  string `json:"nb_read_packets"`
			Duration string `json:"duration"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ffprobe %s: %s %v", path, out, err)
	}
	if len(res.Streams) == 0 {
		return "", 0, 0
	}
	packets, _ = strconv.Atoi(res.Streams[0].Packets)
	seconds, _ = strconv.ParseFloat(res.Streams[0].Duration, 64)
	return res.Streams[0].Codec, packets, seconds
}

// probe is what ffprobe says of a recording.
type probe struct {
	codec      string
	duration   float64 // seconds
	packets    int
	firstIsKey bool
}

func ffprobe(t testing.TB, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=codec_name,nb_read_packets:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v %s", path, err, stderrOf(err))
	}
	var res struct {
		Streams []struct {
			Codec   string `json:"codec_name"`
			Packets string `json:"nb_read_packets"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Streams) != 1 {
		t.Fatalf("ffprobe %s: %s %v", path, out, err)
	}
	var p probe
	p.codec = res.Streams[0].Codec
	p.packets, _ = strconv.Atoi(res.Streams[0].Packets)
	p.duration, _ = strconv.ParseFloat(res.Format.Duration, 64)
	first, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
		"-show_entries", "packet=flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s first packet: %v %s", path, err, stderrOf(err))
	}
	p.firstIsKey = bytes.HasPrefix(bytes.TrimSpace(first), []byte("K"))
	return p
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
