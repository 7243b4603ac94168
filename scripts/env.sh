# Sourced by the other scripts: puts the project's pinned tools first on PATH.
# shellcheck shell=bash
export PORTAL_LEDGER_TOOLS="${PORTAL_LEDGER_TOOLS:-$HOME/.cache/portal-ledger/tools}"
export PATH="$PORTAL_LEDGER_TOOLS/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
