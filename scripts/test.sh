#!/usr/bin/env bash
# Installs whatever is missing, then runs every check and test Portal Ledger has.
# Usage: scripts/test.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

# Test output is kept to add up the results at the end.
results="$(mktemp)"
pg_dir=""
cleanup() {
  rm -f "$results"
  [ -z "$pg_dir" ] || bash scripts/postgres.sh stop "$pg_dir"
}
trap cleanup EXIT

step "formatting"
cargo fmt --all -- --check

# The app at the root is a wasm crate; natively, only the crates are checked.
step "clippy (native crates)"
cargo clippy --workspace --exclude portal-ledger --all-targets --locked -- -D warnings
# The browser tests and benchmarks are `test = false`, which --all-targets skips.
cargo clippy -p portal-e2e --test journey --test sync --test faults --test upgrade --test release --test demo --test catch_up_bench --test live_bench \
  --test returning_user_bench --locked -- -D warnings

step "clippy (the browser app)"
cargo clippy -p portal-ledger --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "clippy (the store in the browser)"
cargo clippy -p portal-store --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

# What each layer may depend on is a test (crates/client/tests/layers.rs).
step "the domain builds for wasm32"
cargo build -p portal-domain --target wasm32-unknown-unknown --locked

step "a throwaway PostgreSQL server for the server's contract suite"
eval "$(bash scripts/postgres.sh start)"
pg_dir="$PORTAL_PG_DIR"
echo "PostgreSQL on ${PORTAL_TEST_POSTGRES#*@}"

step "native tests (the server's contract suite on SQLite and on PostgreSQL)"
cargo test --workspace --exclude portal-ledger --locked 2>&1 | tee -a "$results"

step "browser tests (headless Chromium)"
cargo test -p portal-ledger -p portal-store --target wasm32-unknown-unknown --locked 2>&1 | tee -a "$results"

step "release build of the app (Trunk)"
trunk build --release --skip-version-check

step "the first download is within its budget: wasm + JS <= 300 KB gzipped (issue 4)"
bash scripts/download-size.sh --max 300000

step "end to end: the built app, served on 127.0.0.1, driven in Chromium (screenshots in target/e2e-artifacts)"
cargo test -p portal-e2e --test journey --locked 2>&1 | tee -a "$results"

step "end to end: two devices syncing through the server, and a conflict shown"
cargo test -p portal-e2e --test sync --locked 2>&1 | tee -a "$results"

step "end to end: the browser killed mid-stream, mid-import and mid-catch-up; two tabs for a minute"
cargo test -p portal-e2e --test faults --locked 2>&1 | tee -a "$results"

step "end to end: a log kept in the first store layout is moved on open; a cache per release"
cargo test -p portal-e2e --test upgrade --locked 2>&1 | tee -a "$results"

step "end to end: a million-event demo in its own workspace on a synced device; the server gets none of it"
cargo test -p portal-e2e --test demo --locked 2>&1 | tee -a "$results"

step "end to end: the release build's shell is whole (every module kept by the service worker loads)"
cargo test -p portal-e2e --test release --locked 2>&1 | tee -a "$results"

step "benchmark harness smoke run (figures are for BENCHMARKS.md, not checked here)"
cargo run --release --locked -p portal-bench -- domain --sizes 5000 --runs 1 --queries 50 >/dev/null
cargo run --release --locked -p portal-bench -- server --sizes 3000 >/dev/null

step "schemathesis against the server's OpenAPI document (short mode; scripts/schemathesis.sh --long for 30 minutes)"
bash scripts/schemathesis.sh

step "fuzzing: each cargo-fuzz target for 20 s from the committed corpus (scripts/fuzz.sh for the 30-minute runs)"
bash scripts/fuzz.sh 20

passed=$(grep -E '^test result: ' "$results" | awk '{s += $4} END {print s + 0}')
failed=$(grep -E '^test result: ' "$results" | awk '{s += $6} END {print s + 0}')
echo
echo "all checks passed"
echo "$passed passed, $failed failed"
