package cameras

import (
	"context"
	"sync"
	"testing"
	"time"

	"vigie/sfu"
)

// tapLog counts what a tap gets, per camera and codec.
type tapLog struct {
	mu        sync.Mutex
	units     map[string]int
	keyframes map[string]int
	lastPTS   map[string]int64
	backwards bool
}

func (l *tapLog) WriteVideo(camera, codec string, pts int64, au [][]byte, key bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := camera + "/" + codec
	if last, ok := l.lastPTS[k]; ok && pts <= last {
		l.backwards = true
	}
	l.lastPTS[k] = pts
	l.units[k]++
	if key {
		l.keyframes[k]++
	}
}

func (l *tapLog) WriteAudio(camera, codec string, rate, channels int, pts int64, payload []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := camera + "/" + codec
	if last, ok := l.lastPTS[k]; ok && pts <= last || rate != 8000 || channels != 1 || len(payload) == 0 {
		l.backwards = true
	}
	l.lastPTS[k] = pts
	l.units[k]++
}

func (l *tapLog) count(k string) (units, keys int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.units[k], l.keyframes[k]
}

// The tap gets every camera's main-stream access units and audio, named
// by camera and codec, with increasing PTS, also from a camera already
// running when the tap is set; the sub-stream is not tapped.
func TestTapGetsMainStream(t *testing.T) {
	sim := startSim(t, "", "")
	log := &statusLog{notify: make(chan struct{}, 1)}
	reg, err := New(context.Background(), []Camera{
		{ID: "hall", URL: sim.URL("/g711"), SubURL: sim.URL("/sub"), Preload: true},
		{ID: "yard", URL: sim.URL("/h265")},
	}, &shownFeeds{rooms: map[string][]*sfu.Feed{}}, quiet(), log.record)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	log.waitFor(t, "hall", state("live"))
	tap := &tapLog{units: map[string]int{}, keyframes: map[string]int{}, lastPTS: map[string]int64{}}
	reg.SetTap(tap)
	if err := reg.Attach("r1", []string{"yard"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		h, hk := tap.count("hall/H264")
		y, yk := tap.count("yard/H265")
		a, _ := tap.count("hall/PCMU")
		if h >= 50 && hk >= 1 && y >= 50 && yk >= 1 && a >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tap got hall %d (%d keyframes) and %d audio packets, yard %d (%d keyframes)", h, hk, a, y, yk)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if len(tap.units) != 3 || tap.backwards {
		t.Fatalf("tapped %v, PTS went back or bad audio: %v", tap.units, tap.backwards)
	}
}
