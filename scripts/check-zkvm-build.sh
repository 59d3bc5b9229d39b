#!/usr/bin/env bash
# Compiles the state transition function, the batch codec and the batch witness executor (no_std +
# alloc) for the zkVM's RISC-V target, as the prover guest will. The target is riscv32im-risc0-zkvm-elf (OpenVM's guest target, tier 3, so core/alloc are
# built from rust-src). See docs/architecture.md for why not riscv32im-unknown-none-elf.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-rust.sh
# A target dir of its own: RUSTC_BOOTSTRAP=1 makes proc-macro2's build script (it reruns when that
# variable changes) rebuild the host proc-macro2 in place, and with it every crate that uses a derive
# macro — in a shared target dir the next build without the variable rebuilt them all again (≈ 8 min
# of each warm CI run in the Rust test step and as much in the prover step).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/zkvm"
RUSTC_BOOTSTRAP=1 cargo build --release --locked -p mosaic-stf -p mosaic-batch -p mosaic-witness --no-default-features \
  --target riscv32im-risc0-zkvm-elf -Zbuild-std=core,alloc "$@"
echo "zkvm-build: mosaic-stf, mosaic-batch and mosaic-witness compile for riscv32im-risc0-zkvm-elf (no_std)"
