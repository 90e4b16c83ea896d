package main

import (
	"os"
	"testing"
)

// runMainEnv makes the test binary act as the vigie binary: tests that
// need vigie as a child process (in another network namespace) run
// themselves with it set, so they test this very build.
const runMainEnv = "VIGIE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}
