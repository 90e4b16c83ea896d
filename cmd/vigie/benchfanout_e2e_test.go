package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestBenchFanoutEndToEnd runs `vigie bench fanout` as a person would:
// vigie and the camera simulator as child processes (this test binary
// acting as vigie), three WHEP viewers measured for three seconds.
func TestBenchFanoutEndToEnd(t *testing.T) {
	t.Setenv(runMainEnv, "1")
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	err := benchFanoutCommand(t.Context(), []string{"--viewers", "3", "--duration", "3s", "--settle", "1s"}, stdout, stderr)
	if err != nil {
		t.Fatalf("bench fanout: %v\n%s", err, stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res struct {
		Steps []struct {
			Viewers        int      `json:"viewers"`
			Connected      int      `json:"connected"`
			Failed         int      `json:"failed"`
			ServerCores    *float64 `json:"server_cores"`
			ToolCores      *float64 `json:"tool_cores"`
			MbpsPerViewer  *float64 `json:"mbit_per_s_per_viewer"`
			LossWorst      *float64 `json:"loss_worst"`
			FramesComplete *float64 `json:"frames_complete"`
			BytesPerViewer *float64 `json:"server_bytes_per_viewer"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || len(res.Steps) != 1 {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	st := res.Steps[0]
	if st.Viewers != 3 || st.Connected != 3 || st.Failed != 0 {
		t.Errorf("viewers %d, connected %d, failed %d", st.Viewers, st.Connected, st.Failed)
	}
	for name, v := range map[string]*float64{"server_cores": st.ServerCores, "tool_cores": st.ToolCores, "server_bytes_per_viewer": st.BytesPerViewer} {
		if v == nil || *v <= 0 {
			t.Errorf("%s = %v, want a measured value", name, v)
		}
	}
	// The simulator's clip is 2 Mbit/s of H.264.
	if st.MbpsPerViewer == nil || *st.MbpsPerViewer < 1.5 || *st.MbpsPerViewer > 2.8 {
		t.Errorf("Mbit/s per viewer %v, want about 2", st.MbpsPerViewer)
	}
	if st.LossWorst == nil || *st.LossWorst > 0.01 || st.FramesComplete == nil || *st.FramesComplete < 0.95 {
		t.Errorf("loss worst %v, frames complete %v on loopback", st.LossWorst, st.FramesComplete)
	}
	checkChildrenGone(t, stderr.String())
	if left := goroutinesOf("vigie/bench."); left != "" {
		t.Errorf("bench goroutines left:\n%s", left)
	}
}

// checkChildrenGone: the data directory is removed, and no process runs
// with it (vigie) or the simulator's address in its command line.
func checkChildrenGone(t *testing.T, log string) {
	t.Helper()
	dir := regexp.MustCompile(`starting vigie \(data (\S+)\)`).FindStringSubmatch(log)
	cam := regexp.MustCompile(`starting the camera simulator on (\S+)`).FindStringSubmatch(log)
	if dir == nil || cam == nil {
		t.Fatalf("no data directory or camera address in the log:\n%s", log)
	}
	if _, err := os.Stat(dir[1]); !os.IsNotExist(err) {
		t.Errorf("data directory %s left: %v", dir[1], err)
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err != nil || !alive(p) {
			continue
		}
		if args := string(b); strings.Contains(args, dir[1]) || strings.Contains(args, "\x00"+cam[1]+"\x00") {
			t.Errorf("a child still runs: %s", strings.ReplaceAll(args, "\x00", " "))
		}
	}
}

// alive tells whether the process of a /proc/PID/cmdline path runs (a
// zombie waiting for its parent is not).
func alive(cmdline string) bool {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cmdline), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && !strings.HasPrefix(string(b[i+1:]), " Z")
}

// goroutinesOf lists the goroutines running code whose name has prefix.
func goroutinesOf(prefix string) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, prefix) {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}
