# Helpers shared by the e2e shell scripts. Source it after setting E2E_NAME (the prefix of every line the
# script prints); it also installs an ERR trap that names the failing command.
# shellcheck shell=bash

fail() { echo "$E2E_NAME: FAIL: $*" >&2; exit 1; }
trap 'echo "$E2E_NAME: FAIL: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR
step() { echo "$E2E_NAME: $*"; }
expect_eq() { # what actual expected
  [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"
}
# jget FIELD.PATH < json : prints one field of a JSON document (no jq needed).
jget() {
  node -e 'let v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const k of process.argv[1].split(".")) v = v?.[k];
    if (v === undefined) { console.error("missing JSON field " + process.argv[1]); process.exit(1); }
    console.log(typeof v === "object" ? JSON.stringify(v) : String(v));' "$1"
}
lower() { tr '[:upper:]' '[:lower:]'; }
rpc() { # URL METHOD PARAMS-JSON → result
  local out
  out=$(curl -s -X POST -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1")
  jget result <<<"$out"
}
wait_for() { # WHAT TIMEOUT-S COMMAND… : runs COMMAND every 2 s until it succeeds
  local what=$1 timeout=$2 t0
  shift 2
  t0=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) - t0 < timeout )) || fail "timed out after ${timeout} s waiting for $what"
    sleep 2
  done
}
peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# For the scripts that prove (scripts/e2e-*.sh), run from the repository root: the tools, the guests and
# mosaic with the prover ($BIN); `elapsed` counts from here.
prover_setup() {
  scripts/setup-tools.sh >/dev/null
  # shellcheck source=scripts/tools-env.sh
  source scripts/tools-env.sh
  started=$(date +%s)
  step "building mosaic with the prover and the guests"
  scripts/build-guest.sh --locked >/dev/null
  cargo build --release --locked -p mosaic --features prover
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/mosaic
}
elapsed() { echo "$(( $(date +%s) - started )) s"; }
# committed_keys PROGRAM DIR: DIR's SNARK keys for PROGRAM (batch or aggregate), made with `mosaic snark
# setup` if missing; fails unless they are the committed ones, whose verifiers a devnet deploys.
committed_keys() {
  if [[ ! -f $2/snark.vk.json ]]; then
    step "no $1 keys in $2: mosaic snark setup --program $1 (≈20 min, ≈19 GB)"
    "$BIN" snark setup --program "$1" --dir "$2"
  fi
  cmp -s "$2/snark.vk.json" "crates/snark/fixtures/$1.vk.json" ||
    fail "$2/snark.vk.json differs from crates/snark/fixtures/$1.vk.json: the devnet's verifier would refuse its proofs"
}
