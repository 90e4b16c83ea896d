package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestChild(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		stop    func(c *Child, cancel context.CancelFunc)
		wantErr string // in Exited
	}{
		{"stopped", []string{"sleep", "60"}, func(c *Child, _ context.CancelFunc) { c.Stop(5 * time.Second) }, "signal: terminated"},
		{"ignores SIGTERM: killed after grace", []string{"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"},
			func(c *Child, _ context.CancelFunc) { waitOutput(t, c, "ready"); c.Stop(200 * time.Millisecond) }, "signal: killed"},
		{"context ends", []string{"sleep", "60"}, func(c *Child, cancel context.CancelFunc) { cancel(); <-c.Done(); c.Stop(time.Second) }, "signal: killed"},
		{"exits by itself", []string{"sh", "-c", "echo to the log; exit 3"}, func(c *Child, _ context.CancelFunc) { <-c.Done(); c.Stop(time.Second) }, "exit status 3:\nto the log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			c, err := StartChild(ctx, tt.args[0], tt.args[1:], nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.Exited() != nil && tt.name != "exits by itself" {
				t.Fatalf("exited at once: %v", c.Exited())
			}
			tt.stop(c, cancel)
			err = c.Exited()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Exited() = %v, want %q", err, tt.wantErr)
			}
			if alive(c.PID()) {
				t.Errorf("process %d still running", c.PID())
			}
		})
	}
	if _, err := StartChild(t.Context(), "/nonexistent/vigie", nil, nil); err == nil {
		t.Error("starting a missing program: no error")
	}
}

func waitOutput(t *testing.T, c *Child, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive tells whether pid runs (a zombie waiting to be reaped is dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || !strings.HasPrefix(string(b[i+1:]), " Z")
}

// TestChildDiesWithBench: a bench killed outright (a crash, SIGKILL)
// takes its children with it. The bench here is this test binary run
// again as a helper that starts a child and prints its PID.
func TestChildDiesWithBench(t *testing.T) {
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "VIGIE_BENCH_CHILD_HELPER=1")
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "child ")))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	_ = helper.Process.Signal(syscall.SIGKILL)
	_ = helper.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d of a killed bench still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMain runs as the helper bench of TestChildDiesWithBench when asked,
// else the tests.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIE_BENCH_CHILD_HELPER") == "1" {
		c, err := StartChild(context.Background(), "sleep", []string{"60"}, nil)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Printf("child %d\n", c.PID())
		<-c.Done() // until killed along with this process
		os.Exit(0)
	}
	os.Exit(m.Run())
}
