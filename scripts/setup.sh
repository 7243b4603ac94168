#!/usr/bin/env bash
# Installs whatever is missing for building and testing Portal Ledger.
# Idempotent: every step checks for the exact version first and skips when present,
# so a second run takes about a second.
#
# Only package registries are assumed reachable (crates.io, npm, Debian), so every
# tool comes from one of them and Trunk is pinned to the installed copies.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
WASM_SPLIT_VERSION=0.2.4
ESBUILD_VERSION=0.25.12
CARGO_FUZZ_VERSION=0.13.2
SCHEMATHESIS_VERSION=4.32.5

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

want_browser=1
want_wasm=1
for arg in "$@"; do
  case "$arg" in
    --no-browser) want_browser=0 ;;
    --no-wasm) want_wasm=0 ;;
    *) log "unknown option $arg"; exit 2 ;;
  esac
done

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "rustup component add $component"
    rustup component add "$component"
  fi
done

if [ "$want_wasm" -eq 1 ]; then
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

  # Moves the release build's pages into modules loaded on demand (scripts/split.sh).
  if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
    log "installing wasm-split-cli $WASM_SPLIT_VERSION"
    cargo install --locked --force "wasm_split_cli_support@$WASM_SPLIT_VERSION" --features build-binary
  fi

  # Minifies the release build's scripts (scripts/split.sh).
  if [ "$(esbuild --version 2>/dev/null || true)" != "$ESBUILD_VERSION" ]; then
    log "installing esbuild $ESBUILD_VERSION from npm into $PORTAL_LEDGER_TOOLS"
    mkdir -p "$PORTAL_LEDGER_TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$PORTAL_LEDGER_TOOLS" "esbuild@$ESBUILD_VERSION"
  fi

  # The release build ships each file compressed too (scripts/split.sh): gzip
  # by zopfli, and brotli, which the server sends to browsers that take them.
  apt_install zopfli brotli

  # Debian's binaryen is too old and emits wasm that crashes in the browser; use npm's.
  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)" != "${BINARYEN_VERSION%%.*}" ]; then
    log "installing binaryen $BINARYEN_VERSION from npm into $PORTAL_LEDGER_TOOLS"
    mkdir -p "$PORTAL_LEDGER_TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$PORTAL_LEDGER_TOOLS" "binaryen@$BINARYEN_VERSION"
  fi
fi

if [ "$want_browser" -eq 1 ]; then
  apt_install chromium chromium-driver
fi

# The server's contract suite and benchmark also run against PostgreSQL
# (scripts/postgres.sh starts a throwaway server; the package's own cluster
# is not used). python3 picks it a free port.
apt_install postgresql python3 python3-venv

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

log "tools ready"
