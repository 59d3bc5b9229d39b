#!/usr/bin/env bash
# forge's solc for this project: the solcjs shim from scripts/setup-tools.sh, with the
# standard-JSON input buffered to a file first. solcjs reads it with
# readFileSync(process.stdin.fd), and touching process.stdin makes node switch a pipe
# to non-blocking mode, so when forge has not finished writing the input yet the read
# fails with EAGAIN (often, on a loaded machine). A regular file never does.
set -euo pipefail
shim="$(dirname "$0")/../.tools/bin/solc"
case " $* " in
  *" --standard-json "*)
    in=$(mktemp)
    trap 'rm -f "$in"' EXIT
    cat >"$in"
    "$shim" "$@" <"$in"
    ;;
  *) exec "$shim" "$@" ;;
esac
