#!/usr/bin/env bash
# The standard predeploys of a Mosaic chain, used by the tools that expect them:
#   1. `forge script` deploys a salted contract through the CREATE2 deployer at its canonical address,
#      and the contract lands where CREATE2(deployer, salt, initcode) says;
#   2. viem's `multicall` reads through Multicall3 at 0xcA11bde05977b3631167028862bE2a173976CA11
#      (e2e/viem-multicall.mjs);
#   3. the other standard contracts answer as they do on L1: Permit2's domain separator names this
#      chain, a Safe v1.4.1 proxy created through SafeProxyFactory has its owner and threshold,
#      EntryPoint v0.7 tracks nonces, CreateX computes CREATE2 addresses as cast does.
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

ZERO=0x0000000000000000000000000000000000000000
PERMIT2=0x000000000022D473030F116dDEE9F6B43aC78BA3
chain=$(cast chain-id --rpc-url "$RPC")
domain=$(cast keccak "$(cast abi-encode 'f(bytes32,bytes32,uint256,address)' \
  "$(cast keccak 'EIP712Domain(string name,uint256 chainId,address verifyingContract)')" "$(cast keccak Permit2)" "$chain" "$PERMIT2")")
expect_eq "Permit2 DOMAIN_SEPARATOR() on chain $chain" "$(cast call "$PERMIT2" 'DOMAIN_SEPARATOR()(bytes32)' --rpc-url "$RPC")" "$domain"
step "Permit2's domain separator names chain $chain"

SAFE_L2=0x29fcB43b46531BcA003ddC8FCB67FFE91900C762
FACTORY=0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67
HANDLER=0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99
OWNER=$(cast wallet address --private-key "$KEY0")
setup=$(cast calldata 'setup(address[],uint256,address,bytes,address,address,uint256,address)' \
  "[$OWNER]" 1 "$ZERO" 0x "$HANDLER" "$ZERO" 0 "$ZERO")
create='createProxyWithNonce(address,bytes,uint256)'
proxy=$(cast call "$FACTORY" "$create(address)" "$SAFE_L2" "$setup" 7 --rpc-url "$RPC")
cast send "$FACTORY" "$create" "$SAFE_L2" "$setup" 7 --rpc-url "$RPC" --private-key "$KEY0" >/dev/null ||
  fail "createProxyWithNonce"
expect_eq "Safe owners" "$(cast call "$proxy" 'getOwners()(address[])' --rpc-url "$RPC")" "[$OWNER]"
expect_eq "Safe threshold" "$(cast call "$proxy" 'getThreshold()(uint256)' --rpc-url "$RPC")" 1
step "SafeProxyFactory created a Safe v1.4.1 at $proxy"

ENTRY_POINT=0x0000000071727De22E5E9d8BAf0edAc6f37da032
expect_eq "EntryPoint getNonce" "$(cast call "$ENTRY_POINT" 'getNonce(address,uint192)(uint256)' "$proxy" 0 --rpc-url "$RPC")" 0
CREATEX=0xba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed
hash=$(cast keccak 0x600160005260206000f3)
expect_eq "CreateX computeCreate2Address" \
  "$(cast call "$CREATEX" 'computeCreate2Address(bytes32,bytes32,address)(address)' "$SALT" "$hash" "$DEPLOYER" --rpc-url "$RPC")" \
  "$(cast create2 --deployer "$DEPLOYER" --salt "$SALT" --init-code-hash "$hash" | awk '{print $NF}')"
step "EntryPoint v0.7 and CreateX answer"
step OK
