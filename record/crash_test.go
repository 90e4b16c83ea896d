package record

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// childDirEnv makes the test binary a recording child writing there.
const childDirEnv = "VIGIE_RECORD_CHILD_DIR"

// TestMain runs the recording child when the crash test re-executes the
// binary, the tests otherwise.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		recordUntilKilled(dir)
		return
	}
	os.Exit(m.Run())
}

// recordUntilKilled records the test clip at four times real speed until
// the parent kills it; it never returns normally.
func recordUntilKilled(dir string) {
	codec, aus := loadAUs(&childTB{}, "main.ts")
	rec, err := New(Config{Dir: dir, Cameras: []Camera{{ID: "hall"}}})
	if err != nil {
		os.Exit(2)
	}
	rec.Start("i_1", []string{"hall"}, time.Time{})
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < 100000; i++ {
		<-tick.C
		au := aus[i%len(aus)]
		rec.WriteVideo("hall", codec, int64(i)*frameTicks, au.nalus, au.key)
	}
	os.Exit(3) // the parent did not kill us in time
}

// childTB lets loadAUs run outside a test: any failure ends the child.
type childTB struct{ testing.TB }

func (childTB) Helper()               {}
func (childTB) Fatal(...any)          { os.Exit(2) }
func (childTB) Fatalf(string, ...any) { os.Exit(2) }
func (childTB) Errorf(string, ...any) { os.Exit(2) }
func (childTB) Logf(string, ...any)   {}
func (childTB) Cleanup(func())        {}

// completeFragments counts the whole moof+mdat pairs at the top level of
// an MP4 file; a box cut by the end of the file does not count.
func completeFragments(data []byte) int {
	n, moof := 0, false
	for pos := 0; pos+8 <= len(data); {
		size := int(binary.BigEndian.Uint32(data[pos:]))
		typ := string(data[pos+4 : pos+8])
		if size < 8 || pos+size > len(data) {
			break
		}
		switch typ {
		case "moof":
			moof = true
		case "mdat":
			if moof {
				n++
			}
			moof = false
		}
		pos += size
	}
	return n
}

// A recorder killed with SIGKILL in the middle of a recording leaves a
// file that ffprobe reads, holding every fragment written before.
func TestRecordingSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	var file string
	waitFor(t, 30*time.Second, "four fragments on disk", func() bool {
		list, _ := filepath.Glob(filepath.Join(dir, "i_1", "hall", "*.mp4"))
		if len(list) != 1 {
			return false
		}
		file = list[0]
		data, _ := os.ReadFile(file)
		return completeFragments(data) >= 4
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	err := cmd.Wait()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	frags := completeFragments(data)
	p := ffprobe(t, file)
	// Each whole fragment holds one second: 25 frames.
	if p.packets < 25*frags || !p.firstIsKey || p.duration < float64(frags)*0.95 {
		t.Fatalf("after kill -9: ffprobe %+v, %d whole fragments on disk", p, frags)
	}
}
