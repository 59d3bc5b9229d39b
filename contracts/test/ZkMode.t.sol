// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, Mode} from "../src/Rollup.sol";
import {AttestationVerifier} from "../src/AttestationVerifier.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {RollupFixture} from "./helpers/RollupFixture.sol";

/// AttestationVerifier on its own, and as the verifier of a Zk-mode Rollup (proveBatch).
contract ZkModeTest is RollupFixture {
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141; // secp256k1 order

    AttestationVerifier internal verifier;
    // Signer keys and addresses, sorted by address ascending.
    uint256[3] internal keys;
    address[3] internal signers;
    uint256 internal constant OUTSIDER_KEY = 0xBEEF;

    function setUp() public {
        uint256[3] memory k = [uint256(0xA1), 0xA2, 0xA3];
        // Insertion sort by address so signatures can be laid out in the required order.
        for (uint256 i = 0; i < 3; i++) {
            for (uint256 j = i + 1; j < 3; j++) {
                if (vm.addr(k[j]) < vm.addr(k[i])) (k[i], k[j]) = (k[j], k[i]);
            }
        }
        address[] memory set = new address[](3);
        for (uint256 i = 0; i < 3; i++) {
            keys[i] = k[i];
            signers[i] = vm.addr(k[i]);
            set[i] = signers[i];
        }
        verifier = new AttestationVerifier(set, 2);
        _deploy(Mode.Zk, verifier);
    }

    // ---- helpers ------------------------------------------------------------------------

    function _digest(bytes32 h) internal pure returns (bytes32) {
        return keccak256(bytes.concat("\x19Ethereum Signed Message:\n32", h));
    }

    function _sig(uint256 key, bytes32 h) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _digest(h));
        return abi.encodePacked(r, s, v);
    }

    /// The same signature with s' = n - s and the other recovery id: valid ECDSA, but malleable.
    function _highS(uint256 key, bytes32 h) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _digest(h));
        return abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function _commitAndHash() internal returns (bytes32) {
        _commitNext();
        return rollup.publicInputsHash(1);
    }

    // ---- verifier construction ------------------------------------------------------------

    function test_VerifierConfig() public {
        assertEq(verifier.threshold(), 2, "threshold");
        for (uint256 i = 0; i < 3; i++) {
            assertTrue(verifier.isSigner(signers[i]), "signer");
        }
        assertFalse(verifier.isSigner(vm.addr(OUTSIDER_KEY)), "outsider");
        assertFalse(verifier.isSigner(address(0)), "zero");
    }

    function test_RevertWhen_VerifierBadConfig() public {
        address[] memory set = new address[](2);
        set[0] = address(0x1111);
        set[1] = address(0x2222);
        vm.expectRevert(abi.encodeWithSelector(AttestationVerifier.InvalidThreshold.selector, 0, 2));
        new AttestationVerifier(set, 0);
        vm.expectRevert(abi.encodeWithSelector(AttestationVerifier.InvalidThreshold.selector, 3, 2));
        new AttestationVerifier(set, 3);
        set[1] = address(0);
        vm.expectRevert(AttestationVerifier.ZeroSigner.selector);
        new AttestationVerifier(set, 1);
        set[1] = address(0x1111);
        vm.expectRevert(abi.encodeWithSelector(AttestationVerifier.DuplicateSigner.selector, address(0x1111)));
        new AttestationVerifier(set, 1);
    }

    // ---- verify -------------------------------------------------------------------------------

    function test_VerifyValidTwoOfThree() public {
        bytes32 h = keccak256("public inputs");
        assertTrue(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[1], h))), "signers 0,1");
        assertTrue(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[2], h))), "signers 0,2");
        assertTrue(verifier.verify(h, bytes.concat(_sig(keys[1], h), _sig(keys[2], h))), "signers 1,2");
        assertTrue(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[1], h), _sig(keys[2], h))), "all three");
    }

    function test_VerifyAcceptsRawRecoveryId() public {
        bytes32 h = keccak256("public inputs");
        bytes memory a = _sig(keys[0], h);
        bytes memory b = _sig(keys[1], h);
        a[64] = bytes1(uint8(a[64]) - 27);
        b[64] = bytes1(uint8(b[64]) - 27);
        assertTrue(verifier.verify(h, bytes.concat(a, b)), "v in {0,1}");
        b[64] = bytes1(uint8(29));
        assertFalse(verifier.verify(h, bytes.concat(a, b)), "v = 29");
    }

    function test_VerifyRejectsTooFewSignatures() public {
        bytes32 h = keccak256("public inputs");
        assertFalse(verifier.verify(h, _sig(keys[0], h)), "1 of 2");
        assertFalse(verifier.verify(h, ""), "none");
    }

    function test_VerifyRejectsUnsortedOrDuplicateSigners() public {
        bytes32 h = keccak256("public inputs");
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[1], h), _sig(keys[0], h))), "descending");
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[0], h))), "duplicate");
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[2], h), _sig(keys[1], h))), "2 then 1");
    }

    function test_VerifyRejectsWrongHashOrSigner() public {
        bytes32 h = keccak256("public inputs");
        bytes32 other = keccak256("other inputs");
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], other), _sig(keys[1], other))), "wrong hash");
        // Signing the raw hash (no EIP-191 prefix) is not an attestation.
        (uint8 v0, bytes32 r0, bytes32 s0) = vm.sign(keys[0], h);
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(keys[1], h);
        assertFalse(verifier.verify(h, abi.encodePacked(r0, s0, v0, r1, s1, v1)), "unprefixed");
        // An outsider cannot stand in for a signer, wherever it sorts.
        bytes memory outsider = _sig(OUTSIDER_KEY, h);
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], h), outsider)), "outsider after");
        assertFalse(verifier.verify(h, bytes.concat(outsider, _sig(keys[2], h))), "outsider before");
        // Garbage that does not recover (r = 0).
        bytes memory junk = new bytes(65);
        junk[64] = bytes1(uint8(27));
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], h), junk)), "unrecoverable");
    }

    function test_VerifyRejectsHighS() public {
        bytes32 h = keccak256("public inputs");
        bytes memory high = _highS(keys[1], h);
        // The twin really recovers to the same signer, so only the s bound rejects it.
        bytes32 r;
        bytes32 sHigh;
        assembly ("memory-safe") {
            r := mload(add(high, 32))
            sHigh := mload(add(high, 64))
        }
        assertTrue(uint256(sHigh) > N / 2, "s is high");
        assertEq(ecrecover(_digest(h), uint8(high[64]), r, sHigh), signers[1], "twin recovers");
        assertFalse(verifier.verify(h, bytes.concat(_sig(keys[0], h), high)), "malleable twin rejected");
        assertTrue(verifier.verify(h, bytes.concat(_sig(keys[0], h), _sig(keys[1], h))), "low-s original ok");
    }

    function test_VerifyRejectsBadLength() public {
        bytes32 h = keccak256("public inputs");
        bytes memory good = bytes.concat(_sig(keys[0], h), _sig(keys[1], h));
        assertFalse(verifier.verify(h, bytes.concat(good, hex"00")), "one byte too many");
        bytes memory short = new bytes(good.length - 1);
        for (uint256 i = 0; i < short.length; i++) {
            short[i] = good[i];
        }
        assertFalse(verifier.verify(h, short), "one byte short");
        assertFalse(verifier.verify(h, new bytes(64)), "64 bytes");
    }

    // ---- Rollup in Zk mode --------------------------------------------------------------------

    function test_ProveBatch() public {
        bytes32 h = _commitAndHash();
        bytes memory proof = bytes.concat(_sig(keys[0], h), _sig(keys[2], h));
        vm.expectEmit();
        emit Rollup.BatchFinalized(1);
        vm.prank(STRANGER); // anyone may submit the proof
        rollup.proveBatch(1, proof);
        assertTrue(rollup.isFinalized(1), "finalized");
        assertEq(rollup.lastFinalizedBatch(), 1, "lastFinalizedBatch");
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 1));
        rollup.proveBatch(1, proof);
    }

    function test_RevertWhen_ProofInvalid() public {
        bytes32 h = _commitAndHash();
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveBatch(1, _sig(keys[0], h)); // too few
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveBatch(1, bytes.concat(_sig(keys[1], h), _sig(keys[0], h))); // unsorted
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveBatch(1, bytes.concat(_sig(keys[0], h), _sig(keys[0], h))); // duplicate
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveBatch(1, bytes.concat(_sig(keys[0], h), _highS(keys[1], h))); // high s
        // Attestations of a different journal (e.g. another chain id) do not prove this batch.
        bytes32 wrong = keccak256(abi.encodePacked(CHAIN_ID + 1, h));
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveBatch(1, bytes.concat(_sig(keys[0], wrong), _sig(keys[1], wrong)));
        assertFalse(rollup.isFinalized(1), "still pending");
    }

    function test_RevertWhen_ProveOutOfOrderOrUncommitted() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 1));
        rollup.proveBatch(1, "");
        _commitNext();
        _commitNext();
        bytes32 h2 = rollup.publicInputsHash(2);
        // Proven out of order: accepted, but final only once batch 1 is.
        rollup.proveBatch(2, bytes.concat(_sig(keys[0], h2), _sig(keys[1], h2)));
        assertTrue(rollup.batch(2).proven, "batch 2 proven");
        assertEq(uint256(rollup.lastFinalizedBatch()), 0, "nothing final yet");
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotNextBatch.selector, 2, 1));
        rollup.finalizeBatch(2);
        bytes32 h1 = rollup.publicInputsHash(1);
        rollup.proveBatch(1, bytes.concat(_sig(keys[0], h1), _sig(keys[1], h1)));
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "batch 1 final with its proof");
        rollup.finalizeBatch(2); // already proven: no window, no second proof
        assertEq(uint256(rollup.lastFinalizedBatch()), 2, "batch 2 final");
    }

    function test_RevertWhen_ZkCommitWithValue() public {
        BatchHeader memory h = _next();
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, BOND, 0));
        vm.prank(PROPOSER);
        rollup.commitBatch{value: BOND}(h, hex"01");
        _commit(h); // no value: fine
        assertEq(rollup.batch(1).bond, 0, "no bond in Zk mode");
    }

    function test_RevertWhen_FinalizeUnprovenInZkMode() public {
        _commitNext();
        vm.warp(START + CHALLENGE_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotProven.selector, 1));
        rollup.finalizeBatch(1);
        vm.expectRevert(Rollup.WrongMode.selector);
        rollup.challenge(1);
    }
}
