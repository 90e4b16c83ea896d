package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"vigie/camsim"
)

// cameraSimFlags are the settings of "vigie camera-sim".
type cameraSimFlags struct {
	listen, user, pass string
	dropEvery          time.Duration
	clips              stringList // paths to serve; all when empty
}

func parseCameraSimFlags(args []string, stderr io.Writer) (cameraSimFlags, error) {
	var f cameraSimFlags
	fs := flag.NewFlagSet("vigie camera-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8554", "RTSP address")
	fs.StringVar(&f.user, "user", "", "user name clients must give (none: no authentication)")
	fs.StringVar(&f.pass, "pass", "", "password clients must give")
	fs.DurationVar(&f.dropEvery, "drop-every", 0, "drop every client this often, such as 30s (0: never)")
	fs.Var(&f.clips, "clip", "serve only this clip, such as bench2m (repeat for more; default: all)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("camera-sim: unexpected argument %q", fs.Arg(0))
	case f.user == "" && f.pass != "":
		return f, errors.New("camera-sim: --pass needs --user")
	case f.dropEvery < 0:
		return f, errors.New("camera-sim: --drop-every must not be negative")
	}
	return f, nil
}

// cameraSim runs simulated RTSP cameras until ctx ends.
func cameraSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseCameraSimFlags(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, "info", "auto")
	sim, err := camsim.Start(ctx, camsim.Config{Addr: f.listen, User: f.user, Pass: f.pass, Paths: f.clips, Log: log})
	if err != nil {
		return err
	}
	defer sim.Close()
	fmt.Fprintln(stdout, "Simulated cameras (Ctrl-C to stop):")
	for _, p := range sim.Paths() {
		fmt.Fprintf(stdout, "  %-9s %s\n", strings.TrimPrefix(p, "/"), withCredentials(sim.URL(p), f.user, f.pass))
	}
	if f.dropEvery == 0 {
		<-ctx.Done()
		return nil
	}
	fmt.Fprintf(stdout, "Dropping every client each %v.\n", f.dropEvery)
	tick := time.NewTicker(f.dropEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			sim.DropSessions()
		}
	}
}

// withCredentials puts user and password into an rtsp:// URL, ready to
// paste into a player.
func withCredentials(rawURL, user, pass string) string {
	if user == "" {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.User = url.UserPassword(user, pass)
	return u.String()
}
