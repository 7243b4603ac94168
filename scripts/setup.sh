#!/usr/bin/env bash
# Installs whatever is missing for building and testing Portal Ledger.
# Usage: scripts/setup.sh [--run]   (--run: only what scripts/run.sh needs to
# build and serve the app; without it, the test tools too)
# Idempotent: every step checks for the exact version first and skips when present,
# so a second run takes about a second. The versions are in ../tool-versions.
#
# Only package registries are assumed reachable (crates.io, npm, Debian), so every
# tool comes from one of them and Trunk is pinned to the installed copies.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

# The version tool-versions gives `$1`.
version() {
  local found
  found=$(awk -v tool="$1" '$1 == tool { print $2 }' "$here/../tool-versions")
  [ -n "$found" ] || { echo "[setup] tool-versions names no version of $1" >&2; exit 1; }
  echo "$found"
}

TRUNK_VERSION=$(version trunk)
WASM_BINDGEN_VERSION=$(version wasm-bindgen)
BINARYEN_VERSION=$(version binaryen)
WASM_SPLIT_VERSION=$(version wasm-split)
ESBUILD_VERSION=$(version esbuild)
CARGO_FUZZ_VERSION=$(version cargo-fuzz)
SCHEMATHESIS_VERSION=$(version schemathesis)
AXE_CORE_VERSION=$(version axe-core)

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1
  fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

want_tests=1
for arg in "$@"; do
  case "$arg" in
    --run) want_tests=0 ;;
    *) log "unknown option $arg"; exit 2 ;;
  esac
done

# What building and serving the app needs.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (several minutes on 2 cores)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

# Without --locked: the published lock file names a webpki-roots version the registry lacks.
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --force "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

# Moves the release build's pages into modules loaded on demand (cargo xtask post-build).
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  log "installing wasm-split-cli $WASM_SPLIT_VERSION"
  cargo install --locked --force "wasm_split_cli_support@$WASM_SPLIT_VERSION" --features build-binary
fi

command -v npm >/dev/null || apt_install npm

# Minifies the release build's scripts (cargo xtask post-build).
if [ "$(esbuild --version 2>/dev/null || true)" != "$ESBUILD_VERSION" ]; then
  log "installing esbuild $ESBUILD_VERSION from npm into $PORTAL_LEDGER_TOOLS"
  mkdir -p "$PORTAL_LEDGER_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$PORTAL_LEDGER_TOOLS" "esbuild@$ESBUILD_VERSION"
fi

# Debian's binaryen is too old and emits wasm that crashes in the browser; use npm's.
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)" != "${BINARYEN_VERSION%%.*}" ]; then
  log "installing binaryen $BINARYEN_VERSION from npm into $PORTAL_LEDGER_TOOLS"
  mkdir -p "$PORTAL_LEDGER_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$PORTAL_LEDGER_TOOLS" "binaryen@$BINARYEN_VERSION"
fi

if [ "$want_tests" -eq 0 ]; then
  log "tools ready to run the portal"
  exit 0
fi

# The rest is for the tests and checks alone.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "rustup component add $component"
    rustup component add "$component"
  fi
done

apt_install chromium chromium-driver

# The server's contract suite and benchmark also run against PostgreSQL
# (scripts/postgres.sh starts a throwaway server; the package's own cluster
# is not used). python3 picks it a free port.
apt_install postgresql python3 python3-venv
# The broker's tests start throwaway JetStream servers of their own.
apt_install nats-server

# Fuzzing (scripts/fuzz.sh) needs nightly for its sanitizers.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  log "rustup toolchain install nightly"
  rustup toolchain install nightly --profile minimal
fi
if [ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked --force "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# schemathesis (scripts/schemathesis.sh), from PyPI, in a venv of its own.
if [ "$("$PORTAL_LEDGER_TOOLS/venv/bin/st" --version 2>/dev/null || true)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $PORTAL_LEDGER_TOOLS/venv"
  python3 -m venv "$PORTAL_LEDGER_TOOLS/venv"
  "$PORTAL_LEDGER_TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# axe-core, the accessibility audit the end-to-end tests run in each page.
axe_installed=$(node -p "require('$PORTAL_LEDGER_TOOLS/node_modules/axe-core/package.json').version" 2>/dev/null || true)
if [ "$axe_installed" != "$AXE_CORE_VERSION" ]; then
  log "installing axe-core $AXE_CORE_VERSION from npm into $PORTAL_LEDGER_TOOLS"
  mkdir -p "$PORTAL_LEDGER_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$PORTAL_LEDGER_TOOLS" "axe-core@$AXE_CORE_VERSION"
fi

log "tools ready"
