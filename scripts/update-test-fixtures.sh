#!/usr/bin/env bash
# Regenerates the committed Solidity fixtures (abi + bytecode) that Rust tests and `mosaic bench` load, so
# they need no Solidity compiler: Token (e2e/erc20), Registry and ConstantProductAmm (e2e/multivm). With
# --check, fails if a committed fixture is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-tools.sh
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
status=0
# project:contract pairs
for item in erc20:Token multivm:Registry multivm:ConstantProductAmm; do
  project=${item%%:*}
  name=${item##*:}
  (cd "e2e/$project" && forge build --quiet)
  out=bin/mosaic/tests/fixtures/$name.json
  tmp=$(mktemp)
  node -e '
const a = require(process.argv[1]);
const o = { abi: a.abi, bytecode: a.bytecode.object, deployedBytecode: a.deployedBytecode.object };
process.stdout.write(JSON.stringify(o, null, 1) + "\n");' "$PWD/e2e/$project/out/$name.sol/$name.json" >"$tmp"
  if [[ "${1:-}" == "--check" ]]; then
    if ! cmp -s "$tmp" "$out"; then
      echo "fixtures: $out is stale; run scripts/update-test-fixtures.sh and commit it" >&2
      status=1
    else
      echo "fixtures: $out matches e2e/$project/src"
    fi
    rm -f "$tmp"
  else
    mv "$tmp" "$out"
    echo "fixtures: wrote $out"
  fi
done
exit $status
