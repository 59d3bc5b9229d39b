#!/usr/bin/env bash
# The prover's own checks, kept out of scripts/test.sh while compiling OpenVM's prover costs ≈13 min on
# two cores: builds the guests and the Wasm example contracts, lints mosaic-prover and the `mosaic` binary
# with its `prover` feature, and runs the prover's tests (the batch guest in OpenVM's executor on
# witnesses recorded from a real node: ETH transfers and every MultiVM scenario). `--prove` also runs the
# slow tests that generate and verify real app and recursive proofs and aggregate two batch proofs
# (≈1 h on two cores), and wrap a recursive batch proof into a SNARK (≈25 min more).
# Benchmarks: cargo bench -p mosaic-prover --bench guest_cycles | --bench prove
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-guest.sh --locked
scripts/build-wasm-contracts.sh --locked
cargo clippy --release --locked -p mosaic-prover --all-targets -- -D warnings
cargo clippy --release --locked -p mosaic-prover-worker --all-targets -- -D warnings
cargo clippy --release --locked -p mosaic --features prover --all-targets -- -D warnings
cargo clippy --release --locked -p mosaic-snark --features test-utils --all-targets -- -D warnings
cargo test --release --locked -p mosaic-prover
cargo test --release --locked -p mosaic-prover-worker
if [[ "${1:-}" == "--prove" ]]; then
  cargo test --release --locked -p mosaic-prover --test prove --test aggregate -- --ignored --test-threads 1
  # The SNARK wrap end to end (≈25 min, up to ≈20 GB): scripts/update-snark-fixture.sh also rewrites the
  # committed fixtures from it.
  cargo test --release --locked -p mosaic-snark --features test-utils --test wrap -- --ignored --nocapture
fi
