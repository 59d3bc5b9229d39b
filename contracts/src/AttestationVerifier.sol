// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVerifier} from "./IVerifier.sol";

/// @notice M-of-N ECDSA attestation verifier: the consensus of Mosaic's hybrid producers,
/// standing in for a validity proof. A proof is the concatenation of 65-byte
/// signatures (r ‖ s ‖ v) over the EIP-191 personal-sign hash of the batch's
/// public inputs hash, ordered by strictly ascending signer address.
/// @dev The signer set and threshold are fixed at deployment; rotating them means
/// deploying a new verifier (the Rollup's verifier is immutable too, so a
/// rotation is a new deployment either way).
contract AttestationVerifier is IVerifier {
    /// Signatures with s above this are the malleable twin of a valid one (EIP-2).
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant SIGNATURE_LENGTH = 65;

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
        uint256 count = proof.length / SIGNATURE_LENGTH;
        if (count == 0 || proof.length % SIGNATURE_LENGTH != 0 || count < threshold) return false;
        bytes32 digest = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", publicInputsHash));
        // Ascending order makes duplicates detectable in one pass with no memory.
        address previous = address(0);
        for (uint256 i = 0; i < count; i++) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let p := add(proof.offset, mul(i, 65))
                r := calldataload(p)
                s := calldataload(add(p, 32))
                v := byte(0, calldataload(add(p, 64)))
            }
            if (uint256(s) > HALF_CURVE_ORDER) return false;
            // Accept both the Ethereum (27/28) and the raw (0/1) recovery id.
            if (v < 27) v += 27;
            if (v != 27 && v != 28) return false;
            address signer = ecrecover(digest, v, r, s);
            // ecrecover yields 0 on failure; previous starts at 0, so this also rejects that.
            if (signer <= previous || !isSigner[signer]) return false;
            previous = signer;
        }
        return true;
    }
}
