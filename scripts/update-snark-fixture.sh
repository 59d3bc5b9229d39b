#!/usr/bin/env bash
# Regenerates a committed SNARK fixture.
#
# scripts/update-snark-fixture.sh: a recursive proof of batch 1 of the sample chain wrapped into a SNARK
# (crates/snark/tests/wrap.rs), then writes
#   crates/snark/fixtures/{batch.vk.json,batch-1.snark,batch-1.journal-hash}
#   contracts/verifier/Halo2Verifier.sol   (generated from the verifying key; compiled into
#                                           contracts/artifacts/Halo2Verifier.json by build-contracts.sh)
#   contracts/test/snark/fixture.json       (what the forge tests verify)
#   contracts/test/snark/batch.json         (the batch it proves, as a Rollup commits it:
#                                           crates/prover/tests/guest.rs)
# and runs the Rust and Solidity verifiers on them, and a zk-mode Rollup finalizing that batch.
#
# scripts/update-snark-fixture.sh --aggregate: recursive proofs of batches 1 and 2 of the two-block
# sample chain, their aggregate, wrapped with the aggregation program's keys, then writes
#   crates/snark/fixtures/{aggregate.vk.json,aggregate-1-2.snark,aggregate-1-2.journal-hash,
#                          aggregate.batch-program}
#   contracts/verifier/AggregateHalo2Verifier.sol (compiled into contracts/artifacts/AggregateHalo2Verifier.json)
#   contracts/test/snark/aggregate-fixture.json   (what RangeFinalization.t.sol finalizes the range with)
#   contracts/test/snark/range.json               (the two batches as a Rollup commits them)
#
# Slow and large: development KZG parameters (2^22 and 2^23), the static verifier's and the wrapper's
# halo2 keygen and one wrap take ≈55 min and up to ≈19 GB on two cores (docs/benchmarks.md); the
# aggregate adds two recursive proofs and their aggregation (≈20 min). Keys go to $MOSAIC_SNARK_DIR
# (default ~/.cache/mosaic-snark/batch or .../aggregate) and the STARKs to $MOSAIC_PROOF_CACHE (default
# ~/.cache/mosaic-snark/proofs), so a rerun only wraps again.
set -euo pipefail
cd "$(dirname "$0")/.."
program=batch
case "${1:-}" in
  "") ;;
  --aggregate) program=aggregate ;;
  *) echo "usage: $0 [--aggregate]" >&2; exit 2 ;;
esac
export MOSAIC_SNARK_DIR="${MOSAIC_SNARK_DIR:-$HOME/.cache/mosaic-snark/$program}"
export MOSAIC_PROOF_CACHE="${MOSAIC_PROOF_CACHE:-$HOME/.cache/mosaic-snark/proofs}"
scripts/setup-rust.sh
scripts/build-guest.sh --locked
if [[ $program == batch ]]; then
  MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-snark --features test-utils --test wrap \
    a_recursive_batch_proof -- --ignored --nocapture
  MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-prover --test guest snark_fixture
  contracts='Snark(Verifier|Rollup)Test'
else
  MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-snark --features test-utils --test wrap \
    an_aggregate_of_two_batches -- --ignored --nocapture
  MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-prover --test guest range_fixture
  contracts='RangeFinalization'
fi
cargo test --release --locked -p mosaic-snark --test fixture
scripts/build-contracts.sh   # compiles the new Halo2 verifiers into contracts/artifacts/
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
(cd contracts && forge test --match-contract "$contracts" -vv)
