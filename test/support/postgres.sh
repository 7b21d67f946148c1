#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server for the test suites and print its URL.
#   postgresql://postgres:postgres@127.0.0.1:${TEST_PG_PORT:-55432}/postgres
# Uses the Debian/Ubuntu `postgresql` package's binaries; data lives under ${TEST_PG_DIR:-/tmp/todo-kit-pg}.
# Idempotent: a server that already answers on the port is reused. `postgres.sh stop` stops it.
set -euo pipefail
port=${TEST_PG_PORT:-55432}
dir=${TEST_PG_DIR:-/tmp/todo-kit-pg}
url="postgresql://postgres:postgres@127.0.0.1:${port}/postgres"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
[ -n "$bindir" ] || { echo "postgres.sh: PostgreSQL server not installed; fix: sudo apt-get install -y postgresql" >&2; exit 1; }

# postgres refuses to run as root: run it as the package's `postgres` user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-start}" = stop ]; then
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
  exit 0
fi

if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then echo "$url"; exit 0; fi

if [ ! -s "$dir/data/PG_VERSION" ]; then
  mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  pw=$(mktemp); printf postgres >"$pw"; chmod 644 "$pw"
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$pw" --auth=scram-sha-256 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$pw"
  # Tests open many short connections in parallel; fsync off keeps the suite fast on slow disks.
  printf "listen_addresses = '127.0.0.1'\nport = %s\nmax_connections = 200\nfsync = off\nunix_socket_directories = '%s'\n" \
    "$port" "$dir" >>"$dir/data/postgresql.conf"
fi
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
  || { tail -20 "$dir/server.log" >&2; exit 1; }
echo "$url"
