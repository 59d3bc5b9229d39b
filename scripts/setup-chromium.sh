#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium, which the explorer's page tests drive
# (bin/mosaic/tests/explorer.rs). Idempotent: silent and instant once `chromium` runs.
#
# Usage: scripts/setup-chromium.sh        Prints the browser's path.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
  [[ -r /etc/debian_version ]] || { echo "setup-chromium: needs Debian's chromium package (apt)" >&2; exit 1; }
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
command -v chromium
