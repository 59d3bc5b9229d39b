// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Attestations: 65-byte ECDSA signatures (r ‖ s ‖ v) over the EIP-191 personal-sign hash of a
/// 32-byte statement, concatenated in strictly ascending signer order (so duplicates show in one pass).
library Attestations {
    /// Signatures with s above this are the malleable twin of a valid one (EIP-2).
    uint256 internal constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// Bytes of one signature.
    uint256 internal constant LENGTH = 65;

    /// The hash each attestation signs: `keccak256("\x19Ethereum Signed Message:\n32" ‖ statement)`.
    function digest(bytes32 statement) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", statement));
    }

    /// How many signatures `sigs` holds, or 0 if its length is not a whole number of them.
    function count(bytes calldata sigs) internal pure returns (uint256) {
        return sigs.length % LENGTH == 0 ? sigs.length / LENGTH : 0;
    }

    /// The signer of signature `i` of `sigs` over `digest_`, or the zero address if it is malformed,
    /// high-s, or not strictly above `previous` (out of order or repeated). Both the Ethereum (27/28) and
    /// the raw (0/1) recovery ids are accepted.
    function signerAt(bytes calldata sigs, uint256 i, bytes32 digest_, address previous)
        internal
        pure
        returns (address signer)
    {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            let p := add(sigs.offset, mul(i, 65))
            r := calldataload(p)
            s := calldataload(add(p, 32))
            v := byte(0, calldataload(add(p, 64)))
        }
        if (uint256(s) > HALF_CURVE_ORDER) return address(0);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) return address(0);
        signer = ecrecover(digest_, v, r, s);
        // ecrecover yields 0 on failure; previous is at least 0, so this also rejects that.
        if (signer <= previous) return address(0);
    }
}
