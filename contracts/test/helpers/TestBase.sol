// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm, VM} from "../Cheats.sol";

/// Cheatcodes plus tiny assertion helpers in place of forge-std. Failures revert
/// with a custom error so forge's trace shows the label and both values.
abstract contract TestBase {
    Vm internal constant vm = VM;

    error NotEqual(string what, uint256 actual, uint256 expected);
    error NotEqualAddress(string what, address actual, address expected);
    error NotEqualBytes32(string what, bytes32 actual, bytes32 expected);
    error NotEqualBytes(string what, bytes actual, bytes expected);
    error NotTrue(string what);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert NotEqual(what, actual, expected);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualAddress(what, actual, expected);
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualBytes32(what, actual, expected);
    }

    function assertEq(bytes memory actual, bytes memory expected, string memory what) internal pure {
        if (keccak256(actual) != keccak256(expected)) revert NotEqualBytes(what, actual, expected);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert NotTrue(what);
    }

    function assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert NotTrue(what);
    }
}

/// A contract account for tests that need a contract as msg.sender.
contract Actor {
    /// Calls `target` with `data` and any value sent along, re-throwing the
    /// callee's revert data unchanged.
    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable virtual {}
}

/// The withdrawals tree written out independently of Bridge.sol (and like the Rust
/// side's merkle_root/merkle_proof): node = keccak256(left ‖ right), an odd last node
/// pairs with zero, one leaf is its own root.
library TestMerkle {
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return keccak256(bytes.concat(a, b));
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return bytes32(0);
        bytes32[] memory level = leaves;
        while (level.length > 1) level = _up(level);
        return level[0];
    }

    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = 0;
        for (uint256 n = leaves.length; n > 1; n = (n + 1) / 2) {
            depth++;
        }
        siblings = new bytes32[](depth);
        bytes32[] memory level = leaves;
        for (uint256 d = 0; d < depth; d++) {
            uint256 sib = index ^ 1;
            siblings[d] = sib < level.length ? level[sib] : bytes32(0);
            level = _up(level);
            index /= 2;
        }
    }

    function _up(bytes32[] memory level) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 i = 0; i < next.length; i++) {
            bytes32 right = 2 * i + 1 < level.length ? level[2 * i + 1] : bytes32(0);
            next[i] = hashPair(level[2 * i], right);
        }
    }
}
