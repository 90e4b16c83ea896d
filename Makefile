# vigie: build, run and test.
#
#   make run    build bin/vigie and start it with demo defaults
#   make test   install missing test tools, then vet, unit tests (race) and the browser tests
#
# Every target works on a fresh clone; `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
BIN       := bin/vigie
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 20s
# One test file at a time: each runs its own server and browsers, and CI has two cores.
E2E_FLAGS ?= --test-concurrency=1 --test-reporter=spec
# Screenshots and logs in e2e/test-results/ are those of the last run only.
E2E       := rm -rf e2e/test-results && cd e2e && node --test $(E2E_FLAGS)

.PHONY: help build run test deps vet unit e2e bench bench-fanout lint fuzz clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## compile bin/vigie (version from git describe)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vigie

run: build ## build, then serve with demo defaults on https://localhost:8443
	./$(BIN) serve --demo

deps: ## install what the tests need and is missing (Chromium, ffmpeg, npm packages)
	bash scripts/test-deps.sh

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# The browser suite runs last so that its summary is the last thing printed.
test: deps vet unit build ## everything: vet, Go tests with the race detector, browser tests
	$(E2E)

e2e: deps build ## the browser tests only (Debian Chromium through playwright-core)
	$(E2E)

bench: ## SFU benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./sfu/... ./mediaport/...

# Viewers per step and measurement window of `make bench-fanout`.
FANOUT_VIEWERS  ?= 10,50,100,200,400,600
FANOUT_DURATION ?= 30s

bench-fanout: build ## viewers of one 2 Mbit/s camera vigie serves: the default ramp (minutes)
	./$(BIN) bench fanout --viewers $(FANOUT_VIEWERS) --duration $(FANOUT_DURATION)

lint: ## gofmt must have nothing to say; go vet
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './e2e/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fuzz: ## run every Fuzz* target for FUZZTIME (default 20s) each
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

clean: ## remove build outputs and test artifacts
	rm -rf bin e2e/test-results
