package record

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/ingest"
)

// simCamera is the ingest's Publisher in this test: it taps the camera's
// video into the recorder as the camera registry does, starts the
// recording on the first keyframe and stops it six seconds later.
type simCamera struct {
	rec   *Recorder
	codec string

	mu          sync.Mutex
	first, last time.Time
	stopped     bool
	done        chan struct{}
}

func (s *simCamera) Video(codec string) (ingest.VideoSink, error) {
	s.mu.Lock()
	s.codec = codec
	s.mu.Unlock()
	return s, nil
}
func (s *simCamera) Audio(codec string, rate, channels int) (ingest.AudioSink, error) {
	return simAudio{s: s, codec: codec, rate: rate, channels: channels}, nil
}

func (s *simCamera) Status(ingest.Status) {}

type simAudio struct {
	s              *simCamera
	codec          string
	rate, channels int
}

// WriteAudio passes the camera's audio on while the recording runs.
func (a simAudio) WriteAudio(pts int64, payload []byte) {
	a.s.mu.Lock()
	stopped := a.s.stopped
	a.s.mu.Unlock()
	if !stopped {
		a.s.rec.WriteAudio("cam", a.codec, a.rate, a.channels, pts, payload)
	}
}

func (s *simCamera) WriteVideo(pts int64, au [][]byte, key bool) {
	s.mu.Lock()
	now := time.Now()
	switch {
	case s.stopped:
		s.mu.Unlock()
		return
	case s.first.IsZero() && !key:
		s.mu.Unlock()
		return
	case s.first.IsZero():
		s.first = now
		s.rec.Start("i_sim", []string{"cam"}, time.Time{})
	case now.Sub(s.first) >= 6*time.Second:
		s.stopped = true
		s.rec.Stop("i_sim")
		close(s.done)
		s.mu.Unlock()
		return
	}
	s.last = now
	codec := s.codec
	s.mu.Unlock()
	s.rec.WriteVideo("cam", codec, pts, au, key)
}

// Six seconds of the simulated camera (H.264 and G.711), pulled over RTSP
// by the real ingest, make a file ffprobe reads with the duration that
// really went by (within 5%), sound included.
func TestRecordsCameraSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := camsim.Start(ctx, camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"g711"}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	rec, err := New(Config{Dir: t.TempDir(), Cameras: []Camera{{ID: "cam"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	pub := &simCamera{rec: rec, done: make(chan struct{})}
	cam, err := ingest.New(ingest.Config{Name: "sim", URL: sim.URL("/g711")}, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { cam.Run(ctx) })
	defer wg.Wait()
	defer cancel()
	select {
	case <-pub.done:
	case <-time.After(30 * time.Second):
		t.Fatal("six seconds of camera not recorded within 30 s")
	}
	cancel()
	wg.Wait()
	rec.Close()
	files := recordings(t, filepath.Join(rec.cfg.Dir, "i_sim", "cam"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	p := ffprobe(t, files[0])
	real := pub.last.Sub(pub.first).Seconds() + 0.04 // the last frame lasts one frame
	if p.codec != "h264" || !p.firstIsKey || math.Abs(p.duration-real) > real*0.05 || p.packets < 140 {
		t.Fatalf("ffprobe %+v, recorded for %.3f s", p, real)
	}
	ac, packets, secs := ffprobeAudio(t, files[0])
	if ac != "pcm_s16be" || math.Abs(secs-real) > real*0.05 {
		t.Fatalf("audio %s: %d packets, %.3f s, recorded for %.3f s", ac, packets, secs, real)
	}
	t.Logf("recorded %.3f s, ffprobe says %.3f s, %d frames; audio %.3f s", real, p.duration, p.packets, secs)
}
