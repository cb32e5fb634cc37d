#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the fleet tests and benchmarks, and prints its URL
# on stdout (everything else goes to stderr):
#
#   export EMBODIED_TEST_PG_URL="$(bash scripts/start-test-postgres.sh)"
#
# Options: --dir DIR (default /tmp/embodied-test-pg), --port N (default 55432),
#          --install (apt-get install postgresql when no initdb is found; what CI does).
# The cluster listens on 127.0.0.1 only, trusts local connections (a test cluster: never expose
# it), and is created on first use; a running one is reused. Debian ships initdb and pg_ctl in
# /usr/lib/postgresql/<version>/bin; initdb refuses to run as root, so as root the cluster is
# created and run as the postgres user.
set -euo pipefail

dir=/tmp/embodied-test-pg
port=55432
install=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --install) install=1; shift ;;
    *) echo "start-test-postgres: unknown option $1" >&2; exit 2 ;;
  esac
done

find_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  echo ""
}

bin="$(find_bin)"
if [ -z "$bin" ] && [ "$install" = 1 ]; then
  echo "start-test-postgres: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi
if [ -z "$bin" ]; then
  echo "start-test-postgres: no PostgreSQL server binaries (initdb) found; install the postgresql package" >&2
  exit 1
fi

# As root, run the server as postgres (initdb and postgres refuse root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

url="postgresql://postgres@127.0.0.1:${port}/postgres"

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  echo "$url"
  exit 0
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
chmod 700 "$dir"
if [ ! -f "$dir/PG_VERSION" ]; then
  echo "start-test-postgres: initdb $dir" >&2
  as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
fi
# A SIGKILLed postmaster leaves postmaster.pid behind; pg_ctl start handles a stale one itself.
# max_connections: the fleet benchmark opens one connection per simulated robot (100) plus queries.
as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=250 -c shared_buffers=256MB" >&2
echo "$url"
