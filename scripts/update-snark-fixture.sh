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
#
# Each fixture also pins the guest ELFs it was made from (the build is reproducible: scripts/build-guest.sh),
# in crates/snark/fixtures/{batch,aggregate}.guest.sha256: the devnet deploys these committed keys, so a
# guest that no longer matches them would have every fresh proof refused on L1.
# scripts/update-snark-fixture.sh --check (run by scripts/test.sh after building the guests) says so.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=crates/snark/fixtures
program=batch
case "${1:-}" in
  "") ;;
  --aggregate) program=aggregate ;;
  --check)
    for p in batch aggregate; do
      sha256sum --quiet --strict -c "$fixtures/$p.guest.sha256" >/dev/null 2>&1 || {
        echo "update-snark-fixture: the $p guest ELF is not the one $fixtures/$p.vk.json was made from:" >&2
        echo "  the devnet's committed verifier would refuse its proofs. Regenerate the fixtures (slow, ≈1-2 h):" >&2
        echo "  scripts/update-snark-fixture.sh && scripts/update-snark-fixture.sh --aggregate" >&2
        exit 1
      }
    done
    exit 0 ;;
  *) echo "usage: $0 [--aggregate | --check]" >&2; exit 2 ;;
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
# The guests these keys are of (the aggregate's keys bind the batch program too).
if [[ $program == batch ]]; then
  sha256sum guest/out/mosaic-guest-batch.elf >"$fixtures/batch.guest.sha256"
else
  sha256sum guest/out/mosaic-guest-aggregate.elf guest/out/mosaic-guest-batch.elf >"$fixtures/aggregate.guest.sha256"
fi
