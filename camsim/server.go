// Package camsim simulates a site's IP cameras for tests, benchmarks and the
// demo: an RTSP server whose paths loop recorded clips in real time, like
// cameras that stream whether or not anyone watches, drop their clients and
// reboot.
//
// Paths: /main (H.264 720p, 4 s GOP), /sub (H.264 360p), /h265 (H.265 720p),
// /bframes (H.264 with B-frames, 2 s GOP), /aac (H.264 + AAC), /g711
// (H.264 + G.711 μ-law), /bench2m (H.264 720p at a steady 2 Mbit/s, 4 s GOP,
// for load tests). Every clip lasts 8 s; RTP timestamps and sequence
// numbers run on across loops. A client joins mid-GOP and must wait for the
// next keyframe (at most 4 s on /main), as with a real camera.
package camsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config configures a simulated camera server.
type Config struct {
	Addr string // RTSP listen address, e.g. "127.0.0.1:8554"; "127.0.0.1:0" picks a free port
	User string // when set, clients must authenticate (Basic and Digest accepted)
	Pass string
	// Paths limits the cameras to these paths ("bench2m" or "/bench2m");
	// all of them when empty. Loading fewer clips starts faster and uses
	// less memory.
	Paths []string
	Log   *slog.Logger
	// IdleTimeout is how long a session may go without a request (a paused
	// recording) before the server drops it; 60 s when 0.
	IdleTimeout time.Duration
}

// ErrClosed is returned by Restart once the server is closed.
var ErrClosed = errors.New("camera simulator: closed")

// Server is a running camera simulator.
type Server struct {
	cfg     Config
	log     *slog.Logger
	addr    string // listen address with the port fixed at Start, reused on reboot
	cameras []*camera
	replays *playbackLog // PLAY requests on PlaybackPath
	stop    context.CancelFunc
	done    <-chan struct{} // closed when the server starts shutting down
	wg      sync.WaitGroup  // camera loops and the shutdown watcher

	restartMu sync.Mutex // one reboot at a time
	mu        sync.Mutex // guards live and closed
	live      *listener  // nil while rebooting
	closed    bool
}

// Start loads the clips, starts listening and starts every camera's loop.
// The server runs until ctx ends or Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cams, err := loadCameras(cfg.Paths, log)
	if err != nil {
		return nil, err
	}
	pb := &playbackLog{}
	l, err := listen(cfg.Addr, cams, cfg, log, pb)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	s := &Server{
		cfg:     cfg,
		log:     log,
		addr:    l.addr(),
		cameras: cams,
		replays: pb,
		stop:    stop,
		done:    runCtx.Done(),
		live:    l,
	}
	s.attach(l)
	start := time.Now()
	for _, cam := range cams {
		s.wg.Go(func() { cam.run(runCtx, start) })
	}
	s.wg.Go(func() {
		<-runCtx.Done()
		s.shutdown()
	})
	log.Info("camera simulator: listening", "addr", s.addr, "auth", cfg.User != "")
	return s, nil
}

func loadCameras(paths []string, log *slog.Logger) ([]*camera, error) {
	sources, err := selectClips(paths)
	if err != nil {
		return nil, err
	}
	var cams []*camera
	for _, src := range sources {
		c, err := loadClip(src)
		if err != nil {
			return nil, err
		}
		cams = append(cams, &camera{path: src.path, clip: c, log: log})
	}
	return cams, nil
}

// selectClips returns the catalogue's clips for paths, or all of them when
// paths is empty.
func selectClips(paths []string) ([]clipSource, error) {
	all := catalogue()
	if len(paths) == 0 {
		return all, nil
	}
	var out []clipSource
	for _, p := range paths {
		p = "/" + strings.TrimPrefix(p, "/")
		i := slices.IndexFunc(all, func(src clipSource) bool { return src.path == p })
		if i < 0 {
			return nil, fmt.Errorf("camera simulator: no clip %q (have %s)", strings.TrimPrefix(p, "/"), clipNames(all))
		}
		if !slices.ContainsFunc(out, func(src clipSource) bool { return src.path == p }) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

func clipNames(srcs []clipSource) string {
	names := make([]string, len(srcs))
	for i, src := range srcs {
		names[i] = strings.TrimPrefix(src.path, "/")
	}
	return strings.Join(names, ", ")
}

// URL returns the RTSP URL of a path ("main" or "/main"), without credentials.
func (s *Server) URL(path string) string {
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		return "rtsp://" + s.addr + "/" + strings.TrimPrefix(path, "/")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "rtsp://" + net.JoinHostPort(host, port) + "/" + strings.TrimPrefix(path, "/")
}

// Paths returns the camera paths, "/main" first.
func (s *Server) Paths() []string {
	paths := make([]string, len(s.cameras))
	for i, cam := range s.cameras {
		paths[i] = cam.path
	}
	return paths
}

// DropSessions closes every client session and connection now, as a camera
// dropping its clients; the server keeps running and accepts new ones.
func (s *Server) DropSessions() {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l != nil {
		s.log.Info("camera simulator: dropping every client")
		l.drop()
	}
}

// Restart simulates a reboot: it stops listening (closing every client),
// stays down for down, then listens again on the same port with the
// cameras streaming. It returns once the server is back, or ErrClosed if it
// was closed meanwhile. The cameras' clocks run on while down.
func (s *Server) Restart(down time.Duration) error {
	s.restartMu.Lock()
	defer s.restartMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	l := s.live
	s.live = nil
	s.mu.Unlock()
	s.detach()
	if l != nil {
		l.close()
	}
	s.log.Info("camera simulator: rebooting", "down", down)
	t := time.NewTimer(down)
	defer t.Stop()
	select {
	case <-s.done:
		return ErrClosed
	case <-t.C:
	}
	return s.boot()
}

// boot listens again after a reboot.
func (s *Server) boot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	l, err := listen(s.addr, s.cameras, s.cfg, s.log, s.replays)
	if err != nil {
		return err
	}
	s.live = l
	s.attach(l)
	s.log.Info("camera simulator: back up", "addr", s.addr)
	return nil
}

// Close stops listening and streaming and waits for every goroutine.
func (s *Server) Close() {
	s.stop()
	s.wg.Wait()
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.closed = true
	l := s.live
	s.live = nil
	s.mu.Unlock()
	s.detach()
	if l != nil {
		l.close()
	}
}

// attach points every camera at its stream on l.
func (s *Server) attach(l *listener) {
	for _, cam := range s.cameras {
		cam.stream.Store(l.stream(cam.path))
	}
}

// detach stops the cameras writing to any stream.
func (s *Server) detach() {
	for _, cam := range s.cameras {
		cam.stream.Store(nil)
	}
}
