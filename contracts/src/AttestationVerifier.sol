// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVerifier} from "./IVerifier.sol";
import {Attestations} from "./utils/Attestations.sol";

/// @notice M-of-N ECDSA attestation verifier: the consensus of Mosaic's hybrid producers,
/// standing in for a validity proof. A proof is the concatenation of 65-byte
/// signatures (r ‖ s ‖ v) over the EIP-191 personal-sign hash of the batch's
/// public inputs hash, ordered by strictly ascending signer address.
/// @dev The signer set and threshold are fixed at deployment; rotating them means
/// deploying a new verifier (the Rollup's verifier is immutable too, so a
/// rotation is a new deployment either way).
contract AttestationVerifier is IVerifier {
    /// @notice How many distinct signers must attest for `verify` to return true.
    uint256 public immutable threshold;
    /// @notice Whether an address belongs to the signer set.
    mapping(address => bool) public isSigner;

    /// @notice The threshold is zero or larger than the signer set.
    error InvalidThreshold(uint256 threshold, uint256 signers);
    /// @notice The zero address cannot be a signer (ecrecover returns it for invalid signatures).
    error ZeroSigner();
    /// @notice The same signer was listed twice.
    error DuplicateSigner(address signer);

    constructor(address[] memory signers, uint256 threshold_) {
        if (threshold_ == 0 || threshold_ > signers.length) revert InvalidThreshold(threshold_, signers.length);
        for (uint256 i = 0; i < signers.length; i++) {
            address signer = signers[i];
            if (signer == address(0)) revert ZeroSigner();
            if (isSigner[signer]) revert DuplicateSigner(signer);
            isSigner[signer] = true;
        }
        threshold = threshold_;
    }

    /// @notice True iff `proof` holds at least `threshold` signatures over `publicInputsHash`,
    /// every one a low-s signature by a distinct signer, in strictly ascending signer order.
    /// @dev Strict: any malformed, high-s, non-signer or out-of-order signature makes the whole
    /// proof invalid (the producer builds it, so junk in it is a bug worth surfacing). Returns
    /// false rather than reverting, so callers see one failure mode.
    function verify(bytes32 publicInputsHash, bytes calldata proof) external view returns (bool) {
        uint256 count = Attestations.count(proof);
        if (count == 0 || count < threshold) return false;
        bytes32 digest = Attestations.digest(publicInputsHash);
        address previous = address(0);
        for (uint256 i = 0; i < count; i++) {
            address signer = Attestations.signerAt(proof, i, digest, previous);
            if (signer == address(0) || !isSigner[signer]) return false;
            previous = signer;
        }
        return true;
    }
}
