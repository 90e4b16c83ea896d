package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"vigie/cameras"
	"vigie/certs"
	"vigie/config"
	"vigie/playback"
	"vigie/record"
	"vigie/rooms"
	"vigie/sfu"
	"vigie/signaling"
	"vigie/store"
	"vigie/token"
	"vigie/web"
)

// serveFlags are the command-line settings; set ones override the config.
type serveFlags struct {
	config, listen, data string
	demo, freePorts      bool
}

func parseServeFlags(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("vigie serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "YAML configuration file")
	fs.StringVar(&f.listen, "listen", "", "HTTPS address, such as :8443 (overrides the config)")
	fs.StringVar(&f.data, "data", "", "data directory (overrides the config)")
	fs.BoolVar(&f.demo, "demo", false, "create a demonstration room and print its links")
	fs.BoolVar(&f.freePorts, "free-ports", false, "media and TURN on ports the system picks (tests, several servers on one host)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

// loadConfig reads the config file when given and applies the flags.
func loadConfig(f serveFlags) (config.Config, error) {
	cfg := config.Default()
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return cfg, err
		}
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if f.data != "" {
		cfg.Data = f.data
	}
	if f.freePorts {
		useFreePorts(&cfg)
	}
	return cfg, cfg.Validate()
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)

	var consolePassword string
	if f.demo {
		sim, err := startDemoCamera(ctx, &cfg, log)
		if err != nil {
			return err
		}
		if sim != nil {
			defer sim.Close()
		}
		if consolePassword, err = addDemoOperator(&cfg); err != nil {
			return err
		}
	}
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.close()
	if err := srv.listen(); err != nil {
		return err
	}
	if err := srv.printWelcome(ctx, stdout, f.demo, consolePassword); err != nil {
		return err
	}
	return srv.run(ctx)
}

// server is everything `vigie serve` runs, built from the config.
type server struct {
	playback  *playback.Service // nil when no camera has a playback_url
	cfg       config.Config
	log       *slog.Logger
	tls       *certs.Bundle
	store     *store.Store
	sfu       *sfu.SFU
	cameras   *cameras.Registry
	evidence  *serverEvidence
	incidents *incidents // nil without sites
	metrics   *serverMetrics
	signaling *signaling.Server
	rooms     *rooms.Service
	http      *http.Server
	listener  net.Listener
	publicURL string
	net       network // media ports and TURN (network.go)
	ready     atomic.Bool
	files     *sharedFiles // files.go

	recorder *record.Recorder // nil when recording is off (recording.go)
	// participants records participants' tracks; nil when off (partrec.go)
	participants *record.Participants
}

func newServer(ctx context.Context, cfg config.Config, log *slog.Logger) (*server, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Data, err)
	}
	s := &server{cfg: cfg, log: log}
	var err error
	if s.tls, err = certs.Load(certs.Config{DataDir: cfg.Data, Hosts: cfg.Hosts, CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key}); err != nil {
		return nil, err
	}
	if s.store, err = store.Open(ctx, filepath.Join(cfg.Data, "vigie.db")); err != nil {
		return nil, err
	}
	if n, err := s.store.EndOpenSessions(ctx, time.Now().UTC(), "server restarted"); err != nil {
		s.close()
		return nil, err
	} else if n > 0 {
		log.Warn("closed sessions left open by a previous run", "count", n)
	}
	if err := s.build(ctx, cfg, log); err != nil {
		s.close()
		return nil, err
	}
	if err := s.rooms.Reopen(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// build wires the media, signaling and API parts.
func (s *server) build(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	secret, err := token.LoadOrCreateSecret(filepath.Join(cfg.Data, "secret.key"))
	if err != nil {
		return err
	}
	signer, err := token.NewSigner(secret, nil)
	if err != nil {
		return err
	}
	adminKeys := cfg.Admin.APIKeys
	if len(adminKeys) == 0 {
		key, err := loadOrCreateAdminKey(filepath.Join(cfg.Data, "admin.key"))
		if err != nil {
			return err
		}
		adminKeys = []string{key}
	}
	if err := s.openMediaPorts(); err != nil {
		return err
	}
	if s.sfu, err = sfu.New(sfu.Config{Log: log, IncludeLoopback: true, ConfigureTransport: s.net.ports.Apply,
		OnPublishedTrack: s.participantTrack}); err != nil {
		return err
	}
	s.signaling = &signaling.Server{Log: log, SFU: s.sfu, Tokens: signer, Store: s.store, ICEServersFor: s.iceServersFor,
		Limits: signalingLimits(cfg.Limits), ResumeWindow: cfg.Sessions.ResumeWindow.Std()}
	s.signaling.Init()
	if err := s.startFiles(); err != nil {
		return err
	}
	if s.cameras, err = cameras.New(ctx, cameraList(cfg.Cameras), s.sfu, log, s.signaling.CameraStatus); err != nil {
		return err
	}
	s.signaling.Cameras = s.cameras
	if err := s.startRecording(cfg, log); err != nil {
		return err
	}
	s.rooms = &rooms.Service{Store: s.store, Cameras: s.cameras, Tokens: signer, DefaultTTL: cfg.Links.TTL.Std(), Log: log}
	api := &rooms.API{Service: s.rooms, AdminKeys: adminKeys}
	s.signaling.Watch, s.signaling.AdminKey = s.cameras, api.ValidKey

	mux := http.NewServeMux()
	if s.metrics, err = s.startMetrics(mux); err != nil {
		return err
	}
	mux.Handle("/", web.Handler())
	mux.Handle("/ws", s.signaling.Handler())
	mux.Handle("/api/v1/join-info", s.signaling.Handler())
	mux.Handle("/api/v1/whep/", s.signaling.Handler())
	mux.Handle("/api/v1/whip/", s.signaling.Handler())
	mux.Handle("/api/v1/rooms", api.Handler())
	s.fileRoutes(mux)
	if s.incidents, err = s.startIncidents(ctx, cfg, signer, log); err != nil {
		return err
	}
	if s.incidents != nil {
		s.signaling.Access = s.incidents.service
		s.incidents.routes(mux, api, s.store, cfg.Webhooks, log)
	}
	if err := s.startEvidence(ctx, cfg, mux, api, log); err != nil {
		return err
	}
	if err := s.startPlayback(cfg, mux, api, log); err != nil {
		return err
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.serveReady)
	s.http = &http.Server{
		Handler:           web.SecurityHeaders(mux),
		TLSConfig:         s.tls.TLSConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return nil
}

func (s *server) serveReady(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// listen binds the HTTPS port and settles the public URL, which needs the
// real port when the configured one is 0.
func (s *server) listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	s.listener = ln
	s.publicURL = s.cfg.PublicURL
	if s.publicURL == "" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		s.publicURL = "https://" + net.JoinHostPort(s.cfg.Hosts[0], port)
	}
	s.rooms.PublicURL = s.publicURL
	if s.incidents != nil {
		s.incidents.service.SetPublicURL(s.publicURL)
	}
	return s.startTURN()
}

// run serves until ctx ends, then shuts down in order: refuse new work,
// close the browsers' sessions and their peer connections, stop HTTP.
func (s *server) run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.serveHTTPS() }()
	s.ready.Store(true)
	s.log.Info("vigie serving", "url", s.publicURL, "version", version)
	select {
	case err := <-errc:
		return fmt.Errorf("serve https: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.signaling.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("sessions still open at shutdown", "err", err)
	}
	s.closePlayback() // a playback starting on a silent recorder would hold the HTTP shutdown
	s.sfu.Close()
	if err := s.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("http shutdown", "err", err)
	}
	return nil
}

// close releases what newServer opened; the store is flushed last.
func (s *server) close() {
	s.evidence.close()
	if s.incidents != nil {
		s.incidents.close()
	}
	if s.cameras != nil {
		s.cameras.Close()
	}
	s.closePlayback()
	s.closeRecording()
	if s.sfu != nil {
		s.sfu.Close()
	}
	s.metrics.close()
	s.files.close()
	if err := s.net.close(); err != nil {
		s.log.Warn("close media ports", "err", err)
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Error("close store", "err", err)
		}
	}
}
