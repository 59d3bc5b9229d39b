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
