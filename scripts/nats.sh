#!/usr/bin/env bash
# A throwaway NATS server with JetStream on a free loopback port, its store
# in a temporary directory, for trying the broker by hand (the tests start
# their own, one per test, the same way).
#
#   eval "$(scripts/nats.sh start)"   # exports NATS_URL and PORTAL_NATS_DIR
#   target/release/portal-server       # publishes to it (NATS_URL)
#   cargo run -p portal-server --example follow -- "$NATS_URL" local
#   scripts/nats.sh stop "$PORTAL_NATS_DIR"
set -euo pipefail

command -v nats-server >/dev/null || { echo "nats.sh: nats-server is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

case "${1:-}" in
  start)
    dir="$(mktemp -d /tmp/portal-nats.XXXXXX)"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    nats-server -js -a 127.0.0.1 -p "$port" -sd "$dir/store" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
        echo "export NATS_URL=nats://127.0.0.1:$port"
        echo "export PORTAL_NATS_DIR=$dir"
        exit 0
      fi
      sleep 0.1
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    dir="${2:?usage: nats.sh stop DIR}"
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/nats.sh start | stop DIR" >&2
    exit 2
    ;;
esac
