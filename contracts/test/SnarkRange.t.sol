// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, HybridTerms, Mode} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {SnarkVerifier} from "../src/snark/SnarkVerifier.sol";
import {SnarkFixture} from "./helpers/SnarkFixture.sol";

/// One real aggregate SNARK finalizes a range: test/snark/aggregate-fixture.json is the aggregation
/// program's SNARK of batches 1 and 2 of the two-block sample chain (test/snark/range.json, checked against
/// the chain by crates/prover/tests/guest.rs), verified by the generated aggregate halo2 verifier behind a
/// SnarkVerifier that pins the aggregation program. The Rollup recomputes the aggregate journal from its
/// records (`aggregateInputsHash`), so the same proof is refused for a range that differs in anything the
/// journal binds, for a shorter range, under the batch program's verifier, or pinned to another batch
/// program; and it finalizes the range on a chain that switched from hybrid to zk at batch 1.
contract SnarkRangeTest is SnarkFixture {
    address internal constant OWNER = address(0x0A11);
    address internal constant PROPOSER = address(0xB0B);
    uint64 internal constant SWITCH_DELAY = 1 hours;

    string internal rangeJson;
    bytes internal rangeProof;
    bytes32 internal batchProgram;
    SnarkVerifier internal aggregateVerifier;

    function setUp() public {
        vm.warp(1_700_000_000);
        _loadSnarkFixture();
        rangeJson = vm.readFile("./test/snark/range.json");
        string memory fixture = vm.readFile("./test/snark/aggregate-fixture.json");
        rangeProof = vm.parseJsonBytes(fixture, ".proof");
        batchProgram = vm.parseJsonBytes32(fixture, ".batchProgram");
        aggregateVerifier = new SnarkVerifier(
            _deployHalo2Artifact("./artifacts/AggregateHalo2Verifier.json"),
            vm.parseJsonBytes32(fixture, ".appExeCommit"),
            vm.parseJsonBytes32(fixture, ".appVmCommit")
        );
    }

    function _rollup(Mode mode, IVerifier ranges, bytes32 program) internal returns (Rollup r) {
        r = new Rollup(
            OWNER,
            verifier,
            mode,
            uint64(vm.parseJsonUint(rangeJson, ".chainId")),
            vm.parseJsonBytes32(rangeJson, ".configHash"),
            vm.parseJsonBytes32(rangeJson, ".genesisStateRoot"),
            vm.parseJsonBytes32(rangeJson, ".genesisBlockHash"),
            HybridTerms(1 days, 12 hours, 1 ether, 0.25 ether, SWITCH_DELAY, 0, 7 days, 1 days),
            1 hours
        );
        Bridge bridge = new Bridge(address(r));
        vm.startPrank(OWNER);
        r.setBridge(address(bridge));
        r.setProposer(PROPOSER, true);
        r.setAggregateVerifier(ranges, program);
        vm.stopPrank();
    }

    /// Batch `i` (1 or 2) exactly as the sequencer posts it.
    function _header(uint256 i) internal view returns (BatchHeader memory h) {
        string memory at = _at(i);
        h.index = uint64(i);
        h.firstBlock = uint64(vm.parseJsonUint(rangeJson, string.concat(at, ".firstBlock")));
        h.lastBlock = uint64(vm.parseJsonUint(rangeJson, string.concat(at, ".lastBlock")));
        h.l1MessageCursor = 0;
        h.prevStateRoot = vm.parseJsonBytes32(rangeJson, string.concat(at, ".prevStateRoot"));
        h.postStateRoot = vm.parseJsonBytes32(rangeJson, string.concat(at, ".postStateRoot"));
        h.withdrawalsRoot = vm.parseJsonBytes32(rangeJson, string.concat(at, ".withdrawalsRoot"));
        h.lastBlockHash = vm.parseJsonBytes32(rangeJson, string.concat(at, ".lastBlockHash"));
    }

    function _data(uint256 i) internal view returns (bytes memory) {
        return vm.parseJsonBytes(rangeJson, string.concat(_at(i), ".data"));
    }

    function _at(uint256 i) internal pure returns (string memory) {
        return i == 1 ? ".batches[0]" : ".batches[1]";
    }

    function _commit(Rollup r, BatchHeader memory h, bytes memory data) internal {
        vm.prank(PROPOSER);
        r.commitBatch(h, data);
    }

    function _commitBoth(Rollup r) internal {
        _commit(r, _header(1), _data(1));
        _commit(r, _header(2), _data(2));
    }

    function _refused(Rollup r, uint64 to) internal {
        bytes memory p = rangeProof;
        vm.expectRevert(Rollup.InvalidProof.selector);
        r.finalizeRange(to, p);
        assertEq(uint256(r.lastFinalizedBatch()), 0, "finalized without a valid proof");
    }

    function test_RealRangeFinalizesWithOneSnark() public {
        Rollup r = _rollup(Mode.Zk, aggregateVerifier, batchProgram);
        _commitBoth(r);
        assertEq(
            r.aggregateInputsHash(1, 2),
            vm.parseJsonBytes32(vm.readFile("./test/snark/aggregate-fixture.json"), ".journalHash"),
            "the Rollup's aggregate journal is the SNARK's"
        );
        // Anyone may submit it; the proof is copied out of storage first so the gas is the call's.
        bytes memory p = rangeProof;
        vm.cool(address(r));
        vm.prank(address(0xCAFE));
        uint256 before = gasleft();
        r.finalizeRange(2, p);
        emit log_named_uint("Rollup.finalizeRange gas, 2 batches (SNARK verification included)", before - gasleft());
        assertEq(uint256(r.lastFinalizedBatch()), 2, "the range is final");
        assertTrue(r.isFinalized(1) && r.isFinalized(2), "both batches final");
    }

    function test_OtherRangeContentIsRefused() public {
        // Batch 2's withdrawals root changed: the journal of batch 2, hence the aggregate, differs.
        Rollup r = _rollup(Mode.Zk, aggregateVerifier, batchProgram);
        _commit(r, _header(1), _data(1));
        BatchHeader memory h = _header(2);
        h.withdrawalsRoot = bytes32(uint256(1));
        _commit(r, h, _data(2));
        _refused(r, 2);
        // Batch 2's posted data changed.
        r = _rollup(Mode.Zk, aggregateVerifier, batchProgram);
        _commit(r, _header(1), _data(1));
        bytes memory data = _data(2);
        data[data.length - 1] ^= 0x01;
        _commit(r, _header(2), data);
        _refused(r, 2);
    }

    function test_ShorterRangeIsRefused() public {
        Rollup r = _rollup(Mode.Zk, aggregateVerifier, batchProgram);
        _commitBoth(r);
        _refused(r, 1);
    }

    function test_AnotherBatchProgramOrVerifierIsRefused() public {
        // Pinned to another batch program: the journal names the program, so it differs.
        Rollup r = _rollup(Mode.Zk, aggregateVerifier, keccak256("another batch program"));
        _commitBoth(r);
        _refused(r, 2);
        // The batch program's verifier as the range verifier: another circuit's key.
        r = _rollup(Mode.Zk, verifier, batchProgram);
        _commitBoth(r);
        _refused(r, 2);
        // The aggregation program's halo2 verifier pinned to the batch program's commitments.
        SnarkVerifier wrongPin = new SnarkVerifier(
            address(aggregateVerifier.halo2Verifier()), verifier.appExeCommit(), verifier.appVmCommit()
        );
        r = _rollup(Mode.Zk, wrongPin, batchProgram);
        _commitBoth(r);
        _refused(r, 2);
    }

    function test_AggregateSnarkIsNoBatchProof() public {
        Rollup r = _rollup(Mode.Zk, aggregateVerifier, batchProgram);
        _commitBoth(r);
        bytes memory p = rangeProof;
        vm.expectRevert(Rollup.InvalidProof.selector);
        r.proveBatch(1, p);
    }

    /// A chain deployed in hybrid mode switches to zk before its first batch; the zk range then
    /// finalizes with the real aggregate SNARK, with no bond and no window.
    function test_AfterTheSwitchTheRealRangeFinalizes() public {
        Rollup r = _rollup(Mode.Hybrid, aggregateVerifier, batchProgram);
        vm.prank(OWNER);
        r.scheduleZkSwitch();
        vm.warp(block.timestamp + SWITCH_DELAY);
        _commitBoth(r);
        assertEq(uint256(r.zkFromBatch()), 1, "zk from batch 1");
        assertEq(address(r).balance, 0, "zk batches carry no bond");
        bytes memory p = rangeProof;
        r.finalizeRange(2, p);
        assertEq(uint256(r.lastFinalizedBatch()), 2, "the range is final");
    }
}
