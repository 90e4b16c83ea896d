// Command vigie is the one binary of vigie: the server and its tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `vigie — incident rooms for security teams

Usage:
  vigie serve [--config FILE] [--listen ADDR] [--data DIR] [--demo] [--free-ports]
  vigie room create NAME [--camera ID]... [--server URL] [--data DIR] [--config FILE] [--ttl 12h] [--json]
  vigie camera-sim [--listen 127.0.0.1:8554] [--user U --pass P] [--drop-every 30s] [--clip bench2m]
  vigie link-sim --netns-a NS --netns-b NS [--loss 5] [--delay 50ms]
  vigie alarm --site ID [--kind holdup] [--server URL] [--data DIR] [--json]
  vigie bench join (--rtsp URL | --target LINK) [--n 20] [--max-delay 4s] [--relay-only]
  vigie bench alarm [--contacts 50] [--alarms 20] [--via dc09|api]
  vigie bench fanout [--rtsp URL | --whep URL --token T] [--viewers 10,50,100] [--duration 30s] [--json]
  vigie evidence export INCIDENT -o bundle.zip | verify bundle.zip [--key BASE64] | hold|release INCIDENT --reason TEXT | key
  vigie version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command; ctx ends on SIGINT or SIGTERM.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "camera-sim":
		err = cameraSim(ctx, args[1:], stdout, stderr)
	case "link-sim":
		err = linkSim(ctx, args[1:], stdout, stderr)
	case "alarm":
		err = alarmCommand(args[1:], stdout, stderr)
	case "bench":
		err = benchCommand(ctx, args[1:], stdout, stderr)
	case "room":
		err = roomCommand(args[1:], stdout)
	case "evidence":
		err = evidenceCommand(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "vigie", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "vigie: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "vigie:", err)
		return 1
	}
	return 0
}
