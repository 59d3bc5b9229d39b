#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for scripts (the Rust tests have their own, in
# crates/prover-queue/tests/support/postgres.rs): initdb in DIR, a server on a loopback PORT with a
# trusting `mosaic` superuser and a `proofs` database. As root the server runs as the package's
# `postgres` user (PostgreSQL refuses root), so DIR's parent must be one that user can enter (for
# example a fresh `mktemp -d`: DIR itself is handed to it). Binaries from scripts/setup-postgres.sh.
#
# Usage: scripts/pg-cluster.sh start DIR PORT    prints the database URL
#        scripts/pg-cluster.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?DIR}
bin=$("$(dirname "$0")/setup-postgres.sh")
pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$bin/$1" "${@:2}"; else "$bin/$1" "${@:2}"; fi
}
case $cmd in
  start)
    port=${3:?PORT}
    mkdir -p "$dir/data"
    if [[ "$(id -u)" == 0 ]]; then
      runuser -u postgres -- test -x "$(dirname "$dir")" ||
        { echo "pg-cluster: the postgres user cannot enter $(dirname "$dir"); use a DIR it can reach" >&2; exit 1; }
      chmod 755 "$dir" && chown postgres:postgres "$dir" "$dir/data"
    fi
    pg initdb -D "$dir/data" -U mosaic --auth=trust --no-sync >/dev/null
    pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
    pg createdb -h 127.0.0.1 -p "$port" -U mosaic proofs
    echo "postgres://mosaic@127.0.0.1:$port/proofs"
    ;;
  stop) pg pg_ctl -D "$dir/data" -m fast stop >/dev/null ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
