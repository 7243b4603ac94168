#!/usr/bin/env bash
# What a first visit downloads before the dashboard is usable, from a
# release build in dist/: the main wasm module and the scripts (the app's,
# the pages' loader, the service worker), as the server sends them: their
# gzip twins (zopfli) to a browser that takes gzip, their brotli twins to
# one that takes brotli, as Chromium does. The other pages' modules come
# when they open (ADR 17); the sync round's once the dashboard is usable,
# and the form that creates an application when it is unfolded (ADR 20).
# Prints one JSON line. Usage: scripts/download-size.sh [--max BYTES]
# (with --max, fails when the gzipped total is larger).
set -euo pipefail
cd "$(dirname "$0")/.."
size() { local total=0 f; for f in "$@"; do total=$((total + $(stat -c%s "$f"))); done; echo "$total"; }
wasm=$(size dist/portal-ledger-*_bg.wasm.gz)
js=$(size dist/*.js.gz)
br=$(size dist/portal-ledger-*_bg.wasm.br dist/*.js.br)
lazy_files=(dist/split_*.wasm dist/chunk_*.wasm)
lazy=$(size "${lazy_files[@]/%/.gz}")
total=$((wasm + js))
echo "{\"figure\":\"download size\",\"wasm_gz_bytes\":$wasm,\"js_gz_bytes\":$js,\"total_gz_bytes\":$total,\"total_gz_kb\":$((total / 1000)),\"total_br_kb\":$((br / 1000)),\"on_demand_gz_kb\":$((lazy / 1000)),\"on_demand_files\":${#lazy_files[@]}}"
if [ "${1:-}" = --max ] && [ "$total" -gt "$2" ]; then
  echo "the first download is $total bytes gzipped, over its budget of $2" >&2
  exit 1
fi
