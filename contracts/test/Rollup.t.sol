// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, BatchRecord, Mode} from "../src/Rollup.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {Ownable} from "../src/utils/Ownable.sol";
import {ReentrancyGuard} from "../src/utils/ReentrancyGuard.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";
import {Actor} from "./helpers/TestBase.sol";

/// A proposer contract that rejects ETH (so its bond refund cannot be pushed) until told otherwise.
contract RejectingProposer is Actor {
    bool public accept;

    function setAccept(bool accept_) external {
        accept = accept_;
    }

    receive() external payable override {
        require(accept, "no ETH please");
    }
}

/// A proposer contract that, on receiving its bond refund, tries to finalize the next
/// batch from inside finalizeBatch, and records how that re-entry ended.
contract ReentrantProposer is Actor {
    Rollup public rollup;
    bytes public innerRevert;
    bool public innerSucceeded;
    bool private entered;

    function arm(Rollup rollup_) external {
        rollup = rollup_;
    }

    receive() external payable override {
        if (address(rollup) == address(0) || entered) return;
        entered = true;
        try rollup.finalizeBatch(rollup.lastFinalizedBatch() + 1) {
            innerSucceeded = true;
        } catch (bytes memory reason) {
            innerRevert = reason;
        }
    }
}

/// Rollup in Hybrid mode: configuration, ownership, commit continuity and bonded finalization.
contract RollupTest is RollupFixture {
    function setUp() public {
        _deploy(Mode.Hybrid, IVerifier(address(0)));
    }

    // ---- construction / genesis ---------------------------------------------------

    function test_Genesis() public view {
        BatchRecord memory g = rollup.batch(0);
        assertEq(g.postStateRoot, GENESIS_ROOT, "genesis postStateRoot");
        assertEq(g.lastBlockHash, GENESIS_HASH, "genesis lastBlockHash");
        assertEq(g.lastBlock, 0, "genesis lastBlock");
        assertEq(g.l1MessageCursor, 0, "genesis cursor");
        assertTrue(rollup.isFinalized(0), "genesis finalized");
        assertEq(g.dataHash, bytes32(0), "genesis dataHash");
        assertEq(g.withdrawalsRoot, bytes32(0), "genesis withdrawalsRoot");
        assertEq(g.l1MessagesHash, bytes32(0), "genesis l1MessagesHash");
        assertEq(g.proposer, address(0), "genesis proposer");
        assertEq(g.bond, 0, "genesis bond");
        assertEq(rollup.lastCommittedBatch(), 0, "lastCommittedBatch");
        assertEq(rollup.lastFinalizedBatch(), 0, "lastFinalizedBatch");
        assertTrue(rollup.isFinalized(0), "isFinalized(0)");
        assertFalse(rollup.isFinalized(1), "isFinalized(1)");
    }

    function test_Config() public view {
        assertEq(rollup.owner(), OWNER, "owner");
        assertTrue(rollup.mode() == Mode.Hybrid, "mode");
        assertEq(address(rollup.verifier()), address(0), "verifier");
        assertEq(rollup.bridge(), address(bridge), "bridge");
        assertEq(rollup.l2ChainId(), CHAIN_ID, "l2ChainId");
        assertEq(rollup.challengeWindow(), CHALLENGE_WINDOW, "challengeWindow");
        assertEq(rollup.bondAmount(), BOND, "bondAmount");
        assertEq(rollup.inclusionDeadline(), INCLUSION_DEADLINE, "inclusionDeadline");
        assertTrue(rollup.isProposer(PROPOSER), "proposer allowed");
        assertFalse(rollup.isProposer(STRANGER), "stranger not a proposer");
    }

    function test_RevertWhen_ConstructedWithBadConfig() public {
        vm.expectRevert(Ownable.InvalidOwner.selector);
        new Rollup(
            address(0), IVerifier(address(0)), Mode.Hybrid, CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, GENESIS_HASH, _terms(0, 0), 0
        );
        // Zk mode could never finalize without a verifier.
        vm.expectRevert(Rollup.InvalidConfig.selector);
        new Rollup(OWNER, IVerifier(address(0)), Mode.Zk, CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, GENESIS_HASH, _terms(0, 0), 0);
    }

    // ---- ownership / admin ------------------------------------------------------------

    function test_TransferOwnership() public {
        vm.expectEmit();
        emit Ownable.OwnershipTransferred(OWNER, STRANGER);
        vm.prank(OWNER);
        rollup.transferOwnership(STRANGER);
        assertEq(rollup.owner(), STRANGER, "new owner");

        // The old owner lost its rights, the new one has them.
        vm.expectRevert(abi.encodeWithSelector(Ownable.NotOwner.selector, OWNER));
        vm.prank(OWNER);
        rollup.setProposer(OWNER, true);
        vm.prank(STRANGER);
        rollup.setProposer(OWNER, true);
        assertTrue(rollup.isProposer(OWNER), "new owner can set proposers");
    }

    function test_RevertWhen_NonOwnerAdmin() public {
        bytes memory err = abi.encodeWithSelector(Ownable.NotOwner.selector, STRANGER);
        vm.expectRevert(err);
        vm.prank(STRANGER);
        rollup.transferOwnership(STRANGER);
        vm.expectRevert(err);
        vm.prank(STRANGER);
        rollup.setProposer(STRANGER, true);
        vm.expectRevert(err);
        vm.prank(STRANGER);
        rollup.setBridge(address(1));
    }

    function test_RevertWhen_TransferOwnershipToZero() public {
        vm.expectRevert(Ownable.InvalidOwner.selector);
        vm.prank(OWNER);
        rollup.transferOwnership(address(0));
    }

    function test_SetBridgeOnlyOnce() public {
        Rollup fresh = new Rollup(
            OWNER, IVerifier(address(0)), Mode.Hybrid, CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, GENESIS_HASH, _terms(0, 0), 0
        );
        assertEq(fresh.bridge(), address(0), "unset");
        vm.startPrank(OWNER);
        vm.expectRevert(Rollup.ZeroAddress.selector);
        fresh.setBridge(address(0));
        vm.expectEmit();
        emit Rollup.BridgeSet(address(bridge));
        fresh.setBridge(address(bridge));
        assertEq(fresh.bridge(), address(bridge), "set");
        vm.expectRevert(Rollup.BridgeAlreadySet.selector);
        fresh.setBridge(address(0xB1));
        vm.stopPrank();
        assertEq(fresh.bridge(), address(bridge), "unchanged");
    }

    function test_RevertWhen_CommitWithoutBridge() public {
        Rollup fresh = new Rollup(
            OWNER, IVerifier(address(0)), Mode.Hybrid, CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, GENESIS_HASH, _terms(0, BOND), 0
        );
        vm.prank(OWNER);
        fresh.setProposer(PROPOSER, true);
        BatchHeader memory h = _next();
        vm.expectRevert(Rollup.BridgeNotSet.selector);
        vm.prank(PROPOSER);
        fresh.commitBatch{value: BOND}(h, hex"01");
    }

    function test_SetProposerAndRevoke() public {
        vm.expectEmit();
        emit Rollup.ProposerSet(STRANGER, true);
        vm.prank(OWNER);
        rollup.setProposer(STRANGER, true);
        assertTrue(rollup.isProposer(STRANGER), "allowed");
        vm.prank(OWNER);
        rollup.setProposer(PROPOSER, false);
        assertFalse(rollup.isProposer(PROPOSER), "revoked");
        _expectCommitRevert(_next(), abi.encodeWithSelector(Rollup.NotProposer.selector, PROPOSER));
    }

    // ---- commit -------------------------------------------------------------------------

    function test_CommitBatch() public {
        BatchHeader memory h = _next(3, 0);
        bytes memory data = _data(1);
        vm.expectEmit();
        emit Rollup.BatchCommitted(1, keccak256(data), h.postStateRoot, 3, 0);
        _commit(h);

        BatchRecord memory r = rollup.batch(1);
        assertEq(r.dataHash, keccak256(data), "dataHash = keccak256(data)");
        assertEq(r.postStateRoot, h.postStateRoot, "postStateRoot");
        assertEq(r.withdrawalsRoot, h.withdrawalsRoot, "withdrawalsRoot");
        assertEq(r.lastBlockHash, h.lastBlockHash, "lastBlockHash");
        assertEq(r.l1MessagesHash, bytes32(0), "no messages consumed");
        assertEq(r.prevStateRoot, GENESIS_ROOT, "prevStateRoot");
        assertEq(r.lastBlock, 3, "lastBlock");
        assertEq(r.l1MessageCursor, 0, "cursor");
        assertEq(r.committedAt, START, "committedAt");
        assertEq(r.proposer, PROPOSER, "proposer");
        assertEq(r.bond, BOND, "bond");
        assertFalse(rollup.isFinalized(1), "not final yet");
        assertEq(rollup.lastCommittedBatch(), 1, "lastCommittedBatch");
        assertEq(rollup.lastFinalizedBatch(), 0, "lastFinalizedBatch");
        assertEq(rollup.withdrawalsRoot(1), h.withdrawalsRoot, "withdrawalsRoot view");
        assertEq(address(rollup).balance, BOND, "bond held");

        // The next batch chains on: blocks 4.., prev root = batch 1's post root.
        BatchHeader memory h2 = _next(1, 0);
        assertEq(h2.firstBlock, 4, "next firstBlock");
        _commit(h2); // a single-block batch (lastBlock == firstBlock) is fine
        assertEq(rollup.lastCommittedBatch(), 2, "second batch");
        assertEq(rollup.batch(2).prevStateRoot, h.postStateRoot, "chained root");
    }

    function test_CommitConsumesL1Messages() public {
        _depositETH(1 ether);
        _depositETH(2 ether);
        _commit(_next(1, 1));
        assertEq(rollup.batch(1).l1MessagesHash, bridge.rollingHash(1), "hash after 1 message");
        _commit(_next(1, 1)); // consuming none is fine (not overdue)
        assertEq(rollup.batch(2).l1MessagesHash, bridge.rollingHash(1), "cursor unchanged");
        _commit(_next(1, 2));
        assertEq(rollup.batch(3).l1MessagesHash, bridge.rollingHash(2), "hash after 2 messages");
        assertEq(rollup.batch(3).l1MessageCursor, 2, "cursor");
    }

    function test_RevertWhen_NotProposer() public {
        BatchHeader memory h = _next();
        vm.deal(STRANGER, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotProposer.selector, STRANGER));
        vm.prank(STRANGER);
        rollup.commitBatch{value: BOND}(h, hex"01");
    }

    function test_RevertWhen_WrongBond() public {
        BatchHeader memory h = _next();
        bytes memory data = _data(1);
        uint256[3] memory wrong = [uint256(0), BOND - 1, BOND + 1];
        for (uint256 i = 0; i < wrong.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, wrong[i], BOND));
            vm.prank(PROPOSER);
            rollup.commitBatch{value: wrong[i]}(h, data);
        }
    }

    function test_RevertWhen_WrongIndex() public {
        BatchHeader memory h = _next();
        h.index = 2;
        _expectCommitRevert(h, abi.encodeWithSelector(Rollup.WrongBatchIndex.selector, 2, 1));
        h.index = 0;
        _expectCommitRevert(h, abi.encodeWithSelector(Rollup.WrongBatchIndex.selector, 0, 1));
        // Re-committing an already committed index.
        BatchHeader memory first = _commitNext();
        _expectCommitRevert(first, abi.encodeWithSelector(Rollup.WrongBatchIndex.selector, 1, 2));
    }

    function test_RevertWhen_WrongPrevStateRoot() public {
        BatchHeader memory h = _next();
        h.prevStateRoot = keccak256("not the genesis root");
        _expectCommitRevert(
            h, abi.encodeWithSelector(Rollup.WrongPrevStateRoot.selector, h.prevStateRoot, GENESIS_ROOT)
        );
    }

    function test_RevertWhen_WrongFirstBlock() public {
        BatchHeader memory h = _next();
        h.firstBlock = 2; // skips block 1
        _expectCommitRevert(h, abi.encodeWithSelector(Rollup.WrongFirstBlock.selector, 2, 1));
        h.firstBlock = 0; // re-includes the genesis block
        _expectCommitRevert(h, abi.encodeWithSelector(Rollup.WrongFirstBlock.selector, 0, 1));
    }

    function test_RevertWhen_LastBlockBeforeFirstBlock() public {
        _commitNext(); // blocks 1..2
        BatchHeader memory h = _next();
        h.lastBlock = h.firstBlock - 1;
        _expectCommitRevert(h, abi.encodeWithSelector(Rollup.InvalidBlockRange.selector, 3, 2));
    }

    function test_RevertWhen_EmptyData() public {
        _expectCommitRevert(_next(), "", abi.encodeWithSelector(Rollup.EmptyBatchData.selector));
    }

    function test_RevertWhen_CursorBeyondQueue() public {
        _expectCommitRevert(_next(1, 1), abi.encodeWithSelector(Rollup.L1CursorBeyondQueue.selector, 1, 0));
        _depositETH(1 ether);
        _expectCommitRevert(_next(1, 2), abi.encodeWithSelector(Rollup.L1CursorBeyondQueue.selector, 2, 1));
    }

    function test_RevertWhen_CursorGoesBackwards() public {
        _depositETH(1 ether);
        _depositETH(1 ether);
        _commit(_next(1, 2));
        _expectCommitRevert(_next(1, 1), abi.encodeWithSelector(Rollup.L1CursorBackwards.selector, 1, 2));
    }

    function test_PublicInputsHashFieldOrder() public {
        _depositETH(1 ether);
        BatchHeader memory h = _next(5, 1);
        _commit(h);
        BatchRecord memory r = rollup.batch(1);
        // Written out byte by byte, independently of abi.encodePacked: the 280-byte journal the batch
        // guest reveals the hash of (mosaic_witness::Journal::encode).
        bytes memory journal = bytes.concat(
            bytes.concat(bytes8(CHAIN_ID), CONFIG_HASH, GENESIS_ROOT, h.postStateRoot, GENESIS_HASH),
            bytes.concat(h.lastBlockHash, bytes8(h.lastBlock), keccak256(_data(1))),
            bytes.concat(bytes8(uint64(1)), bridge.rollingHash(1), h.withdrawalsRoot)
        );
        assertEq(journal.length, 3 * 8 + 8 * 32, "journal length");
        assertEq(rollup.publicInputsHash(1), keccak256(journal), "publicInputsHash");
        assertEq(r.l1MessagesHash, bridge.rollingHash(1), "l1MessagesHash");
        // Genesis is no batch: nothing proves it.
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 0));
        rollup.publicInputsHash(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 2));
        rollup.publicInputsHash(2);
    }

    // ---- finalize (Hybrid) ------------------------------------------------------------

    function test_FinalizeAfterChallengeWindow() public {
        _commitNext();
        uint256 before = PROPOSER.balance;
        vm.warp(START + CHALLENGE_WINDOW); // exactly at the end of the window
        vm.expectEmit();
        emit Rollup.BatchFinalized(1);
        vm.prank(STRANGER); // anyone may finalize
        rollup.finalizeBatch(1);
        assertTrue(rollup.isFinalized(1), "finalized");
        assertEq(rollup.lastFinalizedBatch(), 1, "lastFinalizedBatch");
        assertEq(PROPOSER.balance, before + BOND, "bond refunded");
        assertEq(address(rollup).balance, 0, "nothing left");
        assertEq(rollup.batch(1).bond, 0, "bond cleared");
    }

    function test_RevertWhen_FinalizeTooEarly() public {
        _commitNext();
        vm.warp(START + CHALLENGE_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeWindowOpen.selector, 1, START + CHALLENGE_WINDOW));
        rollup.finalizeBatch(1);
    }

    function test_RevertWhen_FinalizeOutOfOrder() public {
        _commitNext();
        _commitNext();
        vm.warp(START + CHALLENGE_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotNextBatch.selector, 2, 1));
        rollup.finalizeBatch(2);
        rollup.finalizeBatch(1);
        rollup.finalizeBatch(2);
        assertEq(rollup.lastFinalizedBatch(), 2, "both final, in order");
    }

    function test_RevertWhen_FinalizeTwice() public {
        _commitNext();
        vm.warp(START + CHALLENGE_WINDOW);
        rollup.finalizeBatch(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 1));
        rollup.finalizeBatch(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 0));
        rollup.finalizeBatch(0);
    }

    function test_RevertWhen_FinalizeUncommitted() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 1));
        rollup.finalizeBatch(1);
    }

    function test_RevertWhen_ProveOrChallengeWithoutVerifier() public {
        _commitNext();
        // A Hybrid chain deployed without a proof verifier has no game: nothing can be proven or challenged.
        vm.expectRevert(Rollup.NoProofVerifier.selector);
        rollup.proveBatch(1, hex"");
        vm.expectRevert(Rollup.NoProofVerifier.selector);
        rollup.challenge{value: CHALLENGER_BOND}(1);
    }

    function test_DeferredRefundWhenProposerRejectsEth() public {
        RejectingProposer p = new RejectingProposer();
        vm.prank(OWNER);
        rollup.setProposer(address(p), true);
        vm.deal(address(this), BOND);
        BatchHeader memory h = _next();
        p.exec{value: BOND}(address(rollup), abi.encodeCall(Rollup.commitBatch, (h, _data(1))));

        vm.warp(START + CHALLENGE_WINDOW);
        vm.expectEmit();
        emit Rollup.BatchFinalized(1);
        vm.expectEmit();
        emit Rollup.BondRefundDeferred(1, address(p), BOND);
        rollup.finalizeBatch(1); // finalization is not held hostage by the proposer
        assertTrue(rollup.isFinalized(1), "finalized anyway");
        assertEq(rollup.pendingRefunds(address(p)), BOND, "refund parked");

        // Still rejecting: the pull fails and the credit stays.
        vm.expectRevert(Rollup.RefundFailed.selector);
        p.exec(address(rollup), abi.encodeCall(Rollup.claimRefund, ()));
        p.setAccept(true);
        p.exec(address(rollup), abi.encodeCall(Rollup.claimRefund, ()));
        assertEq(address(p).balance, BOND, "refund pulled");
        assertEq(rollup.pendingRefunds(address(p)), 0, "credit cleared");
        vm.expectRevert(Rollup.NothingToRefund.selector);
        p.exec(address(rollup), abi.encodeCall(Rollup.claimRefund, ()));
    }

    function test_FinalizeReentrancyBlocked() public {
        ReentrantProposer p = new ReentrantProposer();
        vm.prank(OWNER);
        rollup.setProposer(address(p), true);
        vm.deal(address(this), 2 * BOND);
        BatchHeader memory h1 = _next();
        p.exec{value: BOND}(address(rollup), abi.encodeCall(Rollup.commitBatch, (h1, _data(1))));
        BatchHeader memory h2 = _next();
        p.exec{value: BOND}(address(rollup), abi.encodeCall(Rollup.commitBatch, (h2, _data(2))));
        p.arm(rollup);

        // Batch 2 is also past its window, so only the guard stops the nested finalization.
        vm.warp(START + CHALLENGE_WINDOW);
        rollup.finalizeBatch(1);
        assertFalse(p.innerSucceeded(), "re-entry must fail");
        assertEq(p.innerRevert(), abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector), "Reentrancy()");
        assertEq(rollup.lastFinalizedBatch(), 1, "only batch 1 final");
        assertEq(address(p).balance, BOND, "one refund");
        rollup.finalizeBatch(2);
        assertEq(address(p).balance, 2 * BOND, "second refund");
    }
}
