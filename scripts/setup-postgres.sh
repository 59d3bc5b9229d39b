#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries, which the prover queue's tests start as throw-away
# clusters (crates/prover-queue/tests/support/postgres.rs) and a prover fleet can use as its queue
# (`--prover-queue postgres://…`). Only the binaries: no cluster is created or started here.
# Idempotent: silent and instant once initdb exists.
#
# Usage: scripts/setup-postgres.sh        Prints the server's bin directory.
set -euo pipefail

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [[ -z $(bin_dir) || ! -x $(bin_dir)/initdb ]]; then
  [[ -r /etc/debian_version ]] || { echo "setup-postgres: needs Debian's postgresql package (apt)" >&2; exit 1; }
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  # The package's post-install may start a default cluster; the tests never use it.
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
# PostgreSQL refuses to run as root; as root the tests run it as the package's postgres user.
if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
  echo "setup-postgres: running as root needs the postgres user (made by the postgresql package)" >&2
  exit 1
fi
bin_dir
