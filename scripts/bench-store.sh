#!/usr/bin/env bash
# The browser store's budgets, in headless Chromium with a release build.
# Prints one JSON object per figure (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >&2
cargo test --release --locked -p portal-store --target wasm32-unknown-unknown \
  --test browser_bench -- --nocapture 2>&1 | grep -E '^\{' 
