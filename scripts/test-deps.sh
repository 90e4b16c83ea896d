#!/usr/bin/env bash
# Installs what vigie's tests need and is missing, and checks it works:
#   - Debian's chromium (the browser tests drive /usr/bin/chromium), ffmpeg, and iproute2 and
#     nftables (the network tests), with apt-get, as root;
#   - Mailpit, the SMTP server the e-mail tests send to, with go install, when it is neither on PATH
#     nor in Go's bin directory;
#   - the e2e npm packages (npm ci), when node_modules is missing or package-lock.json changed.
# Safe to run again: when everything is there it only checks, in about a second.
# Never skips: when something cannot be installed it says what and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${VIGIE_CHROMIUM:-/usr/bin/chromium}
GO=${GO:-go}
MAILPIT_MODULE=github.com/axllent/mailpit
MAILPIT_VERSION=v1.33.1
NODE_MAJOR_MIN=20
STAMP=e2e/node_modules/.vigie-lock.sha256

say() { echo "test-deps: $*"; }
die() {
	echo "test-deps: error: $*" >&2
	exit 1
}

# apt_install installs Debian packages. The package lists are refreshed only when a package has
# no install candidate, or when the install fails (lists too old to find the files).
apt_install() {
	if [ "$(id -u)" -ne 0 ]; then
		die "missing: $*; run this script as root, or install them: sudo apt-get install $*"
	fi
	command -v apt-get >/dev/null || die "missing: $*; no apt-get on this machine, install them by hand"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for another apt or dpkg run rather than failing on its lock.
	local apt=(apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
	local pkg
	for pkg in "$@"; do
		if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
			say "apt-get update (no candidate for $pkg yet)"
			"${apt[@]}" update -q || die "apt-get update failed"
			break
		fi
	done
	say "apt-get install $*"
	if ! "${apt[@]}" install -y -q --no-install-recommends "$@"; then
		say "install failed; refreshing the package lists and trying once more"
		"${apt[@]}" update -q || die "apt-get update failed"
		"${apt[@]}" install -y -q --no-install-recommends "$@" || die "apt-get install $* failed"
	fi
}

# --- system packages -------------------------------------------------------------------------
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium fonts-liberation)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# The network tests put vigie and a viewer in network namespaces with firewall rules, and the
# loss test slows their link with tc netem (or `vigie link-sim` on a TUN device, where the kernel
# has no sch_netem).
command -v ip >/dev/null || missing+=(iproute2)
command -v tc >/dev/null || missing+=(iproute2)
command -v nft >/dev/null || missing+=(nftables)
if [ ${#missing[@]} -gt 0 ]; then
	apt_install "${missing[@]}"
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM is still missing after installing chromium"
command -v ffmpeg >/dev/null || die "ffmpeg is still missing after installing it"
command -v ip >/dev/null || die "ip is still missing after installing iproute2"
command -v tc >/dev/null || die "tc is still missing after installing iproute2"
command -v nft >/dev/null || die "nft is still missing after installing nftables"
# The Debian launcher script prints harmless shell warnings on some machines: keep only the version.
chromium_version=$("$CHROMIUM" --version 2>/dev/null | grep -m1 -i chromium) ||
	die "$CHROMIUM does not run: try '$CHROMIUM --version'"
ffmpeg_version=$(ffmpeg -hide_banner -version 2>/dev/null | head -n1) || die "ffmpeg does not run"

# --- Mailpit ------------------------------------------------------------------------------------
# The notify tests look for mailpit the same way: on PATH, then in Go's bin directory.
command -v "$GO" >/dev/null || die "go is missing: install the Go version go.mod names"
go_bin=$("$GO" env GOBIN)
[ -n "$go_bin" ] || go_bin="$("$GO" env GOPATH | cut -d: -f1)/bin"
find_mailpit() {
	command -v mailpit 2>/dev/null && return
	[ -x "$go_bin/mailpit" ] && echo "$go_bin/mailpit"
}
mailpit=$(find_mailpit) || true
if [ -z "$mailpit" ]; then
	say "go install $MAILPIT_MODULE@$MAILPIT_VERSION"
	# GOFLAGS from the environment (-mod=vendor...) would apply to a module that is not vigie.
	GOFLAGS='' "$GO" install "$MAILPIT_MODULE@$MAILPIT_VERSION" ||
		die "go install $MAILPIT_MODULE@$MAILPIT_VERSION failed (is the Go module proxy reachable? check GOPROXY, or put a mailpit binary on PATH)"
	mailpit=$(find_mailpit) || die "mailpit is still missing after go install: looked on PATH and in $go_bin"
fi
"$mailpit" --help >/dev/null 2>&1 || die "$mailpit does not run: try '$mailpit --help'"
mailpit_version=$("$GO" version -m "$mailpit" 2>/dev/null | awk '$1 == "mod" { print $3; exit }')
if [ "$mailpit_version" != "$MAILPIT_VERSION" ]; then
	say "note: $mailpit is Mailpit ${mailpit_version:-of unknown version}; the tests are written against $MAILPIT_VERSION"
fi

# --- node and the e2e packages -----------------------------------------------------------------
command -v node >/dev/null ||
	die "node is missing: install Node.js $NODE_MAJOR_MIN or newer (Debian 12's nodejs is too old for playwright-core)"
command -v npm >/dev/null || die "npm is missing: install it with Node.js $NODE_MAJOR_MIN or newer"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$NODE_MAJOR_MIN" ] ||
	die "node $(node --version) is too old: the browser tests need Node.js $NODE_MAJOR_MIN or newer"

lock_sum=$(sha256sum e2e/package-lock.json | cut -d' ' -f1)
if [ ! -d e2e/node_modules/playwright-core ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$lock_sum" ]; then
	say "npm ci in e2e/"
	# playwright-core downloads no browser by itself; the variable makes sure nothing tries to.
	(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) ||
		die "npm ci failed in e2e/ (is the npm registry reachable?)"
	echo "$lock_sum" >"$STAMP"
fi
playwright_version=$(cd e2e && node -p 'require("playwright-core/package.json").version') ||
	die "playwright-core is not usable in e2e/node_modules; delete it and run again"

say "ok: $chromium_version; ${ffmpeg_version%% Copyright*}; mailpit ${mailpit_version:-(unknown version)}; node $(node --version); playwright-core $playwright_version"
