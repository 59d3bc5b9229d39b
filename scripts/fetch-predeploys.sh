#!/usr/bin/env bash
# Regenerates the committed code of the standard predeploys (crates/rollup/predeploys/) from the pinned
# npm packages that carry them. Not part of the build: the files are committed, and
# `cargo test -p mosaic-rollup standard` checks every one against its canonical address (CREATE2 of the
# creation code) or published code hash. Run it only to move to other releases.
#
#   Safe v1.4.1 (9 contracts)  @safe-global/safe-contracts@1.4.1       creation code, Hardhat artifacts
#   EntryPoint v0.7.0          @account-abstraction/contracts@0.7.0    creation code
#   Permit2                    @eth-optimism/contracts-bedrock@0.17.3  mainnet runtime (Preinstalls.sol)
#
# CreateX's runtime (createx.hex) is on no package registry reachable here; it was copied from OP Stack's
# Preinstalls.sol (a later release than the one above) and is checked against CreateX's published hash.
#
# Usage: scripts/fetch-predeploys.sh
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/crates/rollup/predeploys"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() { # <package@version> <folder>
  mkdir -p "$WORK/$2"
  (cd "$WORK/$2" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz)
}

fetch @safe-global/safe-contracts@1.4.1 safe
fetch @account-abstraction/contracts@0.7.0 aa
fetch @eth-optimism/contracts-bedrock@0.17.3 op

# <artifact json> <output file>: the artifact's creation code.
creation() {
  node -e 'const a = require(process.argv[1]); process.stdout.write(a.bytecode + "\n")' "$1" >"$2"
}

mkdir -p "$OUT/safe-1.4.1"
S="$WORK/safe/package/build/artifacts/contracts"
for pair in safe:Safe.sol/Safe safe-l2:SafeL2.sol/SafeL2 \
  safe-proxy-factory:proxies/SafeProxyFactory.sol/SafeProxyFactory \
  multi-send:libraries/MultiSend.sol/MultiSend multi-send-call-only:libraries/MultiSendCallOnly.sol/MultiSendCallOnly \
  create-call:libraries/CreateCall.sol/CreateCall sign-message-lib:libraries/SignMessageLib.sol/SignMessageLib \
  compatibility-fallback-handler:handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler \
  simulate-tx-accessor:accessors/SimulateTxAccessor.sol/SimulateTxAccessor; do
  creation "$S/${pair#*:}.json" "$OUT/safe-1.4.1/${pair%%:*}.initcode.hex"
done
creation "$WORK/aa/package/artifacts/EntryPoint.json" "$OUT/entrypoint-0.7.0.initcode.hex"

# Permit2's mainnet runtime; mosaic_rollup::standard writes the chain id and domain separator into it.
python3 - "$WORK/op/package/src/libraries/Preinstalls.sol" "$OUT/permit2-mainnet.hex" <<'EOF'
import re, sys
source = open(sys.argv[1]).read()
code = re.search(r'Permit2TemplateCode\s*=\s*hex"([0-9a-fA-F]+)"', source).group(1)
open(sys.argv[2], "w").write("0x" + code.lower() + "\n")
EOF
echo "fetch-predeploys: wrote $(find "$OUT" -name '*.hex' | wc -l) files under $OUT"
