#!/usr/bin/env bash
# Builds the zkVM guest programs of guest/ for OpenVM (riscv32im-risc0-zkvm-elf, stock stable rustc with
# RUSTC_BOOTSTRAP for -Zbuild-std; no custom toolchain, no network beyond crates.io) and copies the ELF
# to guest/out/mosaic-guest-batch.elf. Idempotent; extra arguments go to cargo build (e.g. --locked).
# Builds into $CARGO_TARGET_DIR/guest when CARGO_TARGET_DIR is set, else guest/target.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup-rust.sh

target_dir="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/guest}"
target_dir="${target_dir:-$root/guest/target}"
# The flags OpenVM's own build (cargo-openvm) passes: text at OpenVM's load address, abort on panic,
# atomics lowered (single-threaded guest), getrandom routed to openvm's "unsupported" backend.
# Source paths are remapped so that the ELF, and with it the program commitment L1 pins, depends only on
# the sources and the rustc version, not on where the clone, the cargo registry or rustup live.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
sysroot="$(rustc --print sysroot)"
flags=(-C passes=lower-atomic -C link-arg=-Ttext=0x00200800 -C link-arg=--fatal-warnings -C panic=abort
  --cfg 'getrandom_backend="custom"'
  "--remap-path-prefix=$root=/mosaic" "--remap-path-prefix=$cargo_home=/cargo"
  "--remap-path-prefix=$sysroot=/rustc" "--remap-path-prefix=$target_dir=/target")
(
  cd guest
  unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
  CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${flags[*]}")" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" \
    cargo build --release --target riscv32im-risc0-zkvm-elf \
    -Zbuild-std=alloc,core,proc_macro,panic_abort,std -Zbuild-std-features=compiler-builtins-mem "$@"
)
mkdir -p guest/out
cp "$target_dir/riscv32im-risc0-zkvm-elf/release/mosaic-guest-batch" guest/out/mosaic-guest-batch.elf
echo "guest: guest/out/mosaic-guest-batch.elf ($(wc -c < guest/out/mosaic-guest-batch.elf) bytes, $(rustc --version))"
