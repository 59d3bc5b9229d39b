#!/usr/bin/env bash
# Deposits ETH from L1 to L2 with cast against a running devnet and waits for the L2 credit.
#
# Usage: e2e/cast-deposit.sh <l2-rpc-url>      e.g. e2e/cast-deposit.sh http://127.0.0.1:8545
#
# Finds the L1 endpoint and the Bridge through the L2 node (mosaic_rollupStatus, mosaic_l1Contracts),
# sends two `depositETH` calls from dev account 1 on L1, and checks that both recipients are credited
# on L2 and that the L2 chain has consumed the L1 queue up to the end, in order.
set -euo pipefail

L2=${1:?usage: e2e/cast-deposit.sh <l2-rpc-url>}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

E2E_NAME=cast-deposit
# shellcheck source=e2e/lib.sh
source "$REPO/e2e/lib.sh"
"$REPO/scripts/setup-tools.sh"
# shellcheck source=scripts/tools-env.sh
source "$REPO/scripts/tools-env.sh"

KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
L1=$(cast rpc --rpc-url "$L2" mosaic_rollupStatus | jget l1Rpc)
BRIDGE=$(cast rpc --rpc-url "$L2" mosaic_l1Contracts | jget bridge)
step "L1 at $L1 (chain id $(cast chain-id --rpc-url "$L1")), Bridge at $BRIDGE"

# Two fresh recipients, so the balances below can only come from these deposits.
R1=$(cast wallet new --json | jget 0.address)
R2=$(cast wallet new --json | jget 0.address)
queued_before=$(cast call --rpc-url "$L1" "$BRIDGE" 'queueLength()(uint256)')
for pair in "$R1 1ether" "$R2 2ether"; do
  read -r to amount <<<"$pair"
  receipt=$(cast send --json --timeout 60 --rpc-url "$L1" --private-key "$KEY1" \
    "$BRIDGE" 'depositETH(address)' "$to" --value "$amount")
  expect_eq "deposit status" "$(jget status <<<"$receipt")" 0x1
  step "deposited $amount for $to on L1 (tx $(jget transactionHash <<<"$receipt"))"
done
queued=$(cast call --rpc-url "$L1" "$BRIDGE" 'queueLength()(uint256)')
expect_eq "queue length" "$queued" "$((queued_before + 2))"

# The sequencer includes deposits once the L1 has them; allow a minute.
for _ in $(seq 1 240); do
  b1=$(cast balance --rpc-url "$L2" "$R1")
  b2=$(cast balance --rpc-url "$L2" "$R2")
  [[ "$b1" == 1000000000000000000 && "$b2" == 2000000000000000000 ]] && break
  sleep 0.25
done
expect_eq "L2 balance of $R1" "$b1" 1000000000000000000
expect_eq "L2 balance of $R2" "$b2" 2000000000000000000
# The head's extraData starts with the next L1 queue index: every queued message is consumed.
extra=$(cast block --rpc-url "$L2" latest --json | jget extraData)
cursor=$(cast to-dec "0x${extra:2:16}")
expect_eq "L2 queue cursor" "$cursor" "$queued"
step "credited on L2: $R1 1 ETH, $R2 2 ETH; L2 consumed the queue up to $cursor"
step "OK"
