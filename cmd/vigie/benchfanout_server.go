package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"vigie/bench"
)

// fanoutServer is the vigie `bench fanout` runs as a child process, and
// the camera simulator it may run as another.
type fanoutServer struct {
	dir     string
	camera  *bench.Child // nil with --rtsp
	vigie   *bench.Child
	listen  string // vigie's HTTPS address
	metrics string // vigie's metrics address
	key     string // admin API key
	tls     *tls.Config
}

// startFanoutServer starts the camera simulator (when rtsp is empty) and
// vigie, and waits until vigie is ready. The children are stopped by stop,
// or killed with this process if it dies first; ctx only bounds the start.
func startFanoutServer(ctx context.Context, rtsp, clip string, maxViewers int, media fanoutMedia, stderr io.Writer) (s *fanoutServer, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench fanout: own executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "vigie-fanout-")
	if err != nil {
		return nil, err
	}
	s = &fanoutServer{
		dir:     dir,
		listen:  "127.0.0.1:" + freePort(),
		metrics: "127.0.0.1:" + freePort(),
		key:     randomKey(),
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	// The children outlive ctx: they are stopped after the viewers are gone.
	childCtx := context.WithoutCancel(ctx)
	if rtsp == "" {
		addr := "127.0.0.1:" + freePort()
		fmt.Fprintf(stderr, "bench fanout: starting the camera simulator on %s\n", addr)
		s.camera, err = bench.StartChild(childCtx, exe, []string{"camera-sim", "--listen", addr, "--clip", clip}, nil)
		if err != nil {
			return s, err
		}
		if err := awaitListening(ctx, s.camera, addr, 30*time.Second); err != nil {
			return s, err
		}
		rtsp = "rtsp://" + addr + "/" + clip
	}
	cfgPath := filepath.Join(dir, "vigie.yaml")
	if err := os.WriteFile(cfgPath, []byte(fanoutConfigYAML(dir, s.listen, s.metrics, s.key, rtsp, maxViewers)+media.yaml()), 0o600); err != nil {
		return s, err
	}
	fmt.Fprintf(stderr, "bench fanout: starting vigie (data %s) with camera %s\n", dir, rtsp)
	s.vigie, err = bench.StartChild(childCtx, exe, []string{"serve", "--config", cfgPath}, stderr)
	if err != nil {
		return s, err
	}
	return s, s.awaitReady(ctx, 30*time.Second)
}

// fanoutConfigYAML is the child vigie's configuration: one preloaded
// camera, an admin key for WHEP, metrics on loopback, warnings only, and
// limits that let one address open maxViewers WHEP sessions at once.
func fanoutConfigYAML(dir, listen, metrics, key, rtsp string, maxViewers int) string {
	q := strconv.Quote
	return fmt.Sprintf(`# Written by vigie bench fanout.
listen: %s
data: %s
admin:
  api_keys: [%s]
log:
  level: warn
  format: text
metrics:
  listen: %s
  pprof: true
limits:
  max_whep_sessions: %d
  connections_per_ip_per_minute: %d
cameras:
  - id: bench
    name: bench
    url: %s
    preload: true
`, q(listen), q(dir), q(key), q(metrics), maxViewers+fanoutSpareSessions, fanoutConnectionsPerMinute, q(rtsp))
}

// The child vigie's limits: room for the bench's probe viewers and
// replacements of failed ones, and no refusal of a ramp's new connections
// from its one address (600 viewers in well under a minute).
const (
	fanoutSpareSessions        = 50
	fanoutConnectionsPerMinute = 1_000_000
)

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// configure points the bench at the child vigie's camera.
func (s *fanoutServer) configure(cfg *bench.FanoutConfig) {
	cfg.WHEP = "https://" + s.listen + "/api/v1/whep/cameras/bench"
	cfg.Token = s.key
	cfg.PID = s.vigie.PID()
	cfg.Metrics = "http://" + s.metrics + "/metrics"
	cfg.TLSConfig = s.tls
}

// awaitStream waits until a viewer gets the camera's video, or vigie exits.
func (s *fanoutServer) awaitStream(ctx context.Context, cfg bench.FanoutConfig, limit time.Duration) error {
	ctx, stop := whileRunning(ctx, s.vigie)
	defer stop()
	return bench.WaitStream(ctx, cfg, limit)
}

// awaitReady polls vigie's /readyz over HTTPS, trusting the CA it
// generates in its data directory.
func (s *fanoutServer) awaitReady(ctx context.Context, limit time.Duration) error {
	ctx, stop := whileRunning(ctx, s.vigie)
	defer stop()
	deadline := time.Now().Add(limit)
	caFile := filepath.Join(s.dir, "tls", "ca.pem")
	var lastErr error
	for time.Now().Before(deadline) {
		if s.tls == nil {
			if pem, err := os.ReadFile(caFile); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(pem) {
					s.tls = &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
				}
			}
		}
		if s.tls != nil {
			if lastErr = getOK(ctx, s.tls, "https://"+s.listen+"/readyz"); lastErr == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench fanout: vigie not ready after %v: %v", limit, lastErr)
}

func getOK(ctx context.Context, tlsCfg *tls.Config, url string) error {
	transport := &http.Transport{TLSClientConfig: tlsCfg}
	defer transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// awaitListening polls a TCP address until it accepts, or the child exits.
func awaitListening(ctx context.Context, c *bench.Child, addr string, limit time.Duration) error {
	ctx, stop := whileRunning(ctx, c)
	defer stop()
	deadline := time.Now().Add(limit)
	var d net.Dialer
	for time.Now().Before(deadline) {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench fanout: nothing listens on %s after %v", addr, limit)
}

// whileRunning is ctx, also cancelled when the child exits, with the
// child's exit as the cause. stop releases the watcher.
func whileRunning(ctx context.Context, c *bench.Child) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-c.Done():
			cancel(c.Exited())
		case <-done:
		}
	})
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// stop ends vigie, then the camera, and removes the data directory.
func (s *fanoutServer) stop() {
	if s.vigie != nil {
		s.vigie.Stop(10 * time.Second)
	}
	if s.camera != nil {
		s.camera.Stop(5 * time.Second)
	}
	_ = os.RemoveAll(s.dir)
}

// profileCPU saves a CPU profile of the child vigie over one measurement
// window as DIR/cpu-VIEWERS.pprof (go tool pprof -http :8080 FILE).
func (s *fanoutServer) profileCPU(dir string, log *slog.Logger) func(context.Context, int, time.Duration) {
	return func(ctx context.Context, viewers int, window time.Duration) {
		secs := max(1, int(window.Seconds()))
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.metrics, secs)
		path := filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", viewers))
		if err := saveURL(ctx, url, path); err != nil {
			log.Warn("no CPU profile", "viewers", viewers, "err", err)
			return
		}
		log.Info("CPU profile saved", "viewers", viewers, "file", path)
	}
}

func saveURL(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// fanoutMedia sets the child vigie's media port: a free UDP port served by
// Sockets sockets (0: one per core), batched or not; no ICE-TCP, no TURN.
type fanoutMedia struct {
	Sockets int
	Batch   bool
}

func (m fanoutMedia) yaml() string {
	return fmt.Sprintf("media:\n  udp: \"127.0.0.1:0\"\n  tcp: \"\"\n  udp_sockets: %d\n  udp_batch: %v\nturn:\n  enabled: false\n", m.Sockets, m.Batch)
}
