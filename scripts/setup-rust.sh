#!/usr/bin/env bash
# Installs the Rust components the build needs beyond the stable toolchain: rust-src (the STF is
# cross-compiled for the zkVM with -Zbuild-std), rustfmt and clippy. Idempotent and quiet when present.
set -euo pipefail
command -v rustup >/dev/null || { echo "setup-rust: rustup is required (https://rustup.rs)" >&2; exit 1; }
have=$(rustup component list --installed 2>/dev/null || true)
for c in rust-src rustfmt clippy; do
  grep -q "^$c" <<<"$have" || rustup component add "$c" >/dev/null
done
