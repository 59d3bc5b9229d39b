// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, Mode} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";
import {TestERC20} from "./helpers/Tokens.sol";

/// A sparse Merkle tree as the L2 state tree hashes it (leaves `sha256(0x00 ‖ key ‖ valueHash)`, inner
/// nodes `sha256(0x01 ‖ left ‖ right)`, empty subtrees zero, key bits most significant first), built in
/// memory over a handful of leaves, with the proofs `mosaic_getProof` would give.
library StateTree {
    function leaf(bytes32 key, bytes32 valueHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(0), key, valueHash));
    }

    function bit(bytes32 key, uint256 depth) internal pure returns (uint256) {
        return (uint256(key) >> (255 - depth)) & 1;
    }

    /// The root of the subtree at `depth` holding `keys[i]` for every `i` with `keep[i]`.
    function root(bytes32[] memory keys, bytes32[] memory hashes, bool[] memory keep, uint256 depth)
        internal
        pure
        returns (bytes32)
    {
        uint256 n = 0;
        uint256 last = 0;
        for (uint256 i = 0; i < keys.length; i++) {
            if (keep[i]) (n, last) = (n + 1, i);
        }
        if (n == 0) return bytes32(0);
        if (n == 1) return leaf(keys[last], hashes[last]);
        (bool[] memory left, bool[] memory right) = split(keys, keep, depth);
        return sha256(
            abi.encodePacked(uint8(1), root(keys, hashes, left, depth + 1), root(keys, hashes, right, depth + 1))
        );
    }

    function split(bytes32[] memory keys, bool[] memory keep, uint256 depth)
        internal
        pure
        returns (bool[] memory left, bool[] memory right)
    {
        left = new bool[](keys.length);
        right = new bool[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            if (!keep[i]) continue;
            if (bit(keys[i], depth) == 0) left[i] = true;
            else right[i] = true;
        }
    }

    function all(uint256 n) internal pure returns (bool[] memory keep) {
        keep = new bool[](n);
        for (uint256 i = 0; i < n; i++) keep[i] = true;
    }

    /// Siblings from the root down to leaf `target`'s position.
    function proof(bytes32[] memory keys, bytes32[] memory hashes, uint256 target)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        bytes32[] memory path = new bytes32[](256);
        bool[] memory keep = all(keys.length);
        uint256 depth = 0;
        while (true) {
            uint256 n = 0;
            for (uint256 i = 0; i < keys.length; i++) {
                if (keep[i]) n++;
            }
            if (n == 1) break;
            (bool[] memory left, bool[] memory right) = split(keys, keep, depth);
            bool goLeft = bit(keys[target], depth) == 0;
            path[depth] = root(keys, hashes, goLeft ? right : left, depth + 1);
            keep = goLeft ? left : right;
            depth++;
        }
        siblings = new bytes32[](depth);
        for (uint256 i = 0; i < depth; i++) siblings[i] = path[i];
    }
}

/// The escape hatch: once no batch has been finalized for `freezeDelay`, anyone freezes the Rollup;
/// then every account leaves with what the last finalized state holds for it (proven against its state
/// root), once, and every deposit that state never consumed goes back to its depositor.
contract EscapeHatchTest is RollupFixture {
    address internal constant ALICE = address(0xA11CE);
    address internal constant SAFE = address(0x5AFE); // a contract account on L2
    bytes32 internal constant EMPTY_CODE = keccak256("");

    TestERC20 internal token;
    bytes32[] internal keys;
    bytes32[] internal hashes;
    uint256 internal finalizedAt;

    function accountKey(address a) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint8(0), a));
    }

    function accountHash(uint64 nonce, uint256 balance, bytes32 codeHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(nonce, balance, codeHash));
    }

    function tokenKey(address t, address owner) internal view returns (bytes32) {
        uint256 slot = uint256(keccak256(abi.encode(owner, keccak256(abi.encode(t, uint256(0))))));
        return sha256(abi.encodePacked(uint8(1), bridge.L2_BRIDGE(), slot));
    }

    function setUp() public {
        _deploy(Mode.Hybrid, IVerifier(address(0)));
        token = new TestERC20();
        // Deposits 0 (10 ETH) and 1 (700 tokens) are consumed by batch 1; the L2 state it commits
        // gives Alice 3 ETH and 500 tokens, a contract 1 ETH.
        _depositETH(10 ether);
        token.mint(DEPOSITOR, 700);
        vm.prank(DEPOSITOR);
        token.approve(address(bridge), 700);
        vm.prank(DEPOSITOR);
        bridge.depositERC20(address(token), ALICE, 700);
        keys.push(accountKey(ALICE));
        hashes.push(accountHash(4, 3 ether, EMPTY_CODE));
        keys.push(accountKey(SAFE));
        hashes.push(accountHash(1, 1 ether, keccak256("safe code")));
        keys.push(tokenKey(address(token), ALICE));
        hashes.push(sha256(abi.encode(uint256(500))));
        keys.push(accountKey(address(0xB0B0)));
        hashes.push(accountHash(0, 2 ether, EMPTY_CODE));

        BatchHeader memory h = _next(3, 2);
        h.postStateRoot = StateTree.root(keys, hashes, StateTree.all(keys.length), 0);
        _commit(h);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        rollup.finalizeBatch(1);
        finalizedAt = block.timestamp;
        // Deposit 2 comes after: no finalized state holds it.
        _depositETH(1 ether);
        // A later batch is committed but never finalized (its producer went silent).
        _commit(_next(1, 3));
    }

    function _freeze() internal {
        vm.warp(finalizedAt + FREEZE_DELAY + 1);
        rollup.freeze();
    }

    function _escapeAlice() internal {
        bytes32[] memory siblings = StateTree.proof(keys, hashes, 0);
        vm.prank(ALICE);
        bridge.escapeETH(4, 3 ether, EMPTY_CODE, siblings);
    }

    function test_FreezeWaitsForTheDelayAfterTheLastFinalization() public {
        vm.warp(finalizedAt + FREEZE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotFreezable.selector, finalizedAt + FREEZE_DELAY));
        rollup.freeze();
        vm.expectRevert(Rollup.NotFrozen.selector);
        rollup.escapeState();
        bytes32[] memory siblings = StateTree.proof(keys, hashes, 0);
        vm.expectRevert(Bridge.NotFrozen.selector);
        vm.prank(ALICE);
        bridge.escapeETH(4, 3 ether, EMPTY_CODE, siblings);
        vm.warp(finalizedAt + FREEZE_DELAY + 1);
        rollup.freeze();
        assertTrue(rollup.frozen(), "frozen by anyone");
        (bytes32 root, uint64 cursor) = rollup.escapeState();
        assertEq(root, rollup.batch(1).postStateRoot, "the last finalized state");
        assertEq(cursor, 2, "which consumed deposits 0 and 1");
    }

    function test_AFrozenRollupCommitsFinalizesAndTakesNothing() public {
        _freeze();
        vm.expectRevert(Rollup.RollupFrozen.selector);
        rollup.freeze();
        vm.expectRevert(Rollup.RollupFrozen.selector);
        rollup.finalizeBatch(2);
        _expectCommitRevert(_next(1, 3), abi.encodeWithSelector(Rollup.RollupFrozen.selector));
        vm.expectRevert(Bridge.RollupFrozen.selector);
        vm.prank(DEPOSITOR);
        bridge.depositETH{value: 1 ether}(DEPOSITOR);
        vm.expectRevert(Bridge.RollupFrozen.selector);
        bridge.enqueueL2Transaction(hex"01");
    }

    function test_AnAccountEscapesWithItsFinalizedEthOnce() public {
        _freeze();
        uint256 before = ALICE.balance;
        _escapeAlice();
        assertEq(ALICE.balance - before, 3 ether, "the finalized balance");
        assertTrue(bridge.escaped(ALICE, address(0)), "recorded");
        bytes32[] memory siblings = StateTree.proof(keys, hashes, 0);
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyEscaped.selector, ALICE, address(0)));
        vm.prank(ALICE);
        bridge.escapeETH(4, 3 ether, EMPTY_CODE, siblings);
    }

    function test_RevertWhen_TheProofDoesNotMatchTheState() public {
        _freeze();
        bytes32[] memory siblings = StateTree.proof(keys, hashes, 0);
        vm.expectRevert(Bridge.InvalidStateProof.selector);
        vm.prank(ALICE);
        bridge.escapeETH(4, 4 ether, EMPTY_CODE, siblings); // more than she has
        // Bob's leaf under Alice's name.
        bytes32[] memory bobs = StateTree.proof(keys, hashes, 3);
        vm.expectRevert(Bridge.InvalidStateProof.selector);
        vm.prank(ALICE);
        bridge.escapeETH(0, 2 ether, EMPTY_CODE, bobs);
        siblings[0] = bytes32(uint256(siblings[0]) ^ 1);
        vm.expectRevert(Bridge.InvalidStateProof.selector);
        vm.prank(ALICE);
        bridge.escapeETH(4, 3 ether, EMPTY_CODE, siblings);
    }

    function test_RevertWhen_TheAccountHasCodeOnL2() public {
        _freeze();
        bytes32[] memory siblings = StateTree.proof(keys, hashes, 1);
        bytes32 code = keccak256("safe code");
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotAnExternallyOwnedAccount.selector, code));
        vm.prank(SAFE);
        bridge.escapeETH(1, 1 ether, code, siblings);
    }

    function test_AnAccountEscapesWithItsBridgedTokensOnce() public {
        _freeze();
        bytes32[] memory slot = StateTree.proof(keys, hashes, 2);
        bytes32[] memory account = StateTree.proof(keys, hashes, 0);
        vm.prank(ALICE);
        bridge.escapeERC20(address(token), 500, slot, 4, 3 ether, EMPTY_CODE, account);
        assertEq(token.balanceOf(ALICE), 500, "the finalized token balance");
        vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyEscaped.selector, ALICE, address(token)));
        vm.prank(ALICE);
        bridge.escapeERC20(address(token), 500, slot, 4, 3 ether, EMPTY_CODE, account);
        // The ETH escape is separate.
        _escapeAlice();
    }

    function test_RevertWhen_TheTokenAmountIsNotTheFinalizedOne() public {
        _freeze();
        bytes32[] memory slot = StateTree.proof(keys, hashes, 2);
        bytes32[] memory account = StateTree.proof(keys, hashes, 0);
        vm.expectRevert(Bridge.InvalidStateProof.selector);
        vm.prank(ALICE);
        bridge.escapeERC20(address(token), 700, slot, 4, 3 ether, EMPTY_CODE, account);
    }

    function test_ADepositTheFinalizedStateNeverConsumedIsRefunded() public {
        _freeze();
        uint256 before = DEPOSITOR.balance;
        bridge.refundDeposit(2, address(0), DEPOSITOR, DEPOSITOR, 1 ether); // anyone may call it
        assertEq(DEPOSITOR.balance - before, 1 ether, "back to the depositor");
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotRefundable.selector, 2));
        bridge.refundDeposit(2, address(0), DEPOSITOR, DEPOSITOR, 1 ether);
        // Deposit 0 is in the finalized state (Alice and Bob hold it there).
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotRefundable.selector, 0));
        bridge.refundDeposit(0, address(0), DEPOSITOR, DEPOSITOR, 10 ether);
    }

    function test_RevertWhen_TheRefundedDepositIsNotTheQueuedOne() public {
        _depositETH(2 ether); // deposit 3
        _freeze();
        vm.expectRevert(abi.encodeWithSelector(Bridge.WrongDeposit.selector, 3));
        bridge.refundDeposit(3, address(0), DEPOSITOR, DEPOSITOR, 20 ether);
        vm.expectRevert(abi.encodeWithSelector(Bridge.WrongDeposit.selector, 3));
        bridge.refundDeposit(3, address(0), STRANGER, DEPOSITOR, 2 ether);
        bridge.refundDeposit(3, address(0), DEPOSITOR, DEPOSITOR, 2 ether);
    }

    function test_AForcedTransactionIsNeverRefundedAsADeposit() public {
        vm.prank(DEPOSITOR);
        bridge.enqueueL2Transaction(hex"01"); // message 3: no value, nothing to refund
        _freeze();
        vm.expectRevert(abi.encodeWithSelector(Bridge.WrongDeposit.selector, 3));
        bridge.refundDeposit(3, address(0), DEPOSITOR, address(0), 0);
    }

    function test_FinalizationPostponesTheFreeze() public {
        vm.warp(finalizedAt + FREEZE_DELAY - 1);
        rollup.finalizeBatch(2);
        vm.warp(finalizedAt + FREEZE_DELAY + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotFreezable.selector, finalizedAt + 2 * FREEZE_DELAY - 1));
        rollup.freeze();
    }
}
