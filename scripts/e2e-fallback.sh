#!/usr/bin/env bash
# Exits that need no operator, end to end with a real proof (issue #21, item 5(a)): the sequencer
# disappears, a user forces an L2 transaction through L1, and a stranger's full node takes over as the
# permissionless fallback proposer, proves its batch (recursive STARK, then the SNARK wrap) and commits
# it with that proof; a fresh full node then derives the whole chain from L1 alone.
#   1. anvil is the L1 (its time can be moved on); `mosaic devnet` sequences on it with the committed
#      verifier keys and posts a few batches;
#   2. a full node with a fallback key (an account that is no proposer) derives them, with
#      --fallback-prove and one in-process prover worker;
#   3. the sequencer is killed (kill -9); a user deposits ETH and enqueues a signed L2 transfer on L1
#      (`Bridge.enqueueL2Transaction`); L1 time moves past the fallback delay (one day);
#   4. the full node sequences: the deposit and the forced transfer first; it prepares its batch, proves
#      it, and commits it with `commitProvenBatch` and the bond — final in that transaction;
#   5. a fresh full node (no key) derives every batch from L1, the forced transfer included (replayed
#      from the L1 queue: batches do not carry it), and agrees with every batch.
# Prints the timings, the commit's L1 gas and the fallback node's peak memory for docs/benchmarks.md.
#
# Slow: ≈ 30 min on two cores with the SNARK keys cached (≈ 20 min more to make them), up to ≈ 19 GB.
# Usage: scripts/e2e-fallback.sh    Keys: $MOSAIC_SNARK_BATCH (default ~/.cache/mosaic-snark/batch),
#        made with `mosaic snark setup` if missing; they must be the committed keys (the Rollup deploys
#        those), which a setup with the development KZG parameters reproduces.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
E2E_NAME=e2e-fallback
# shellcheck source=e2e/lib.sh
source e2e/lib.sh
BATCH_KEYS=${MOSAIC_SNARK_BATCH:-$HOME/.cache/mosaic-snark/batch}
WORK=$(mktemp -d)
prover_setup
committed_keys batch "$BATCH_KEYS"

P=$(( 20000 + RANDOM % 20000 ))
L1=http://127.0.0.1:$P SEQ=http://127.0.0.1:$((P + 1)) FB=http://127.0.0.1:$((P + 2))
FULL=http://127.0.0.1:$((P + 3))
ANVIL= SEQUENCER= FALLBACK= FULLNODE=
cleanup() { kill ${ANVIL:+"$ANVIL"} ${SEQUENCER:+"$SEQUENCER"} ${FALLBACK:+"$FALLBACK"} ${FULLNODE:+"$FULLNODE"} 2>/dev/null || true; }
trap cleanup EXIT
step "anvil as the L1 on $L1; logs in $WORK"
anvil --port "$P" --block-time 1 --silent >"$WORK/anvil.log" 2>&1 &
ANVIL=$!
wait_for "anvil" 60 cast block-number --rpc-url "$L1"
MNEMONIC="test test test test test test test test test test test junk"
succeeded() { [[ $(cast receipt "$1" status --rpc-url "$2") =~ ^(true|1) ]]; } # TX-HASH RPC-URL
key() { cast wallet private-key --mnemonic "$MNEMONIC" --mnemonic-index "$1"; }
# A uint view of the Rollup as a plain number (cast adds " [8.64e4]" to large ones).
uint() { cast call "$ROLLUP" "$1" --rpc-url "$L1" | awk '{print $1}'; }
PROPOSER_KEY=$(key 9) POSTER_KEY=$(key 8) USER_KEY=$(key 0)
USER=$(cast wallet address "$USER_KEY")

step "the sequencer (mosaic devnet on anvil, deploying the Rollup with the committed verifier)"
"$BIN" devnet --data-dir "$WORK/seq" --port "$((P + 1))" --l1-rpc "$L1" --l1-private-key "$PROPOSER_KEY" \
  --l1-confirmations 0 --block-time 300ms --batch-max-age 1s --challenge-window 2 >"$WORK/seq.log" 2>&1 &
SEQUENCER=$!
wait_for "the sequencer" 120 rpc "$SEQ" eth_blockNumber '[]'
CONTRACTS=$WORK/seq/l1-contracts.json
wait_for "the L1 contracts" 60 test -s "$CONTRACTS"
ROLLUP=$(jget rollup <"$CONTRACTS") BRIDGE=$(jget bridge <"$CONTRACTS")
for i in 1 2 3; do
  cast send --rpc-url "$SEQ" --private-key "$USER_KEY" 0x000000000000000000000000000000000000dEaD --value "${i}000" >/dev/null
done
mined=$(cast block-number --rpc-url "$SEQ")
covered() { [[ $(rpc "$SEQ" mosaic_rollupStatus '[]' | jget lastBatch.lastBlock) -ge $mined ]]; }
wait_for "batches covering L2 block $mined on L1" 120 covered
last=$(uint 'lastCommittedBatch()(uint64)')
step "the sequencer posted batches 1..$last"

step "a full node with a fallback key (account 8, no proposer), proving with one in-process worker"
"$BIN" node --role full --data-dir "$WORK/fallback" --port "$((P + 2))" --l1-rpc "$L1" --l1-contracts "$CONTRACTS" \
  --l1-confirmations 0 --fallback-key "$POSTER_KEY" --batch-max-age 1s --fallback-prove --prover-workers 1 \
  --snark-keys "$BATCH_KEYS" >"$WORK/fallback.log" 2>&1 &
FALLBACK=$!
batch_status() { rpc "$1" mosaic_getBatch "[\"$(cast to-hex "$2")\"]" | jget status; }
# Re-executed from L1 and matching (a node that posts marks its batches finalized later).
verified() { [[ $(batch_status "$1" "$2") =~ ^(verified|finalized)$ ]]; }
wait_for "the full node verifying batch $last" 300 verified "$FB" "$last"

step "the sequencer dies (kill -9); a user deposits and forces a transfer through L1"
kill -9 "$SEQUENCER"
SEQUENCER=
cast send "$BRIDGE" 'depositETH(address)' 0x00000000000000000000000000000000000000D1 --value 1ether \
  --private-key "$USER_KEY" --rpc-url "$L1" >/dev/null
RECIPIENT=0x00000000000000000000000000000000000000F0
# Signed for the L2 (chain id and nonce from the full node) with fee headroom over the L2 base fee.
RAW=$(cast mktx --rpc-url "$FB" --private-key "$USER_KEY" --gas-limit 21000 --gas-price 10gwei \
  --priority-gas-price 1gwei "$RECIPIENT" --value 12345)
FORCED=$(cast keccak "$RAW")
enqueue=$(cast send "$BRIDGE" 'enqueueL2Transaction(bytes)' "$RAW" --private-key "$USER_KEY" --rpc-url "$L1" --json |
  jget transactionHash)
step "forced transaction $FORCED queued on L1 ($(cast receipt "$enqueue" gasUsed --rpc-url "$L1") gas)"
[[ $(cast call "$ROLLUP" 'fallbackOpen()(bool)' --rpc-url "$L1") == false ]] || fail "the fallback is open too soon"

step "a day passes on L1 without a commit"
delay=$(uint 'fallbackDelay()(uint64)')
cast rpc evm_increaseTime "$((delay + 1))" --rpc-url "$L1" >/dev/null
cast rpc evm_mine --rpc-url "$L1" >/dev/null
[[ $(cast call "$ROLLUP" 'fallbackOpen()(bool)' --rpc-url "$L1") == true ]] || fail "the fallback did not open"
t_open=$(date +%s)
sequencing() { [[ $(rpc "$FB" mosaic_rollupStatus '[]' | jget fallback.sequencing) == true ]]; }
wait_for "the full node sequencing" 300 sequencing
wait_for "the forced transfer on L2" 300 cast receipt "$FORCED" --rpc-url "$FB"
succeeded "$FORCED" "$FB" || fail "the forced transfer failed on L2"
expect_eq "recipient's balance" "$(cast balance "$RECIPIENT" --rpc-url "$FB")" 12345
expect_eq "deposit" "$(cast balance 0x00000000000000000000000000000000000000D1 --rpc-url "$FB")" 1000000000000000000
awaiting() { rpc "$FB" mosaic_rollupStatus '[]' | jget fallback.awaiting.index; }
wait_for "the fallback's batch prepared" 300 awaiting
index=$(awaiting)
step "batch $index prepared $(( $(date +%s) - t_open )) s after the fallback opened: $(rpc "$FB" mosaic_rollupStatus '[]' | jget fallback.awaiting)"

step "proving batch $index (recursive STARK, then the SNARK wrap: ≈ 25 min with the keys cached)"
t_prove=$(date +%s)
committed() { [[ $(uint 'lastCommittedBatch()(uint64)') -ge $index ]]; }
wait_for "batch $index committed with its proof" 5400 committed
step "batch $index committed $(( $(date +%s) - t_prove )) s after it was prepared"
fallback_peak=$(( $(peak_kb "$FALLBACK") / 1024 ))
commit_tx=$(cast logs --rpc-url "$L1" --from-block 0 --address "$ROLLUP" 'BatchCommitted(uint64 indexed,bytes32,bytes32,uint64,uint64)' \
  "$index" --json | node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(l.at(-1).transactionHash)')
expect_eq "the commit's sender" "$(cast tx "$commit_tx" from --rpc-url "$L1" | lower)" "$(cast wallet address "$POSTER_KEY" | lower)"
expect_eq "the commit's function" "$(cast tx "$commit_tx" input --rpc-url "$L1" | cut -c1-10)" \
  "$(cast sig 'commitProvenBatch((uint64,uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32),bytes,bytes)')"
[[ $(uint 'lastFinalizedBatch()(uint64)') -ge $index ]] ||
  fail "batch $index is not final after its proven commit"

step "a fresh full node derives the chain from L1 alone"
"$BIN" node --role full --data-dir "$WORK/full" --port "$((P + 3))" --l1-rpc "$L1" --l1-contracts "$CONTRACTS" \
  --l1-confirmations 0 >"$WORK/full.log" 2>&1 &
FULLNODE=$!
wait_for "the fresh node verifying batch $index" 600 verified "$FULL" "$index"
succeeded "$FORCED" "$FULL" || fail "the forced transfer failed on the fresh node"
expect_eq "recipient's balance (fresh node)" "$(cast balance "$RECIPIENT" --rpc-url "$FULL")" 12345
block=$(rpc "$FB" mosaic_getBatch "[\"$(cast to-hex "$index")\"]" | jget lastBlock)
expect_eq "batch $index's last block hash" "$(cast block "$block" --field hash --rpc-url "$FULL")" \
  "$(cast block "$block" --field hash --rpc-url "$FB")"
step "L1 gas: enqueueL2Transaction $(cast receipt "$enqueue" gasUsed --rpc-url "$L1"), commitProvenBatch $(cast receipt "$commit_tx" gasUsed --rpc-url "$L1")"
step "peak RSS: the fallback node (its in-process worker proved and wrapped) $fallback_peak MiB"
step "PASS in $(elapsed)"
