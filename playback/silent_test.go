package playback

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigie/camsim"
)

// silentRecorder accepts TCP connections and never answers, holding them
// open until the test ends.
type silentRecorder struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	done     chan struct{}
}

func startSilent(t *testing.T) *silentRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentRecorder{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.accepted++
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

func (s *silentRecorder) url() string { return "rtsp://" + s.ln.Addr().String() + "/playback" }

func (s *silentRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// within fails the test unless f returns within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s took more than %s", what, d)
	}
}

// Ending the caller's context stops a Start held by a recorder that never
// answers, at once rather than after the read timeout.
func TestPlayerStartCancelledOnSilentRecorder(t *testing.T) {
	rec := startSilent(t)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	ctx, cancel := context.WithCancel(t.Context())
	var err error
	within(t, 3*time.Second, "Start on a silent recorder, cancelled", func() {
		go func() {
			for rec.count() == 0 && ctx.Err() == nil {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
		}()
		_, err = Start(ctx, Options{Source: Source{URL: rec.url(), ONVIF: true}, From: from, To: from.Add(time.Minute)})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start: %v, want context.Canceled", err)
	}
}

// Close returns at once while the player is reconnecting to a recorder
// that accepts the connection and never answers.
func TestPlayerCloseDuringSilentReconnect(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	rec := startSilent(t)
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	p, err := Start(t.Context(), Options{Source: Source{URL: sim.URL("playback"), ONVIF: true}, From: from, To: from.Add(time.Hour),
		SourceAt: func(time.Time) (Source, error) { return Source{URL: rec.url(), ONVIF: true}, nil },
		Backoff:  []time.Duration{10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	sim.DropSessions()
	waitFor(t, 5*time.Second, "the reconnection to the silent recorder", func() bool { return rec.count() > 0 })
	within(t, 2*time.Second, "Close during the reconnection", p.Close)
}

// countHandler counts the log records whose message is msg.
type countHandler struct {
	msg string
	n   *atomic.Int32
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// A paused playback keeps its RTSP session: the recorder, which drops a
// session left without requests, does not drop it and the player does
// not reconnect.
func TestPausedSessionKeptAlive(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}, IdleTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var drops atomic.Int32
	log := slog.New(countHandler{msg: "playback: the recorder dropped the session, reconnecting", n: &drops})
	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	p, err := Start(t.Context(), Options{Source: Source{URL: sim.URL("playback"), ONVIF: true}, From: from, To: from.Add(time.Hour),
		Log: log, KeepAlive: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitFor(t, 8*time.Second, "footage", func() bool { return p.RecordedAt().After(from) })
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	// Three times the recorder's idle timeout, paused.
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if n := drops.Load(); n > 0 {
			t.Fatalf("the paused session was dropped %d times", n)
		}
	}
	before := len(sim.PlaybackRequests())
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	at := p.RecordedAt()
	waitFor(t, 8*time.Second, "footage after resuming", func() bool { return p.RecordedAt().After(at) })
	if got := len(sim.PlaybackRequests()) - before; got != 1 || drops.Load() != 0 {
		t.Fatalf("after resuming: %d PLAY, %d drops; want 1 PLAY on the same session", got, drops.Load())
	}
}
