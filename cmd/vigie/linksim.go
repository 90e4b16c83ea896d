package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"vigie/linksim"
)

// linkSimFlags are the settings of "vigie link-sim".
type linkSimFlags struct {
	netnsA, devA, netnsB, devB string
	cfg                        linksim.Config
}

func parseLinkSimFlags(args []string, stderr io.Writer) (linkSimFlags, error) {
	var f linkSimFlags
	var lossPercent float64
	fs := flag.NewFlagSet("vigie link-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.netnsA, "netns-a", "", "network namespace of one end (ip netns name)")
	fs.StringVar(&f.devA, "dev-a", "vtun0", "TUN device to create in it")
	fs.StringVar(&f.netnsB, "netns-b", "", "network namespace of the other end")
	fs.StringVar(&f.devB, "dev-b", "vtun0", "TUN device to create in it")
	fs.Float64Var(&lossPercent, "loss", 0, "percent of packets dropped at random, each way")
	fs.DurationVar(&f.cfg.Delay, "delay", 0, "delay of every packet, each way, such as 50ms")
	fs.IntVar(&f.cfg.Queue, "queue", linksim.DefaultQueue, "packets in flight each way before more are dropped")
	fs.Uint64Var(&f.cfg.Seed, "seed", 0, "seed of the random loss (0: a random one)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	f.cfg.Loss = lossPercent / 100
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("link-sim: unexpected argument %q", fs.Arg(0))
	case f.netnsA == "" || f.netnsB == "":
		return f, errors.New("link-sim: --netns-a and --netns-b are required")
	case f.netnsA == f.netnsB:
		return f, errors.New("link-sim: --netns-a and --netns-b must differ")
	case lossPercent < 0 || lossPercent > 100:
		return f, fmt.Errorf("link-sim: --loss %v is not a percent between 0 and 100", lossPercent)
	case f.cfg.Delay < 0:
		return f, errors.New("link-sim: --delay must not be negative")
	case f.cfg.Queue < 1:
		return f, errors.New("link-sim: --queue must be at least 1")
	}
	return f, nil
}

// linkSim joins two network namespaces by a TUN device in each and a lossy,
// slow link between them until ctx ends: netem in user space, for the
// tests on kernels without sch_netem. The caller sets the devices'
// addresses once "link ready" is printed.
func linkSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseLinkSimFlags(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, "info", "auto")
	a, err := linksim.OpenTUN(f.netnsA, f.devA)
	if err != nil {
		return fmt.Errorf("link-sim: %w", err)
	}
	b, err := linksim.OpenTUN(f.netnsB, f.devB)
	if err != nil {
		a.Close()
		return fmt.Errorf("link-sim: %w", err)
	}
	link, err := linksim.Start(a, b, f.cfg, log)
	if err != nil {
		a.Close()
		b.Close()
		return fmt.Errorf("link-sim: %w", err)
	}
	fmt.Fprintf(stdout, "link ready: %s/%s <-> %s/%s, loss %.1f%%, delay %v each way\n",
		f.netnsA, f.devA, f.netnsB, f.devB, 100*f.cfg.Loss, f.cfg.Delay)
	<-ctx.Done()
	err = link.Close()
	ab, ba := link.Counts()
	fmt.Fprintf(stdout, "link a->b: %s\nlink b->a: %s\n", ab, ba)
	return err
}
