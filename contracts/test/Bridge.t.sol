// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Bridge} from "../src/Bridge.sol";
import {ReentrancyGuard} from "../src/utils/ReentrancyGuard.sol";
import {TestBase} from "./helpers/TestBase.sol";
import {TestERC20, NoReturnToken, FeeOnTransferToken, FalseToken, ReentrantToken} from "./helpers/Tokens.sol";
import {MockRollup} from "./helpers/MockRollup.sol";

/// Deposits and the L1→L2 message queue. Deposits read only whether the Rollup is frozen, so the Bridge
/// points at a mock Rollup that never is (the freeze itself: EscapeHatch.t.sol).
contract BridgeDepositTest is TestBase {
    address internal constant ALICE = address(0xA11CE);
    address internal constant L2_BOB = address(0xB0B2);
    uint256 internal constant T0 = 1_700_000_000;

    event log_named_uint(string key, uint256 val);

    Bridge internal bridge;
    MockRollup internal rollup;
    /// The queue recomputed here, independently of the Bridge.
    bytes32 internal expectedRolling;
    uint256 internal expectedLength;

    function setUp() public {
        vm.warp(T0);
        rollup = new MockRollup();
        bridge = new Bridge(address(rollup));
        vm.deal(ALICE, 100 ether);
    }

    /// Appends the expected message to the local queue model and returns (index, rolling hash).
    function _expectMessage(address token, address from, address to, uint256 amount)
        internal
        returns (uint256 index, bytes32 rolling)
    {
        index = expectedLength++;
        bytes32 msgHash = keccak256(abi.encode(index, token, from, to, amount));
        expectedRolling = keccak256(abi.encode(expectedRolling, msgHash));
        rolling = expectedRolling;
    }

    function _assertQueue() internal view {
        assertEq(bridge.queueLength(), expectedLength, "queueLength");
        assertEq(bridge.rollingHash(expectedLength), expectedRolling, "rollingHash");
    }

    function test_Constructor() public {
        assertEq(bridge.rollup(), address(rollup), "rollup");
        assertEq(bridge.queueLength(), 0, "empty queue");
        assertEq(bridge.rollingHash(0), bytes32(0), "rollingHash(0) = 0");
        vm.expectRevert(Bridge.ZeroAddress.selector);
        new Bridge(address(0));
    }

    function test_DepositETH() public {
        (uint256 index, bytes32 rolling) = _expectMessage(address(0), ALICE, L2_BOB, 1.5 ether);
        vm.expectEmit();
        emit Bridge.DepositQueued(index, ALICE, L2_BOB, address(0), 1.5 ether, rolling, uint64(T0));
        vm.prank(ALICE);
        bridge.depositETH{value: 1.5 ether}(L2_BOB);
        _assertQueue();
        assertEq(bridge.enqueuedAt(0), T0, "enqueuedAt");
        assertEq(address(bridge).balance, 1.5 ether, "ETH locked");
    }

    function test_RollingHashChainsEveryMessage() public {
        TestERC20 token = new TestERC20();
        token.mint(ALICE, 1000);
        vm.prank(ALICE);
        token.approve(address(bridge), type(uint256).max);

        bytes32[] memory history = new bytes32[](4);
        for (uint256 i = 0; i < 3; i++) {
            vm.warp(T0 + i * 10);
            if (i == 1) {
                _expectMessage(address(token), ALICE, L2_BOB, 100 + i);
                vm.prank(ALICE);
                bridge.depositERC20(address(token), L2_BOB, 100 + i);
            } else {
                _expectMessage(address(0), ALICE, address(uint160(0x1000 + i)), 1 ether + i);
                vm.prank(ALICE);
                bridge.depositETH{value: 1 ether + i}(address(uint160(0x1000 + i)));
            }
            history[i + 1] = expectedRolling;
        }
        _assertQueue();
        for (uint256 n = 0; n <= 3; n++) {
            assertEq(bridge.rollingHash(n), history[n], "rollingHash(n)");
        }
        for (uint256 i = 0; i < 3; i++) {
            assertEq(bridge.enqueuedAt(i), T0 + i * 10, "enqueuedAt(i)");
        }
    }

    function test_AnyoneForcesAnL2TransactionIntoTheQueue() public {
        vm.prank(ALICE);
        bridge.depositETH{value: 1 ether}(L2_BOB);
        _expectMessage(address(0), ALICE, L2_BOB, 1 ether);
        bytes memory transaction = hex"02f86b0180843b9aca00850ba43b740082520894";
        uint256 index = expectedLength++;
        expectedRolling = keccak256(
            abi.encode(
                expectedRolling,
                keccak256(abi.encode(index, address(0), L2_BOB, address(0), uint256(0), keccak256(transaction)))
            )
        );
        vm.warp(T0 + 5);
        vm.expectEmit();
        emit Bridge.L2TransactionQueued(1, L2_BOB, transaction, expectedRolling, uint64(T0 + 5));
        vm.prank(L2_BOB); // any L1 account: the L2 takes the sender from the transaction's signature
        bridge.enqueueL2Transaction(transaction);
        _assertQueue();
        assertEq(bridge.enqueuedAt(1), T0 + 5, "its inclusion deadline runs like a deposit's");
        assertEq(address(bridge).balance, 1 ether, "no value moves");
        // Deposits queue on after it.
        _expectMessage(address(0), ALICE, L2_BOB, 2 ether);
        vm.prank(ALICE);
        bridge.depositETH{value: 2 ether}(L2_BOB);
        _assertQueue();
    }

    /// L1 gas of forcing a transaction (storage cold, not the queue's first message): a 110-byte signed
    /// EIP-1559 transfer and a 1 KiB call, against an ETH deposit.
    function test_ForcedTransactionGas() public {
        vm.prank(ALICE);
        bridge.depositETH{value: 1 ether}(L2_BOB); // the queue's arrays are no longer empty
        vm.cool(address(bridge));
        vm.prank(ALICE);
        uint256 before = gasleft();
        bridge.depositETH{value: 1 ether}(L2_BOB);
        uint256 deposit = before - gasleft();
        bytes memory transfer = new bytes(110);
        transfer[0] = 0x02;
        vm.cool(address(bridge));
        before = gasleft();
        bridge.enqueueL2Transaction(transfer);
        uint256 forced = before - gasleft();
        vm.cool(address(bridge));
        before = gasleft();
        bridge.enqueueL2Transaction(new bytes(1024));
        uint256 forcedKiB = before - gasleft();
        emit log_named_uint("Bridge.depositETH gas", deposit);
        emit log_named_uint("Bridge.enqueueL2Transaction gas, 110-byte transfer (execution, without calldata)", forced);
        emit log_named_uint("Bridge.enqueueL2Transaction gas, 1 KiB (execution, without calldata)", forcedKiB);
        assertEq(bridge.queueLength(), 4, "all queued");
    }

    function test_RevertWhen_AForcedTransactionIsEmptyOrTooLarge() public {
        vm.expectRevert(abi.encodeWithSelector(Bridge.ForcedTransactionSize.selector, 0));
        bridge.enqueueL2Transaction("");
        uint256 max = bridge.MAX_FORCED_TRANSACTION_BYTES();
        vm.expectRevert(abi.encodeWithSelector(Bridge.ForcedTransactionSize.selector, max + 1));
        bridge.enqueueL2Transaction(new bytes(max + 1));
        bridge.enqueueL2Transaction(new bytes(max));
        assertEq(bridge.queueLength(), 1, "the largest allowed is queued");
    }

    function test_RevertWhen_QueueIndexOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(Bridge.QueueIndexOutOfRange.selector, 1, 0));
        bridge.rollingHash(1);
        vm.expectRevert(abi.encodeWithSelector(Bridge.QueueIndexOutOfRange.selector, 0, 0));
        bridge.enqueuedAt(0);
        vm.prank(ALICE);
        bridge.depositETH{value: 1}(L2_BOB);
        vm.expectRevert(abi.encodeWithSelector(Bridge.QueueIndexOutOfRange.selector, 2, 1));
        bridge.rollingHash(2);
        vm.expectRevert(abi.encodeWithSelector(Bridge.QueueIndexOutOfRange.selector, 1, 1));
        bridge.enqueuedAt(1);
    }

    function test_RevertWhen_DepositETHInvalid() public {
        vm.expectRevert(Bridge.ZeroAmount.selector);
        vm.prank(ALICE);
        bridge.depositETH{value: 0}(L2_BOB);
        vm.expectRevert(Bridge.ZeroRecipient.selector);
        vm.prank(ALICE);
        bridge.depositETH{value: 1}(address(0));
        // Plain transfers are refused: only queued deposits may add ETH.
        vm.prank(ALICE);
        (bool ok,) = address(bridge).call{value: 1}("");
        assertFalse(ok, "no receive()");
        assertEq(bridge.queueLength(), 0, "nothing queued");
    }

    function test_DepositERC20() public {
        TestERC20 token = new TestERC20();
        token.mint(ALICE, 500);
        vm.prank(ALICE);
        token.approve(address(bridge), 500);
        (uint256 index, bytes32 rolling) = _expectMessage(address(token), ALICE, L2_BOB, 300);
        vm.expectEmit();
        emit Bridge.DepositQueued(index, ALICE, L2_BOB, address(token), 300, rolling, uint64(T0));
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 300);
        _assertQueue();
        assertEq(token.balanceOf(address(bridge)), 300, "locked");
        assertEq(token.balanceOf(ALICE), 200, "debited");
    }

    function test_DepositNoReturnToken() public {
        NoReturnToken token = new NoReturnToken();
        token.mint(ALICE, 500);
        vm.prank(ALICE);
        token.approve(address(bridge), 500);
        _expectMessage(address(token), ALICE, L2_BOB, 500);
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 500);
        _assertQueue();
        assertEq(token.balanceOf(address(bridge)), 500, "locked");
        // Its failures revert (no allowance left), which must not pass as success.
        vm.expectRevert(abi.encodeWithSelector(Bridge.TokenCallFailed.selector, address(token)));
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 1);
    }

    function test_DepositFeeOnTransferCreditsWhatArrived() public {
        FeeOnTransferToken token = new FeeOnTransferToken(100); // 1% fee
        token.mint(ALICE, 10_000);
        vm.prank(ALICE);
        token.approve(address(bridge), 10_000);
        (uint256 index, bytes32 rolling) = _expectMessage(address(token), ALICE, L2_BOB, 9_900);
        vm.expectEmit();
        emit Bridge.DepositQueued(index, ALICE, L2_BOB, address(token), 9_900, rolling, uint64(T0));
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 10_000);
        _assertQueue();
        assertEq(token.balanceOf(address(bridge)), 9_900, "what arrived");
    }

    function test_RevertWhen_NothingArrives() public {
        FeeOnTransferToken token = new FeeOnTransferToken(10_000); // 100% fee
        token.mint(ALICE, 10);
        vm.prank(ALICE);
        token.approve(address(bridge), 10);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 10);
    }

    function test_RevertWhen_DepositERC20Invalid() public {
        TestERC20 token = new TestERC20();
        token.mint(ALICE, 10);
        vm.startPrank(ALICE);
        token.approve(address(bridge), 10);
        vm.expectRevert(Bridge.ZeroToken.selector);
        bridge.depositERC20(address(0), L2_BOB, 10);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.depositERC20(address(token), L2_BOB, 0);
        vm.expectRevert(Bridge.ZeroRecipient.selector);
        bridge.depositERC20(address(token), address(0), 10);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotAContract.selector, address(0xE0A)));
        bridge.depositERC20(address(0xE0A), L2_BOB, 10);
        // More than the allowance: the token reverts.
        vm.expectRevert(abi.encodeWithSelector(Bridge.TokenCallFailed.selector, address(token)));
        bridge.depositERC20(address(token), L2_BOB, 11);
        vm.stopPrank();
        assertEq(bridge.queueLength(), 0, "nothing queued");
    }

    function test_RevertWhen_TokenReturnsFalse() public {
        FalseToken token = new FalseToken();
        vm.expectRevert(abi.encodeWithSelector(Bridge.TokenCallFailed.selector, address(token)));
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 10);
    }

    function test_DepositReentrancyBlocked() public {
        ReentrantToken token = new ReentrantToken();
        token.mint(ALICE, 100);
        vm.prank(ALICE);
        token.approve(address(bridge), 100);
        token.arm(address(bridge));
        _expectMessage(address(token), ALICE, L2_BOB, 100);
        vm.prank(ALICE);
        bridge.depositERC20(address(token), L2_BOB, 100);
        assertFalse(token.innerSucceeded(), "nested deposit must fail");
        assertEq(token.innerRevert(), abi.encodeWithSelector(ReentrancyGuard.Reentrancy.selector), "Reentrancy()");
        _assertQueue(); // exactly one message, for exactly what arrived
    }
}
