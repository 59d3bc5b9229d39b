// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchHeader, Mode} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {ReentrancyGuard} from "../src/utils/ReentrancyGuard.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";
import {TestMerkle} from "./helpers/TestBase.sol";
import {TestERC20, NoReturnToken} from "./helpers/Tokens.sol";

/// An L1 recipient that, when paid, tries to claim another withdrawal from inside the
/// payout, and records how that re-entry ended.
contract ReentrantRecipient {
    Bridge public bridge;
    bytes public claim; // calldata of the nested claim
    bytes public innerRevert;
    bool public innerSucceeded;

    function arm(Bridge bridge_, bytes calldata claim_) external {
        bridge = bridge_;
        claim = claim_;
    }

    receive() external payable {
        if (address(bridge) == address(0)) return;
        Bridge b = bridge;
        bridge = Bridge(address(0));
        (bool ok, bytes memory ret) = address(b).call(claim);
        innerSucceeded = ok;
        innerRevert = ret;
    }
}

/// A recipient that refuses ETH.
contract RejectingRecipient {
    receive() external payable {
        revert("no");
    }
}

/// Withdrawals claimed on L1 against finalized batches' withdrawals roots.
contract WithdrawalsTest is RollupFixture {
    struct W {
        uint256 nonce;
        address from;
        address to;
        address token;
        uint256 amount;
    }

    TestERC20 internal token;
    NoReturnToken internal usdt;

    function setUp() public {
        _deploy(Mode.Hybrid, IVerifier(address(0)));
        // Fund the bridge the way it is funded in production: with deposits.
        vm.prank(DEPOSITOR);
        bridge.depositETH{value: 50 ether}(DEPOSITOR);
        token = new TestERC20();
        token.mint(DEPOSITOR, 1_000_000);
        usdt = new NoReturnToken();
        usdt.mint(DEPOSITOR, 1_000_000);
        vm.startPrank(DEPOSITOR);
        token.approve(address(bridge), type(uint256).max);
        usdt.approve(address(bridge), type(uint256).max);
        bridge.depositERC20(address(token), DEPOSITOR, 1_000_000);
        bridge.depositERC20(address(usdt), DEPOSITOR, 1_000_000);
        vm.stopPrank();
    }

    // ---- helpers ------------------------------------------------------------------------

    function _leaf(W memory w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w.nonce, w.from, w.to, w.token, w.amount));
    }

    function _leaves(W[] memory ws) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](ws.length);
        for (uint256 i = 0; i < ws.length; i++) {
            leaves[i] = _leaf(ws[i]);
        }
    }

    /// Commits a batch with `root` as its withdrawals root (consuming all queued deposits) and,
    /// if `finalize`, waits out the challenge window and finalizes it.
    function _batchWithRoot(bytes32 root, bool finalize) internal returns (uint64 index) {
        BatchHeader memory h = _next(1, uint64(bridge.queueLength()));
        h.withdrawalsRoot = root;
        _commit(h);
        index = h.index;
        if (finalize) {
            vm.warp(block.timestamp + CHALLENGE_WINDOW);
            rollup.finalizeBatch(index);
        }
    }

    function _claim(uint64 batchIndex, W memory w, uint256 leafIndex, bytes32[] memory proof) internal {
        bridge.claimWithdrawal(batchIndex, w.nonce, w.from, w.to, w.token, w.amount, leafIndex, proof);
    }

    function _balance(address tokenAddr, address who) internal view returns (uint256) {
        if (tokenAddr == address(0)) return who.balance;
        return TestERC20(tokenAddr).balanceOf(who);
    }

    /// Claims every withdrawal of `ws` from one finalized batch, checking payouts and events.
    function _claimAll(W[] memory ws) internal {
        bytes32[] memory leaves = _leaves(ws);
        uint64 b = _batchWithRoot(TestMerkle.root(leaves), true);
        for (uint256 i = 0; i < ws.length; i++) {
            bytes32[] memory proof = TestMerkle.proof(leaves, i);
            uint256 before = _balance(ws[i].token, ws[i].to);
            vm.expectEmit();
            emit Bridge.WithdrawalClaimed(leaves[i], ws[i].to, ws[i].token, ws[i].amount);
            vm.prank(STRANGER); // anyone may relay a claim; funds go to l1Recipient
            _claim(b, ws[i], i, proof);
            assertEq(_balance(ws[i].token, ws[i].to), before + ws[i].amount, "paid");
            assertTrue(bridge.claimed(leaves[i]), "marked claimed");
            vm.expectRevert(abi.encodeWithSelector(Bridge.AlreadyClaimed.selector, leaves[i]));
            _claim(b, ws[i], i, proof);
        }
    }

    function _w(uint256 nonce, address to, address tokenAddr, uint256 amount) internal pure returns (W memory) {
        return W(nonce, address(uint160(0x5E2D0 + nonce)), to, tokenAddr, amount);
    }

    // ---- happy paths ----------------------------------------------------------------------

    function test_ClaimSingleLeafTree() public {
        W[] memory ws = new W[](1);
        ws[0] = _w(0, address(0xE1), address(0), 1 ether);
        assertEq(TestMerkle.root(_leaves(ws)), _leaf(ws[0]), "one leaf is its own root");
        assertEq(TestMerkle.proof(_leaves(ws), 0).length, 0, "empty proof");
        _claimAll(ws);
    }

    function test_ClaimThreeLeafTree() public {
        W[] memory ws = new W[](3);
        ws[0] = _w(0, address(0xE1), address(0), 1 ether);
        ws[1] = _w(1, address(0xE2), address(token), 500);
        ws[2] = _w(2, address(0xE3), address(0), 2 ether); // the odd leaf, paired with zero
        _claimAll(ws);
    }

    function test_ClaimFourLeafTree() public {
        W[] memory ws = new W[](4);
        ws[0] = _w(0, address(0xE1), address(token), 1);
        ws[1] = _w(1, address(0xE2), address(0), 3 ether);
        ws[2] = _w(2, address(0xE3), address(usdt), 700); // a token that returns nothing
        ws[3] = _w(3, address(0xE4), address(token), 999);
        _claimAll(ws);
        assertEq(usdt.balanceOf(address(bridge)), 1_000_000 - 700, "no-return token paid out");
    }

    // ---- failures ---------------------------------------------------------------------------

    function test_RevertWhen_BatchNotFinalized() public {
        W memory w = _w(0, address(0xE1), address(0), 1 ether);
        bytes32[] memory none = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(Bridge.BatchNotFinalized.selector, 1));
        _claim(1, w, 0, none); // not even committed
        uint64 b = _batchWithRoot(_leaf(w), false);
        vm.expectRevert(abi.encodeWithSelector(Bridge.BatchNotFinalized.selector, b));
        _claim(b, w, 0, none); // committed, challenge window running
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        rollup.finalizeBatch(b);
        _claim(b, w, 0, none);
        assertEq(address(0xE1).balance, 1 ether, "paid once final");
    }

    function test_RevertWhen_ProofInvalid() public {
        W[] memory ws = new W[](3);
        ws[0] = _w(0, address(0xE1), address(0), 1 ether);
        ws[1] = _w(1, address(0xE2), address(0), 1 ether);
        ws[2] = _w(2, address(0xE3), address(0), 1 ether);
        bytes32[] memory leaves = _leaves(ws);
        uint64 b = _batchWithRoot(TestMerkle.root(leaves), true);
        bytes32[] memory proof = TestMerkle.proof(leaves, 1);
        bytes memory err = abi.encodeWithSelector(Bridge.InvalidWithdrawalProof.selector);

        vm.expectRevert(err);
        _claim(b, ws[1], 0, proof); // wrong position
        vm.expectRevert(err);
        _claim(b, ws[1], 1 + 4, proof); // same position plus high bits: index must run out
        // Copies (memory structs alias on assignment).
        W memory inflated = _w(1, address(0xE2), address(0), 1 ether);
        inflated.amount = 100 ether;
        vm.expectRevert(err);
        _claim(b, inflated, 1, proof); // tampered amount
        W memory redirected = _w(1, address(0xE2), address(0), 1 ether);
        redirected.to = STRANGER;
        vm.expectRevert(err);
        _claim(b, redirected, 1, proof); // tampered recipient
        bytes32[] memory bad = TestMerkle.proof(leaves, 1);
        bad[0] = keccak256("junk");
        vm.expectRevert(err);
        _claim(b, ws[1], 1, bad); // wrong sibling
        bytes32[] memory longer = new bytes32[](3);
        longer[0] = proof[0];
        longer[1] = proof[1];
        vm.expectRevert(err);
        _claim(b, ws[1], 1, longer); // an extra (zero) level
        bytes32[] memory shorter = new bytes32[](1);
        shorter[0] = proof[0];
        vm.expectRevert(err);
        _claim(b, ws[1], 1, shorter); // stops below the root
        // A batch with no withdrawals (root 0) pays nothing.
        uint64 empty = _batchWithRoot(bytes32(0), true);
        vm.expectRevert(err);
        _claim(empty, ws[1], 1, proof);

        _claim(b, ws[1], 1, proof); // the real one still works
        assertFalse(bridge.claimed(_leaf(ws[0])), "others untouched");
    }

    function test_RevertWhen_EthRecipientRejects() public {
        RejectingRecipient r = new RejectingRecipient();
        W memory w = _w(0, address(r), address(0), 1 ether);
        uint64 b = _batchWithRoot(_leaf(w), true);
        vm.expectRevert(Bridge.EthTransferFailed.selector);
        _claim(b, w, 0, new bytes32[](0));
        assertFalse(bridge.claimed(_leaf(w)), "still claimable");
    }

    function test_RevertWhen_TokenPayoutFails() public {
        // More than the bridge holds of the token: the transfer reverts, and so does the claim.
        W memory w = _w(0, address(0xE1), address(token), 2_000_000);
        uint64 b = _batchWithRoot(_leaf(w), true);
        vm.expectRevert(abi.encodeWithSelector(Bridge.TokenCallFailed.selector, address(token)));
        _claim(b, w, 0, new bytes32[](0));
    }

    function test_ClaimReentrancyBlocked() public {
        ReentrantRecipient attacker = new ReentrantRecipient();
        W[] memory ws = new W[](2);
        ws[0] = _w(0, address(attacker), address(0), 1 ether);
        ws[1] = _w(1, address(attacker), address(0), 1 ether);
        bytes32[] memory leaves = _leaves(ws);
        uint64 b = _batchWithRoot(TestMerkle.root(leaves), true);
        // While being paid for #0, the attacker tries to claim #0 again and then #1.
        bytes32[] memory p0 = TestMerkle.proof(leaves, 0);
        attacker.arm(
            bridge,
            abi.encodeCall(Bridge.claimWithdrawal, (b, 0, ws[0].from, address(attacker), address(0), 1 ether, 0, p0))
        );
        _claim(b, ws[0], 0, p0);
        assertFalse(attacker.innerSucceeded(), "nested claim of #0 must fail");
        assertEq(attacker.innerRevert(), abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector), "Reentrancy()");
        assertEq(address(attacker).balance, 1 ether, "paid once");

        bytes32[] memory p1 = TestMerkle.proof(leaves, 1);
        attacker.arm(
            bridge,
            abi.encodeCall(Bridge.claimWithdrawal, (b, 1, ws[1].from, address(attacker), address(0), 1 ether, 1, p1))
        );
        _claim(b, ws[1], 1, p1);
        assertEq(attacker.innerRevert(), abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector), "Reentrancy()");
        assertEq(address(attacker).balance, 2 ether, "each withdrawal paid exactly once");
    }
}
