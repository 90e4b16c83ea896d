package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// envRunAsVigie makes this test binary run as vigie itself: the commands
// that start vigie as a child process (bench fanout) run os.Executable(),
// which in tests is this binary.
const envRunAsVigie = "VIGIE_TEST_RUN_AS_VIGIE"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsVigie) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
