#!/usr/bin/env bash
# Builds the zkVM guest programs of guest/ for OpenVM (riscv32im-risc0-zkvm-elf, stock stable rustc with
# RUSTC_BOOTSTRAP for -Zbuild-std; no custom toolchain, no network beyond crates.io) and copies the ELF
# to guest/out/mosaic-guest-{batch,aggregate}.elf; `--profile` first also builds the benchmark-only
# guest/out/mosaic-guest-profile.elf (cargo bench -p mosaic-prover --bench guest_cycles). Idempotent;
# other arguments go to cargo build (e.g. --locked).
# Builds into $CARGO_TARGET_DIR/guest when CARGO_TARGET_DIR is set, else guest/target.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup-rust.sh
programs=(batch aggregate)
if [[ "${1:-}" == "--profile" ]]; then
  programs+=(profile)
  shift
fi

target_dir="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/guest}"
target_dir="${target_dir:-$root/guest/target}"

# Cargo mixes the absolute path of a path dependency that lies outside the workspace (the guest's STF
# crates live in ../crates) into every symbol name, so the ELF — and the program commitment L1 pins —
# would depend on where the clone is. Build from a copy of the sources at one fixed path instead
# (timestamps kept, so unchanged sources do not rebuild), and remap the remaining paths below: the ELF
# then depends only on the sources, Cargo.lock and the rustc version.
stage=/tmp/mosaic-guest-src
exec 9>"$stage.lock"
flock 9
rm -rf "$stage"
mkdir -p "$stage"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  xargs -0 cp -p --parents -t "$stage"

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
sysroot="$(rustc --print sysroot)"
# The flags OpenVM's own build (cargo-openvm) passes: text at OpenVM's load address, abort on panic,
# atomics lowered (single-threaded guest), getrandom routed to openvm's "unsupported" backend.
flags=(-C passes=lower-atomic -C link-arg=-Ttext=0x00200800 -C link-arg=--fatal-warnings -C panic=abort
  --cfg 'getrandom_backend="custom"'
  "--remap-path-prefix=$stage=/mosaic" "--remap-path-prefix=$cargo_home=/cargo"
  "--remap-path-prefix=$sysroot=/rustc" "--remap-path-prefix=$target_dir=/target")
build() {
  (
    cd "$stage/guest"
    unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
    CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${flags[*]}")" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" \
      cargo build --release --target riscv32im-risc0-zkvm-elf "$@" \
      -Zbuild-std=alloc,core,proc_macro,panic_abort,std -Zbuild-std-features=compiler-builtins-mem
  )
}
# The profile guest builds on its own, so that no feature it turns on in a shared crate can unify into the
# batch guest's build and change the ELF the SNARK fixtures pin.
build --package=mosaic-guest-batch --package=mosaic-guest-aggregate "$@"
if [[ " ${programs[*]} " == *" profile "* ]]; then
  build --package=mosaic-guest-profile "$@"
fi
# --locked keeps the lock file as committed; without it cargo may update the staged copy: bring it back.
cp -p "$stage/guest/Cargo.lock" guest/Cargo.lock
mkdir -p guest/out
for program in "${programs[@]}"; do
  cp "$target_dir/riscv32im-risc0-zkvm-elf/release/mosaic-guest-$program" "guest/out/mosaic-guest-$program.elf"
  echo "guest: guest/out/mosaic-guest-$program.elf ($(wc -c < "guest/out/mosaic-guest-$program.elf") bytes, $(rustc --version))"
done
