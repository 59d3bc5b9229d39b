// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A mock Rollup for the Bridge's deposit unit tests: deposits read only whether the Rollup is frozen,
/// and this one never is.
contract MockRollup {
    bool public frozen;
}
