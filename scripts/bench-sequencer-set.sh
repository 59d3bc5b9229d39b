#!/usr/bin/env bash
# The sequencer set against one sequencer on this machine (issue #21's measurements):
#  1. the same `mosaic bench` ETH load against one `mosaic devnet --no-l1` and against a set of four
#     member processes (`--sequencer-set`, each with its own database, RPC and p2p port; the load
#     spread over their four RPCs): tx/s to finality and p50/p99 send-to-inclusion latency (a set's
#     block is final when it is included: one-block finality);
#  2. the time the set needs to decide again when a proposer is killed with `kill -9` just before
#     its turn (ROUNDS times, the member restarted in between): the gap its height takes against
#     the block time.
#
#   scripts/bench-sequencer-set.sh
#   TXS=2000 BLOCK_TIME=1s ROUNDS=3 scripts/bench-sequencer-set.sh
#   MOSAIC_BIN=/tmp/mosaic scripts/bench-sequencer-set.sh     # a binary built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
TXS=${TXS:-10000} CONNECTIONS=${CONNECTIONS:-8} WINDOW=${WINDOW:-16} SENDERS=${SENDERS:-64}
BLOCK_TIME=${BLOCK_TIME:-500ms} ROUNDS=${ROUNDS:-5} BASE=${BASE:-18700}

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
declare -A pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

rpc() { # url method [params-json]
  curl -s -X POST -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "$1"
}
head_of() { printf '%d' "$(rpc "$1" eth_blockNumber | sed 's/.*"result":"\([^"]*\)".*/\1/')"; }
wait_rpc() {
  for _ in $(seq 1 300); do
    cast chain-id --rpc-url "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2
  return 1
}
now_ms() { date +%s%3N; }

echo "load: $TXS ETH transfers, $CONNECTIONS connections x $WINDOW in flight, $SENDERS senders;" \
  "block time $BLOCK_TIME; $(nproc) cores"

# 1a. One sequencer.
solo="http://127.0.0.1:$BASE"
"$bin" devnet --no-l1 --port "$BASE" --data-dir "$work/solo" --block-time "$BLOCK_TIME" >"$work/solo.log" 2>&1 &
pids[solo]=$!
wait_rpc "$solo"
"$bin" bench --rpc "$solo" --label solo --load eth --txs "$TXS" --connections "$CONNECTIONS" --window "$WINDOW" \
  --senders "$SENDERS"
kill "${pids[solo]}"; wait "${pids[solo]}" 2>/dev/null || true; unset 'pids[solo]'

# 1b. A set of four member processes with fixed keys 0x71…, 0x72…, … (bench keys, never real funds).
keys=() urls=()
set_file="$work/sequencers.toml"
printf 'block_time = "%s"\nfee_recipient = "0x00000000000000000000000000000000000000fe"\n' "$BLOCK_TIME" >"$set_file"
for i in 0 1 2 3; do
  key="0x$(printf "7$((i + 1))%.0s" $(seq 1 32))"
  keys+=("$key")
  port=$((BASE + 1 + i))
  urls+=("http://127.0.0.1:$port")
  printf '\n[[member]]\naddress = "%s"\npublic_key = "0x04%s"\np2p = "/ip4/127.0.0.1/tcp/%d"\nrpc = "%s"\n' \
    "$(cast wallet address --private-key "$key")" "$(cast wallet public-key --private-key "$key" | sed 's/^0x//')" \
    $((BASE + 100 + i)) "${urls[$i]}" >>"$set_file"
done
start_member() {
  MOSAIC_VALIDATOR_KEY=${keys[$1]} "$bin" devnet --no-l1 --sequencer-set "$set_file" --port $((BASE + 1 + $1)) \
    --data-dir "$work/seq-$1" >>"$work/seq-$1.log" 2>&1 &
  pids[$1]=$!
}
for i in 0 1 2 3; do start_member "$i"; done
for u in "${urls[@]}"; do wait_rpc "$u"; done
all=$(IFS=,; echo "${urls[*]}")
"$bin" bench --rpc "$all" --label "set-of-4" --load eth --txs "$TXS" --connections "$CONNECTIONS" \
  --window "$WINDOW" --senders "$SENDERS"

# 2. The worst moment to lose a proposer: just before its turn. Right after block H is decided, kill
#    the member that proposes H+2 in round 0 (rotation: (height + round) mod 4); H+1 is decided as usual,
#    H+2 only after its round 0 times out without a proposal and round 1's proposer proposes. Report
#    the gap between blocks H+1 and H+2 against the ordinary gap; restart the member; ROUNDS times.
ms() { echo "$BLOCK_TIME" | sed 's/ms$//; s/s$/000/'; }
wait_head() { # url height -> prints the time it was first seen, ms
  until [ "$(head_of "$1")" -ge "$2" ]; do sleep 0.01; done
  now_ms
}
for round in $(seq 1 "$ROUNDS"); do
  # A different member each time: the first height H after now whose H+2 is member round mod 4's turn.
  h=$(($(head_of "${urls[0]}") + 1))
  while [ $(((h + 2) % 4)) -ne $((round % 4)) ]; do h=$((h + 1)); done
  wait_head "${urls[0]}" "$h" >/dev/null
  victim=$(((h + 2) % 4))
  watch=$(((victim + 1) % 4))
  kill -9 "${pids[$victim]}"
  wait "${pids[$victim]}" 2>/dev/null || true
  t1=$(wait_head "${urls[$watch]}" $((h + 1)))
  t2=$(wait_head "${urls[$watch]}" $((h + 2)))
  t3=$(wait_head "${urls[$watch]}" $((h + 3)))
  echo "proposer of block $((h + 2)) (member $victim) killed before its turn: block $((h + 2)) came" \
    "$((t2 - t1)) ms after block $((h + 1)), block $((h + 3)) $((t3 - t2)) ms after it (block time $(ms) ms)"
  start_member "$victim"
  wait_rpc "${urls[$victim]}"
  target=$(head_of "${urls[$watch]}")
  until [ "$(head_of "${urls[$victim]}")" -ge "$target" ]; do sleep 0.1; done
  sleep 2
done
