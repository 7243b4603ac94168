#!/usr/bin/env bash
# Installs whatever is missing, builds the app and serves it on 127.0.0.1.
# Usage: scripts/run.sh [port]   (default 8080)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --no-browser
source scripts/env.sh

port="${1:-8080}"
# Until the sync server exists, Trunk serves the built app.
exec trunk serve --release --skip-version-check --address 127.0.0.1 --port "$port"
