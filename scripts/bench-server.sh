#!/usr/bin/env bash
# The sync server's budgets (push throughput and one command's latency), on
# SQLite and on a throwaway PostgreSQL server. Prints JSON lines.
# Usage: scripts/bench-server.sh [--sizes N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(bash scripts/postgres.sh start)"
trap 'bash scripts/postgres.sh stop "$PORTAL_PG_DIR"' EXIT
cargo run --release --locked -p portal-bench -- server "$@"
