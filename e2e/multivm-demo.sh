#!/usr/bin/env bash
# The MultiVM demo, end to end with Foundry's cast and forge against a running Mosaic node:
#   1. two ERC-20 tokens written in Rust, compiled to Wasm, deployed with `cast send --create`;
#   2. a constant-product AMM written in Solidity that pools the two Wasm tokens;
#   3. liquidity and swaps in both directions sent with `cast send`, balances checked exactly;
#   4. a Wasm contract that calls a Solidity contract (and bubbles its revert);
#   5. the per-frame execution stats of a swap (mosaic_getTransactionStats): EVM and Wasm frames.
#
# Usage: e2e/multivm-demo.sh <rpc-url>     e.g. e2e/multivm-demo.sh http://127.0.0.1:8545
# Needs dev account 0 of the "test ... junk" mnemonic to hold ETH (mosaic devnet funds it).
set -euo pipefail

RPC=${1:?usage: e2e/multivm-demo.sh <rpc-url>}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

E2E_NAME=multivm-demo
# shellcheck source=e2e/lib.sh
source "$REPO/e2e/lib.sh"

"$REPO/scripts/setup-tools.sh"
# shellcheck source=scripts/tools-env.sh
source "$REPO/scripts/tools-env.sh"
"$REPO/scripts/build-wasm-contracts.sh" >/dev/null
export ETH_RPC_URL=$RPC

ACCT0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ACCT1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
SEND=(cast send --json --timeout 60 --private-key "$KEY0")
SUPPLY=1000000000   # token units; small enough for bash arithmetic below
POOL=1000000        # initial liquidity on each side
FEE_BPS=30          # 0.3 %

cast chain-id >/dev/null || fail "node at $RPC does not answer"
step "node at $RPC, block $(cast block-number)"

status_of() { jget status <<<"$1"; }
# deploy_wasm MODULE CONSTRUCTOR-SIG ARGS... : create transaction whose data is the module + ABI args.
deploy_wasm() {
  local module=$1 sig=$2; shift 2
  local code args receipt
  code=$(cast from-bin < "$module")
  args=$(cast abi-encode "$sig" "$@")
  receipt=$("${SEND[@]}" --create "${code}${args#0x}")
  expect_eq "deploy $module" "$(status_of "$receipt")" 0x1
  jget contractAddress <<<"$receipt"
}

# --- 1. two Wasm ERC-20 tokens ------------------------------------------------
TOKEN_A=$(deploy_wasm "$REPO/wasm/out/erc20.wasm" 'f(string,string,uint256)' "Wasm Token A" WTA "$SUPPLY")
TOKEN_B=$(deploy_wasm "$REPO/wasm/out/erc20.wasm" 'f(string,string,uint256)' "Wasm Token B" WTB "$SUPPLY")
expect_eq "eth_getCode returns the module" "$(cast code "$TOKEN_A")" "$(cast from-bin < "$REPO/wasm/out/erc20.wasm")"
expect_eq "name" "$(cast call "$TOKEN_A" 'name()(string)')" '"Wasm Token A"'
expect_eq "symbol" "$(cast call "$TOKEN_B" 'symbol()(string)')" '"WTB"'
bal() { cast call "$1" 'balanceOf(address)(uint256)' "$2" | awk '{print $1}'; }
expect_eq "initial balance" "$(bal "$TOKEN_A" "$ACCT0")" "$SUPPLY"
step "deployed Wasm tokens A at $TOKEN_A and B at $TOKEN_B"

# --- 2. the Solidity AMM over the two Wasm tokens -----------------------------
cd "$REPO/e2e/multivm"
forge build >/dev/null
deploy=$(forge create src/ConstantProductAmm.sol:ConstantProductAmm --broadcast --json --private-key "$KEY0" \
  --constructor-args "$TOKEN_A" "$TOKEN_B" "$FEE_BPS")
AMM=$(jget deployedTo <<<"$deploy")
step "deployed the Solidity AMM at $AMM"

# --- 3. liquidity and swaps with cast -----------------------------------------
for t in "$TOKEN_A" "$TOKEN_B"; do
  r=$("${SEND[@]}" "$t" 'approve(address,uint256)' "$AMM" "$SUPPLY")
  expect_eq "approve" "$(status_of "$r")" 0x1
done
r=$("${SEND[@]}" "$AMM" 'addLiquidity(uint256,uint256)' "$POOL" "$POOL")
expect_eq "addLiquidity" "$(status_of "$r")" 0x1
expect_eq "pool holds A" "$(bal "$TOKEN_A" "$AMM")" "$POOL"
expect_eq "pool holds B" "$(bal "$TOKEN_B" "$AMM")" "$POOL"

# x*y=k with the fee on the input: out = rOut*in*(10000-fee) / (rIn*10000 + in*(10000-fee))
amount_out() { local rin=$1 rout=$2 in=$3; local f=$((in * (10000 - FEE_BPS))); echo $((rout * f / (rin * 10000 + f))); }
IN=10000
OUT=$(amount_out "$POOL" "$POOL" "$IN")
expect_eq "getAmountOut" "$(cast call "$AMM" 'getAmountOut(address,uint256)(uint256)' "$TOKEN_A" "$IN" | awk '{print $1}')" "$OUT"
r=$("${SEND[@]}" "$AMM" 'swap(address,uint256,uint256,address)' "$TOKEN_A" "$IN" "$OUT" "$ACCT1")
expect_eq "swap A->B" "$(status_of "$r")" 0x1
SWAP_TX=$(jget transactionHash <<<"$r")
expect_eq "account 1 received B" "$(bal "$TOKEN_B" "$ACCT1")" "$OUT"
expect_eq "account 0 paid A" "$(bal "$TOKEN_A" "$ACCT0")" "$((SUPPLY - POOL - IN))"
expect_eq "pool A" "$(bal "$TOKEN_A" "$AMM")" "$((POOL + IN))"
expect_eq "pool B" "$(bal "$TOKEN_B" "$AMM")" "$((POOL - OUT))"
step "swapped $IN A for $OUT B (tx $SWAP_TX)"

IN2=5000
OUT2=$(amount_out "$((POOL - OUT))" "$((POOL + IN))" "$IN2")
r=$("${SEND[@]}" "$AMM" 'swap(address,uint256,uint256,address)' "$TOKEN_B" "$IN2" 0 "$ACCT0")
expect_eq "swap B->A" "$(status_of "$r")" 0x1
expect_eq "account 0 got A back" "$(bal "$TOKEN_A" "$ACCT0")" "$((SUPPLY - POOL - IN + OUT2))"
expect_eq "reserves" "$(cast call "$AMM" 'reserves()(uint256,uint256)' | awk '{print $1}' | paste -sd, -)" \
  "$((POOL + IN - OUT2)),$((POOL - OUT + IN2))"
# A swap that asks for more than the curve gives reverts in the AMM and leaves the Wasm tokens untouched.
if "${SEND[@]}" "$AMM" 'swap(address,uint256,uint256,address)' "$TOKEN_A" "$IN" "$SUPPLY" "$ACCT1" >/dev/null 2>&1; then
  fail "a swap below minAmountOut was accepted"
fi
expect_eq "no change after the failed swap" "$(bal "$TOKEN_B" "$ACCT1")" "$OUT"
step "swapped $IN2 B for $OUT2 A; slippage check reverts"

# --- 4. a Wasm contract calling Solidity --------------------------------------
deploy=$(forge create src/Registry.sol:Registry --broadcast --json --private-key "$KEY0")
REGISTRY=$(jget deployedTo <<<"$deploy")
CALLER=$(deploy_wasm "$REPO/wasm/out/caller.wasm" 'f()')
r=$("${SEND[@]}" "$CALLER" 'setRemote(address,uint256)' "$REGISTRY" 42)
expect_eq "setRemote" "$(status_of "$r")" 0x1
expect_eq "Registry.value set from Wasm" "$(cast call "$REGISTRY" 'value()(uint256)')" 42
expect_eq "msg.sender seen by Solidity" "$(cast call "$REGISTRY" 'lastCaller()(address)' | lower)" "$(lower <<<"$CALLER")"
err=$(cast call "$CALLER" 'failRemote(address,string)' "$REGISTRY" boom 2>&1 || true)
[[ "$err" == *c65844e8* ]] || fail "the Solidity revert did not bubble through Wasm: $err"
step "Wasm contract $CALLER called Solidity Registry $REGISTRY; revert bubbled up"

# --- 5. where the swap's cost went --------------------------------------------
stats=$(cast rpc mosaic_getTransactionStats "$SWAP_TX")
vms=$(jget vms <<<"$stats")
[[ "$vms" == *'"evm"'* && "$vms" == *'"wasm"'* ]] || fail "swap stats lack an EVM or a Wasm frame: $stats"
step "swap frames: $(node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8"));
  console.log(s.frames.map(f => `${"  ".repeat(f.depth)}${f.vm}:${f.kind} gas=${parseInt(f.gasUsed)} cycles=${parseInt(f.cycles)}`).join(" | "))' <<<"$stats")"
step "OK"
