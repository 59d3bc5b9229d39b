// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, HybridTerms, Mode} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {SnarkVerifier} from "../src/snark/SnarkVerifier.sol";
import {SnarkFixture} from "./helpers/SnarkFixture.sol";

/// A zk-mode Rollup whose verifier is SnarkVerifier finalizes the real batch the committed SNARK proves
/// (test/snark/batch.json: batch 1 of the one-transfer sample chain, checked against the SNARK's journal
/// by crates/prover/tests/guest.rs), and refuses the same proof for a batch that differs in anything the
/// journal binds: posted data, post-state root, withdrawals root, chain.
contract SnarkRollupTest is SnarkFixture {
    address internal constant OWNER = address(0x0A11);
    address internal constant PROPOSER = address(0xB0B);

    Rollup internal rollup;

    function setUp() public {
        vm.warp(1_700_000_000);
        _loadSnarkFixture();
        rollup = _rollup(_chainId());
    }

    function _rollup(uint64 chainId) internal returns (Rollup r) {
        r = new Rollup(
            OWNER,
            verifier,
            Mode.Zk,
            chainId,
            vm.parseJsonBytes32(batchJson, ".configHash"),
            vm.parseJsonBytes32(batchJson, ".genesisStateRoot"),
            vm.parseJsonBytes32(batchJson, ".genesisBlockHash"),
            HybridTerms(1 days, 12 hours, 1 ether, 0.25 ether, 0, 0, 7 days, 1 days),
            1 hours
        );
        Bridge bridge = new Bridge(address(r));
        vm.startPrank(OWNER);
        r.setBridge(address(bridge));
        r.setProposer(PROPOSER, true);
        vm.stopPrank();
    }

    /// Batch 1 exactly as the sequencer posts it.
    function _header() internal view returns (BatchHeader memory h) {
        h.index = 1;
        h.firstBlock = 1;
        h.lastBlock = uint64(vm.parseJsonUint(batchJson, ".lastBlock"));
        h.l1MessageCursor = 0;
        h.prevStateRoot = vm.parseJsonBytes32(batchJson, ".genesisStateRoot");
        h.postStateRoot = vm.parseJsonBytes32(batchJson, ".postStateRoot");
        h.withdrawalsRoot = vm.parseJsonBytes32(batchJson, ".withdrawalsRoot");
        h.lastBlockHash = vm.parseJsonBytes32(batchJson, ".lastBlockHash");
    }

    function _data() internal view returns (bytes memory) {
        return vm.parseJsonBytes(batchJson, ".data");
    }

    function _commit(Rollup r, BatchHeader memory h, bytes memory data) internal {
        vm.prank(PROPOSER);
        r.commitBatch(h, data);
    }

    function _refused(Rollup r) internal {
        vm.expectRevert(Rollup.InvalidProof.selector);
        r.proveBatch(1, proof);
        assertEq(uint256(r.lastFinalizedBatch()), 0, "finalized without a valid proof");
    }

    function test_RealBatchFinalizesWithItsSnark() public {
        _commit(rollup, _header(), _data());
        assertEq(rollup.publicInputsHash(1), vm.parseJsonBytes32(batchJson, ".journalHash"), "journal hash");
        // Anyone may submit the proof. It is copied out of this test's storage first, so the measured gas
        // is the call's (as when the proof arrives in calldata), not this contract's storage reads.
        bytes memory proofBytes = proof;
        vm.prank(address(0xCAFE));
        uint256 before = gasleft();
        rollup.proveBatch(1, proofBytes);
        emit log_named_uint("Rollup.proveBatch gas (SNARK verification included)", before - gasleft());
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "batch 1 not finalized");
    }

    function test_OtherPostedDataIsRefused() public {
        bytes memory data = _data();
        data[data.length - 1] ^= 0x01;
        _commit(rollup, _header(), data);
        _refused(rollup);
    }

    function test_OtherPostStateRootIsRefused() public {
        BatchHeader memory h = _header();
        h.postStateRoot = keccak256(abi.encode(h.postStateRoot));
        _commit(rollup, h, _data());
        _refused(rollup);
    }

    function test_OtherWithdrawalsRootIsRefused() public {
        BatchHeader memory h = _header();
        h.withdrawalsRoot = bytes32(uint256(1));
        _commit(rollup, h, _data());
        _refused(rollup);
    }

    function test_SameBatchOnAnotherChainIsRefused() public {
        Rollup other = _rollup(_chainId() + 1);
        _commit(other, _header(), _data());
        _refused(other);
    }

    function test_SnarkOfAnotherProgramIsRefused() public {
        // The same proof behind a verifier that pins another executable: not finalized.
        SnarkVerifier pinnedElsewhere = new SnarkVerifier(halo2, bytes32(uint256(1)), verifier.appVmCommit());
        verifier = pinnedElsewhere;
        Rollup other = _rollup(_chainId());
        _commit(other, _header(), _data());
        _refused(other);
    }
}
