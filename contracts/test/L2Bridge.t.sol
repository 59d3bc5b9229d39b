// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L2Bridge} from "../src/L2Bridge.sol";
import {TestBase} from "./helpers/TestBase.sol";

/// The L2 predeploy. It is installed the way the node installs it: runtime bytecode
/// etched at an address, no constructor, state written straight into storage.
contract L2BridgeTest is TestBase {
    /// Same address as the Rust side's L2_BRIDGE ("MOSAIC" ‖ 0…01).
    address internal constant PREDEPLOY = address(0x4d4F534149430000000000000000000000000001);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant L1_TOKEN = address(0x70CE);
    address internal constant L1_DEST = address(0x11DE57);

    L2Bridge internal l2;

    function setUp() public {
        vm.etch(PREDEPLOY, type(L2Bridge).runtimeCode);
        l2 = L2Bridge(PREDEPLOY);
        vm.deal(ALICE, 10 ether);
    }

    /// How the node credits a bridged ERC-20 deposit: a raw write of balanceOf[token][owner] (slot 0).
    function _balanceSlot(address token, address owner) internal pure returns (bytes32) {
        return keccak256(abi.encode(owner, keccak256(abi.encode(token, uint256(0)))));
    }

    function _credit(address token, address owner, uint256 amount) internal {
        vm.store(PREDEPLOY, _balanceSlot(token, owner), bytes32(amount));
    }

    function _hash(uint256 nonce, address from, address to, address token, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(nonce, from, to, token, amount));
    }

    function test_StorageLayout() public {
        _credit(L1_TOKEN, ALICE, 12345);
        assertEq(l2.balanceOf(L1_TOKEN, ALICE), 12345, "balanceOf reads slot-0 mapping");
        assertEq(l2.balanceOf(ALICE, L1_TOKEN), 0, "keys are (token, owner), not swapped");
        vm.store(PREDEPLOY, bytes32(uint256(1)), bytes32(uint256(7)));
        assertEq(l2.withdrawalCount(), 7, "withdrawalCount is slot 1");
        // And the contract writes where the node reads.
        vm.prank(ALICE);
        l2.transfer(L1_TOKEN, BOB, 45);
        assertEq(uint256(vm.load(PREDEPLOY, _balanceSlot(L1_TOKEN, BOB))), 45, "write lands in slot-0 mapping");
        assertEq(uint256(vm.load(PREDEPLOY, _balanceSlot(L1_TOKEN, ALICE))), 12300, "debit too");
        vm.prank(ALICE);
        l2.withdrawETH{value: 1}(L1_DEST);
        assertEq(uint256(vm.load(PREDEPLOY, bytes32(uint256(1)))), 8, "counter write lands in slot 1");
    }

    function test_WithdrawETH() public {
        bytes32 h0 = _hash(0, ALICE, L1_DEST, address(0), 1 ether);
        vm.expectEmit();
        emit L2Bridge.WithdrawalInitiated(0, ALICE, L1_DEST, address(0), 1 ether, h0);
        vm.prank(ALICE);
        l2.withdrawETH{value: 1 ether}(L1_DEST);
        bytes32 h1 = _hash(1, ALICE, BOB, address(0), 2 ether);
        vm.expectEmit();
        emit L2Bridge.WithdrawalInitiated(1, ALICE, BOB, address(0), 2 ether, h1);
        vm.prank(ALICE);
        l2.withdrawETH{value: 2 ether}(BOB);
        assertEq(l2.withdrawalCount(), 2, "nonces 0 and 1 used");
        assertEq(PREDEPLOY.balance, 3 ether, "ETH locked in the predeploy");
        assertTrue(h0 != h1, "distinct hashes");
    }

    function test_RevertWhen_WithdrawETHInvalid() public {
        vm.expectRevert(L2Bridge.ZeroAmount.selector);
        vm.prank(ALICE);
        l2.withdrawETH{value: 0}(L1_DEST);
        vm.expectRevert(L2Bridge.ZeroRecipient.selector);
        vm.prank(ALICE);
        l2.withdrawETH{value: 1}(address(0));
        assertEq(l2.withdrawalCount(), 0, "no nonce used");
    }

    function test_WithdrawERC20() public {
        _credit(L1_TOKEN, ALICE, 1000);
        bytes32 h = _hash(0, ALICE, L1_DEST, L1_TOKEN, 400);
        vm.expectEmit();
        emit L2Bridge.WithdrawalInitiated(0, ALICE, L1_DEST, L1_TOKEN, 400, h);
        vm.prank(ALICE);
        l2.withdrawERC20(L1_TOKEN, L1_DEST, 400);
        assertEq(l2.balanceOf(L1_TOKEN, ALICE), 600, "debited");
        assertEq(l2.withdrawalCount(), 1, "nonce used");
        // The whole remaining balance can go too.
        vm.prank(ALICE);
        l2.withdrawERC20(L1_TOKEN, L1_DEST, 600);
        assertEq(l2.balanceOf(L1_TOKEN, ALICE), 0, "emptied");
    }

    function test_RevertWhen_WithdrawERC20Invalid() public {
        _credit(L1_TOKEN, ALICE, 100);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.InsufficientBalance.selector, L1_TOKEN, 100, 101));
        l2.withdrawERC20(L1_TOKEN, L1_DEST, 101);
        // token 0 would make the withdrawal look like an ETH withdrawal on L1.
        vm.expectRevert(L2Bridge.ZeroToken.selector);
        l2.withdrawERC20(address(0), L1_DEST, 1);
        vm.expectRevert(L2Bridge.ZeroAmount.selector);
        l2.withdrawERC20(L1_TOKEN, L1_DEST, 0);
        vm.expectRevert(L2Bridge.ZeroRecipient.selector);
        l2.withdrawERC20(L1_TOKEN, address(0), 1);
        vm.stopPrank();
        assertEq(l2.balanceOf(L1_TOKEN, ALICE), 100, "unchanged");
        assertEq(l2.withdrawalCount(), 0, "no nonce used");
    }

    function test_Transfer() public {
        _credit(L1_TOKEN, ALICE, 100);
        vm.expectEmit();
        emit L2Bridge.Transfer(L1_TOKEN, ALICE, BOB, 30);
        vm.prank(ALICE);
        l2.transfer(L1_TOKEN, BOB, 30);
        assertEq(l2.balanceOf(L1_TOKEN, ALICE), 70, "sender");
        assertEq(l2.balanceOf(L1_TOKEN, BOB), 30, "recipient");
        // A self-transfer keeps the balance.
        vm.prank(BOB);
        l2.transfer(L1_TOKEN, BOB, 30);
        assertEq(l2.balanceOf(L1_TOKEN, BOB), 30, "self-transfer");
        // Bob can withdraw what he received.
        vm.prank(BOB);
        l2.withdrawERC20(L1_TOKEN, BOB, 30);
        assertEq(l2.balanceOf(L1_TOKEN, BOB), 0, "withdrawn");
    }

    function test_RevertWhen_TransferInvalid() public {
        _credit(L1_TOKEN, ALICE, 100);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.InsufficientBalance.selector, L1_TOKEN, 100, 101));
        vm.prank(ALICE);
        l2.transfer(L1_TOKEN, BOB, 101);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.InsufficientBalance.selector, address(0xDEAD), 0, 1));
        vm.prank(ALICE);
        l2.transfer(address(0xDEAD), BOB, 1);
        vm.expectRevert(L2Bridge.ZeroRecipient.selector);
        vm.prank(ALICE);
        l2.transfer(L1_TOKEN, address(0), 1);
    }

    function test_RejectsPlainEth() public {
        vm.prank(ALICE);
        (bool ok,) = PREDEPLOY.call{value: 1}("");
        assertFalse(ok, "ETH only arrives through withdrawETH");
    }
}
