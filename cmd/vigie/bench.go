package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"vigie/bench"
	"vigie/config"
	"vigie/rooms"
	"vigie/token"
)

const benchUsage = `usage: vigie bench join (--rtsp URL | --target LINK) [--n 20] [--max-delay 4s] [--warmup 5s] [--insecure] [--relay-only]
       vigie bench alarm [--contacts 50] [--alarms 20] [--via dc09|api] [--target URL --mailpit-api URL --site ID[=ACCOUNT]...]
       vigie bench fanout [--rtsp URL | --whep URL --token KEY] [--viewers 10,50,100,200,400,600] [--duration 30s] [--json]`

// benchCommand runs `vigie bench join`: N viewers join one after the other
// and the time to their first camera packet and first complete keyframe is
// reported.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(benchUsage)
	}
	switch args[0] {
	case "alarm":
		return benchAlarmCommand(ctx, args[1:], stdout, stderr)
	case "fanout":
		return benchFanoutCommand(ctx, args[1:], stdout, stderr)
	case "join":
	default:
		return errors.New(benchUsage)
	}
	fs := flag.NewFlagSet("vigie bench join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rtsp := fs.String("rtsp", "", "camera URL: run vigie in-process with this camera")
	target := fs.String("target", "", "join link of a room with a camera on a running vigie")
	n := fs.Int("n", bench.DefaultViewers, "number of viewers, one after the other")
	maxDelay := fs.Duration("max-delay", bench.DefaultMaxDelay, "each viewer starts after a random delay up to this")
	warmup := fs.Duration("warmup", 5*time.Second, "with --rtsp: wait this long after the camera is live")
	insecure := fs.Bool("insecure", false, "with --target: do not verify the server certificate")
	relayOnly := fs.Bool("relay-only", false, "receive through the server's TURN relay only")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := bench.JoinConfig{N: *n, MaxDelay: *maxDelay, RelayOnly: *relayOnly, Log: newLogger(stderr, "warn", "text")}
	switch {
	case *rtsp != "" && *target == "":
		stop, link, tlsCfg, err := benchServer(ctx, *rtsp, *warmup, stderr)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Link, cfg.TLSConfig = link, tlsCfg
	case *target != "" && *rtsp == "":
		cfg.Link = *target
		if *insecure {
			cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for on the command line
		}
	default:
		return errors.New(benchUsage)
	}
	res, err := bench.Join(ctx, cfg)
	if err != nil {
		return err
	}
	return writeReport(stdout, res)
}

// benchServer starts vigie in-process with one preloaded camera, waits
// until the camera is live plus warmup, and returns a participant link to
// a room showing it.
func benchServer(ctx context.Context, rtsp string, warmup time.Duration, stderr io.Writer) (func(), string, *tls.Config, error) {
	dir, err := os.MkdirTemp("", "vigie-bench-")
	if err != nil {
		return nil, "", nil, err
	}
	cfg := config.Default()
	cfg.Data = dir
	cfg.Listen = "127.0.0.1:" + freePort()
	useFreePorts(&cfg)
	cfg.Cameras = []config.Camera{{ID: "bench", Name: "bench", URL: rtsp, Preload: true}}
	srv, stop, err := startInProcess(ctx, cfg, dir, stderr)
	if err != nil {
		return nil, "", nil, err
	}
	if err := waitLive(ctx, srv, "bench", 30*time.Second); err != nil {
		stop()
		return nil, "", nil, err
	}
	fmt.Fprintf(stderr, "camera live; warming up %v so the keyframe cache is full\n", warmup)
	select {
	case <-time.After(warmup):
	case <-ctx.Done():
	}
	created, err := srv.rooms.Create(ctx, "bench", []string{"bench"}, []rooms.LinkRequest{{Name: "bench", Role: token.RoleParticipant}}, 0)
	if err != nil {
		stop()
		return nil, "", nil, err
	}
	return stop, created.Links[0].URL, trustServer(srv), nil
}

// waitLive polls the camera's state until it is live.
func waitLive(ctx context.Context, srv *server, id string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	probe := "probe"
	if err := srv.cameras.Attach(probe, []string{id}); err != nil {
		return err
	}
	defer srv.cameras.Detach(probe)
	for time.Now().Before(deadline) {
		for _, st := range srv.cameras.RoomCameras(probe) {
			switch st.State {
			case "live":
				return nil
			case "failed":
				return fmt.Errorf("camera failed: %s", st.Reason)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("camera not live after %v", limit)
}
