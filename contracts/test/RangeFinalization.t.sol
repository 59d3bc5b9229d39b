// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, BatchRecord, Mode} from "../src/Rollup.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {Ownable} from "../src/utils/Ownable.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";

/// MOCK (unit tests only): accepts exactly the proof `abi.encode(hash)` for `hash`, so a test states
/// which statement it proves; the real verifiers are SnarkVerifier (SnarkRollup.t.sol, HybridGame.t.sol).
contract MockHashVerifier is IVerifier {
    function verify(bytes32 publicInputsHash, bytes calldata proof) external pure returns (bool) {
        return proof.length == 32 && bytes32(proof) == publicInputsHash;
    }
}

/// One aggregate proof finalizes a range of Zk batches (`finalizeRange`), against the aggregate journal
/// the contract recomputes from its records (`aggregateInputsHash`).
contract RangeFinalizationTest is RollupFixture {
    bytes32 internal constant BATCH_PROGRAM = keccak256("the batch guest's commitments");

    event log_named_uint(string key, uint256 val);

    MockHashVerifier internal batchVerifier;
    MockHashVerifier internal aggVerifier;

    function setUp() public {
        batchVerifier = new MockHashVerifier();
        aggVerifier = new MockHashVerifier();
        _deploy(Mode.Zk, batchVerifier);
        vm.prank(OWNER);
        rollup.setAggregateVerifier(aggVerifier, BATCH_PROGRAM);
    }

    function _commitN(uint256 n) internal {
        for (uint256 i = 0; i < n; i++) {
            _commitNext();
        }
    }

    /// The aggregate journal's hash as the aggregation guest computes it (mosaic_witness::AggregateJournal),
    /// rebuilt here from the public records and per-batch journal hashes.
    function _expectedAggregate(uint64 from, uint64 to) internal view returns (bytes32) {
        bytes memory hashes;
        for (uint64 i = from; i <= to; i++) {
            hashes = bytes.concat(hashes, rollup.publicInputsHash(i));
        }
        BatchRecord memory first = rollup.batch(from);
        BatchRecord memory last = rollup.batch(to);
        return keccak256(
            bytes.concat(
                abi.encodePacked(
                    BATCH_PROGRAM, uint64(to - from + 1), CHAIN_ID, CONFIG_HASH, first.prevStateRoot, last.postStateRoot
                ),
                abi.encodePacked(
                    rollup.batch(from - 1).lastBlockHash,
                    last.lastBlockHash,
                    last.lastBlock,
                    last.l1MessageCursor,
                    last.l1MessagesHash,
                    keccak256(hashes)
                )
            )
        );
    }

    function _rangeProof(uint64 from, uint64 to) internal view returns (bytes memory) {
        return abi.encode(rollup.aggregateInputsHash(from, to));
    }

    function test_OneProofFinalizesARange() public {
        _depositETH(1 ether);
        _commitN(2);
        // A batch consuming the deposit, so the last batch's queue fields are non-trivial.
        BatchHeader memory h = _next(3, 1);
        _commit(h);
        _commitN(2);
        assertEq(rollup.aggregateInputsHash(1, 5), _expectedAggregate(1, 5), "aggregate journal hash");
        assertEq(rollup.journalHashes(3), rollup.publicInputsHash(3), "journal hash kept at commit");
        assertFalse(rollup.isFinalized(1), "not final before the proof");

        bytes memory proof = _rangeProof(1, 5);
        vm.expectEmit();
        emit Rollup.RangeFinalized(1, 5);
        vm.prank(STRANGER);
        rollup.finalizeRange(5, proof);
        assertEq(rollup.lastFinalizedBatch(), 5, "lastFinalizedBatch");
        for (uint64 i = 0; i <= 5; i++) {
            assertTrue(rollup.isFinalized(i), "every batch of the range is final");
        }
        assertFalse(rollup.isFinalized(6), "not beyond it");

        // The next range starts where this one ended.
        _commitN(2);
        assertEq(rollup.aggregateInputsHash(6, 7), _expectedAggregate(6, 7), "second range");
        proof = _rangeProof(6, 7);
        rollup.finalizeRange(7, proof);
        assertEq(rollup.lastFinalizedBatch(), 7, "second range final");
    }

    function test_RevertWhen_TheProofIsOfAnotherRangeOrProgram() public {
        _commitN(4);
        bytes memory shorter = _rangeProof(1, 3);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.finalizeRange(4, shorter);
        // Starting later than the first unfinalized batch: its statement is not this range's.
        bytes memory later = _rangeProof(2, 4);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.finalizeRange(4, later);
        // A batch proof is not an aggregate proof.
        bytes memory single = abi.encode(rollup.publicInputsHash(1));
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.finalizeRange(1, single);
        // The aggregate of another batch program.
        BatchRecord memory last = rollup.batch(4);
        bytes memory hashes;
        for (uint64 i = 1; i <= 4; i++) {
            hashes = bytes.concat(hashes, rollup.publicInputsHash(i));
        }
        bytes32 other = keccak256(
            bytes.concat(
                abi.encodePacked(
                    keccak256("another program"), uint64(4), CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, last.postStateRoot
                ),
                abi.encodePacked(
                    GENESIS_HASH,
                    last.lastBlockHash,
                    last.lastBlock,
                    last.l1MessageCursor,
                    last.l1MessagesHash,
                    keccak256(hashes)
                )
            )
        );
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.finalizeRange(4, abi.encode(other));
        assertEq(rollup.lastFinalizedBatch(), 0, "nothing finalized");
        // The right one works.
        bytes memory proof = _rangeProof(1, 4);
        rollup.finalizeRange(4, proof);
    }

    function test_RevertWhen_TheRangeIsEmptyOrNotCommitted() public {
        _commitN(2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 3));
        rollup.finalizeRange(3, "");
        bytes memory proof = _rangeProof(1, 2);
        rollup.finalizeRange(2, proof);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 2));
        rollup.finalizeRange(2, proof);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlockRange.selector, 3, 2));
        rollup.aggregateInputsHash(3, 2);
    }

    function test_SingleProofsAndRangesMix() public {
        _commitN(3);
        bytes memory one = abi.encode(rollup.publicInputsHash(1));
        rollup.proveBatch(1, one);
        assertEq(rollup.lastFinalizedBatch(), 1, "batch 1 by its own proof");
        bytes memory proof = _rangeProof(2, 3);
        rollup.finalizeRange(3, proof);
        assertEq(rollup.lastFinalizedBatch(), 3, "2..3 by one aggregate");
        bytes memory late = abi.encode(rollup.publicInputsHash(2));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 2));
        rollup.proveBatch(2, late);
    }

    function test_AggregateVerifierIsSetOnceByTheOwner() public {
        Rollup r = new Rollup(
            OWNER, batchVerifier, Mode.Zk, CHAIN_ID, CONFIG_HASH, GENESIS_ROOT, GENESIS_HASH, _terms(), 1 days
        );
        assertEq(address(r.aggregateVerifier()), address(0), "none at deployment");
        vm.expectRevert(Rollup.NoProofVerifier.selector);
        r.finalizeRange(1, "");
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.NotOwner.selector, STRANGER));
        r.setAggregateVerifier(aggVerifier, BATCH_PROGRAM);
        vm.prank(OWNER);
        vm.expectRevert(Rollup.ZeroAddress.selector);
        r.setAggregateVerifier(IVerifier(address(0)), BATCH_PROGRAM);
        vm.prank(OWNER);
        vm.expectEmit();
        emit Rollup.AggregateVerifierSet(address(aggVerifier), BATCH_PROGRAM);
        r.setAggregateVerifier(aggVerifier, BATCH_PROGRAM);
        assertEq(r.aggregateBatchProgram(), BATCH_PROGRAM, "program pinned");
        vm.prank(OWNER);
        vm.expectRevert(Rollup.AggregateVerifierAlreadySet.selector);
        r.setAggregateVerifier(batchVerifier, BATCH_PROGRAM);
    }

    /// Hybrid batches finish under hybrid rules; after the switch the Zk batches finalize by one range.
    function test_AfterTheSwitchZkBatchesFinalizeByRange() public {
        _deploy(Mode.Hybrid, batchVerifier);
        vm.prank(OWNER);
        rollup.setAggregateVerifier(aggVerifier, BATCH_PROGRAM);
        _commitN(2);
        assertEq(rollup.journalHashes(1), bytes32(0), "hybrid batches keep no journal hash");
        vm.expectRevert(Rollup.WrongMode.selector);
        rollup.finalizeRange(2, "");
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
        vm.warp(block.timestamp + SWITCH_DELAY);
        // The first commit after the switch time switches (and carries no bond); batches 3..5 are Zk.
        BatchHeader memory h = _next();
        vm.prank(PROPOSER);
        rollup.commitBatch(h, _data(h.index));
        _commitN(2);
        assertEq(rollup.zkFromBatch(), 3, "switch batch");
        // The hybrid batches still finalize by their window, then the Zk range by its proof.
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        rollup.finalizeBatch(1);
        vm.expectRevert(Rollup.WrongMode.selector);
        rollup.finalizeRange(5, "");
        rollup.finalizeBatch(2);
        assertEq(rollup.aggregateInputsHash(3, 5), _expectedAggregate(3, 5), "range after the switch");
        bytes memory proof = _rangeProof(3, 5);
        rollup.finalizeRange(5, proof);
        assertEq(rollup.lastFinalizedBatch(), 5, "zk range final");
        assertEq(address(rollup).balance, 0, "hybrid bonds refunded, zk batches carry none");
    }

    /// Gas of `finalizeRange` for ranges of 1, 4 and 16 batches, storage cold, with the mock verifier: the
    /// contract's own cost per range and per batch (a real SNARK verification adds its ≈ 304k,
    /// SnarkVerifier.t.sol, and the transaction its calldata).
    function test_RangeGas() public {
        uint64[3] memory sizes = [uint64(1), 4, 16];
        string[3] memory labels =
            ["finalizeRange gas, 1 batch", "finalizeRange gas, 4 batches", "finalizeRange gas, 16 batches"];
        for (uint256 s = 0; s < 3; s++) {
            _commitN(sizes[s]);
            uint64 to = rollup.lastCommittedBatch();
            bytes memory proof = _rangeProof(rollup.lastFinalizedBatch() + 1, to);
            // Storage as a fresh transaction finds it: every slot cold.
            vm.cool(address(rollup));
            uint256 before = gasleft();
            rollup.finalizeRange(to, proof);
            uint256 used = before - gasleft();
            emit log_named_uint(labels[s], used);
            assertEq(rollup.lastFinalizedBatch(), to, "range final");
        }
    }
}
