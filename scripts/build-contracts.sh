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
for name in Rollup Bridge AttestationVerifier SnarkVerifier L2Bridge; do
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
# The generated halo2 verifiers (contracts/verifier/Halo2Verifier.sol of the batch program and
# AggregateHalo2Verifier.sol of the aggregation program, from their SNARK verifying keys:
# scripts/update-snark-fixture.sh [--aggregate]) are kept out of forge's sources: solcjs runs out of wasm
# memory in the Yul optimizer on their ≈100 KB of assembly, and without an optimizer they are 421 bytes
# over EIP-170's 24,576-byte limit. Compiled here with the legacy optimizer (runs 1, Yul optimizer off)
# each is ≈24.5 KB. Both sources name their contract Halo2Verifier; the artifact is named by the file.
for name in Halo2Verifier AggregateHalo2Verifier; do
  out=contracts/artifacts/$name.json
  tmp=$(mktemp)
  node - "$PWD/contracts/verifier/$name.sol" "$MOSAIC_TOOLS/node_modules/solc" >"$tmp" <<'JS'
const fs = require("fs");
const solc = require(process.argv[3]);
const input = {
  language: "Solidity",
  sources: { "Halo2Verifier.sol": { content: fs.readFileSync(process.argv[2], "utf8") } },
  settings: {
    optimizer: { enabled: true, runs: 1, details: { yul: false } },
    evmVersion: "prague",
    metadata: { appendCBOR: false, bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === "error" || /exceeds 24576/.test(e.message));
if (errors.length) {
  process.stderr.write(errors.map((e) => e.formattedMessage || e.message).join("\n"));
  process.exit(1);
}
const c = out.contracts["Halo2Verifier.sol"].Halo2Verifier;
const o = { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object, deployedBytecode: "0x" + c.evm.deployedBytecode.object };
process.stdout.write(JSON.stringify(o, null, 1) + "\n");
JS
  chmod 644 "$tmp"
  if $check; then
    if [[ ! -f "$out" ]] || ! cmp -s "$tmp" "$out"; then
      echo "build-contracts: $out is missing or stale; run scripts/build-contracts.sh and commit it" >&2
      status=1
    else
      echo "build-contracts: $out matches contracts/verifier"
    fi
    rm -f "$tmp"
  else
    mv "$tmp" "$out"
    echo "build-contracts: wrote $out ($(( ($(node -p 'require(process.argv[1]).deployedBytecode.length' "$PWD/$out") - 2) / 2 )) bytes of code)"
  fi
done
exit $status
