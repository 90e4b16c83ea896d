package ingest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is a Publisher that keeps copies of everything it gets, for tests to wait on.
type recorder struct {
	mu        sync.Mutex
	statuses  []Status
	videos    map[string]*videoRec
	audios    map[string]*audioRec
	videoAsks int
	notify    chan struct{} // one pending wake-up for waitUntil
}

type videoFrame struct {
	pts   int64
	key   bool
	au    [][]byte // copied
	at    time.Time
	nalus int
}

type videoRec struct {
	r      *recorder
	codec  string
	frames []videoFrame
}

type audioPacket struct {
	pts  int64
	size int
	at   time.Time
}

type audioRec struct {
	r         *recorder
	codec     string
	clockRate int
	channels  int
	packets   []audioPacket
}

func newRecorder() *recorder {
	return &recorder{
		videos: make(map[string]*videoRec),
		audios: make(map[string]*audioRec),
		notify: make(chan struct{}, 1),
	}
}

func (r *recorder) wake() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) Video(codec string) (VideoSink, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.videoAsks++
	v, ok := r.videos[codec]
	if !ok {
		v = &videoRec{r: r, codec: codec}
		r.videos[codec] = v
	}
	return v, nil
}

func (r *recorder) Audio(codec string, clockRate, channels int) (AudioSink, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.audios[codec]
	if !ok {
		a = &audioRec{r: r, codec: codec, clockRate: clockRate, channels: channels}
		r.audios[codec] = a
	}
	return a, nil
}

func (r *recorder) Status(s Status) {
	r.mu.Lock()
	r.statuses = append(r.statuses, s)
	r.mu.Unlock()
	r.wake()
}

func (v *videoRec) WriteVideo(pts int64, au [][]byte, keyframe bool) {
	f := videoFrame{pts: pts, key: keyframe, at: time.Now(), nalus: len(au)}
	if keyframe || len(v.frames) < 8 {
		for _, n := range au {
			f.au = append(f.au, slices.Clone(n))
		}
	}
	v.r.mu.Lock()
	v.frames = append(v.frames, f)
	v.r.mu.Unlock()
	v.r.wake()
}

func (a *audioRec) WriteAudio(pts int64, payload []byte) {
	a.r.mu.Lock()
	a.packets = append(a.packets, audioPacket{pts: pts, size: len(payload), at: time.Now()})
	a.r.mu.Unlock()
	a.r.wake()
}

// waitUntil waits until cond, evaluated with the recorder locked, holds; it fails the test
// after d.
func (r *recorder) waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("after %v still waiting for %s; statuses: %s", d, what, r.describe())
		}
	}
}

// hasStatus reports whether a status with this state and reason was reported at or after
// index from. Call with r.mu held.
func (r *recorder) hasStatus(from int, state State, reason string) bool {
	for _, s := range r.statuses[min(from, len(r.statuses)):] {
		if s.State == state && (reason == "" || s.Reason == reason) {
			return true
		}
	}
	return false
}

// last returns the last status. Call with r.mu held.
func (r *recorder) last() Status {
	if len(r.statuses) == 0 {
		return Status{}
	}
	return r.statuses[len(r.statuses)-1]
}

func (r *recorder) describe() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := fmt.Sprintf("%+v; video sinks asked %d times", r.statuses, r.videoAsks)
	for c, v := range r.videos {
		s += fmt.Sprintf("; %s: %d frames", c, len(v.frames))
	}
	for c, a := range r.audios {
		s += fmt.Sprintf("; %s: %d packets", c, len(a.packets))
	}
	return s
}

// keyframes counts keyframes written. Call with r.mu held.
func (v *videoRec) keyframes() int {
	n := 0
	for _, f := range v.frames {
		if f.key {
			n++
		}
	}
	return n
}

// checkIncreasing fails if the PTS ever went back. Call with r.mu held.
func checkIncreasing(t testing.TB, what string, pts []int64) {
	t.Helper()
	for i := 1; i < len(pts); i++ {
		if pts[i] < pts[i-1] {
			t.Fatalf("%s PTS went back at %d: %d after %d", what, i, pts[i], pts[i-1])
		}
	}
}

func (v *videoRec) ptsList() []int64 {
	out := make([]int64, len(v.frames))
	for i, f := range v.frames {
		out[i] = f.pts
	}
	return out
}

func (a *audioRec) ptsList() []int64 {
	out := make([]int64, len(a.packets))
	for i, p := range a.packets {
		out[i] = p.pts
	}
	return out
}

// checkKeyframePrefix fails unless every keyframe opens with the codec's parameter sets.
func checkKeyframePrefix(t testing.TB, codec videoCodec, frames []videoFrame) {
	t.Helper()
	want := []naluKind{kindSPS, kindPPS}
	if codec == codecH265 {
		want = []naluKind{kindVPS, kindSPS, kindPPS}
	}
	for i, f := range frames {
		if !f.key {
			continue
		}
		if len(f.au) < len(want)+1 {
			t.Fatalf("keyframe %d has %d NAL units", i, len(f.au))
		}
		for j, k := range want {
			if got := codec.kind(f.au[j]); got != k {
				t.Fatalf("keyframe %d: NAL unit %d is kind %d, want %d", i, j, got, k)
			}
		}
	}
}
