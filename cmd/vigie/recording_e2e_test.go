package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// adminPost posts body to the admin API and decodes the answer into out.
func adminPost(t *testing.T, base, data, path, body string, out any) {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := trustingClient(t, data).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// probeVideo returns how many video frames ffprobe reads in a file, its
// duration in seconds, and whether the first frame is a keyframe; ok is
// false when ffprobe cannot read it (yet).
func probeVideo(path string) (frames int, seconds float64, firstKey, ok bool) {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=nb_read_packets:format=duration", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0, 0, false, false
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return 0, 0, false, false
	}
	frames, _ = strconv.Atoi(lines[0])
	seconds, _ = strconv.ParseFloat(lines[1], 64)
	first, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
		"-show_entries", "packet=flags", "-of", "csv=p=0", path).Output()
	return frames, seconds, err == nil && bytes.HasPrefix(bytes.TrimSpace(first), []byte("K")), err == nil
}

// segments lists an incident camera's recordings, oldest first.
func segments(dir string) []string {
	list, _ := filepath.Glob(filepath.Join(dir, "2*.mp4"))
	sort.Strings(list)
	return list
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An alarm on the demo site records its (preloaded) camera and writes the
// pre-alarm clip, which reaches back before the alarm; after a restart
// the open incident records into a new file and the first one stays
// readable; closing the incident completes the recording.
func TestAlarmRecordsCamerasAcrossRestart(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(data, "vigie.yaml")
	if err := os.WriteFile(cfg, []byte("recording:\n  pre_alarm: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := serveOnce(t, data, "--demo", "--config", cfg)

	// A first incident, recorded for four seconds: the camera is live.
	var first struct{ ID string }
	adminPost(t, base, data, "/api/v1/incidents", `{"site":"demo"}`, &first)
	waitUntil(t, 30*time.Second, "four seconds of recording", func() bool {
		n, _, _, ok := probeVideo(firstOf(segments(filepath.Join(data, "recordings", first.ID, "demo"))))
		return ok && n >= 100
	})
	adminPost(t, base, data, "/api/v1/incidents/"+first.ID+"/close", "", nil)

	// The next alarm's clip starts 3 s or more before it and ends 5 s after.
	var inc struct{ ID string }
	adminPost(t, base, data, "/api/v1/incidents", `{"site":"demo"}`, &inc)
	dir := filepath.Join(data, "recordings", inc.ID, "demo")
	clip := filepath.Join(dir, "prealarm.mp4")
	waitUntil(t, 30*time.Second, "a pre-alarm clip of 8 s", func() bool {
		_, secs, _, ok := probeVideo(clip)
		return ok && secs >= 8
	})
	if _, _, key, _ := probeVideo(clip); !key {
		t.Fatal("the pre-alarm clip does not start on a keyframe")
	}
	// It is shared in the incident's room: its bytes, by their hash.
	waitUntil(t, 30*time.Second, "the clip shared as a room file", func() bool {
		b, err := os.ReadFile(clip)
		if err != nil {
			return false
		}
		sum := sha256.Sum256(b)
		_, err = os.Stat(filepath.Join(data, "files", hex.EncodeToString(sum[:])))
		return err == nil
	})
	waitUntil(t, 30*time.Second, "the incident's recording", func() bool {
		n, _, _, ok := probeVideo(firstOf(segments(dir)))
		return ok && n >= 25
	})
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	base, stop = serveOnce(t, data, "--demo", "--config", cfg)
	waitUntil(t, 30*time.Second, "a second recording after the restart", func() bool {
		list := segments(dir)
		if len(list) != 2 {
			return false
		}
		n, _, _, ok := probeVideo(list[1])
		return ok && n >= 25
	})
	adminPost(t, base, data, "/api/v1/incidents/"+inc.ID+"/close", "", nil)
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	for _, f := range segments(dir) {
		n, secs, key, ok := probeVideo(f)
		if !ok || !key || n < 25 || secs < 1 {
			t.Fatalf("%s: %d frames, %.2f s, keyframe first %v, readable %v", f, n, secs, key, ok)
		}
	}
}

// serveOnce is startServe whose stop may be called again (the test's end
// calls it too, should the test fail before).
func serveOnce(t *testing.T, data string, extra ...string) (string, func() int) {
	base, stop := startServe(t, data, extra...)
	once := sync.OnceValue(stop)
	t.Cleanup(func() { once() })
	return base, once
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}
