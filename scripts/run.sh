#!/usr/bin/env bash
# Installs whatever is missing, builds the app, and starts the server, which
# serves the app and the sync API on 127.0.0.1 with SQLite under ./data.
# Usage: scripts/run.sh [port]   (default 8080)
# Settings: PORTAL_TOKENS=token=tenant,... (default: local-dev-token=local),
# PORTAL_DATA_DIR (default ./data); see `portal-server --help`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --run
source scripts/env.sh

port="${1:-8080}"
trunk build --release --skip-version-check
cargo build --release --locked -p portal-server
# The first run makes the local tenant's admin and prints how to sign in;
# later runs print it again.
target/release/portal-server users first-admin --tenant local --email admin@localhost
echo "Portal Ledger: http://127.0.0.1:$port (sign in on its Settings page)"
# The server's processors write credential expiry and the feedback surveys.
exec target/release/portal-server --listen "127.0.0.1:$port" --dist dist
