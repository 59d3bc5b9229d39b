#!/usr/bin/env bash
# End-to-end ERC-20 check of an Ethereum JSON-RPC node with Foundry (forge + cast).
#
# Usage: e2e/foundry-erc20.sh <rpc-url>      e.g. e2e/foundry-erc20.sh http://127.0.0.1:8545
#
# Needs dev account 0 of the "test test ... junk" mnemonic to hold ETH on the
# node (anvil's default). Installs the pinned tools on first use and leaves
# e2e/erc20/out/ built, which e2e/viem-erc20.mjs reads.
set -euo pipefail

RPC=${1:?usage: e2e/foundry-erc20.sh <rpc-url>}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

E2E_NAME=foundry-erc20
# shellcheck source=e2e/lib.sh
source "$REPO/e2e/lib.sh"
# 32-byte topic for an address.
addr_topic() { cast to-uint256 "$1" | lower; }

"$REPO/scripts/setup-tools.sh"
# shellcheck source=scripts/tools-env.sh
source "$REPO/scripts/tools-env.sh"
export ETH_RPC_URL=$RPC  # picked up by every forge/cast command below

ACCT0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ACCT1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
SUPPLY=1000000000000000000000000  # 1,000,000 tokens (18 decimals)
SENT=250000000000000000000        # 250 tokens
REST=999750000000000000000000     # SUPPLY - SENT
APPROVED=100000000000000000000    # 100 tokens
TOO_MUCH=2000000000000000000000000
TRANSFER_TOPIC=$(cast keccak 'Transfer(address,address,uint256)')
APPROVAL_TOPIC=$(cast keccak 'Approval(address,address,uint256)')
SEND=(cast send --json --timeout 60 --private-key "$KEY0")

CHAIN_ID=$(cast chain-id) || fail "node at $RPC does not answer eth_chainId"
[[ "$CHAIN_ID" =~ ^[1-9][0-9]*$ ]] || fail "bad chain id '$CHAIN_ID'"
[[ "$(cast balance "$ACCT0")" != 0 ]] || fail "dev account 0 ($ACCT0) has no ETH on this node"
step "node at $RPC, chain id $CHAIN_ID, block $(cast block-number)"

# forge resolves foundry.toml's relative solc path against the working
# directory, so build and deploy from the project folder.
cd "$REPO/e2e/erc20"
forge build >/dev/null

# --- deploy (EIP-1559, forge's default) -------------------------------------
deploy=$(forge create src/Token.sol:Token --broadcast --json --private-key "$KEY0" \
  --constructor-args "Mosaic Token" MOS "$SUPPLY")
TOKEN=$(jget deployedTo <<<"$deploy")
deploy_tx=$(jget transactionHash <<<"$deploy")
receipt=$(cast receipt --json "$deploy_tx")
expect_eq "deploy status" "$(jget status <<<"$receipt")" 0x1
expect_eq "receipt contractAddress" "$(jget contractAddress <<<"$receipt")" "$(lower <<<"$TOKEN")"
tx=$(cast tx --json "$deploy_tx")
expect_eq "deploy tx type" "$(jget type <<<"$tx")" 0x2
expect_eq "deploy tx chainId" "$(cast to-dec "$(jget chainId <<<"$tx")")" "$CHAIN_ID"
[[ "$(cast code "$TOKEN")" != 0x ]] || fail "no code at $TOKEN"
step "deployed Token at $TOKEN (tx $deploy_tx)"

expect_eq "name" "$(cast call "$TOKEN" 'name()(string)')" '"Mosaic Token"'
expect_eq "symbol" "$(cast call "$TOKEN" 'symbol()(string)')" '"MOS"'
expect_eq "decimals" "$(cast call "$TOKEN" 'decimals()(uint8)')" 18
balance() { cast call "$TOKEN" 'balanceOf(address)(uint256)' "$1" | awk '{print $1}'; }
expect_eq "totalSupply" "$(cast call "$TOKEN" 'totalSupply()(uint256)' | awk '{print $1}')" "$SUPPLY"
expect_eq "initial balance of account 0" "$(balance "$ACCT0")" "$SUPPLY"

# --- transfer (legacy tx) ----------------------------------------------------
receipt=$("${SEND[@]}" --legacy "$TOKEN" 'transfer(address,uint256)' "$ACCT1" "$SENT")
transfer_tx=$(jget transactionHash <<<"$receipt")
expect_eq "transfer status" "$(jget status <<<"$receipt")" 0x1
expect_eq "transfer tx type" "$(jget type <<<"$(cast tx --json "$transfer_tx")")" 0x0
expect_eq "balance of account 0" "$(balance "$ACCT0")" "$REST"
expect_eq "balance of account 1" "$(balance "$ACCT1")" "$SENT"
step "transferred $SENT to account 1 (legacy tx $transfer_tx)"

# The Transfer event, fetched with eth_getLogs filtered on both indexed topics.
block=$(cast to-dec "$(jget blockNumber <<<"$receipt")")
logs=$(cast logs --json --from-block "$block" --to-block "$block" --address "$TOKEN" \
  'Transfer(address indexed from, address indexed to, uint256 value)' "$ACCT0" "$ACCT1")
expect_eq "Transfer log count" "$(jget length <<<"$logs")" 1
expect_eq "Transfer topics" "$(jget 0.topics <<<"$logs")" \
  "[\"$TRANSFER_TOPIC\",\"$(addr_topic "$ACCT0")\",\"$(addr_topic "$ACCT1")\"]"
expect_eq "Transfer data" "$(jget 0.data <<<"$logs")" "$(cast to-uint256 "$SENT")"
expect_eq "Transfer log tx" "$(jget 0.transactionHash <<<"$logs")" "$transfer_tx"
expect_eq "Transfer log in receipt" "$(jget logs.0.topics <<<"$receipt")" "$(jget 0.topics <<<"$logs")"

# --- approve (EIP-1559 tx) ---------------------------------------------------
receipt=$("${SEND[@]}" "$TOKEN" 'approve(address,uint256)' "$ACCT1" "$APPROVED")
expect_eq "approve status" "$(jget status <<<"$receipt")" 0x1
expect_eq "approve tx type" "$(jget type <<<"$receipt")" 0x2
expect_eq "Approval topics" "$(jget logs.0.topics <<<"$receipt")" \
  "[\"$APPROVAL_TOPIC\",\"$(addr_topic "$ACCT0")\",\"$(addr_topic "$ACCT1")\"]"
expect_eq "allowance" \
  "$(cast call "$TOKEN" 'allowance(address,address)(uint256)' "$ACCT0" "$ACCT1" | awk '{print $1}')" "$APPROVED"
step "approved $APPROVED for account 1 (EIP-1559 tx)"

# --- transfers exceeding the balance must fail --------------------------------
# eth_call must return the custom error's revert data.
want_revert=$(cast calldata 'InsufficientBalance(address,uint256,uint256)' "$ACCT0" "$REST" "$TOO_MUCH")
if out=$(cast call --from "$ACCT0" "$TOKEN" 'transfer(address,uint256)' "$ACCT1" "$TOO_MUCH" 2>&1); then
  fail "eth_call of an over-balance transfer succeeded: $out"
fi
[[ "$(lower <<<"$out")" == *"${want_revert#0x}"* ]] || fail "eth_call revert lacks InsufficientBalance data: $out"

# cast send estimates gas first: that must fail and send nothing.
nonce=$(cast nonce "$ACCT0")
if out=$("${SEND[@]}" "$TOKEN" 'transfer(address,uint256)' "$ACCT1" "$TOO_MUCH" 2>&1); then
  fail "cast send of an over-balance transfer succeeded: $out"
fi
expect_eq "nonce after rejected send" "$(cast nonce "$ACCT0")" "$nonce"

# With a fixed gas limit the tx is mined and must revert (receipt status 0).
receipt=$("${SEND[@]}" --gas-limit 100000 "$TOKEN" 'transfer(address,uint256)' "$ACCT1" "$TOO_MUCH")
expect_eq "reverted tx status" "$(jget status <<<"$receipt")" 0x0
expect_eq "reverted tx logs" "$(jget logs <<<"$receipt")" "[]"
expect_eq "nonce after reverted tx" "$(cast nonce "$ACCT0")" "$((nonce + 1))"
expect_eq "balance of account 0 after revert" "$(balance "$ACCT0")" "$REST"
expect_eq "balance of account 1 after revert" "$(balance "$ACCT1")" "$SENT"
step "over-balance transfer rejected by eth_call/estimateGas and reverted on chain"

# The node must still serve requests after the failures.
cast block-number >/dev/null || fail "node stopped answering after the reverts"
echo "foundry-erc20: OK"
