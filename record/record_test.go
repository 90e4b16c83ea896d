package record

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 18, 45, 1, 0, time.UTC)

func newTestRecorder(t *testing.T, cfg Config) (*Recorder, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: t0}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.Now = clock.Now
	if cfg.Queue == 0 {
		cfg.Queue = 1 << 14 // the tests feed much faster than real time
	}
	rec, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	return rec, clock
}

func recordings(t *testing.T, dir string) []string {
	t.Helper()
	list, err := filepath.Glob(filepath.Join(dir, "2*.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(list)
	return list
}

// Six seconds of H.264 or H.265 give one file that ffprobe reads, six
// seconds long, starting on a keyframe, named after its UTC start.
func TestRecordingReadable(t *testing.T) {
	for _, tc := range []struct{ clip, ffCodec string }{{"main.ts", "h264"}, {"h265.ts", "hevc"}} {
		t.Run(tc.clip, func(t *testing.T) {
			codec, aus := loadAUs(t, tc.clip)
			rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}})
			f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
			rec.Start("i_1", []string{"hall"}, time.Time{})
			f.until(t0.Add(6 * time.Second))
			rec.Stop("i_1")
			rec.Close()
			dir := filepath.Join(rec.cfg.Dir, "i_1", "hall")
			files := recordings(t, dir)
			if len(files) != 1 || filepath.Base(files[0]) != "20261204T184501Z.mp4" {
				t.Fatalf("files %v", files)
			}
			p := ffprobe(t, files[0])
			if p.codec != tc.ffCodec || p.packets != 150 || !p.firstIsKey {
				t.Fatalf("ffprobe: %+v, want %s, 150 frames from a keyframe", p, tc.ffCodec)
			}
			if math.Abs(p.duration-6) > 0.3 {
				t.Fatalf("duration %.3f s, want 6 s within 5%%", p.duration)
			}
		})
	}
}

// Recording starts at the first keyframe: frames before it are not written.
func TestRecordingStartsOnKeyframe(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}})
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
	f.until(t0.Add(time.Second)) // 25 frames nobody records
	rec.Start("i_1", []string{"hall"}, time.Time{})
	f.until(t0.Add(9 * time.Second)) // the next keyframe is at 4 s
	rec.Close()
	files := recordings(t, filepath.Join(rec.cfg.Dir, "i_1", "hall"))
	if len(files) != 1 || filepath.Base(files[0]) != "20261204T184505Z.mp4" {
		t.Fatalf("files %v", files)
	}
	if p := ffprobe(t, files[0]); p.packets != 125 || !p.firstIsKey {
		t.Fatalf("ffprobe %+v, want 125 frames from the keyframe at 4 s", p)
	}
}

// A short segment length gives several files, each valid and starting on
// a keyframe (the clip has one every 4 s).
func TestRotation(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}, Segment: 3 * time.Second})
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
	rec.Start("i_1", []string{"hall"}, time.Time{})
	f.until(t0.Add(14 * time.Second))
	rec.Close()
	files := recordings(t, filepath.Join(rec.cfg.Dir, "i_1", "hall"))
	want := []string{"20261204T184501Z.mp4", "20261204T184505Z.mp4", "20261204T184509Z.mp4", "20261204T184513Z.mp4"}
	if len(files) != len(want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	total := 0
	for i, file := range files {
		if filepath.Base(file) != want[i] {
			t.Fatalf("file %d is %s, want %s", i, file, want[i])
		}
		p := ffprobe(t, file)
		total += p.packets
		wantDur := 4.0
		if i == len(files)-1 {
			wantDur = 2
		}
		if !p.firstIsKey || math.Abs(p.duration-wantDur) > wantDur*0.05 {
			t.Fatalf("%s: %+v, want %.0f s from a keyframe", file, p, wantDur)
		}
	}
	if total != 350 {
		t.Fatalf("%d frames in all, want 350", total)
	}
}

// A restart (a second recorder on the same folder and clock second)
// starts a new file and leaves the first one whole.
func TestRestartStartsNewFile(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	dir := t.TempDir()
	for range 2 {
		rec, clock := newTestRecorder(t, Config{Dir: dir, Cameras: []Camera{{ID: "hall"}}})
		f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
		rec.Start("i_1", []string{"hall"}, time.Time{})
		f.until(t0.Add(2 * time.Second))
		rec.Close()
	}
	files, _ := filepath.Glob(filepath.Join(dir, "i_1", "hall", "*.mp4"))
	sort.Strings(files)
	if len(files) != 2 || filepath.Base(files[1]) != "20261204T184501Z.mp4" || filepath.Base(files[0]) != "20261204T184501Z-2.mp4" {
		t.Fatalf("files %v", files)
	}
	for _, file := range files {
		if p := ffprobe(t, file); p.packets != 50 {
			t.Fatalf("%s: %+v", file, p)
		}
	}
}

// The pre-alarm clip of a preloaded camera starts on the keyframe at or
// before alarm-N, holds frames stamped before the alarm, and runs 5 s past
// it, with its sound.
func TestPreAlarmClip(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	var mu sync.Mutex
	var clips []string
	rec, clock := newTestRecorder(t, Config{
		Cameras:  []Camera{{ID: "hall", Preload: true}, {ID: "yard"}},
		PreAlarm: 6 * time.Second,
		OnClip: func(inc, cam, path string) {
			mu.Lock()
			clips = append(clips, inc+" "+cam+" "+path)
			mu.Unlock()
		},
	})
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0, audio: CodecPCMU}
	// 20 s of camera before the alarm; keyframes at 0, 4, 8, 12, 16 s.
	alarm := t0.Add(20 * time.Second)
	f.until(alarm)
	rec.Start("i_1", []string{"hall", "yard"}, alarm)
	f.until(alarm.Add(7 * time.Second))
	path := filepath.Join(rec.cfg.Dir, "i_1", "hall", "prealarm.mp4")
	waitFor(t, 10*time.Second, "the clip", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(clips) == 1
	})
	if clips[0] != "i_1 hall "+path {
		t.Fatalf("OnClip got %q", clips[0])
	}
	p := ffprobe(t, path)
	// From the keyframe at 12 s (alarm-8 s, the last at or before alarm-6 s)
	// to 25 s: 13 s, frames stamped before the alarm included.
	if !p.firstIsKey || p.duration < 6+5 || math.Abs(p.duration-13) > 0.65 {
		t.Fatalf("clip %+v, want 13 s from a keyframe", p)
	}
	if ac, _, secs := ffprobeAudio(t, path); ac != "pcm_s16be" || math.Abs(secs-p.duration) > 0.1 {
		t.Fatalf("clip audio %s, %.3f s; video %.3f s", ac, secs, p.duration)
	}
	if _, err := os.Stat(filepath.Join(rec.cfg.Dir, "i_1", "yard", "prealarm.mp4")); !os.IsNotExist(err) {
		t.Fatalf("a camera not preloaded has a clip: %v", err)
	}
	rec.Close()
	if files := recordings(t, filepath.Join(rec.cfg.Dir, "i_1", "hall")); len(files) != 1 {
		t.Fatalf("recordings %v", files)
	}
}

// A camera that stalls loses nothing already received: after a second
// without video the frames waiting for their fragment are written, all
// but the newest, whose duration is not known yet.
func TestStalledCameraFlushes(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}})
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
	rec.Start("i_1", []string{"hall"}, time.Time{})
	f.until(t0.Add(400 * time.Millisecond)) // 10 frames, less than a fragment
	dir := filepath.Join(rec.cfg.Dir, "i_1", "hall")
	waitFor(t, 10*time.Second, "the stalled frames on disk", func() bool {
		files := recordings(t, dir)
		if len(files) != 1 {
			return false
		}
		data, _ := os.ReadFile(files[0])
		return completeFragments(data) == 1
	})
	if p := ffprobe(t, recordings(t, dir)[0]); p.packets != 9 || !p.firstIsKey {
		t.Fatalf("after the stall: %+v, want 9 frames", p)
	}
	// The camera comes back: the file goes on, the frame that waited included.
	f.until(t0.Add(2 * time.Second))
	rec.Close()
	if p := ffprobe(t, recordings(t, dir)[0]); p.packets != 50 || math.Abs(p.duration-2) > 0.1 {
		t.Fatalf("after the camera came back: %+v, want 50 frames, 2 s", p)
	}
}

// Audio is recorded next to the video, G.711 as 16-bit PCM, on the same
// timeline. A file starts with audio once the camera's audio is known:
// here the first keyframe comes just before the first audio packet, so
// the first file is video only and the next keyframe starts one with audio.
func TestRecordingWithAudio(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	for _, tc := range []struct{ codec, ffCodec string }{
		{CodecPCMU, "pcm_s16be"}, {CodecPCMA, "pcm_s16be"}, {CodecOpus, "opus"},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}})
			f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0, audio: tc.codec}
			rec.Start("i_1", []string{"hall"}, time.Time{})
			f.until(t0.Add(10 * time.Second))
			rec.Close()
			files := recordings(t, filepath.Join(rec.cfg.Dir, "i_1", "hall"))
			if len(files) != 2 {
				t.Fatalf("files %v: want a video-only file until the first keyframe with audio", files)
			}
			if c, _, _ := ffprobeAudio(t, files[0]); c != "" {
				t.Fatalf("first file has audio %s", c)
			}
			p := ffprobe(t, files[1])
			ac, packets, secs := ffprobeAudio(t, files[1])
			if ac != tc.ffCodec || packets != 300 || math.Abs(secs-6) > 0.1 || math.Abs(p.duration-6) > 0.3 || p.packets != 150 {
				t.Fatalf("audio %s, %d packets, %.3f s; video %+v; want 6 s of both", ac, packets, secs, p)
			}
		})
	}
}

// Ids that are not one folder name record nothing: no file lands outside
// the recordings folder.
func TestUnsafeIDsRecordNothing(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	root := t.TempDir()
	dir := filepath.Join(root, "recordings")
	rec, clock := newTestRecorder(t, Config{Dir: dir, Cameras: []Camera{{ID: "hall"}, {ID: ".."}}})
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
	for _, tc := range []struct {
		incident string
		cams     []string
	}{{"../escape", []string{"hall"}}, {"..", []string{"hall"}}, {"", []string{"hall"}}, {"i_1", []string{".."}}} {
		rec.Start(tc.incident, tc.cams, time.Time{})
	}
	f.until(t0.Add(2 * time.Second))
	rec.Close()
	var found []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, path)
		}
		return nil
	})
	if len(found) != 0 {
		t.Fatalf("files written: %v", found)
	}
}
