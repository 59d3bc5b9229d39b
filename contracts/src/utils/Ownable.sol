// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Single-step ownership: one address may call `onlyOwner` functions.
abstract contract Ownable {
    /// @notice The current owner.
    address public owner;

    /// @notice Emitted on construction and on every ownership transfer.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice `caller` is not the owner.
    error NotOwner(address caller);
    /// @notice The zero address cannot own the contract (that would silently renounce it).
    error InvalidOwner();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address initialOwner) {
        _transferOwnership(initialOwner);
    }

    /// @notice Hands ownership to `newOwner` (non-zero) in one step.
    function transferOwnership(address newOwner) external onlyOwner {
        _transferOwnership(newOwner);
    }

    function _transferOwnership(address newOwner) private {
        if (newOwner == address(0)) revert InvalidOwner();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
