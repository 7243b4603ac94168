#!/usr/bin/env bash
# The dashboard's budgets, in headless Chromium with the build profile the
# app ships with. Prints one JSON object per figure (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >&2
WASM_BINDGEN_TEST_TIMEOUT=900 cargo test --profile wasm-release --locked -p portal-ledger --target wasm32-unknown-unknown \
  --test dashboard_bench -- --nocapture 2>&1 | grep -E '^\{' || true
# What the browser downloads: the release build's wasm and JS, gzipped.
trunk build --release --skip-version-check >&2
# A returning user's page, which only opens the stored log: cold start from
# navigation, memory, slider steps. DASHBOARD_EVENTS=1000000 for the 1M log.
cargo test --release --locked -p portal-e2e --test returning_user_bench -- --nocapture 2>&1 \
  | grep -E '^\{' || true
bash scripts/download-size.sh
