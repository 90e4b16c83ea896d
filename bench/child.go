package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Child is a process the bench started and owns: Stop ends it, and so
// does the end of the context it was started with. If the bench itself
// dies without stopping it (a crash in another goroutine), the kernel
// kills it (Linux: parent-death signal). It runs in its own process group,
// so a terminal's Ctrl-C reaches the bench only, which then stops its
// viewers before its children.
type Child struct {
	name string
	cmd  *exec.Cmd
	out  *tailWriter
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done

	stopOnce sync.Once
	watcher  sync.WaitGroup
}

// StartChild starts name with args; its output goes to log (nil: kept
// only for error messages).
func StartChild(ctx context.Context, name string, args []string, log io.Writer) (*Child, error) {
	c := &Child{name: name, out: &tailWriter{max: 4 << 10}, done: make(chan struct{})}
	c.cmd = exec.Command(name, args...)
	c.cmd.SysProcAttr = childProcAttr()
	var w io.Writer = c.out
	if log != nil {
		w = io.MultiWriter(c.out, log)
	}
	c.cmd.Stdout, c.cmd.Stderr = w, w
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	c.watcher.Go(func() {
		select {
		case <-ctx.Done():
			c.kill()
		case <-c.done:
		}
	})
	return c, nil
}

// PID is the child's process id.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Done is closed once the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited describes how the child ended, with the end of its output.
func (c *Child) Exited() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	msg := fmt.Sprintf("%s exited", c.name)
	if c.err != nil {
		msg = fmt.Sprintf("%s: %v", c.name, c.err)
	}
	if tail := strings.TrimSpace(c.out.String()); tail != "" {
		msg += ":\n" + tail
	}
	return errors.New(msg)
}

// Stop asks the child to end (SIGTERM), kills it (SIGKILL) after grace,
// and waits until it has exited. Safe to call more than once.
func (c *Child) Stop(grace time.Duration) {
	c.stopOnce.Do(func() {
		_ = syscall.Kill(-c.PID(), syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			c.kill()
		}
	})
	<-c.done
	c.watcher.Wait()
}

func (c *Child) kill() {
	_ = syscall.Kill(-c.PID(), syscall.SIGKILL)
	<-c.done
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
