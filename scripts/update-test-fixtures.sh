#!/usr/bin/env bash
# Regenerates the committed Token fixture (abi + bytecode) from e2e/erc20/src/Token.sol, so Rust tests and
# `mosaic bench` need no Solidity compiler. With --check, fails if the committed fixture is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-tools.sh
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
(cd e2e/erc20 && forge build --quiet)
out=bin/mosaic/tests/fixtures/Token.json
tmp=$(mktemp)
node -e '
const a = require(process.argv[1]);
const o = { abi: a.abi, bytecode: a.bytecode.object, deployedBytecode: a.deployedBytecode.object };
process.stdout.write(JSON.stringify(o, null, 1) + "\n");' "$PWD/e2e/erc20/out/Token.sol/Token.json" >"$tmp"
if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$tmp" "$out"; then
    rm -f "$tmp"
    echo "fixtures: $out is stale; run scripts/update-test-fixtures.sh and commit it" >&2
    exit 1
  fi
  rm -f "$tmp"
  echo "fixtures: $out matches e2e/erc20/src"
else
  mv "$tmp" "$out"
  echo "fixtures: wrote $out"
fi
