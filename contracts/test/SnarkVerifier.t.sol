// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SnarkVerifier} from "../src/snark/SnarkVerifier.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {Halo2Artifact} from "./helpers/Halo2Artifact.sol";

/// The generated halo2 verifier behind SnarkVerifier, on the committed real SNARK of a one-transfer
/// batch (test/snark/fixture.json, written by scripts/update-snark-fixture.sh): it verifies (gas logged and
/// bounded), and a changed journal hash, accumulator, proof word or pinned program is refused.
contract SnarkVerifierTest is Halo2Artifact {
    /// Issue #6's target for one verification (SnarkVerifier call, halo2 verifier included): the
    /// single-column wrapper's proof (22 ecMul, one pairing check for its own opening and the inner
    /// proof's accumulator) stays under it.
    uint256 internal constant GAS_CEILING = 350_000;

    event log_named_uint(string key, uint256 val);

    address internal halo2;
    SnarkVerifier internal verifier;
    bytes32 internal journalHash;
    bytes internal proof;
    bytes32 internal exe;
    bytes32 internal vmCommit;

    function setUp() public {
        string memory json = vm.readFile("./test/snark/fixture.json");
        journalHash = vm.parseJsonBytes32(json, ".journalHash");
        proof = vm.parseJsonBytes(json, ".proof");
        exe = vm.parseJsonBytes32(json, ".appExeCommit");
        vmCommit = vm.parseJsonBytes32(json, ".appVmCommit");
        halo2 = _deployHalo2Verifier();
        verifier = new SnarkVerifier(halo2, exe, vmCommit);
    }

    function test_RealSnarkVerifies() public {
        // Copied out of storage first: the measured gas is the verification's, not this test's
        // storage reads of the proof.
        bytes memory proofBytes = proof;
        uint256 before = gasleft();
        bool ok = verifier.verify(journalHash, proofBytes);
        uint256 used = before - gasleft();
        assertTrue(ok, "the committed SNARK does not verify");
        emit log_named_uint("SnarkVerifier.verify gas", used);
        emit log_named_uint("Halo2Verifier code size", halo2.code.length);
        assertTrue(used <= GAS_CEILING, "verification gas grew past its ceiling");
    }

    function test_ChangedJournalHashIsRefused() public view {
        for (uint256 i = 0; i < 32; i += 5) {
            bytes32 other = journalHash ^ bytes32(uint256(1) << (8 * i));
            assertFalse(verifier.verify(other, proof), "a changed journal hash verified");
        }
    }

    function test_ChangedProofIsRefused() public view {
        uint256 words = proof.length / 32;
        for (uint256 w = 0; w < words; w += 7) {
            bytes memory forged = bytes.concat(proof);
            forged[w * 32 + 31] = bytes1(uint8(forged[w * 32 + 31]) ^ 1);
            assertFalse(verifier.verify(journalHash, forged), "a changed proof word verified");
        }
        bytes memory shortProof = new bytes(proof.length - 32);
        for (uint256 i = 0; i < shortProof.length; i++) {
            shortProof[i] = proof[i];
        }
        assertFalse(verifier.verify(journalHash, shortProof), "a truncated proof verified");
        assertFalse(verifier.verify(journalHash, ""), "an empty proof verified");
        assertFalse(verifier.verify(journalHash, new bytes(12 * 32 - 1)), "less than an accumulator verified");
    }

    /// The accumulator (the first 12 words) is what the inner proof's pairing check runs on: each limb
    /// counts.
    function test_ChangedAccumulatorIsRefused() public view {
        for (uint256 w = 0; w < 12; w++) {
            bytes memory forged = bytes.concat(proof);
            forged[w * 32 + 31] = bytes1(uint8(forged[w * 32 + 31]) ^ 1);
            assertFalse(verifier.verify(journalHash, forged), "a changed accumulator limb verified");
        }
    }

    function test_OtherProgramIsRefused() public {
        IVerifier other = new SnarkVerifier(halo2, exe ^ bytes32(uint256(1)), vmCommit);
        assertFalse(other.verify(journalHash, proof), "a proof of another program verified");
        other = new SnarkVerifier(halo2, exe, vmCommit ^ bytes32(uint256(1)));
        assertFalse(other.verify(journalHash, proof), "a proof under another VM verified");
    }

    function test_VerifierMustHaveCode() public {
        vm.expectRevert(abi.encodeWithSelector(SnarkVerifier.NoVerifierCode.selector, address(0xdead)));
        new SnarkVerifier(address(0xdead), exe, vmCommit);
    }
}
