// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A second account: forge-std (and its vm.prank) is not available offline,
/// so calls made through a separate contract get a distinct msg.sender.
contract Actor {
    /// Calls `target` with `data` (and any value sent along), re-throwing the
    /// callee's revert data unchanged so tests can compare it byte for byte.
    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    /// For tests of callBack's bubbling of empty revert data.
    function revertEmpty() external pure {
        revert();
    }

    receive() external payable {}
}

/// Tiny assertion helpers in place of forge-std. They revert with a custom
/// error so forge's trace shows the label and both values on failure.
abstract contract Assertions {
    error NotEqual(string what, uint256 actual, uint256 expected);
    error NotEqualAddress(string what, address actual, address expected);
    error WrongRevertData(string what, bytes actual, bytes expected);
    error DidNotRevert(string what);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert NotEqual(what, actual, expected);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualAddress(what, actual, expected);
    }

    /// Makes a raw call and requires it to revert with exactly `expected`.
    function assertRevert(address target, bytes memory data, bytes memory expected, string memory what) internal {
        (bool ok, bytes memory reason) = target.call(data);
        if (ok) revert DidNotRevert(what);
        if (keccak256(reason) != keccak256(expected)) revert WrongRevertData(what, reason, expected);
    }
}
