package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"vigie/internal/gobin"
)

// Mailpit is a Mailpit server started for a measurement: plain SMTP on a
// free loopback port, every message kept, its API on another port.
type Mailpit struct {
	SMTP   string // 127.0.0.1:port
	API    string // http://127.0.0.1:port
	cmd    *exec.Cmd
	exited chan error
	dir    string
}

// FindMailpit looks for the mailpit binary on PATH, then where go install
// puts it.
func FindMailpit() (string, error) { return gobin.Find("mailpit") }

// StartMailpit runs Mailpit until Close, ready when it returns.
func StartMailpit(ctx context.Context) (*Mailpit, error) {
	bin, err := FindMailpit()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigie-bench-mailpit-")
	if err != nil {
		return nil, err
	}
	smtpAddr, err := freeLoopback()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	apiAddr, err := freeLoopback()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	logFile := filepath.Join(dir, "mailpit.log")
	out, err := os.Create(logFile)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(bin,
		"--smtp", smtpAddr, "--listen", apiAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0", // keep every message: none is pruned under the bench
		"--smtp-disable-rdns", "--disable-version-check", "--quiet")
	// Mailpit reads MP_* settings from the environment; --use-message-dates
	// among them would stamp messages with vigie's clock.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	m := &Mailpit{SMTP: smtpAddr, API: "http://" + apiAddr, cmd: cmd, exited: make(chan error, 1), dir: dir}
	go func() { m.exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-m.exited:
			log, _ := os.ReadFile(logFile)
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("mailpit exited at start (%v): %s", err, bytes.TrimSpace(log))
		default:
		}
		if resp, err := client.Get(m.API + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			m.Close()
			return nil, errors.New("mailpit not ready within 20s")
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			m.Close()
			return nil, err
		}
	}
}

// Close stops Mailpit and removes its files.
func (m *Mailpit) Close() {
	_ = m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	_ = os.RemoveAll(m.dir)
}

// freeLoopback finds a loopback TCP address nobody listens on.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
