#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/fuzz_targets) one after another, each for
# SECONDS (default 1800, the long run; CI runs 20). A crash stops the script
# with libFuzzer's report and leaves the input in fuzz/artifacts/TARGET/.
# New inputs join fuzz/corpus/TARGET; with --minimize the corpus is then
# shrunk to the inputs that add coverage, ready to commit.
# Usage: scripts/fuzz.sh [SECONDS] [--minimize] [TARGET...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"
source "$root/scripts/env.sh"

seconds=1800
minimize=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --minimize) minimize=1 ;;
    [0-9]*) seconds="$arg" ;;
    *) targets+=("$arg") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(envelope push import page)

for target in "${targets[@]}"; do
  printf '\n==> fuzzing %s for %s s\n' "$target" "$seconds"
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run -O "$target" -- \
    -max_total_time="$seconds" -dict=json.dict -print_final_stats=1 2>&1 \
    | grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' 
  if [ "$minimize" -eq 1 ]; then
    rm -rf "corpus/$target.min" && mkdir "corpus/$target.min"
    cargo +nightly fuzz run -O "$target" "corpus/$target.min" "corpus/$target" -- -merge=1 2>&1 | tail -1
    rm -rf "corpus/$target" && mv "corpus/$target.min" "corpus/$target"
  fi
done
