#!/usr/bin/env bash
# The sync budget for a fresh browser: the server holds a demo history
# (CATCH_UP_EVENTS, default 100,000); a new Chromium profile opens the
# release build and pulls it all. Prints JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
trunk build --release --skip-version-check
cargo test --release --locked -p portal-e2e --test catch_up_bench -- --nocapture 2>&1 | grep '^{'
