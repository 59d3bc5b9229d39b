// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Registry} from "../src/Registry.sol";
import {Actor, Assertions} from "./TestHelpers.sol";

contract RegistryTest is Assertions {
    Registry registry;
    Actor actor;

    function setUp() public {
        registry = new Registry();
        actor = new Actor();
    }

    /// Target of callBack re-entering this contract: calls back into the
    /// registry from inside the registry's own outgoing call.
    function reenterSet(uint256 v) external returns (uint256) {
        require(msg.sender == address(registry), "reenterSet: not called by the registry");
        return registry.set(v);
    }

    function failed(string memory reason) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Registry.Failed.selector, reason);
    }

    // ---- set / whoCalls -----------------------------------------------------

    function test_SetReturnsPreviousAndRecordsCaller() public {
        assertEq(registry.set(7), 0, "first previous is 0");
        assertEq(registry.value(), 7, "value stored");
        assertEq(registry.lastCaller(), address(this), "lastCaller");

        bytes memory ret = actor.exec(address(registry), abi.encodeCall(Registry.set, (9)));
        assertEq(abi.decode(ret, (uint256)), 7, "previous returned to second caller");
        assertEq(registry.value(), 9, "value overwritten");
        assertEq(registry.lastCaller(), address(actor), "lastCaller follows msg.sender");
    }

    function test_WhoCalls() public {
        assertEq(registry.whoCalls(), address(this), "direct caller");
        bytes memory ret = actor.exec(address(registry), abi.encodeCall(Registry.whoCalls, ()));
        assertEq(abi.decode(ret, (address)), address(actor), "caller through actor");
    }

    // ---- deposit --------------------------------------------------------------

    function test_DepositAccumulatesPerSender() public {
        assertEq(registry.deposit{value: 1 ether}(), 1 ether, "first total");
        assertEq(registry.deposit{value: 2 ether}(), 3 ether, "running total");
        assertEq(registry.deposits(address(this)), 3 ether, "deposits[this]");

        bytes memory ret = actor.exec{value: 5 wei}(address(registry), abi.encodeCall(Registry.deposit, ()));
        assertEq(abi.decode(ret, (uint256)), 5 wei, "separate total per sender");
        assertEq(registry.deposits(address(actor)), 5 wei, "deposits[actor]");
        assertEq(registry.deposits(address(this)), 3 ether, "deposits[this] untouched");
        assertEq(address(registry).balance, 3 ether + 5 wei, "ether held by the registry");
    }

    function test_RevertWhen_ValueSentToNonPayable() public {
        // Only deposit() is payable; ether sent with set() must be refused.
        (bool ok,) = address(registry).call{value: 1}(abi.encodeCall(Registry.set, (1)));
        require(!ok, "set accepted ether");
        assertEq(registry.value(), 0, "value unchanged");
    }

    // ---- reverts --------------------------------------------------------------

    function test_FailRevertsWithReason() public {
        assertRevert(address(registry), abi.encodeCall(Registry.fail, ("boom")), failed("boom"), "fail");
        // Also decode it the way a client would.
        try registry.fail("a longer reason that spans more than one 32-byte word") {
            revert("fail returned");
        } catch (bytes memory reason) {
            // Safe: revert data of a custom error is at least its 4-byte selector.
            // forge-lint: disable-next-line(unsafe-typecast)
            require(bytes4(reason) == Registry.Failed.selector, "selector");
            bytes memory args = new bytes(reason.length - 4);
            for (uint256 i = 0; i < args.length; i++) {
                args[i] = reason[i + 4];
            }
            require(
                keccak256(bytes(abi.decode(args, (string))))
                    == keccak256("a longer reason that spans more than one 32-byte word"),
                "decoded reason"
            );
        }
    }

    function test_SetThenFailRollsBackTheWrite() public {
        registry.set(5);
        // Through the actor, so a leaked write would also change lastCaller.
        assertRevert(
            address(actor),
            abi.encodeCall(Actor.exec, (address(registry), abi.encodeCall(Registry.setThenFail, (9)))),
            failed("after write"),
            "setThenFail"
        );
        assertEq(registry.value(), 5, "value rolled back");
        assertEq(registry.lastCaller(), address(this), "lastCaller rolled back");
    }

    // ---- callBack -------------------------------------------------------------

    function test_CallBackReturnsCalleeResult() public {
        registry.set(3);
        bytes memory ret = registry.callBack(address(registry), abi.encodeCall(Registry.set, (42)));
        assertEq(abi.decode(ret, (uint256)), 3, "inner set's return data");
        assertEq(registry.value(), 42, "inner set took effect");
        assertEq(registry.lastCaller(), address(registry), "inner msg.sender is the registry");

        ret = registry.callBack(address(registry), abi.encodeCall(Registry.whoCalls, ()));
        assertEq(abi.decode(ret, (address)), address(registry), "whoCalls through callBack");
    }

    function test_CallBackReentersCaller() public {
        // this -> registry.callBack -> this.reenterSet -> registry.set
        registry.set(1);
        bytes memory ret = registry.callBack(address(this), abi.encodeCall(this.reenterSet, (77)));
        assertEq(abi.decode(ret, (uint256)), 1, "previous value through two frames");
        assertEq(registry.value(), 77, "re-entrant write kept");
        assertEq(registry.lastCaller(), address(this), "innermost msg.sender");
    }

    function test_CallBackBubblesRevertVerbatim() public {
        assertRevert(
            address(registry),
            abi.encodeCall(Registry.callBack, (address(registry), abi.encodeCall(Registry.fail, ("deep")))),
            failed("deep"),
            "one level"
        );
        // Two levels, with a write in the innermost frame that must unwind.
        registry.set(5);
        bytes memory inner = abi.encodeCall(Registry.setThenFail, (9));
        bytes memory middle = abi.encodeCall(Registry.callBack, (address(registry), inner));
        assertRevert(
            address(registry),
            abi.encodeCall(Registry.callBack, (address(registry), middle)),
            failed("after write"),
            "two levels"
        );
        assertEq(registry.value(), 5, "nested write rolled back");
        assertEq(registry.lastCaller(), address(this), "nested lastCaller rolled back");
    }

    function test_CallBackBubblesEmptyRevert() public {
        assertRevert(
            address(registry),
            abi.encodeCall(Registry.callBack, (address(actor), abi.encodeCall(Actor.revertEmpty, ()))),
            "",
            "empty revert data"
        );
    }

    function test_CallBackToAccountWithoutCode() public {
        // A plain account accepts any call and returns nothing.
        bytes memory ret = registry.callBack(address(0xBEEF), hex"12345678");
        assertEq(ret.length, 0, "no return data");
    }
}
