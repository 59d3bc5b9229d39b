// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The EVM contract that Wasm contracts call across VMs. Each function
/// exercises one thing a cross-VM call must get right: calldata and return
/// values (`set`), msg.sender (`lastCaller`, `whoCalls`), msg.value (`deposit`),
/// revert data (`fail`), rolling back writes and logs of a reverted frame
/// (`setThenFail`), and re-entering the caller's VM (`callBack`).
contract Registry {
    uint256 public value;
    address public lastCaller;
    mapping(address => uint256) public deposits;

    event ValueSet(address indexed caller, uint256 previous, uint256 value);
    event Deposited(address indexed from, uint256 amount, uint256 total);

    error Failed(string reason);

    /// Returns the old value so the caller can check it decoded the return data.
    function set(uint256 v) external returns (uint256 previous) {
        previous = value;
        value = v;
        lastCaller = msg.sender;
        emit ValueSet(msg.sender, previous, v);
    }

    /// Credits msg.value to msg.sender and returns the sender's running total.
    function deposit() external payable returns (uint256 total) {
        total = deposits[msg.sender] + msg.value;
        deposits[msg.sender] = total;
        emit Deposited(msg.sender, msg.value, total);
    }

    /// Always reverts with `Failed(reason)`, so callers can check that the
    /// revert data (a custom error with a dynamic argument) arrives intact.
    function fail(string calldata reason) external pure {
        revert Failed(reason);
    }

    /// Writes storage and emits a log, then reverts: after the call, `value`,
    /// `lastCaller` and the log must all be as if it never ran.
    function setThenFail(uint256 v) external {
        uint256 previous = value;
        value = v;
        lastCaller = msg.sender;
        emit ValueSet(msg.sender, previous, v);
        revert Failed("after write");
    }

    /// Calls `target` with `data` (msg.sender there is this contract). On
    /// failure the callee's revert data is re-thrown byte for byte, so an error
    /// raised deep inside the other VM reaches the original caller unchanged.
    function callBack(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        return result;
    }

    /// Lets the caller check which address the callee sees as msg.sender.
    function whoCalls() external view returns (address) {
        return msg.sender;
    }
}
