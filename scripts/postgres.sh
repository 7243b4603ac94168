#!/usr/bin/env bash
# A throwaway PostgreSQL server on a free loopback port, for the tests and
# benchmarks. Its data lives in a temporary directory, with durable settings
# (fsync and synchronous commit on, PostgreSQL's defaults).
#
#   eval "$(scripts/postgres.sh start)"   # exports PORTAL_TEST_POSTGRES and PORTAL_PG_DIR
#   scripts/postgres.sh stop "$PORTAL_PG_DIR"
#
# PostgreSQL refuses to run as root; as root it runs as the postgres user
# that Debian's package creates.
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir="$(mktemp -d /tmp/portal-pg.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PORTAL_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export PORTAL_PG_DIR=$dir"
    ;;
  stop)
    dir="${2:?usage: postgres.sh stop DIR}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
