#!/usr/bin/env bash
# Self-check of the e2e client scripts: runs them against a throwaway anvil on
# a free localhost port (the reference node whose behaviour Mosaic matches).
#
# Usage: e2e/run-against-anvil.sh
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$REPO/scripts/setup-tools.sh"
# shellcheck source=scripts/tools-env.sh
source "$REPO/scripts/tools-env.sh"

# Ask the kernel for a free port.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close() })')
rpc="http://127.0.0.1:$port"
log=$(mktemp)
anvil --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 50); do
  cast chain-id --rpc-url "$rpc" >/dev/null 2>&1 && break
  kill -0 "$anvil_pid" 2>/dev/null || { cat "$log" >&2; echo "anvil exited" >&2; exit 1; }
  sleep 0.2
done

"$REPO/e2e/foundry-erc20.sh" "$rpc"
node "$REPO/e2e/viem-erc20.mjs" "$rpc"
