package record

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A camera whose files cannot be created (a full disk, a folder taken) is
// tried again at each keyframe but logged once, then once a minute, not at
// every keyframe; once the disk takes files again, recording goes on.
func TestCameraFailingDiskLogsOnceAMinute(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts") // a keyframe every 4 s
	logs := &countingHandler{counts: map[slog.Level]int{}}
	rec, clock := newTestRecorder(t, Config{Cameras: []Camera{{ID: "hall"}}, Log: slog.New(logs)})
	taken := filepath.Join(rec.cfg.Dir, "i_1")
	if err := os.WriteFile(taken, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &feeder{rec: rec, camera: "hall", codec: codec, aus: aus, clock: clock, start: t0}
	rec.Start("i_1", []string{"hall"}, time.Time{})
	f.until(t0.Add(70 * time.Second)) // 18 keyframes, each a try
	// The first failure, and a reminder a minute (of camera time) later.
	waitFor(t, 10*time.Second, "two errors logged", func() bool { return logs.count(slog.LevelError) >= 2 })
	if err := os.Remove(taken); err != nil {
		t.Fatal(err)
	}
	f.until(t0.Add(80 * time.Second))
	rec.Close()
	if n := logs.count(slog.LevelError); n != 2 {
		t.Fatalf("%d errors logged for 18 failed keyframes, want 2: %q", n, logs.msgs)
	}
	if files := recordings(t, filepath.Join(rec.cfg.Dir, "i_1", "hall")); len(files) != 1 {
		t.Fatalf("files %v once the folder could be made, want one", files)
	}
}
