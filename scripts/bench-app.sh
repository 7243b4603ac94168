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
# What a first visit downloads before the dashboard is usable: the main wasm
# module and the scripts (the app's, the pages' loader, the service
# worker), as the server sends them: their gzip twins (zopfli) to a browser
# that takes gzip, their brotli twins to one that takes brotli, as Chromium
# does. The other pages' modules come when they open (ADR 17).
size() { local total=0 f; for f in "$@"; do total=$((total + $(stat -c%s "$f"))); done; echo "$total"; }
wasm=$(size dist/portal-ledger-*_bg.wasm.gz)
js=$(size dist/*.js.gz)
br=$(size dist/portal-ledger-*_bg.wasm.br dist/*.js.br)
lazy_files=(dist/split_*.wasm dist/chunk_*.wasm)
lazy=$(size "${lazy_files[@]/%/.gz}")
echo "{\"figure\":\"download size\",\"wasm_gz_bytes\":$wasm,\"js_gz_bytes\":$js,\"total_gz_kb\":$(( (wasm + js) / 1024 )),\"total_br_kb\":$(( br / 1024 )),\"on_demand_gz_kb\":$(( lazy / 1024 )),\"on_demand_files\":${#lazy_files[@]}}"
