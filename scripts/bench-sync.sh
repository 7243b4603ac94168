#!/usr/bin/env bash
# The sync budget for a fresh browser: the server holds a demo history
# (CATCH_UP_EVENTS, default 100,000); a new Chromium profile opens the
# release build and pulls it all. Then two devices, and how soon one's
# change shows on the other. Prints JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
trunk build --release --skip-version-check
cargo test --release --locked -p portal-e2e --test catch_up_bench -- --nocapture 2>&1 | grep '^{'
# Two devices on loopback: a change on one shown on the other (issue 20).
cargo test --release --locked -p portal-e2e --test live_bench -- --nocapture 2>&1 | grep '^{'
