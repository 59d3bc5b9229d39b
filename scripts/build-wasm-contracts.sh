#!/usr/bin/env bash
# Builds the Wasm contracts of the wasm/ workspace (the contract SDK and the example contracts) for
# wasm32-unknown-unknown in release mode, and copies erc20.wasm, caller.wasm and evil.wasm to wasm/out/.
# Idempotent. Builds into $CARGO_TARGET_DIR/wasm when CARGO_TARGET_DIR is set, else wasm/target.
# Extra arguments go to cargo build (e.g. --locked, -j1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target_dir="$CARGO_TARGET_DIR/wasm"
else
  target_dir="$root/wasm/target"
fi

# wasm/.cargo/config.toml sets the target and the link flags (stack size); it is only read with
# wasm/ as the working directory, and environment RUSTFLAGS would replace its rustflags.
(
  cd wasm
  unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
  CARGO_TARGET_DIR="$target_dir" cargo build --release --target wasm32-unknown-unknown "$@"
)

mkdir -p wasm/out
for name in erc20 caller evil; do
  cp "$target_dir/wasm32-unknown-unknown/release/$name.wasm" "wasm/out/$name.wasm"
done
for name in erc20 caller evil; do
  size=$(wc -c < "wasm/out/$name.wasm")
  printf '%-12s %6d bytes\n' "$name.wasm" "$size"
  if [ "$size" -gt 24576 ]; then
    echo "error: wasm/out/$name.wasm exceeds the 24,576-byte code size limit" >&2
    exit 1
  fi
done
# Imports, entry points and the float ban, checked without dependencies (skipped without python3).
if command -v python3 > /dev/null; then
  python3 scripts/check-wasm-module.py wasm/out/erc20.wasm wasm/out/caller.wasm wasm/out/evil.wasm
fi
