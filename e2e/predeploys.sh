#!/usr/bin/env bash
# The standard predeploys of a Mosaic chain, used by the tools that expect them:
#   1. `forge script` deploys a salted contract through the CREATE2 deployer at its canonical address,
#      and the contract lands where CREATE2(deployer, salt, initcode) says;
#   2. viem's `multicall` reads through Multicall3 at 0xcA11bde05977b3631167028862bE2a173976CA11
#      (e2e/viem-multicall.mjs).
#
# Usage: e2e/predeploys.sh <rpc-url>     Needs dev account 0 of the test mnemonic funded.
set -euo pipefail

RPC=${1:?usage: e2e/predeploys.sh <rpc-url>}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_NAME=predeploys
# shellcheck source=e2e/lib.sh
source "$REPO/e2e/lib.sh"
"$REPO/scripts/setup-tools.sh"
# shellcheck source=scripts/tools-env.sh
source "$REPO/scripts/tools-env.sh"

KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
DEPLOYER=0x4e59b44847b379578588920ca78fbf26c0b4956c
SALT=0x00000000000000000000000000000000000000000000000000004d4f53414943

[[ "$(cast code "$DEPLOYER" --rpc-url "$RPC")" != 0x ]] || fail "no CREATE2 deployer at $DEPLOYER"

cd "$REPO/e2e/erc20"
forge build --quiet
forge script script/Deterministic.s.sol:Deterministic --rpc-url "$RPC" --private-key "$KEY0" --broadcast \
  --slow --skip-simulation >/tmp/predeploys-forge.log 2>&1 || { cat /tmp/predeploys-forge.log >&2; fail "forge script"; }
initcode=$(node -e 'const a = require(process.argv[1]); process.stdout.write(a.bytecode.object)' "$PWD/out/Token.sol/Token.json")
args=$(cast abi-encode 'constructor(string,string,uint256)' Salted SLT 1000)
expected=$(cast create2 --deployer "$DEPLOYER" --salt "$SALT" --init-code "${initcode}${args#0x}" | awk '{print $NF}')
[[ "$(cast code "$expected" --rpc-url "$RPC")" != 0x ]] || { cat /tmp/predeploys-forge.log >&2; fail "nothing at the CREATE2 address $expected"; }
expect_eq "name() of the salted token" "$(cast call "$expected" 'name()(string)' --rpc-url "$RPC")" '"Salted"'
step "forge script deployed Token through the CREATE2 deployer at $expected"

cd "$REPO"
node e2e/viem-multicall.mjs "$RPC" "$expected" || fail "viem multicall"
step OK
