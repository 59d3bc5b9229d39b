// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Rejects re-entry into any `nonReentrant` function of the inheriting contract.
abstract contract ReentrancyGuard {
    // 1 = unlocked, 2 = locked: both non-zero, so taking and releasing the
    // lock never pays for a zero-to-non-zero storage write.
    uint256 private _lock = 1;

    /// @notice A `nonReentrant` function was entered while another one was running.
    error Reentrancy();

    modifier nonReentrant() {
        if (_lock != 1) revert Reentrancy();
        _lock = 2;
        _;
        _lock = 1;
    }
}
