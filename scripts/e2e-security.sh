#!/usr/bin/env bash
# The whole security story on a fresh devnet with freshly made proofs, proven by a prover fleet on a
# PostgreSQL queue (slow: ≈1.5 h on two cores with the SNARK keys cached, ≈70 min more to make them; one
# proof at a time, up to ≈19 GB):
#   1. a throw-away PostgreSQL holds the proof jobs; the devnet and the verifier only plan them
#      (`--prover-workers 0`), a separate `mosaic prover worker` process proves them;
#   2. a devnet whose producer lies about batch $LIE_AT's state root (fault injection, a dev L1 only);
#   3. a challenging verifier re-executes it from L1 data, challenges in the next L1 block and queues the
#      fraud proof (recursive STARK, then the SNARK wrap); the worker is killed with `kill -9` in the
#      middle of its first job and a second worker takes the job over when the lease expires; the
#      verifier wins: the batch and every later one are reverted, the proposer's bond is slashed
#      (FraudProven on L1);
#   4. the owner admits the proposer again; it re-posts the reverted blocks with their true roots and the
#      chain goes on (the verifier agrees with every batch);
#   5. the owner schedules the switch to zk; the worker proves the zk batches, aggregates two and wraps
#      the aggregate; the finalizer finalizes the range with one SNARK.
# Prints the L1 gas and the timings (time from the bad commit to the challenge, from a zk commit to its
# finality, the worker's peak memory) for docs/benchmarks.md.
#
# With E2E_AGGREGATE=0 the devnet has no aggregation keys: step 5 proves the first zk batch and wraps it
# alone, and the finalizer finalizes it with `proveBatch` (≈40 min less: no aggregation keys to make, no
# aggregation proof). With E2E_FRAUD=0 the producer does not lie: steps 2–4 are left out (the verifier
# only agrees with every batch), worker a is killed in the middle of the first zk batch's job instead,
# and the run is the zk half alone (≈45 min less). With E2E_ZK=0 the run stops after step 4: the fraud
# half alone (≈1 h; no aggregation keys needed). Runs and their numbers: docs/benchmarks.md, "The
# security story end to end".
#
# Usage: scripts/e2e-security.sh    Keys: $MOSAIC_SNARK_BATCH (default ~/.cache/mosaic-snark/batch)
#        and $MOSAIC_SNARK_AGGREGATE (…/aggregate), made with `mosaic snark setup` if missing; they must
#        be the committed keys (the devnet deploys those verifiers), which a setup with the development
#        KZG parameters reproduces.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
E2E_NAME=e2e-security
# shellcheck source=e2e/lib.sh
source e2e/lib.sh
LIE_AT=${LIE_AT:-3}
AGGREGATE=${E2E_AGGREGATE:-1}
FRAUD=${E2E_FRAUD:-1}
ZK=${E2E_ZK:-1}
[[ $FRAUD == 1 || $ZK == 1 ]] || { echo "E2E_FRAUD=0 with E2E_ZK=0 leaves nothing to run" >&2; exit 2; }
[[ $ZK == 1 ]] || AGGREGATE=0
BATCH_KEYS=${MOSAIC_SNARK_BATCH:-$HOME/.cache/mosaic-snark/batch}
AGG_KEYS=${MOSAIC_SNARK_AGGREGATE:-$HOME/.cache/mosaic-snark/aggregate}
WORK=$(mktemp -d)
prover_setup
committed_keys batch "$BATCH_KEYS"
[[ $AGGREGATE == 1 ]] && committed_keys aggregate "$AGG_KEYS"


P=$(( 20000 + RANDOM % 20000 ))
L2=http://127.0.0.1:$P L1=http://127.0.0.1:$((P + 1)) VER=http://127.0.0.1:$((P + 2))
step "a throw-away PostgreSQL for the proof jobs"
PG=$(mktemp -d) # not under $WORK: as root the server runs as `postgres`, which cannot enter $WORK
QUEUE=$(scripts/pg-cluster.sh start "$PG" "$((P + 3))")
ART=$WORK/artifacts
FLEET=(--prover-queue "$QUEUE" --prover-artifacts "$ART" --prover-workers 0)
fault=()
[[ $FRAUD == 1 ]] && fault=(--fault-wrong-root-at "$LIE_AT")
step "devnet$([[ $FRAUD == 1 ]] && echo " (lies at batch $LIE_AT)"), logs in $WORK/devnet.log"
# Challenge window: long enough for a verifier to see a commit (seconds); proof window: long enough for
# this machine to prove a batch and wrap it (≈35 min); quick batches and switch.
"$BIN" devnet --data-dir "$WORK/devnet" --port "$P" --l1-port "$((P + 1))" --block-time 1 --l1-block-time 1 \
  --batch-max-age 4 --challenge-window 120 --proof-window 5400 --switch-delay 30 \
  "${fault[@]}" --prove-validity --snark-keys "$BATCH_KEYS" \
  --aggregate-keys "$([[ $AGGREGATE == 1 ]] && echo "$AGG_KEYS" || echo "$WORK/no-aggregation-keys")" \
  --validity-max-range 2 "${FLEET[@]}" >"$WORK/devnet.log" 2>&1 &
DEVNET=$!
VERIFIER= WORKER=
cleanup() {
  kill "$DEVNET" ${VERIFIER:+"$VERIFIER"} ${WORKER:+"$WORKER"} 2>/dev/null || true
  scripts/pg-cluster.sh stop "$PG" 2>/dev/null || true
}
trap cleanup EXIT
worker() { # NAME: a prover worker process, logs in $WORK/NAME.log
  local agg=()
  [[ $AGGREGATE == 1 ]] && agg=(--aggregate-keys "$AGG_KEYS")
  "$BIN" prover worker --queue "$QUEUE" --artifacts "$ART" --id "$1" --batch-keys "$BATCH_KEYS" "${agg[@]}" \
    >"$WORK/$1.log" 2>&1 &
  WORKER=$!
}
job_state() { "$BIN" prover status --queue "$QUEUE" --json | node -e 'const q = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const j = q.jobs.find((j) => j.key.startsWith(process.argv[1])); if (!j || j.state !== process.argv[2]) process.exit(1);' "$1" "$2"; }
takeover() { # JOB-KEY-PREFIX: kill worker a (kill -9) in the middle of that job; worker b takes it over
  wait_for "worker a running job $1…" 900 job_state "$1" running
  sleep 20
  kill -9 "$WORKER"
  step "worker a killed (kill -9) in the middle of $1…; worker b takes the job over once the lease (60 s) expires"
  # Started after the lease, worker b claims this job first (the oldest), not a younger batch's.
  sleep 65
  worker worker-b
  wait_for "worker b on the job" 300 grep -q "claimed.*$1" "$WORK/worker-b.log"
  "$BIN" prover status --queue "$QUEUE" | head -12
}
wait_for "the devnet" 120 rpc "$L2" eth_blockNumber '[]'
ROLLUP=$(jget rollup <"$WORK/devnet/l1-contracts.json")
MNEMONIC="test test test test test test test test test test test junk"
OWNER_KEY=$(cast wallet private-key --mnemonic "$MNEMONIC" --mnemonic-index 10)
CHALLENGER_KEY=$(cast wallet private-key --mnemonic "$MNEMONIC" --mnemonic-index 7)
USER_KEY=$(cast wallet private-key --mnemonic "$MNEMONIC" --mnemonic-index 0)

step "challenging verifier with --prove-fraud, logs in $WORK/verifier.log"
"$BIN" node --role verifier --challenge --prove-fraud --snark-keys "$BATCH_KEYS" --l1-rpc "$L1" \
  --l1-contracts "$WORK/devnet/l1-contracts.json" --l1-confirmations 0 --l1-private-key "$CHALLENGER_KEY" \
  --data-dir "$WORK/verifier" --port "$((P + 2))" "${FLEET[@]}" >"$WORK/verifier.log" 2>&1 &
VERIFIER=$!
step "prover worker a, logs in $WORK/worker-a.log"
worker worker-a

# Some traffic, so batches carry transactions.
for i in 1 2 3 4 5 6; do
  cast send --async --rpc-url "$L2" --private-key "$USER_KEY" 0x000000000000000000000000000000000000dEaD \
    --value "${i}000" >/dev/null
  sleep 1
done

commit_block=0 challenge_gas=none
verified() { [[ $(rpc "$VER" mosaic_getBatch "[\"$(cast to-hex "$1")\"]" | jget status) == verified ]]; }
if [[ $FRAUD == 1 ]]; then
  game() { rpc "$VER" mosaic_rollupStatus '[]' | jget "challenger.games" |
    node -e 'const g = JSON.parse(require("fs").readFileSync(0, "utf8")).find((g) => g.index === +process.argv[1]);
      if (!g || (process.argv[2] && g.status !== process.argv[2])) process.exit(1); console.log(JSON.stringify(g));' \
      "$LIE_AT" "${1:-}"; }
  wait_for "the challenge of batch $LIE_AT" 600 game challenged
  g=$(game challenged)
  commit_block=$(cast receipt "$(jget commitTx <<<"$g")" blockNumber --rpc-url "$L1")
  challenge_block=$(cast receipt "$(jget challengeTx <<<"$g")" blockNumber --rpc-url "$L1")
  step "batch $LIE_AT committed in L1 block $commit_block, challenged in $challenge_block ($(elapsed))"
  challenge_gas=$(cast receipt "$(jget challengeTx <<<"$g")" gasUsed --rpc-url "$L1")

  step "proving the fraud (recursive STARK + SNARK wrap: ≈45 min); worker a dies in the middle of the batch job"
  t_fraud=$(date +%s)
  takeover "batch-$LIE_AT-"
  wait_for "the fraud proof" 5400 game won
  g=$(game won)
  fraud_tx=$(jget fraudTx <<<"$g")
  step "won in $(( $(date +%s) - t_fraud )) s: proveFraud $fraud_tx, $(cast receipt "$fraud_tx" gasUsed --rpc-url "$L1") gas"
  cast logs --rpc-url "$L1" --from-block "$commit_block" --address "$ROLLUP" \
    'FraudProven(uint64 indexed,address indexed,address indexed,uint256,uint256)' | grep -q . ||
    fail "no FraudProven event on L1"
  [[ $(cast call "$ROLLUP" 'lastCommittedBatch()(uint64)' --rpc-url "$L1") -lt $LIE_AT ]] ||
    fail "batch $LIE_AT not reverted"

  step "the owner admits the proposer again; the reverted blocks are re-posted with true roots"
  PROPOSER=$(cast wallet address "$OWNER_KEY")
  cast send "$ROLLUP" 'setProposer(address,bool)' "$PROPOSER" true --private-key "$OWNER_KEY" --rpc-url "$L1" >/dev/null
  wait_for "batch $LIE_AT re-committed and verified" 600 verified "$LIE_AT"
  wait_for "batch $((LIE_AT + 1)) verified" 600 verified "$((LIE_AT + 1))"
else
  wait_for "batch $LIE_AT verified by the verifier" 600 verified "$LIE_AT"
fi
verifier_peak=$(( $(peak_kb "$VERIFIER") / 1024 ))
if [[ $ZK == 0 ]]; then
  step "L1 gas: challenge $challenge_gas"
  step "peak RSS: worker b (the fraud proof after the takeover) $(( $(peak_kb "$WORKER") / 1024 )) MiB, devnet $(( $(peak_kb "$DEVNET") / 1024 )) MiB, verifier $verifier_peak MiB"
  "$BIN" prover status --queue "$QUEUE"
  step "PASS (the fraud half) in $(elapsed)"
  exit 0
fi

step "switching to zk"
"$BIN" switch-to-zk --l1-rpc "$L1" --l1-contracts "$WORK/devnet/l1-contracts.json" --private-key "$OWNER_KEY"
zk_from() { local z; z=$(rpc "$L2" mosaic_rollupStatus '[]' | jget settlement.zkFromBatch); [[ $z != 0 && $z != null ]] && echo "$z"; }
wait_for "the first zk batch" 600 zk_from
first_zk=$(zk_from)
t_zk=$(date +%s)
[[ $FRAUD == 1 ]] || takeover "batch-$first_zk-"
if [[ $AGGREGATE == 1 ]]; then
  step "zk from batch $first_zk; proving, aggregating and wrapping (≈50 min)"
  final_to=$((first_zk + 1)) event='RangeFinalized(uint64,uint64)' call=finalizeRange
else
  step "zk from batch $first_zk; proving it and wrapping it alone (≈40 min)"
  final_to=$first_zk event='BatchProven(uint64 indexed)' call=proveBatch
fi
finalized() { [[ $(cast call "$ROLLUP" 'lastFinalizedBatch()(uint64)' --rpc-url "$L1") -ge $final_to ]]; }
wait_for "zk batches up to $final_to finalized" 7200 finalized
status=$(rpc "$L2" mosaic_rollupStatus '[]')
posted=$(jget finalizer.lastPosted <<<"$status")
step "finalized on L1 $(( $(date +%s) - t_zk )) s after the switch: $posted"
final_tx=$(cast logs --rpc-url "$L1" --from-block "$commit_block" --address "$ROLLUP" "$event" --json |
  node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(l.length ? l[0].transactionHash : "")')
[[ -n $final_tx ]] || fail "no ${event%%(*} event: the zk batches were not finalized by a validity proof"
step "L1 gas: challenge $challenge_gas, $call $(cast receipt "$final_tx" gasUsed --rpc-url "$L1")"
step "peak RSS: worker b (every proof after the takeover) $(( $(peak_kb "$WORKER") / 1024 )) MiB, devnet $(( $(peak_kb "$DEVNET") / 1024 )) MiB, verifier $verifier_peak MiB"
"$BIN" prover status --queue "$QUEUE"
step "PASS in $(elapsed)"
