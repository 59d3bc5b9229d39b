// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup, BatchHeader, BatchOutputs, HybridTerms, Mode} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {SnarkVerifier} from "../src/snark/SnarkVerifier.sol";
import {SnarkFixture} from "./helpers/SnarkFixture.sol";

/// The Hybrid game with a real SNARK: the committed fixture (test/snark/fixture.json) proves the true
/// journal of batch 1 of the one-transfer sample chain (test/snark/batch.json). A proposer that commits
/// another root for that batch is challenged and defrauded; the true root cannot be; timeouts go both
/// ways; a proof of another batch, chain or program, or with a changed input, is refused.
contract HybridGameTest is SnarkFixture {
    address internal constant OWNER = address(0x0A11);
    address internal constant PROPOSER = address(0xB0B);
    address internal constant HONEST = address(0x600D);
    address internal constant CHALLENGER = address(0xC4A1);
    address internal constant PROVER = address(0x9409);

    uint64 internal constant WINDOW = 1 days;
    uint64 internal constant PROOF_WINDOW = 12 hours;
    uint96 internal constant BOND = 1 ether;
    uint96 internal constant CHALLENGER_BOND = 0.25 ether;
    uint64 internal constant SWITCH_DELAY = 1 hours;
    uint96 internal constant PRODUCER_STAKE = 2 ether;
    uint256 internal constant START = 1_700_000_000;

    Rollup internal rollup;

    function setUp() public {
        vm.warp(START);
        _loadSnarkFixture();
        rollup = _rollup(verifier, _chainId());
        vm.deal(PROPOSER, 10 ether);
        vm.deal(HONEST, 10 ether);
        vm.deal(CHALLENGER, 10 ether);
    }

    function _rollup(SnarkVerifier v, uint64 chainId) internal returns (Rollup r) {
        r = _rollupWith(v, chainId, 1 days);
    }

    /// The fixture's Rollup with `v`, on chain `chainId`, and the inclusion deadline `deadline`.
    function _rollupWith(SnarkVerifier v, uint64 chainId, uint64 deadline) internal returns (Rollup r) {
        r = new Rollup(
            OWNER,
            v,
            Mode.Hybrid,
            chainId,
            vm.parseJsonBytes32(batchJson, ".configHash"),
            vm.parseJsonBytes32(batchJson, ".genesisStateRoot"),
            vm.parseJsonBytes32(batchJson, ".genesisBlockHash"),
            HybridTerms(WINDOW, PROOF_WINDOW, BOND, CHALLENGER_BOND, SWITCH_DELAY, PRODUCER_STAKE, 7 days, 1 days),
            deadline
        );
        Bridge bridge = new Bridge(address(r));
        vm.startPrank(OWNER);
        r.setBridge(address(bridge));
        r.setProposer(PROPOSER, true);
        r.setProposer(HONEST, true);
        vm.stopPrank();
    }

    /// What batch 1's data really produces (the SNARK's journal).
    function _truth() internal view returns (BatchOutputs memory t) {
        t.postStateRoot = vm.parseJsonBytes32(batchJson, ".postStateRoot");
        t.withdrawalsRoot = vm.parseJsonBytes32(batchJson, ".withdrawalsRoot");
        t.lastBlockHash = vm.parseJsonBytes32(batchJson, ".lastBlockHash");
        t.lastBlock = uint64(vm.parseJsonUint(batchJson, ".lastBlock"));
        t.l1MessageCursor = 0;
    }

    /// Batch 1 as an honest sequencer posts it.
    function _header() internal view returns (BatchHeader memory h) {
        BatchOutputs memory t = _truth();
        h.index = 1;
        h.firstBlock = 1;
        h.lastBlock = t.lastBlock;
        h.prevStateRoot = vm.parseJsonBytes32(batchJson, ".genesisStateRoot");
        h.postStateRoot = t.postStateRoot;
        h.withdrawalsRoot = t.withdrawalsRoot;
        h.lastBlockHash = t.lastBlockHash;
    }

    /// Batch 1 with a state root its data does not produce.
    function _lie() internal view returns (BatchHeader memory h) {
        h = _header();
        h.postStateRoot = keccak256("a state root that mints the proposer a fortune");
    }

    function _data() internal view returns (bytes memory) {
        return vm.parseJsonBytes(batchJson, ".data");
    }

    function _commit(Rollup r, address proposer, BatchHeader memory h, bytes memory data) internal {
        vm.prank(proposer);
        r.commitBatch{value: BOND}(h, data);
    }

    /// Batch 2 chained onto whatever batch 1 claimed.
    function _commitSecond(Rollup r, address proposer) internal {
        _commit(r, proposer, _second(r), hex"02");
    }

    /// A batch 2 of one block chained onto whatever batch 1 claimed.
    function _second(Rollup r) internal view returns (BatchHeader memory h) {
        h.index = 2;
        h.firstBlock = r.batch(1).lastBlock + 1;
        h.lastBlock = h.firstBlock;
        h.prevStateRoot = r.batch(1).postStateRoot;
        h.postStateRoot = keccak256("batch 2 root");
        h.lastBlockHash = keccak256("batch 2 block");
    }

    function _challenge(Rollup r, uint64 index) internal {
        vm.prank(CHALLENGER);
        r.challenge{value: CHALLENGER_BOND}(index);
    }

    // ---- fraud proven ---------------------------------------------------------------

    function test_WrongRootIsDefraudedAndEverythingAfterItReverted() public {
        _commit(rollup, PROPOSER, _lie(), _data());
        _commitSecond(rollup, PROPOSER);

        // Challenged in the last second of its window.
        vm.warp(START + WINDOW - 1);
        uint64 deadline = uint64(START + WINDOW - 1 + PROOF_WINDOW);
        vm.expectEmit();
        emit Rollup.BatchChallenged(1, CHALLENGER, deadline);
        uint256 before = gasleft();
        _challenge(rollup, 1);
        emit log_named_uint("Rollup.challenge gas", before - gasleft());

        // A challenged batch cannot finalize, even after its window, and neither can any later one.
        vm.warp(START + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchUnderChallenge.selector, 1, deadline));
        rollup.finalizeBatch(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotNextBatch.selector, 2, 1));
        rollup.finalizeBatch(2);
        vm.warp(deadline); // the last second the proof is accepted

        // Anyone may bring the fraud proof; its reward goes to whoever does.
        BatchOutputs memory truth = _truth();
        bytes memory proofBytes = proof;
        uint256 contractBalance = address(rollup).balance;
        vm.expectEmit();
        emit Rollup.BatchesReverted(1, 2);
        vm.expectEmit();
        emit Rollup.FraudProven(1, PROVER, PROPOSER, BOND / 2, BOND / 2);
        vm.prank(PROVER);
        before = gasleft();
        rollup.proveFraud(1, truth, proofBytes);
        emit log_named_uint("Rollup.proveFraud gas (SNARK verification included)", before - gasleft());

        assertEq(uint256(rollup.lastCommittedBatch()), 0, "batch 1 and 2 reverted");
        assertFalse(rollup.isProposer(PROPOSER), "the liar may no longer propose");
        assertEq(PROVER.balance, BOND / 2, "prover of the fraud: half the bond");
        assertEq(rollup.totalBurned(), BOND / 2, "the other half burned");
        assertEq(CHALLENGER.balance, 10 ether, "challenger's bond returned");
        (address challenger,,) = rollup.challenges(1);
        assertEq(challenger, address(0), "challenge closed");
        // Paid out: the challenger's bond and half of the bond; what stays is the burned half and batch
        // 2's bond, until it is released.
        assertEq(address(rollup).balance, contractBalance - CHALLENGER_BOND - BOND / 2, "contract balance");

        // The liar cannot commit again: it is no proposer, and the revert started the fallback's delay
        // over (the batch before it is older than a day, but the proposers get a whole delay to replace
        // what was reverted). Batch 2's bond goes back to its proposer (it was not proven false).
        assertFalse(rollup.fallbackOpen(), "the revert restarted the fallback's clock");
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotProposer.selector, PROPOSER));
        vm.prank(PROPOSER);
        rollup.commitBatch{value: BOND}(_header(), _data());
        rollup.releaseReverted(2);
        assertEq(rollup.pendingRefunds(PROPOSER), BOND, "batch 2's bond released");
        vm.prank(PROPOSER);
        rollup.claimRefund();
        assertEq(PROPOSER.balance, 10 ether - BOND, "the liar lost exactly one bond");
        assertEq(address(rollup).balance, BOND / 2, "only the burned half stays");

        // The chain goes on with the true batch 1 from an honest proposer, which a proof finalizes at once.
        _commit(rollup, HONEST, _header(), _data());
        rollup.proveBatch(1, proofBytes);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "true batch 1 final");
        assertEq(HONEST.balance, 10 ether, "honest bond refunded at finalization");
    }

    function test_ChallengerProvingItsOwnChallengeGetsBoth() public {
        _commit(rollup, PROPOSER, _lie(), _data());
        _challenge(rollup, 1);
        vm.prank(CHALLENGER);
        rollup.proveFraud(1, _truth(), proof);
        assertEq(CHALLENGER.balance, 10 ether + BOND / 2, "bond back plus the reward");
    }

    function test_ProposerGainsNothingByDefraudingItself() public {
        vm.deal(PROPOSER, 10 ether);
        _commit(rollup, PROPOSER, _lie(), _data());
        vm.prank(PROPOSER);
        rollup.challenge{value: CHALLENGER_BOND}(1);
        vm.prank(PROPOSER);
        rollup.proveFraud(1, _truth(), proof);
        assertEq(PROPOSER.balance, 10 ether - BOND / 2, "self-challenge costs the burned half");
    }

    function test_ARevertedSlotIsReleasedWhenRecommitted() public {
        _commit(rollup, PROPOSER, _lie(), _data());
        _commitSecond(rollup, PROPOSER);
        _challenge(rollup, 2); // a challenge on a later batch that the revert cancels
        _challenge(rollup, 1);
        rollup.proveFraud(1, _truth(), proof);
        _commit(rollup, HONEST, _header(), _data());
        _commitSecond(rollup, HONEST); // slot 2 again: the old bond and challenge are released
        assertEq(rollup.pendingRefunds(PROPOSER), BOND, "old batch 2's bond");
        assertEq(rollup.pendingRefunds(CHALLENGER), CHALLENGER_BOND, "cancelled challenge's bond");
        (address challenger,,) = rollup.challenges(2);
        assertEq(challenger, address(0), "the new batch 2 is unchallenged");
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotReverted.selector, 2));
        rollup.releaseReverted(2);
    }

    // ---- fraud not proven -----------------------------------------------------------

    function test_TrueRootCannotBeDefrauded() public {
        _commit(rollup, PROPOSER, _header(), _data());
        _challenge(rollup, 1);
        // The journal the proof is of equals the commitment: no fraud.
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotFraud.selector, 1));
        rollup.proveFraud(1, _truth(), proof);
        // Claiming other outputs with the same proof does not verify.
        BatchOutputs memory other = _truth();
        other.postStateRoot = keccak256("other");
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveFraud(1, other, proof);
        other = _truth();
        other.lastBlock += 1;
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveFraud(1, other, proof);
        assertEq(uint256(rollup.lastCommittedBatch()), 1, "nothing reverted");
    }

    function test_ProposerEndsAChallengeWithAValidityProof() public {
        _commit(rollup, PROPOSER, _header(), _data());
        _challenge(rollup, 1);
        vm.expectEmit();
        emit Rollup.ChallengeFailed(1, CHALLENGER, true);
        rollup.proveBatch(1, proof);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final before its window, on its proof");
        assertEq(PROPOSER.balance, 10 ether + CHALLENGER_BOND, "own bond back plus the challenger's");
        assertEq(CHALLENGER.balance, 10 ether - CHALLENGER_BOND, "challenger lost its bond");
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 1));
        _challenge(rollup, 1);
    }

    function test_ChallengeWithoutFraudProofTimesOut() public {
        _commit(rollup, PROPOSER, _header(), _data());
        _challenge(rollup, 1);
        vm.warp(START + PROOF_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProofWindowClosed.selector, 1, uint64(START + PROOF_WINDOW)));
        rollup.proveFraud(1, _truth(), proof);
        // Its window still runs: the batch waits for it, then finalizes and the challenger's bond goes
        // to the proposer.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeWindowOpen.selector, 1, START + WINDOW));
        rollup.finalizeBatch(1);
        vm.warp(START + WINDOW);
        vm.expectEmit();
        emit Rollup.ChallengeFailed(1, CHALLENGER, false);
        rollup.finalizeBatch(1);
        assertEq(PROPOSER.balance, 10 ether + CHALLENGER_BOND, "bond back plus the challenger's");
    }

    function test_AFalseBatchWhoseChallengerGaveUpFinalizes() public {
        // The design's honest-minority assumption: someone must prove the fraud in time.
        _commit(rollup, PROPOSER, _lie(), _data());
        _challenge(rollup, 1);
        vm.warp(START + WINDOW);
        rollup.finalizeBatch(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 2));
        rollup.proveFraud(2, _truth(), proof);
    }

    // ---- refused proofs -------------------------------------------------------------

    function test_FraudProofOfOtherDataIsRefused() public {
        // The committed data differs from what the proof executed: the journal's data hash differs.
        bytes memory data = _data();
        data[data.length - 1] ^= 0x01;
        _commit(rollup, PROPOSER, _lie(), data);
        _challenge(rollup, 1);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveFraud(1, _truth(), proof);
    }

    function test_FraudProofOfAnotherBatchIsRefused() public {
        // Batch 1 is honest; batch 2 is a lie, but the proof is of batch 1's journal.
        _commit(rollup, PROPOSER, _header(), _data());
        _commitSecond(rollup, PROPOSER);
        _challenge(rollup, 2);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.proveFraud(2, _truth(), proof);
    }

    function test_FraudProofOnAnotherChainIsRefused() public {
        Rollup other = _rollup(verifier, _chainId() + 1);
        _commit(other, PROPOSER, _lie(), _data());
        _challenge(other, 1);
        vm.expectRevert(Rollup.InvalidProof.selector);
        other.proveFraud(1, _truth(), proof);
    }

    function test_FraudProofOfAnotherProgramIsRefused() public {
        SnarkVerifier pinnedElsewhere = new SnarkVerifier(halo2, bytes32(uint256(1)), verifier.appVmCommit());
        Rollup other = _rollup(pinnedElsewhere, _chainId());
        _commit(other, PROPOSER, _lie(), _data());
        _challenge(other, 1);
        vm.expectRevert(Rollup.InvalidProof.selector);
        other.proveFraud(1, _truth(), proof);
    }

    // ---- the rules of a challenge ---------------------------------------------------

    function test_ChallengeRules() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchNotCommitted.selector, 1));
        _challenge(rollup, 1);
        _commit(rollup, PROPOSER, _header(), _data());
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotChallenged.selector, 1));
        rollup.proveFraud(1, _truth(), proof);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, 0, CHALLENGER_BOND));
        rollup.challenge(1);
        _challenge(rollup, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyChallenged.selector, 1));
        _challenge(rollup, 1);
        // After a failed challenge the batch can be challenged again while its window runs, not after.
        vm.warp(START + PROOF_WINDOW + 1);
        _commitSecond(rollup, PROPOSER);
        vm.warp(START + WINDOW);
        rollup.finalizeBatch(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchAlreadyFinalized.selector, 1));
        _challenge(rollup, 1);
        vm.warp(START + PROOF_WINDOW + 1 + WINDOW);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.ChallengeWindowClosed.selector, 2, START + PROOF_WINDOW + 1 + WINDOW)
        );
        _challenge(rollup, 2);
    }

    // ---- producers' attestations (M-of-N) and their slashing ----------------------------

    /// Producer keys sorted by address, registered with their stakes.
    function _producers(uint256 n) internal returns (uint256[] memory keys) {
        keys = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            keys[i] = 0xA1 + i;
        }
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = i + 1; j < n; j++) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        vm.deal(address(this), 100 ether);
        for (uint256 i = 0; i < n; i++) {
            rollup.registerProducer{value: PRODUCER_STAKE}(vm.addr(keys[i]));
        }
    }

    /// The public inputs hash batch 1 with header `h` and `data` will have once committed.
    function _inputsHash(BatchHeader memory h, bytes memory data) internal view returns (bytes32) {
        bytes memory head = abi.encodePacked(
            _chainId(),
            vm.parseJsonBytes32(batchJson, ".configHash"),
            h.prevStateRoot,
            h.postStateRoot,
            vm.parseJsonBytes32(batchJson, ".genesisBlockHash")
        );
        return keccak256(
            abi.encodePacked(
                head, h.lastBlockHash, h.lastBlock, keccak256(data), h.l1MessageCursor, bytes32(0), h.withdrawalsRoot
            )
        );
    }

    function _attest(uint256[] memory keys, bytes32 inputsHash) internal returns (bytes memory out) {
        bytes32 digest = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", inputsHash));
        for (uint256 i = 0; i < keys.length; i++) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            out = bytes.concat(out, abi.encodePacked(r, s, v));
        }
    }

    function _pick(uint256[] memory keys, uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        (out[0], out[1]) = (keys[a], keys[b]);
    }

    function test_AttestersOfAFalseBatchAreSlashed() public {
        uint256[] memory keys = _producers(3);
        vm.prank(OWNER);
        rollup.setAttestThreshold(2);
        BatchHeader memory lie = _lie();
        bytes memory data = _data();
        bytes32 inputs = _inputsHash(lie, data);

        vm.expectRevert(abi.encodeWithSelector(Rollup.AttestationsRequired.selector, 2));
        _commit(rollup, PROPOSER, lie, data);
        uint256[] memory one = new uint256[](1);
        one[0] = keys[0];
        bytes[4] memory bad = [
            _attest(one, inputs), // too few
            _attest(_pick(keys, 1, 0), inputs), // out of order
            _attest(_pick(keys, 0, 0), inputs), // the same producer twice
            _attest(_pick(keys, 0, 1), keccak256("another batch")) // signed something else
        ];
        for (uint256 i = 0; i < bad.length; i++) {
            vm.expectRevert(Rollup.InvalidAttestations.selector);
            vm.prank(PROPOSER);
            rollup.commitAttestedBatch{value: BOND}(lie, data, bad[i]);
        }
        uint256[] memory outsider = new uint256[](2);
        (outsider[0], outsider[1]) = (keys[0], 0xBEEF);
        if (vm.addr(0xBEEF) < vm.addr(keys[0])) (outsider[0], outsider[1]) = (0xBEEF, keys[0]);
        vm.expectRevert(Rollup.InvalidAttestations.selector);
        vm.prank(PROPOSER);
        rollup.commitAttestedBatch{value: BOND}(lie, data, _attest(outsider, inputs));

        // Producers 0 and 1 attest the lie.
        bytes memory two = _attest(_pick(keys, 0, 1), inputs);
        vm.prank(PROPOSER);
        rollup.commitAttestedBatch{value: BOND}(lie, data, two);
        assertEq(rollup.publicInputsHash(1), inputs, "attested what was committed");
        assertEq(rollup.attesters(1), 3, "producers 0 and 1");

        _challenge(rollup, 1);
        vm.expectEmit();
        emit Rollup.ProducerSlashed(1, vm.addr(keys[0]), PRODUCER_STAKE);
        vm.expectEmit();
        emit Rollup.ProducerSlashed(1, vm.addr(keys[1]), PRODUCER_STAKE);
        vm.prank(PROVER);
        rollup.proveFraud(1, _truth(), proof);
        uint256 forfeited = BOND + 2 * uint256(PRODUCER_STAKE);
        assertEq(PROVER.balance, forfeited / 2, "half of the bond and both stakes");
        assertEq(rollup.totalBurned(), forfeited / 2, "the other half burned");
        assertEq(rollup.stakes(vm.addr(keys[0])), 0, "slashed");
        assertEq(rollup.stakes(vm.addr(keys[1])), 0, "slashed");
        assertEq(rollup.stakes(vm.addr(keys[2])), PRODUCER_STAKE, "the one who did not attest keeps its stake");
        // A slashed producer cannot come back, and the threshold cannot exceed who is left.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProducerAlreadyRegistered.selector, vm.addr(keys[0])));
        rollup.registerProducer{value: PRODUCER_STAKE}(vm.addr(keys[0]));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ThresholdTooHigh.selector, 2, 1));
        vm.prank(OWNER);
        rollup.setAttestThreshold(2);
    }

    /// Gas of committing batch 1 on a fresh Rollup (so it is a first commit) with `producers` staked, the
    /// attestation threshold `threshold` (0: a sequencer set of all of them, whose quorum is the threshold),
    /// and the signatures of the first `signers` of them.
    function _commitGas(uint256 producers, uint8 threshold, uint256 signers) internal returns (uint256 used) {
        BatchHeader memory h = _header();
        bytes memory data = _data();
        rollup = _rollup(verifier, _chainId());
        uint256[] memory keys = _producers(producers);
        vm.prank(OWNER);
        if (threshold == 0) rollup.initMembers(_addrs(keys, producers));
        else rollup.setAttestThreshold(threshold);
        uint256[] memory signing = new uint256[](signers);
        for (uint256 i = 0; i < signers; i++) {
            signing[i] = keys[i];
        }
        bytes memory sigs = _attest(signing, _inputsHash(h, data));
        // As in a transaction of its own: nothing the set-up touched is warm.
        vm.cool(address(rollup));
        vm.prank(PROPOSER);
        uint256 before = gasleft();
        rollup.commitAttestedBatch{value: BOND}(h, data, sigs);
        used = before - gasleft();
    }

    function test_CommitGasPerAttestation() public {
        uint256[3] memory used;
        for (uint256 n = 1; n <= 3; n++) {
            used[n - 1] = _commitGas(3, 1, n);
        }
        emit log_named_uint("Rollup.commitAttestedBatch gas, 1 attestation", used[0]);
        emit log_named_uint("Rollup.commitAttestedBatch gas, 2 attestations", used[1]);
        emit log_named_uint("Rollup.commitAttestedBatch gas, 3 attestations", used[2]);
        assertTrue(used[2] > used[1] && used[1] > used[0], "each attestation costs gas");
    }

    /// A sequencer set's commit: N members named on the Rollup (so the threshold is their quorum
    /// ⌊2N/3⌋+1) and exactly a quorum of signatures (what a set's poster sends).
    function test_CommitGasOfASetsQuorum() public {
        uint256[3] memory sizes = [uint256(4), 7, 10];
        uint256[3] memory used;
        for (uint256 k = 0; k < 3; k++) {
            uint256 quorum = 2 * sizes[k] / 3 + 1;
            used[k] = _commitGas(sizes[k], 0, quorum);
            assertEq(rollup.attestQuorum(), quorum, "the set's quorum");
            assertEq(rollup.attesters(1), (uint256(1) << quorum) - 1, "the quorum is recorded");
        }
        emit log_named_uint("Rollup.commitAttestedBatch gas, set of 4 (3 signatures)", used[0]);
        emit log_named_uint("Rollup.commitAttestedBatch gas, set of 7 (5 signatures)", used[1]);
        emit log_named_uint("Rollup.commitAttestedBatch gas, set of 10 (7 signatures)", used[2]);
        assertTrue(used[2] > used[1] && used[1] > used[0], "a larger quorum costs more");
        // The same producers under a fixed threshold: what counting the active members costs.
        for (uint256 k = 0; k < 3; k++) {
            uint256 quorum = 2 * sizes[k] / 3 + 1;
            uint256 fixedGas = _commitGas(sizes[k], uint8(quorum), quorum);
            emit log_named_uint("  the same quorum under a fixed threshold", fixedGas);
            assertTrue(used[k] > fixedGas, "counting the set costs gas");
        }
    }

    // ---- a sequencer set managed on L1 ----------------------------------------------

    /// The addresses of the first `n` of `keys`.
    function _addrs(uint256[] memory keys, uint256 n) internal returns (address[] memory out) {
        out = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = vm.addr(keys[i]);
        }
    }

    /// The keys at `picks` (ascending, so their addresses are too).
    function _sel(uint256[] memory keys, uint8[4] memory picks, uint256 n)
        internal
        pure
        returns (uint256[] memory out)
    {
        out = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = keys[picks[i]];
        }
    }

    /// Commits batch 1 from `from` with the attestations of `signers`, expecting `err` (empty: success).
    function _commitBy(address from, uint256[] memory signers, bytes memory err) internal {
        BatchHeader memory h = _header();
        bytes memory data = _data();
        bytes memory sigs = _attest(signers, _inputsHash(h, data));
        vm.deal(from, 10 ether);
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(from);
        rollup.commitAttestedBatch{value: BOND}(h, data, sigs);
    }

    function test_ASetNamedOnL1ProposesAndAttestsWithItsQuorum() public {
        uint256[] memory keys = _producers(5);
        address[] memory four = _addrs(keys, 4);
        vm.expectRevert(abi.encodeWithSignature("NotOwner(address)", address(this)));
        rollup.initMembers(four);
        vm.expectRevert(Rollup.NoSequencerSet.selector);
        vm.prank(OWNER);
        rollup.scheduleMember(four[0], true);
        vm.expectEmit();
        emit Rollup.MembershipScheduled(four[0], true, 0);
        vm.prank(OWNER);
        rollup.initMembers(four);
        assertEq(rollup.activeMembers(), 4, "four members");
        assertEq(rollup.attestQuorum(), 3, "quorum of four");
        assertEq(rollup.memberCount(), 4, "named");
        vm.expectRevert(Rollup.SetAlreadyNamed.selector);
        vm.prank(OWNER);
        rollup.initMembers(four);
        vm.expectRevert(Rollup.ThresholdFollowsTheSet.selector);
        vm.prank(OWNER);
        rollup.setAttestThreshold(1);
        // A plain commit lacks the quorum; two attestations are too few; a staked non-member does not count.
        vm.deal(four[1], 10 ether);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AttestationsRequired.selector, 3));
        _commit(rollup, four[1], _header(), _data());
        _commitBy(four[1], _sel(keys, [0, 1, 0, 0], 2), abi.encodeWithSelector(Rollup.InvalidAttestations.selector));
        _commitBy(four[1], _sel(keys, [0, 1, 4, 0], 3), abi.encodeWithSelector(Rollup.InvalidAttestations.selector));
        // Who is not a member (nor a proposer) cannot commit, even with the quorum.
        address outsider = vm.addr(keys[4]);
        _commitBy(outsider, _sel(keys, [0, 1, 2, 0], 3), abi.encodeWithSelector(Rollup.NotProposer.selector, outsider));
        // A member commits with the quorum's attestations.
        _commitBy(four[1], _sel(keys, [0, 1, 3, 0], 3), "");
        assertEq(rollup.attesters(1), 1 | 2 | 8, "producers 0, 1 and 3");
        assertEq(rollup.batch(1).proposer, four[1], "the member posted");
        // Too late to name the set once batches exist.
        vm.expectRevert(Rollup.SetAlreadyNamed.selector);
        vm.prank(OWNER);
        rollup.initMembers(four);
    }

    function test_MembersJoinAndLeaveOnlyAfterTheDelayAndTheQuorumFollows() public {
        uint256[] memory keys = _producers(5);
        address[] memory all = _addrs(keys, 5);
        address[] memory four = _addrs(keys, 4);
        vm.prank(OWNER);
        rollup.initMembers(four);
        uint64 switchAt = uint64(START + SWITCH_DELAY);
        vm.expectEmit();
        emit Rollup.MembershipScheduled(all[4], true, switchAt);
        vm.prank(OWNER);
        rollup.scheduleMember(all[4], true);
        vm.expectEmit();
        emit Rollup.MembershipScheduled(all[0], false, switchAt);
        vm.prank(OWNER);
        rollup.scheduleMember(all[0], false);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MembershipPending.selector, all[4], switchAt));
        vm.prank(OWNER);
        rollup.scheduleMember(all[4], false);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MembershipUnchanged.selector, all[1], true));
        vm.prank(OWNER);
        rollup.scheduleMember(all[1], true);
        vm.expectRevert(abi.encodeWithSelector(Rollup.StillAMember.selector, all[0]));
        vm.prank(all[0]);
        rollup.exitProducer();

        // Until the change takes effect, the old set rules: the joiner neither counts nor commits.
        vm.warp(switchAt - 1);
        assertTrue(rollup.isMember(all[0]) && !rollup.isMember(all[4]), "old set");
        assertEq(rollup.attestQuorum(), 3, "old quorum");
        _commitBy(all[4], _sel(keys, [0, 1, 2, 0], 3), abi.encodeWithSelector(Rollup.NotProposer.selector, all[4]));
        _commitBy(all[1], _sel(keys, [1, 2, 4, 0], 3), abi.encodeWithSelector(Rollup.InvalidAttestations.selector));

        // From then on the new set rules: four members again, the leaver neither counts nor commits.
        vm.warp(switchAt);
        assertTrue(!rollup.isMember(all[0]) && rollup.isMember(all[4]), "new set");
        assertEq(rollup.activeMembers(), 4, "four members");
        assertEq(rollup.memberCount(), 5, "five named");
        address[] memory active = rollup.activeSet();
        assertEq(active.length, 4, "four active");
        (address a, address b, address c, address d) = (active[0], active[1], active[2], active[3]);
        assertTrue(a == all[1] && b == all[2] && c == all[3] && d == all[4], "in the order named, the leaver out");
        _commitBy(all[0], _sel(keys, [1, 2, 3, 0], 3), abi.encodeWithSelector(Rollup.NotProposer.selector, all[0]));
        _commitBy(all[4], _sel(keys, [0, 1, 2, 0], 3), abi.encodeWithSelector(Rollup.InvalidAttestations.selector));
        _commitBy(all[4], _sel(keys, [1, 2, 4, 0], 3), "");
        assertEq(rollup.attesters(1), 2 | 4 | 16, "producers 1, 2 and 4");

        // A member that left takes its stake back once what it attested is final; it attested nothing.
        uint256 before = all[0].balance;
        vm.prank(all[0]);
        rollup.exitProducer();
        assertEq(all[0].balance, before + PRODUCER_STAKE, "stake back");
        // Without its stake it cannot come back; staked again, it can, after the delay again.
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotAProducer.selector, all[0]));
        vm.prank(OWNER);
        rollup.scheduleMember(all[0], true);
        // (a producer that exited keeps its slot, so it cannot register again: another key joins instead)
        vm.prank(OWNER);
        rollup.scheduleMember(all[1], false);
        vm.warp(switchAt + SWITCH_DELAY);
        assertTrue(!rollup.isMember(all[1]), "out after the delay");
        assertEq(rollup.attestQuorum(), 3, "quorum of three");
    }

    function test_OnlyAStakedMemberJoinsAndASlashedOneStopsCountingAndLeaves() public {
        uint256[] memory keys = _producers(7);
        address[] memory seven = _addrs(keys, 7);
        address unstaked = address(0xD00D);
        address[] memory withUnstaked = new address[](2);
        (withUnstaked[0], withUnstaked[1]) = (seven[0], unstaked);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotAProducer.selector, unstaked));
        vm.prank(OWNER);
        rollup.initMembers(withUnstaked);
        vm.prank(OWNER);
        rollup.initMembers(seven);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotAProducer.selector, unstaked));
        vm.prank(OWNER);
        rollup.scheduleMember(unstaked, true);
        assertEq(rollup.attestQuorum(), 5, "quorum of seven");

        // Member 4 is leaving already.
        vm.prank(OWNER);
        rollup.scheduleMember(seven[4], false);

        // Member 5 posts a false batch that members 0–4 attest, its own attestation left out: all six
        // are slashed, member 6 alone still counts, and it posts on its own.
        BatchHeader memory lie = _lie();
        bytes memory data = _data();
        uint256[] memory five = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) {
            five[i] = keys[i];
        }
        vm.deal(seven[5], 10 ether);
        vm.prank(seven[5]);
        rollup.commitAttestedBatch{value: BOND}(lie, data, _attest(five, _inputsHash(lie, data)));
        _challenge(rollup, 1);
        vm.warp(START + 100);
        uint64 out = uint64(block.timestamp) + SWITCH_DELAY;
        // Each slashed member is scheduled out, as the owner would, for the L2's set to follow; member 4
        // keeps the change it has.
        for (uint256 i = 0; i < 6; i++) {
            if (i == 4) continue;
            vm.expectEmit();
            emit Rollup.MembershipScheduled(seven[i], false, out);
        }
        vm.prank(PROVER);
        rollup.proveFraud(1, _truth(), proof);
        (,,, uint64 leaves) = rollup.membership(seven[4]);
        assertEq(leaves, START + SWITCH_DELAY, "member 4 not scheduled again");
        assertEq(rollup.stakes(seven[5]), 0, "the posting member is slashed");
        assertEq(rollup.stakes(seven[0]), 0, "so is each attester");
        assertEq(rollup.activeMembers(), 1, "the slashed no longer count");
        assertTrue(rollup.activeSet()[0] == seven[6], "member 6 is the one left");
        assertEq(rollup.attestQuorum(), 1, "quorum of one");
        _commitBy(seven[5], _sel(keys, [6, 0, 0, 0], 1), abi.encodeWithSelector(Rollup.NotProposer.selector, seven[5]));
        _commitBy(seven[6], _sel(keys, [0, 0, 0, 0], 1), abi.encodeWithSelector(Rollup.InvalidAttestations.selector));
        _commitBy(seven[6], _sel(keys, [6, 0, 0, 0], 1), "");
        // In the set (on the L2 too) until the delay, out after it.
        assertTrue(rollup.isMember(seven[0]) && rollup.isMember(seven[5]), "until the delay");
        vm.warp(out);
        assertTrue(!rollup.isMember(seven[0]) && !rollup.isMember(seven[5]) && !rollup.isMember(seven[4]), "out");
        assertTrue(rollup.isMember(seven[6]), "member 6 stays");
        assertEq(rollup.attestQuorum(), 1, "quorum of one still");
    }

    function test_TheSetNeverEmptiesItself() public {
        uint256[] memory keys = _producers(2);
        address[] memory two = _addrs(keys, 2);
        address[] memory one = _addrs(keys, 1);
        vm.prank(OWNER);
        rollup.initMembers(one);
        vm.expectRevert(Rollup.EmptySet.selector);
        vm.prank(OWNER);
        rollup.scheduleMember(two[0], false);
        // With a second member scheduled in, the first may be scheduled out.
        vm.startPrank(OWNER);
        rollup.scheduleMember(two[1], true);
        rollup.scheduleMember(two[0], false);
        vm.stopPrank();
        vm.warp(START + SWITCH_DELAY);
        assertTrue(!rollup.isMember(two[0]) && rollup.isMember(two[1]), "swapped");
        assertEq(rollup.attestQuorum(), 1, "quorum of one");
        vm.expectRevert(abi.encodeWithSelector(Rollup.MembershipUnchanged.selector, address(0xD00D), false));
        vm.prank(OWNER);
        rollup.scheduleMember(address(0xD00D), false);
    }

    function test_AProducerLeavesOnlyOnceWhatItAttestedIsFinal() public {
        uint256[] memory keys = _producers(2);
        vm.prank(OWNER);
        rollup.setAttestThreshold(1);
        uint256[] memory first = new uint256[](1);
        first[0] = keys[0];
        vm.prank(PROPOSER);
        rollup.commitAttestedBatch{value: BOND}(_header(), _data(), _attest(first, _inputsHash(_header(), _data())));
        address p = vm.addr(keys[0]);
        vm.expectRevert(abi.encodeWithSelector(Rollup.StakeLocked.selector, 1));
        vm.prank(p);
        rollup.exitProducer();
        rollup.proveBatch(1, proof);
        vm.prank(p);
        rollup.exitProducer();
        assertEq(p.balance, PRODUCER_STAKE, "stake back");
        // The last staked producer cannot leave while the threshold needs it.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ThresholdTooHigh.selector, 1, 0));
        vm.prank(vm.addr(keys[1]));
        rollup.exitProducer();
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, 1 ether, PRODUCER_STAKE));
        rollup.registerProducer{value: 1 ether}(address(0x1234));
    }

    // ---- the switch to Zk ------------------------------------------------------------

    // ---- the fallback proposer ------------------------------------------------------

    address internal constant OUTSIDER = address(0xFA11);

    function test_AnyoneCommitsOnceNoProposerHasForTheFallbackDelay() public {
        vm.deal(OUTSIDER, 10 ether);
        bytes memory data = _data();
        assertFalse(rollup.fallbackOpen(), "proposers have a day");
        _expectProven(OUTSIDER, _header(), BOND, proof, abi.encodeWithSelector(Rollup.NotProposer.selector, OUTSIDER));
        vm.warp(START + 1 days - 1);
        assertFalse(rollup.fallbackOpen(), "not a second early");
        vm.warp(START + 1 days);
        assertTrue(rollup.fallbackOpen(), "a day without a proposer's batch");
        // Only with a proof: its data might be undecodable, which no fraud proof could show.
        _expectCommit(OUTSIDER, _header(), BOND, abi.encodeWithSelector(Rollup.ProofRequired.selector));
        vm.expectRevert(Rollup.ProofRequired.selector);
        vm.prank(OUTSIDER);
        rollup.commitAttestedBatch{value: BOND}(_header(), data, "");
        // Bonded like any proposer, and the proof must hold.
        _expectProven(OUTSIDER, _header(), 0, proof, abi.encodeWithSelector(Rollup.WrongBond.selector, 0, BOND));
        _expectProven(OUTSIDER, _lie(), BOND, proof, abi.encodeWithSelector(Rollup.InvalidProof.selector));
        vm.prank(OUTSIDER);
        rollup.commitProvenBatch{value: BOND}(_header(), data, proof);
        assertEq(rollup.batch(1).proposer, OUTSIDER, "the fallback proposer posted batch 1");
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final on its proof at once, its bond back");
        assertEq(OUTSIDER.balance, 10 ether, "bond back");
        // It stays open after the fallback's own batch, until a proposer commits again.
        assertTrue(rollup.fallbackOpen(), "still open after the fallback's own batch");
        _commitSecond(rollup, PROPOSER);
        assertFalse(rollup.fallbackOpen(), "a proposer committed");
        _expectProven(OUTSIDER, _next(rollup, 3), BOND, proof, abi.encodeWithSelector(Rollup.NotProposer.selector, OUTSIDER));
    }

    function test_ASetsQuorumDoesNotBindTheFallback() public {
        uint256[] memory keys = _producers(4);
        address[] memory four = _addrs(keys, 4);
        // Naming the set starts the fallback's delay over.
        vm.warp(START + 12 hours);
        vm.prank(OWNER);
        rollup.initMembers(four);
        vm.warp(START + 1 days);
        assertFalse(rollup.fallbackOpen(), "the set was named half a day ago");
        vm.warp(START + 12 hours + 1 days);
        vm.deal(OUTSIDER, 10 ether);
        // A member is held to its quorum, with a proof too: a proof shows a batch valid, not that the
        // set decided its blocks.
        vm.deal(four[0], 10 ether);
        _expectProven(four[0], _header(), BOND, proof, abi.encodeWithSelector(Rollup.AttestationsRequired.selector, 3));
        // The set is silent: anyone posts with the bond and the proof, without the set's attestations.
        bytes memory data = _data();
        vm.prank(OUTSIDER);
        rollup.commitProvenBatch{value: BOND}(_header(), data, proof);
        assertEq(rollup.attesters(1), 0, "nobody attested");
        assertTrue(rollup.batch(1).byFallback, "marked");
    }

    function test_NoFallbackWithoutAProofVerifier() public {
        Rollup r = _blind();
        vm.warp(START + 3 days);
        // Nobody could prove a fallback batch there: the proposers stay the only ones who commit.
        assertFalse(r.fallbackOpen(), "no verifier, no fallback");
    }

    function test_AnOverdueL1MessageOpensTheFallback() public {
        Rollup r = _rollupWith(verifier, _chainId(), 1 hours);
        Bridge bridge = Bridge(r.bridge());
        BatchHeader memory b1 = _next(r, 1);
        _commit(r, PROPOSER, b1, hex"01");
        vm.deal(OUTSIDER, 10 ether);
        vm.prank(OUTSIDER);
        bridge.depositETH{value: 1 ether}(OUTSIDER);
        vm.warp(START + 1 hours - 1);
        assertFalse(r.fallbackOpen(), "the deposit is not overdue yet, and a proposer committed just now");
        vm.warp(START + 1 hours);
        assertTrue(r.fallbackOpen(), "the proposers censor an overdue deposit: anyone may include it");
        BatchHeader memory b2 = _next(r, 2);
        bytes memory garbage = hex"00";
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedInclusionRequired.selector, 0));
        vm.prank(OUTSIDER);
        r.commitProvenBatch{value: BOND}(b2, hex"02", garbage);
        // Including it, the outsider is let in — and then held to its proof.
        b2.l1MessageCursor = 1;
        vm.expectRevert(Rollup.InvalidProof.selector);
        vm.prank(OUTSIDER);
        r.commitProvenBatch{value: BOND}(b2, hex"02", garbage);
    }

    function test_AZkFallbackCommitsOnlyWithItsProof() public {
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
        vm.warp(START + 1 days);
        // The switch lands with the first batch: no bond, and without a proof nobody but a proposer commits.
        _expectCommit(OUTSIDER, _header(), 0, abi.encodeWithSelector(Rollup.ProofRequired.selector));
        bytes memory data = _data();
        vm.expectRevert(Rollup.ProofRequired.selector);
        vm.prank(OUTSIDER);
        rollup.commitAttestedBatch(_header(), data, "");
        vm.expectRevert(Rollup.InvalidProof.selector);
        vm.prank(OUTSIDER);
        rollup.commitProvenBatch(_header(), data, hex"00");
        vm.prank(OUTSIDER);
        rollup.commitProvenBatch(_header(), data, proof);
        assertEq(uint256(rollup.zkFromBatch()), 1, "the switch batch");
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "committed and final on its SNARK in one transaction");
        assertEq(rollup.batch(1).proposer, OUTSIDER, "by the fallback");
    }

    /// What the fallback costs: a proposer's plain commit, and an outsider's proven one once the fallback
    /// is open (its SNARK verified and the batch finalized in the same transaction).
    function test_CommitGasOfTheFallback() public {
        BatchHeader memory h = _header();
        bytes memory data = _data();
        rollup = _rollup(verifier, _chainId());
        vm.cool(address(rollup));
        vm.prank(PROPOSER);
        uint256 before = gasleft();
        rollup.commitBatch{value: BOND}(h, data);
        uint256 proposerGas = before - gasleft();
        rollup = _rollup(verifier, _chainId());
        vm.warp(block.timestamp + 1 days);
        vm.deal(OUTSIDER, 10 ether);
        vm.cool(address(rollup));
        vm.prank(OUTSIDER);
        before = gasleft();
        rollup.commitProvenBatch{value: BOND}(h, data, proof);
        uint256 fallbackGas = before - gasleft();
        emit log_named_uint("Rollup.commitBatch gas, a proposer", proposerGas);
        emit log_named_uint("Rollup.commitProvenBatch gas, anyone through the open fallback (SNARK, final)", fallbackGas);
        assertTrue(rollup.batch(1).byFallback, "marked");
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final in the same transaction");
    }

    /// A Hybrid Rollup without a proof verifier: no game.
    function _blind() internal returns (Rollup) {
        bytes32 h = keccak256("x");
        return new Rollup(
            OWNER,
            SnarkVerifier(address(0)),
            Mode.Hybrid,
            1,
            h,
            h,
            h,
            HybridTerms(WINDOW, 0, BOND, 0, 0, 0, 7 days, 1 days),
            1 days
        );
    }

    /// A one-block batch `index` chained onto the last committed one of `r`.
    function _next(Rollup r, uint64 index) internal view returns (BatchHeader memory h) {
        h.index = index;
        h.firstBlock = r.batch(index - 1).lastBlock + 1;
        h.lastBlock = h.firstBlock;
        h.prevStateRoot = r.batch(index - 1).postStateRoot;
        h.l1MessageCursor = r.batch(index - 1).l1MessageCursor;
        h.postStateRoot = keccak256(abi.encode("root", index));
        h.lastBlockHash = keccak256(abi.encode("block", index));
    }

    /// `from` commits `h` with `value` and `p` as its proof, expecting `err`.
    function _expectProven(address from, BatchHeader memory h, uint256 value, bytes memory p, bytes memory err)
        internal
    {
        bytes memory data = _data();
        vm.expectRevert(err);
        vm.prank(from);
        rollup.commitProvenBatch{value: value}(h, data, p);
    }

    /// `from` commits `h` with `value`, expecting `err`.
    function _expectCommit(address from, BatchHeader memory h, uint256 value, bytes memory err) internal {
        bytes memory data = hex"01";
        vm.expectRevert(err);
        vm.prank(from);
        rollup.commitBatch{value: value}(h, data);
    }

    function test_SwitchToZkOnALiveChain() public {
        vm.expectRevert(abi.encodeWithSignature("NotOwner(address)", address(this)));
        rollup.scheduleZkSwitch();
        vm.expectEmit();
        emit Rollup.ZkSwitchScheduled(uint64(START + SWITCH_DELAY));
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
        vm.expectRevert(abi.encodeWithSelector(Rollup.SwitchAlreadyScheduled.selector, uint64(START + SWITCH_DELAY)));
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();

        // Before the switch: a Hybrid batch, with a bond.
        _commit(rollup, PROPOSER, _header(), _data());
        assertTrue(rollup.mode() == Mode.Hybrid, "still Hybrid");

        // The first batch committed at the switch is the first Zk batch: no bond.
        vm.warp(START + SWITCH_DELAY);
        BatchHeader memory h = _second(rollup);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongBond.selector, BOND, 0));
        vm.prank(PROPOSER);
        rollup.commitBatch{value: BOND}(h, hex"02");
        vm.expectEmit();
        emit Rollup.SwitchedToZk(2);
        vm.prank(PROPOSER);
        rollup.commitBatch(h, hex"02");
        assertTrue(rollup.mode() == Mode.Zk, "Zk from now on");
        assertEq(uint256(rollup.zkFromBatch()), 2, "switch batch");

        // Batch 1 finishes under Hybrid rules: it can be challenged, and finalizes by its window.
        _challenge(rollup, 1);
        vm.warp(START + WINDOW + PROOF_WINDOW + 1);
        rollup.finalizeBatch(1);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "Hybrid batch final by window");
        assertEq(PROPOSER.balance, 10 ether + CHALLENGER_BOND, "its bond back, and the failed challenger's");
        // Batch 2 cannot be challenged, and needs a proof however long it waits.
        vm.expectRevert(Rollup.WrongMode.selector);
        _challenge(rollup, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotProven.selector, 2));
        rollup.finalizeBatch(2);
        vm.expectRevert(Rollup.WrongMode.selector);
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
    }

    /// In Zk mode a sequencer set's members still commit only with its quorum's attestations: the proof
    /// shows the batch valid, the quorum that the set decided it.
    function test_AfterTheSwitchASetStillCommitsOnlyWithItsQuorum() public {
        uint256[] memory keys = _producers(4);
        address[] memory four = _addrs(keys, 4);
        vm.startPrank(OWNER);
        rollup.initMembers(four);
        rollup.scheduleZkSwitch();
        vm.stopPrank();
        vm.warp(START + SWITCH_DELAY);
        BatchHeader memory h = _header();
        bytes memory data = _data();
        vm.startPrank(four[1]);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AttestationsRequired.selector, 3));
        rollup.commitBatch(h, data);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AttestationsRequired.selector, 3));
        rollup.commitProvenBatch(h, data, proof);
        bytes32 inputs = _inputsHash(h, data);
        vm.expectRevert(Rollup.InvalidAttestations.selector);
        rollup.commitAttestedBatch(h, data, _attest(_sel(keys, [0, 1, 0, 0], 2), inputs));
        rollup.commitAttestedBatch(h, data, _attest(_sel(keys, [0, 1, 3, 0], 3), inputs));
        vm.stopPrank();
        assertTrue(rollup.mode() == Mode.Zk, "the switch batch");
        assertEq(rollup.attesters(1), 0, "a zk batch's attesters are not recorded: nothing to slash");
        rollup.proveBatch(1, proof);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final on its SNARK");
    }

    function test_AfterTheSwitchTheRealBatchFinalizesOnlyWithItsSnark() public {
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
        vm.warp(START + SWITCH_DELAY);
        vm.prank(PROPOSER);
        rollup.commitBatch(_header(), _data()); // the switch batch: no bond
        assertEq(uint256(rollup.zkFromBatch()), 1, "the switch batch");
        vm.warp(START + SWITCH_DELAY + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotProven.selector, 1));
        rollup.finalizeBatch(1);
        rollup.proveBatch(1, proof);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final on its SNARK");
    }

    function test_AFraudBeforeTheSwitchRevertsIntoZk() public {
        _commit(rollup, PROPOSER, _lie(), _data());
        vm.prank(OWNER);
        rollup.scheduleZkSwitch();
        vm.warp(START + SWITCH_DELAY);
        BatchHeader memory h = _second(rollup); // before the prank: its calls would consume it
        vm.prank(PROPOSER);
        rollup.commitBatch(h, hex"02"); // the switch batch
        _challenge(rollup, 1);
        rollup.proveFraud(1, _truth(), proof);
        assertEq(uint256(rollup.lastCommittedBatch()), 0, "both reverted");
        assertEq(uint256(rollup.zkFromBatch()), 1, "their replacements are Zk batches");
        vm.prank(HONEST);
        rollup.commitBatch(_header(), _data()); // no bond: a Zk batch
        rollup.proveBatch(1, proof);
        assertEq(uint256(rollup.lastFinalizedBatch()), 1, "final on its SNARK");
    }

    function test_RevertWhen_SwitchWithoutProofVerifier() public {
        Rollup blind = _blind();
        vm.expectRevert(Rollup.NoProofVerifier.selector);
        vm.prank(OWNER);
        blind.scheduleZkSwitch();
    }

    function test_RevertWhen_GameTermsAreUnsafe() public {
        bytes32 h = keccak256("x");
        vm.expectRevert(Rollup.InvalidConfig.selector);
        new Rollup(
            OWNER,
            verifier,
            Mode.Hybrid,
            1,
            h,
            h,
            h,
            HybridTerms(WINDOW, PROOF_WINDOW, BOND, 0, 0, 0, 7 days, 1 days),
            1 days
        );
        vm.expectRevert(Rollup.InvalidConfig.selector);
        new Rollup(
            OWNER,
            verifier,
            Mode.Hybrid,
            1,
            h,
            h,
            h,
            HybridTerms(WINDOW, 0, BOND, CHALLENGER_BOND, 0, 0, 7 days, 1 days),
            1 days
        );
    }
}
