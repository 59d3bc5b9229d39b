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
