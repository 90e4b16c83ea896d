#!/usr/bin/env bash
# Runs every fuzz target of the module for a short while: FUZZTIME each (default 20s).
# `go test -fuzz` accepts one target per package per run, so targets are run one by one.
# New crashers land in the package's testdata/fuzz/ directory, where `go test` replays them.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}

# "package-dir FuzzName" for each `func FuzzXxx(f *testing.F)` in a _test.go file.
targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' . \
	| grep -v '^./e2e/' \
	| sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' \
	| sort -u || true)

if [ -z "$targets" ]; then
	echo "fuzz: no Fuzz* targets found"
	exit 0
fi

count=$(wc -l <<<"$targets")
echo "fuzz: $count target(s), $FUZZTIME each"
failed=()
while read -r dir name; do
	echo "--- $name ($dir)"
	if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
		failed+=("$name ($dir)")
	fi
done <<<"$targets"

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failing targets:"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo "fuzz: all $count target(s) ran $FUZZTIME without a failure"
