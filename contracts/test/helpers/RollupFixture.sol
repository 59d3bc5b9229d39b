// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, BatchRecord, HybridTerms, Mode} from "../../src/Rollup.sol";
import {Bridge} from "../../src/Bridge.sol";
import {IVerifier} from "../../src/IVerifier.sol";
import {TestBase} from "./TestBase.sol";

/// Deploys a Rollup wired to a Bridge, with one EOA proposer, and builds batch headers
/// that chain onto the last committed batch.
abstract contract RollupFixture is TestBase {
    uint64 internal constant CHAIN_ID = 4242;
    bytes32 internal constant CONFIG_HASH = keccak256("l2 consensus parameters");
    bytes32 internal constant GENESIS_ROOT = keccak256("genesis state root");
    bytes32 internal constant GENESIS_HASH = keccak256("genesis block hash");
    uint64 internal constant CHALLENGE_WINDOW = 1 days;
    uint96 internal constant BOND = 1 ether;
    uint64 internal constant PROOF_WINDOW = 12 hours;
    uint96 internal constant CHALLENGER_BOND = 0.25 ether;
    uint64 internal constant SWITCH_DELAY = 2 hours;
    uint96 internal constant PRODUCER_STAKE = 2 ether;
    uint64 internal constant INCLUSION_DEADLINE = 1 hours;
    uint64 internal constant FREEZE_DELAY = 7 days;
    uint64 internal constant FALLBACK_DELAY = 1 days;
    uint256 internal constant START = 1_700_000_000;

    address internal constant OWNER = address(0x0A11);
    address internal constant PROPOSER = address(0xB0B);
    address internal constant STRANGER = address(0xBAD);
    address internal constant DEPOSITOR = address(0xD0D0);

    Rollup internal rollup;
    Bridge internal bridge;

    function _deploy(Mode mode, IVerifier verifier) internal {
        vm.warp(START);
        rollup = new Rollup(
            OWNER,
            verifier,
            mode,
            CHAIN_ID,
            CONFIG_HASH,
            GENESIS_ROOT,
            GENESIS_HASH,
            _terms(),
            INCLUSION_DEADLINE
        );
        bridge = new Bridge(address(rollup));
        vm.startPrank(OWNER);
        rollup.setBridge(address(bridge));
        rollup.setProposer(PROPOSER, true);
        vm.stopPrank();
        vm.deal(PROPOSER, 100 ether);
        vm.deal(DEPOSITOR, 100 ether);
    }

    function _terms() internal pure returns (HybridTerms memory) {
        return HybridTerms(CHALLENGE_WINDOW, PROOF_WINDOW, BOND, CHALLENGER_BOND, SWITCH_DELAY, PRODUCER_STAKE, FREEZE_DELAY, FALLBACK_DELAY);
    }

    /// Terms with only a challenge window and a proposer bond (the game's other terms unused).
    function _terms(uint64 window, uint96 bond) internal pure returns (HybridTerms memory) {
        return HybridTerms(window, 0, bond, 0, 0, 0, FREEZE_DELAY, FALLBACK_DELAY);
    }

    function _bond() internal view returns (uint256) {
        return rollup.mode() == Mode.Hybrid ? BOND : 0;
    }

    /// A valid header for the next batch: `blocks` blocks, consuming L1 messages up to `cursor`.
    function _next(uint64 blocks, uint64 cursor) internal view returns (BatchHeader memory h) {
        uint64 prevIndex = rollup.lastCommittedBatch();
        BatchRecord memory prev = rollup.batch(prevIndex);
        h.index = prevIndex + 1;
        h.firstBlock = prev.lastBlock + 1;
        h.lastBlock = prev.lastBlock + blocks;
        h.l1MessageCursor = cursor;
        h.prevStateRoot = prev.postStateRoot;
        h.postStateRoot = keccak256(abi.encode("state", h.index));
        h.withdrawalsRoot = keccak256(abi.encode("withdrawals", h.index));
        h.lastBlockHash = keccak256(abi.encode("block", h.lastBlock));
    }

    /// The next header, keeping the L1 cursor where the last batch left it.
    function _next() internal view returns (BatchHeader memory) {
        return _next(2, rollup.batch(rollup.lastCommittedBatch()).l1MessageCursor);
    }

    function _data(uint64 index) internal pure returns (bytes memory) {
        return abi.encodePacked("batch data #", index);
    }

    function _commit(BatchHeader memory h) internal {
        // Evaluated before the prank: an external call in the arguments would consume it.
        uint256 bond = _bond();
        vm.prank(PROPOSER);
        rollup.commitBatch{value: bond}(h, _data(h.index));
    }

    /// Expects committing `h` (as the proposer, with the right bond) to revert with `err`.
    function _expectCommitRevert(BatchHeader memory h, bytes memory data, bytes memory err) internal {
        uint256 bond = _bond();
        vm.expectRevert(err);
        vm.prank(PROPOSER);
        rollup.commitBatch{value: bond}(h, data);
    }

    function _expectCommitRevert(BatchHeader memory h, bytes memory err) internal {
        _expectCommitRevert(h, _data(h.index), err);
    }

    function _commitNext() internal returns (BatchHeader memory h) {
        h = _next();
        _commit(h);
    }

    function _depositETH(uint256 amount) internal {
        vm.prank(DEPOSITOR);
        bridge.depositETH{value: amount}(DEPOSITOR);
    }
}
