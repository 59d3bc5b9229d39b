#!/usr/bin/env bash
# Builds the L1 settlement contracts (contracts/) and writes the committed artifacts
# contracts/artifacts/<Name>.json = {abi, bytecode, deployedBytecode} that the Rust node,
# its tests and deploy tooling load, so they need no Solidity compiler. The build is
# deterministic (no metadata hash / CBOR trailer, see contracts/foundry.toml), so the
# artifacts only change when the sources or compiler settings do.
#
# Usage: scripts/build-contracts.sh           regenerate the artifacts
#        scripts/build-contracts.sh --check   exit 1 if a committed artifact is stale
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
scripts/setup-tools.sh
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh
(cd contracts && forge build --quiet)
mkdir -p contracts/artifacts
status=0
for name in Rollup Bridge AttestationVerifier L2Bridge; do
  out=contracts/artifacts/$name.json
  tmp=$(mktemp)
  node -e '
const a = require(process.argv[1]);
const o = { abi: a.abi, bytecode: a.bytecode.object, deployedBytecode: a.deployedBytecode.object };
process.stdout.write(JSON.stringify(o, null, 1) + "\n");' "$PWD/contracts/out/$name.sol/$name.json" >"$tmp"
  chmod 644 "$tmp"
  if $check; then
    if [[ ! -f "$out" ]]; then
      echo "build-contracts: $out is missing; run scripts/build-contracts.sh and commit it" >&2
      status=1
    elif ! cmp -s "$tmp" "$out"; then
      echo "build-contracts: $out is stale; run scripts/build-contracts.sh and commit it" >&2
      status=1
    else
      echo "build-contracts: $out matches contracts/src"
    fi
    rm -f "$tmp"
  else
    mv "$tmp" "$out"
    echo "build-contracts: wrote $out"
  fi
done
exit $status
