package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"vigie/bench"
)

const benchFanoutUsage = `usage: vigie bench fanout [--rtsp URL] [--viewers 10,50,100,200,400,600] [--duration 30s] [--json]
       vigie bench fanout --whep URL [--token KEY] [--pid PID | --metrics URL] [--insecure] [...]

How many viewers of one camera vigie serves: WHEP viewers (pion, in this
process) are added step by step, and each step is measured for --duration:
viewers connected, server and bench CPU, throughput, loss after NACK
repair, complete frames, the server's forwarding latency and its memory
per viewer. A table, then one JSON line (--json: the JSON line only).

By default vigie runs as a child process with a temporary data directory,
the camera "bench" preloaded and metrics on loopback; without --rtsp the
camera simulator runs as another child, playing its 2 Mbit/s 720p25 clip
(--clip bench2m).

  --whep URL      load a running WHEP server instead, such as
                  https://HOST/api/v1/whep/cameras/CAM, with --token as the
                  Bearer key. Its CPU comes from --pid (this machine) or
                  process_cpu_seconds_total at --metrics; its latency from
                  vigie_sfu_forward_latency_seconds at --metrics; its
                  memory per viewer needs --pid. Unknown figures print "?".`

// fanoutFlags are the settings of `vigie bench fanout`.
type fanoutFlags struct {
	rtsp, clip            string
	whep, token, metrics  string
	pid                   int
	insecure, json, audio bool
	cpuprofile            string
	media                 fanoutMedia
	steps                 []int
	cfg                   bench.FanoutConfig
}

func parseFanoutFlags(args []string, stderr io.Writer) (fanoutFlags, error) {
	var f fanoutFlags
	fs := flag.NewFlagSet("vigie bench fanout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, benchFanoutUsage); fs.PrintDefaults() }
	fs.StringVar(&f.rtsp, "rtsp", "", "camera URL for the child vigie (default: a simulated camera)")
	fs.StringVar(&f.clip, "clip", "bench2m", "without --rtsp: the simulator's clip")
	fs.StringVar(&f.whep, "whep", "", "WHEP endpoint of a running server to load instead")
	fs.StringVar(&f.token, "token", "", "with --whep: Bearer key or token")
	fs.IntVar(&f.pid, "pid", 0, "with --whep: the server's process id on this machine, for its CPU and memory")
	fs.StringVar(&f.metrics, "metrics", "", "with --whep: the server's Prometheus /metrics URL")
	fs.BoolVar(&f.insecure, "insecure", false, "with --whep: do not verify the server's certificate")
	fs.BoolVar(&f.json, "json", false, "print the JSON line only")
	fs.BoolVar(&f.audio, "audio", false, "ask for an audio track too")
	fs.IntVar(&f.media.Sockets, "udp-sockets", 0, "without --whep: sockets serving vigie's media port (0: one per core)")
	fs.BoolVar(&f.media.Batch, "udp-batch", true, "without --whep: vigie sends media in batches (sendmmsg)")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "without --whep: save a CPU profile of vigie for each step in this directory")
	viewers := fs.String("viewers", joinInts(bench.DefaultFanoutSteps()), "viewers at each step, growing, comma-separated")
	fs.DurationVar(&f.cfg.Duration, "duration", bench.DefaultFanoutDuration, "measurement window of each step")
	fs.DurationVar(&f.cfg.Settle, "settle", bench.DefaultFanoutSettle, "wait after a step's viewers connected, before measuring")
	fs.IntVar(&f.cfg.Concurrency, "concurrency", bench.DefaultFanoutConcurrency, "negotiations at once while adding viewers")
	fs.DurationVar(&f.cfg.ConnectTimeout, "connect-timeout", bench.DefaultFanoutConnect, "per viewer, from offer to first video packet")
	fs.IntVar(&f.cfg.FPS, "fps", bench.DefaultFanoutFPS, "the camera's frame rate, to count frames that never came")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("bench fanout: unexpected argument %q (vigie bench fanout --help)", fs.Arg(0))
	}
	steps, err := parseSteps(*viewers)
	if err != nil {
		return f, err
	}
	f.steps = steps
	if f.cfg.Settle == 0 {
		f.cfg.Settle = -1 // asked for none; 0 in the config means the default
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return f, f.check(set)
}

// check refuses flags that do not go together.
func (f fanoutFlags) check(set map[string]bool) error {
	if f.whep != "" {
		for _, name := range []string{"rtsp", "clip"} {
			if set[name] {
				return fmt.Errorf("bench fanout: --%s starts a server: not with --whep", name)
			}
		}
		return nil
	}
	for _, name := range []string{"token", "pid", "metrics", "insecure"} {
		if set[name] {
			return fmt.Errorf("bench fanout: --%s goes with --whep (vigie bench fanout --help)", name)
		}
	}
	if f.rtsp != "" && set["clip"] {
		return errors.New("bench fanout: --clip is for the simulated camera: not with --rtsp")
	}
	if f.cfg.Duration <= 0 || f.cfg.Concurrency < 1 || f.cfg.FPS < 1 {
		return errors.New("bench fanout: --duration, --concurrency and --fps must be positive")
	}
	return nil
}

// parseSteps reads "10,50,100": growing counts of at least one viewer.
func parseSteps(s string) ([]int, error) {
	var steps []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench fanout: --viewers %q: want counts such as 10,50,100", s)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, fmt.Errorf("bench fanout: --viewers %q: each step must add viewers", s)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// benchFanoutCommand runs `vigie bench fanout`.
func benchFanoutCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFanoutFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg := f.cfg
	cfg.Steps, cfg.Audio = f.steps, f.audio
	cfg.Log = newLogger(stderr, "info", "text")
	if f.whep != "" {
		cfg.WHEP, cfg.Token, cfg.PID, cfg.Metrics = f.whep, f.token, f.pid, f.metrics
		if f.insecure {
			cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for on the command line
		}
	} else {
		srv, err := startFanoutServer(ctx, f.rtsp, f.clip, f.steps[len(f.steps)-1], f.media, stderr)
		if err != nil {
			return err
		}
		defer srv.stop()
		srv.configure(&cfg)
		if f.cpuprofile != "" {
			if err := os.MkdirAll(f.cpuprofile, 0o755); err != nil {
				return err
			}
			cfg.OnWindow = srv.profileCPU(f.cpuprofile, cfg.Log)
		}
		if err := srv.awaitStream(ctx, cfg, 60*time.Second); err != nil {
			return err
		}
	}
	res, runErr := bench.Fanout(ctx, cfg)
	if len(res.Steps) > 0 || runErr == nil {
		if err := printFanout(stdout, res, f.json); err != nil {
			return err
		}
	}
	return runErr
}

func printFanout(w io.Writer, res bench.FanoutResult, jsonOnly bool) error {
	if !jsonOnly {
		return writeReport(w, res)
	}
	line, err := res.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", line)
	return err
}
