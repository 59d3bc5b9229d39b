#!/usr/bin/env bash
# Regenerates the committed SNARK fixture: a recursive proof of batch 1 of the sample chain wrapped
# into a SNARK (crates/snark/tests/wrap.rs), then writes
#   crates/snark/fixtures/{batch.vk.json,batch-1.snark,batch-1.journal-hash}
#   contracts/verifier/Halo2Verifier.sol   (generated from the verifying key; compiled into
#                                           contracts/artifacts/Halo2Verifier.json by build-contracts.sh)
#   contracts/test/snark/fixture.json       (what the forge tests verify)
#   contracts/test/snark/batch.json         (the batch it proves, as a Rollup commits it:
#                                           crates/prover/tests/guest.rs)
# and runs the Rust and Solidity verifiers on them, and a zk-mode Rollup finalizing that batch.
#
# Slow and large: development KZG parameters (2^22 and 2^23), the static verifier's and the wrapper's
# halo2 keygen and one wrap take ≈55 min and up to ≈19 GB on two cores (docs/benchmarks.md). Keys go to $MOSAIC_SNARK_DIR
# (default ~/.cache/mosaic-snark/batch) and the batch proof to $MOSAIC_PROOF_CACHE (default
# ~/.cache/mosaic-snark/proofs), so a rerun only wraps again.
set -euo pipefail
cd "$(dirname "$0")/.."
export MOSAIC_SNARK_DIR="${MOSAIC_SNARK_DIR:-$HOME/.cache/mosaic-snark/batch}"
export MOSAIC_PROOF_CACHE="${MOSAIC_PROOF_CACHE:-$HOME/.cache/mosaic-snark/proofs}"
scripts/setup-rust.sh
scripts/build-guest.sh --locked
MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-snark --features test-utils --test wrap -- --ignored --nocapture
cargo test --release --locked -p mosaic-snark --test fixture
MOSAIC_UPDATE_FIXTURE=1 cargo test --release --locked -p mosaic-prover --test guest snark_fixture
scripts/build-contracts.sh   # compiles the new Halo2Verifier into contracts/artifacts/
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
(cd contracts && forge test --match-contract 'Snark(Verifier|Rollup)Test' -vv)
