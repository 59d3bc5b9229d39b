// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Checks a validity proof (a zk proof, or producer attestations) for one batch.
interface IVerifier {
    /// @notice True iff `proof` attests to the batch whose public inputs hash to `publicInputsHash`.
    function verify(bytes32 publicInputsHash, bytes calldata proof) external view returns (bool);
}
