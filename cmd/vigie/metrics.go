package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"vigie/metrics"
)

// serverMetrics is /metrics: the registry over the server's parts, GET
// /metrics on the HTTPS listener when metrics.token is set, and a
// plain-HTTP listener when metrics.listen is.
type serverMetrics struct {
	*metrics.Metrics
	plain *http.Server // nil without metrics.listen
	addr  net.Addr
	wg    sync.WaitGroup
}

// startMetrics builds the metrics over the SFU, the cameras and the
// signaling server, which must exist, and serves them as configured.
func (s *server) startMetrics(mux *http.ServeMux) (*serverMetrics, error) {
	cfg, log := s.cfg.Metrics, s.log
	m := &serverMetrics{Metrics: metrics.New(metrics.Config{
		SFU: s.sfu, Cameras: s.cameras, Sessions: s.signaling, Version: version, Log: log,
	})}
	if cfg.Token == "" && cfg.Listen == "" {
		log.Info("metrics off: set metrics.token or metrics.listen to serve /metrics")
		return m, nil
	}
	handler := m.Handler()
	if cfg.Token != "" {
		handler = metrics.RequireToken(cfg.Token, handler)
		mux.Handle("GET /metrics", handler)
		log.Info("metrics served at /metrics with the bearer token")
	}
	if cfg.Listen != "" {
		if err := m.listen(cfg.Listen, handler, log); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// listen serves handler at /metrics over plain HTTP on addr.
func (m *serverMetrics) listen(addr string, handler http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", handler)
	m.addr = ln.Addr()
	m.plain = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	m.wg.Go(func() {
		if err := m.plain.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "addr", m.addr.String(), "err", err)
		}
	})
	log.Info("metrics served over plain HTTP", "url", "http://"+m.addr.String()+"/metrics")
	return nil
}

// close stops the plain listener and waits for it.
func (m *serverMetrics) close() {
	if m == nil || m.plain == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.plain.Shutdown(ctx)
	m.wg.Wait()
}
