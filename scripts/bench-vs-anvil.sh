#!/usr/bin/env bash
# Runs the identical `mosaic bench` load (pre-signed ETH and ERC-20 transfers over several HTTP
# connections) against a fresh Mosaic devnet and a fresh anvil with the same block time and gas limit,
# and prints both results and the Mosaic/anvil throughput ratio.
#
#   scripts/bench-vs-anvil.sh                 # defaults below
#   TXS=50000 BATCH=50 scripts/bench-vs-anvil.sh
#   MOSAIC_BIN=/tmp/mosaic-before scripts/bench-vs-anvil.sh   # a binary built elsewhere (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
TXS=${TXS:-20000} CONNECTIONS=${CONNECTIONS:-8} WINDOW=${WINDOW:-64} BATCH=${BATCH:-1}
SENDERS=${SENDERS:-200} BLOCK_TIME=${BLOCK_TIME:-1} GAS_LIMIT=${GAS_LIMIT:-1000000000}
MOSAIC_PORT=${MOSAIC_PORT:-18645} ANVIL_PORT=${ANVIL_PORT:-18646}

scripts/setup-tools.sh
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
if [ -n "${MOSAIC_BIN:-}" ]; then
  bin=$MOSAIC_BIN
else
  cargo build --release --locked -p mosaic --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/mosaic"
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wait_rpc() {
  for _ in $(seq 1 100); do
    cast chain-id --rpc-url "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2
  return 1
}

bench() {
  "$bin" bench --rpc "$1" --label "$2" --txs "$TXS" --connections "$CONNECTIONS" --window "$WINDOW" \
    --batch "$BATCH" --senders "$SENDERS" --json | tee -a "$work/results.jsonl"
}

echo "load: $TXS ETH + $TXS ERC-20 transfers, $CONNECTIONS connections x $WINDOW in flight, batch $BATCH," \
  "$SENDERS senders; both nodes: block time ${BLOCK_TIME}s, block gas limit $GAS_LIMIT; $(nproc) cores"

"$bin" devnet --port "$MOSAIC_PORT" --data-dir "$work/mosaic" --block-time "$BLOCK_TIME" \
  --block-gas-limit "$GAS_LIMIT" >"$work/mosaic.log" 2>&1 &
pids+=($!)
wait_rpc "http://127.0.0.1:$MOSAIC_PORT"
bench "http://127.0.0.1:$MOSAIC_PORT" mosaic
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

anvil --port "$ANVIL_PORT" --block-time "$BLOCK_TIME" --gas-limit "$GAS_LIMIT" --silent >"$work/anvil.log" 2>&1 &
pids+=($!)
wait_rpc "http://127.0.0.1:$ANVIL_PORT"
bench "http://127.0.0.1:$ANVIL_PORT" anvil

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const by = (l, k) => rows.find(r => r.label === l && r.load === k);
console.log("\n| load | node | tx/s to inclusion | accepted tx/s | p50 ms | p99 ms |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(`| ${r.load} | ${r.label} | ${r.tps.toFixed(0)} | ${r.accept_tps.toFixed(0)} | ${r.p50_ms.toFixed(0)} | ${r.p99_ms.toFixed(0)} |`);
for (const k of ["eth", "erc20"]) {
  const m = by("mosaic", k), a = by("anvil", k);
  if (m && a) console.log(`${k}: mosaic/anvil = ${(m.tps / a.tps).toFixed(2)}x`);
}' "$work/results.jsonl"
