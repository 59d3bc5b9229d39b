// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, Mode} from "../src/Rollup.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";

/// Censorship resistance: once the oldest unconsumed deposit is `inclusionDeadline` old,
/// every batch that leaves it unconsumed is rejected.
contract ForcedInclusionTest is RollupFixture {
    function setUp() public {
        _deploy(Mode.Hybrid, IVerifier(address(0)));
    }

    function test_NotYetOverdueDepositMayWait() public {
        _depositETH(1 ether); // queued at START
        vm.warp(START + INCLUSION_DEADLINE - 1);
        _commit(_next(1, 0));
        assertEq(rollup.lastCommittedBatch(), 1, "batch skipping a fresh deposit accepted");
    }

    function test_RevertWhen_OverdueDepositSkipped() public {
        _depositETH(1 ether);
        vm.warp(START + INCLUSION_DEADLINE); // deadline reached: overdue from this second on
        _expectCommitRevert(_next(1, 0), abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 0));
        vm.warp(START + 30 days);
        _expectCommitRevert(_next(1, 0), abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 0));
    }

    function test_ConsumingOverdueDepositSucceeds() public {
        _depositETH(1 ether);
        vm.warp(START + INCLUSION_DEADLINE);
        _commit(_next(1, 1));
        assertEq(rollup.batch(1).l1MessageCursor, 1, "consumed");
        assertEq(rollup.batch(1).l1MessagesHash, bridge.rollingHash(1), "l1MessagesHash");
        // With the queue drained, later batches need not consume anything.
        _commit(_next(1, 1));
    }

    function test_AnOverdueForcedTransactionMustBeConsumedLikeADeposit() public {
        vm.prank(address(0xF0));
        bridge.enqueueL2Transaction(hex"02c0"); // queued at START, by anyone
        vm.warp(START + INCLUSION_DEADLINE);
        _expectCommitRevert(_next(1, 0), abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 0));
        _commit(_next(1, 1));
        assertEq(rollup.batch(1).l1MessagesHash, bridge.rollingHash(1), "consumed");
    }

    function test_OnlyTheOldestUnconsumedDepositCounts() public {
        _depositETH(1 ether); // #0 at START
        vm.warp(START + INCLUSION_DEADLINE / 2);
        _depositETH(2 ether); // #1 half a deadline later
        vm.warp(START + INCLUSION_DEADLINE);
        // #0 is overdue; consuming it alone is enough, since #1 is not yet due.
        _expectCommitRevert(_next(1, 0), abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 0));
        _commit(_next(1, 1));
        // Once #1 is overdue too, it blocks the next batch until consumed.
        vm.warp(START + INCLUSION_DEADLINE / 2 + INCLUSION_DEADLINE);
        _expectCommitRevert(_next(1, 1), abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 1));
        _commit(_next(1, 2));
        assertEq(rollup.lastCommittedBatch(), 2, "both consumed");
    }

    function test_HugeDeadlineDoesNotOverflow() public {
        vm.warp(START);
        Rollup r = new Rollup(
            OWNER,
            IVerifier(address(0)),
            Mode.Hybrid,
            CHAIN_ID,
            CONFIG_HASH,
            GENESIS_ROOT,
            GENESIS_HASH,
            _terms(0, 0),
            type(uint64).max
        );
        vm.startPrank(OWNER);
        r.setBridge(address(bridge));
        r.setProposer(PROPOSER, true);
        vm.stopPrank();
        _depositETH(1 ether);
        vm.warp(START + 365 days);
        BatchHeader memory h = _next(1, 0); // same genesis as `rollup`, so the header fits `r`
        vm.prank(PROPOSER);
        r.commitBatch(h, hex"01");
        assertEq(r.lastCommittedBatch(), 1, "deadline effectively off");
    }
}
