#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (Foundry, solc, viem from npm;
# rust-src, the wasm32 target), then formatting, lints, the zkVM cross-build of the STF, the OpenVM batch
# and aggregation guests, the Wasm example contracts, the Solidity contract tests (the generated SNARK verifier
# on the committed real SNARK included), every Rust unit and integration test (which start the real node and
# drive it with alloy, cast/forge and viem, and the explorer in headless Chromium; the prover queue against
# a real PostgreSQL; the Rust SNARK verifier on the same fixture), and one real zk proof.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "setup: Rust components, npm tools, Chromium and PostgreSQL (idempotent)"
scripts/setup-rust.sh
scripts/setup-tools.sh
scripts/setup-chromium.sh >/dev/null
scripts/setup-postgres.sh >/dev/null

step "format and lints"
cargo fmt --all --check
# Default members: all but mosaic-prover (scripts/check-prover.sh).
cargo clippy --release --locked --all-targets -- -D warnings

step "STF builds for the zkVM (riscv32im, no_std)"
scripts/check-zkvm-build.sh

step "Wasm contracts: SDK + examples for wasm32, checked for imports, entry points and floats"
(cd wasm && cargo fmt --all --check)
scripts/build-wasm-contracts.sh --locked
(cd wasm && unset RUSTFLAGS && cargo clippy --release --locked --target wasm32-unknown-unknown -- -D warnings)

step "zkVM guests: the batch and aggregation programs for OpenVM (riscv32im, guest/out/mosaic-guest-{batch,aggregate}.elf)"
(cd guest && cargo fmt --all --check)
scripts/build-guest.sh --locked
# The devnet deploys the committed SNARK keys: they must be of these very guests.
scripts/update-snark-fixture.sh --check

step "contracts: forge tests and committed fixtures"
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
(cd e2e/erc20 && forge test)
(cd e2e/multivm && forge test)
(cd contracts && forge test)
scripts/update-test-fixtures.sh --check
scripts/build-contracts.sh --check

step "Rust tests (unit + integration against the real node)"
# Includes Ethereum's state tests through the STF (crates/conformance/tests/eest.rs), which print
# `state tests (…): N passed, N failed, N skipped (reasons)`. Also the BFT sequencer set on Malachite
# 0.8.2 (mosaic-consensus's default feature bft), with four members deciding blocks in one process.
cargo test --release --locked

step "prover: the batch guest in OpenVM's executor on every scenario, and one real proof, verified"
# mosaic-prover links OpenVM's STARK prover (≈13 min to compile on two cores, so it is outside the
# default members); its unit and guest tests, then a real app proof of a one-transfer batch (≈3 min):
# it verifies, and a changed journal, proof byte or program fails. Lints, the recursive and aggregation
# proofs: scripts/check-prover.sh [--prove].
cargo test --release --locked -p mosaic-prover --lib --test guest
cargo test --release --locked -p mosaic-prover --test prove app_proof -- --ignored
