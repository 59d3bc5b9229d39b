// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVerifier} from "./IVerifier.sol";
import {Ownable} from "./utils/Ownable.sol";
import {ReentrancyGuard} from "./utils/ReentrancyGuard.sol";
import {Attestations} from "./utils/Attestations.sol";

/// @notice What a proposer commits for a batch of L2 blocks.
struct BatchHeader {
    uint64 index; // = lastCommittedBatch + 1
    uint64 firstBlock; // = previous batch's lastBlock + 1
    uint64 lastBlock; // >= firstBlock
    uint64 l1MessageCursor; // total L1 messages consumed after this batch
    bytes32 prevStateRoot; // = previous batch's postStateRoot
    bytes32 postStateRoot;
    bytes32 withdrawalsRoot;
    bytes32 lastBlockHash;
}

/// @notice What the Rollup keeps for each committed batch.
struct BatchRecord {
    bytes32 dataHash; // keccak256 of the exact `data` calldata bytes
    bytes32 postStateRoot;
    bytes32 withdrawalsRoot;
    bytes32 lastBlockHash;
    bytes32 l1MessagesHash; // bridge.rollingHash(l1MessageCursor)
    bytes32 prevStateRoot;
    uint64 lastBlock;
    uint64 l1MessageCursor;
    uint64 committedAt; // block.timestamp
    address proposer;
    uint96 bond; // wei held; zeroed once refunded, forfeited or released
    bool proven; // a proof of exactly this batch's journal was accepted: final without a window
    bool byFallback; // committed by someone who may commit only while the fallback is open
}

/// @notice Hybrid mode's terms of the optimistic game, fixed at deployment.
struct HybridTerms {
    uint64 challengeWindow; // seconds after commitment during which a batch can be challenged
    uint64 proofWindow; // seconds a challenge stays open for a fraud proof
    uint96 bondAmount; // wei a proposer locks per batch
    uint96 challengerBond; // wei a challenger locks per challenge
    uint64 switchDelay; // seconds between scheduling the switch to Zk and the switch
    uint96 producerStake; // wei a producer stakes to attest hybrid batches
    uint64 freezeDelay; // seconds without a finalized batch after which anyone may freeze the Rollup
    uint64 fallbackDelay; // seconds without a proposer's commit after which anyone may commit (bonded)
}

/// @notice What a fraud proof claims a batch's data really produces: the journal's outputs. Its
/// inputs (chain, rules, previous state root and block hash, data hash) come from the records.
struct BatchOutputs {
    bytes32 postStateRoot;
    bytes32 withdrawalsRoot;
    bytes32 lastBlockHash;
    uint64 lastBlock;
    uint64 l1MessageCursor;
}

/// @notice An open challenge against a batch.
struct Challenge {
    address challenger;
    uint96 bond;
    uint64 deadline; // last second a fraud proof is accepted
}

/// @notice A sequencer-set member's standing: `active` until `effectiveAt`, `next` from then on (one
/// scheduled change at a time; an initial member has `effectiveAt` 0, so it is `next` = true throughout).
struct Membership {
    bool active;
    bool next;
    bool named; // listed in `members`
    uint64 effectiveAt;
}

/// @notice How batches become final: Hybrid = bonded and optimistic (after a challenge
/// window); Zk = when a verifier accepts a proof of the batch.
enum Mode {
    Hybrid,
    Zk
}

/// @notice The part of the Bridge's deposit queue the Rollup reads.
interface IDepositQueue {
    function queueLength() external view returns (uint256);
    function rollingHash(uint256 n) external view returns (bytes32);
    function enqueuedAt(uint256 i) external view returns (uint64);
}

/// @notice Mosaic's L1 settlement contract: an ordered chain of batches of L2 blocks, each
/// committing to its data, state roots, the L1 deposits it consumed and its withdrawals root.
/// In Hybrid mode a bonded batch finalizes after its challenge window unless it is challenged; a
/// challenger wins with a SNARK of the batch's true journal (a fraud proof): the batch and every
/// later one are reverted, the proposer loses its bond (half to the prover of the fraud, half
/// burned) and its right to propose. A proposer may end a challenge with a validity proof.
contract Rollup is Ownable, ReentrancyGuard {
    /// @notice Share of a slashed bond, in basis points, that is burned rather than paid to the prover
    /// of the fraud, so that a proposer gains nothing by proving fraud against itself.
    uint256 public constant BURN_BPS = 5000;

    /// @notice Verifier of batch proofs: Zk-mode finality, and in Hybrid mode fraud and validity proofs
    /// (zero: a Hybrid chain whose batches cannot be challenged).
    IVerifier public immutable verifier;
    /// @notice How newly committed batches are finalized: Hybrid until the scheduled switch to Zk.
    Mode public mode;
    /// @notice The first batch committed under Zk rules (1 for a Zk deployment; 0 while Hybrid).
    uint64 public zkFromBatch;
    /// @notice When the scheduled switch to Zk takes effect (0: none scheduled): the first batch
    /// committed at or after it is the first Zk batch.
    uint64 public zkSwitchAt;
    /// @notice Seconds between `scheduleZkSwitch` and the switch.
    uint64 public immutable switchDelay;
    /// @notice Wei a producer stakes to attest hybrid batches (slashed if it attests a false one).
    uint96 public immutable producerStake;
    /// @notice Hybrid batches need attestations of at least this many staked producers (0: none).
    uint8 public attestThreshold;
    /// @notice Registered producers, in registration order (bit i of an attester set is producers[i]).
    address[] public producers;
    /// @notice 1 + a producer's position in `producers` (0: never registered).
    mapping(address => uint256) public producerSlot;
    /// @notice Each producer's stake (0 once slashed or exited).
    mapping(address => uint256) public stakes;
    /// @notice The last batch each producer attested (its stake stays locked until that batch is final).
    mapping(address => uint64) public lastAttested;
    /// @notice The producers who attested each batch, as a bitmap over `producers`.
    mapping(uint64 => uint256) public attesters;
    /// @notice Chain id of the L2, bound into every batch's public inputs.
    uint64 public immutable l2ChainId;
    /// @notice keccak256 of the L2's other consensus parameters (gas limit, fee rules): part of every
    /// batch proof's journal, so a proof under other rules does not verify here.
    bytes32 public immutable l2ConfigHash;
    /// @notice Hybrid mode: seconds after commitment before a batch can be finalized.
    uint64 public immutable challengeWindow;
    /// @notice Hybrid mode: seconds a challenge waits for a fraud proof.
    uint64 public immutable proofWindow;
    /// @notice Hybrid mode: wei a proposer locks per batch until it is finalized.
    uint96 public immutable bondAmount;
    /// @notice Hybrid mode: wei a challenger locks per challenge.
    uint96 public immutable challengerBond;
    /// @notice Seconds after which an unconsumed deposit must be included by the next batch.
    uint64 public immutable inclusionDeadline;
    /// @notice Seconds without a finalized batch after which anyone may freeze the Rollup (the escape
    /// hatch: users then leave through the Bridge with proofs against the last finalized state).
    uint64 public immutable freezeDelay;
    /// @notice Seconds without a commit by a proposer (or an active, staked member of the set) after which
    /// anyone may commit the next batches, each with its proof (and the bond in Hybrid mode), until a
    /// proposer commits again (the fallback proposer: the chain goes on if every operator stops or
    /// censors).
    uint64 public immutable fallbackDelay;
    /// @notice When the last batch was finalized (the deployment, before any).
    uint64 public lastFinalizedAt;
    /// @notice Frozen for good: nothing is committed or finalized any more.
    bool public frozen;

    /// @notice The Bridge holding the deposit queue (set once, after deployment).
    address public bridge;
    /// @notice Whether an address may commit batches.
    mapping(address => bool) public isProposer;
    /// @notice Index of the newest committed batch (0 = genesis only).
    uint64 public lastCommittedBatch;
    /// @notice Index of the newest finalized batch.
    uint64 public lastFinalizedBatch;
    /// @notice Besides the last commit, when the fallback's delay last started over: the deployment, a
    /// fraud proof's revert (the proposers get a whole delay to post replacements) or the naming of the
    /// set.
    /// (Kept in the slot of the two counters above, which every commit reads anyway.)
    uint64 public fallbackClockAt;
    /// @notice Payments whose push transfer failed, and bonds of reverted batches, claimable with
    /// `claimRefund`.
    mapping(address => uint256) public pendingRefunds;
    /// @notice Wei burned from slashed bonds (held here forever: nothing can withdraw it).
    uint256 public totalBurned;
    /// @notice The open challenge against each batch (zero challenger: none).
    mapping(uint64 => Challenge) public challenges;

    /// @notice Verifier of aggregate proofs: one proof finalizes a range of Zk batches (zero: none; Zk
    /// batches then finalize one proof each). Set once by the owner, like the bridge.
    IVerifier public aggregateVerifier;
    /// @notice The batch program an aggregate proof's journal must name (keccak256 of the batch guest's
    /// commitments as the aggregation guest reads them), set with `aggregateVerifier`.
    bytes32 public aggregateBatchProgram;
    /// @notice The journal hash of each Zk batch, kept at commitment so that a range finalizes for one
    /// storage read per batch.
    mapping(uint64 => bytes32) public journalHashes;

    /// @notice The sequencer set's members, and every candidate ever scheduled in, in the order they were
    /// named (empty: no set; then `isProposer` and `attestThreshold` rule).
    address[] public members;
    /// @notice Each named member's standing and its scheduled change.
    mapping(address => Membership) public membership;

    mapping(uint64 => BatchRecord) internal _batches;

    /// @notice A batch was committed.
    event BatchCommitted(
        uint64 indexed index, bytes32 dataHash, bytes32 postStateRoot, uint64 lastBlock, uint64 l1MessageCursor
    );
    /// @notice A batch became final: its withdrawals can be claimed.
    event BatchFinalized(uint64 indexed index);
    /// @notice The bridge was set.
    event BridgeSet(address bridge);
    /// @notice A proposer was allowed or disallowed.
    event ProposerSet(address indexed proposer, bool allowed);
    /// @notice A payment could not be pushed and was credited to `pendingRefunds`.
    event BondRefundDeferred(uint64 indexed index, address indexed proposer, uint256 amount);
    /// @notice Batch `index` was challenged; a fraud proof is accepted until `deadline`.
    event BatchChallenged(uint64 indexed index, address indexed challenger, uint64 deadline);
    /// @notice Fraud in batch `index` was proven by `prover`: it and every later batch are reverted.
    event FraudProven(
        uint64 indexed index, address indexed prover, address indexed proposer, uint256 reward, uint256 burned
    );
    /// @notice Batches `fromIndex` up to `toIndex` were reverted (`lastCommittedBatch` is now `fromIndex - 1`).
    event BatchesReverted(uint64 fromIndex, uint64 toIndex);
    /// @notice The challenge against batch `index` failed: `defended` by a validity proof, or timed out.
    event ChallengeFailed(uint64 indexed index, address indexed challenger, bool defended);
    /// @notice A proof of batch `index`'s committed journal was accepted.
    event BatchProven(uint64 indexed index);
    /// @notice The owner scheduled the switch to Zk: the first batch committed at or after `switchAt`.
    event ZkSwitchScheduled(uint64 switchAt);
    /// @notice The chain switched to Zk: batch `firstZkBatch` and every later one finalize by proof only.
    event SwitchedToZk(uint64 firstZkBatch);
    /// @notice `producer` staked and may attest batches.
    event ProducerRegistered(address indexed producer, uint256 stake);
    /// @notice `producer` left with its stake.
    event ProducerExited(address indexed producer, uint256 stake);
    /// @notice `producer` attested false batch `index` and lost its stake (half burned).
    event ProducerSlashed(uint64 indexed index, address indexed producer, uint256 stake);
    /// @notice The attestation threshold changed.
    event AttestThresholdSet(uint8 threshold);
    /// @notice The aggregate verifier was set (for proofs that aggregate `batchProgram`'s proofs).
    event AggregateVerifierSet(address verifier, bytes32 batchProgram);
    /// @notice One aggregate proof finalized batches `fromIndex` up to `toIndex`.
    event RangeFinalized(uint64 fromIndex, uint64 toIndex);
    /// @notice No batch was finalized for `freezeDelay`: the Rollup is frozen at the last finalized
    /// batch, whose state users escape from.
    event Frozen(uint64 lastFinalizedBatch, bytes32 stateRoot, uint64 l1MessageCursor);

    /// @notice `member` joins (`active`) or leaves the sequencer set at `effectiveAt` (0: from the
    /// start). The L2's set deciding a block is the members active at its parent's timestamp.
    event MembershipScheduled(address indexed member, bool active, uint64 effectiveAt);

    /// @notice Zk mode was configured without a verifier.
    error InvalidConfig();
    /// @notice The zero address was given where a contract is required.
    error ZeroAddress();
    /// @notice The bridge can only be set once.
    error BridgeAlreadySet();
    /// @notice No batch can be committed before the bridge is set.
    error BridgeNotSet();
    /// @notice `caller` is not an allowed proposer.
    error NotProposer(address caller);
    /// @notice The call belongs to the other finalization mode.
    error WrongMode();
    /// @notice `msg.value` is not the bond (`bondAmount` in Hybrid mode, 0 in Zk mode).
    error WrongBond(uint256 sent, uint256 required);
    /// @notice The header's index is not `lastCommittedBatch + 1`.
    error WrongBatchIndex(uint64 index, uint64 expected);
    /// @notice The header does not start from the previous batch's post-state root.
    error WrongPrevStateRoot(bytes32 prevStateRoot, bytes32 expected);
    /// @notice The header does not start right after the previous batch's last block.
    error WrongFirstBlock(uint64 firstBlock, uint64 expected);
    /// @notice The batch's last block is before its first block.
    error InvalidBlockRange(uint64 firstBlock, uint64 lastBlock);
    /// @notice A batch must carry data.
    error EmptyBatchData();
    /// @notice The batch would un-consume L1 messages.
    error L1CursorBackwards(uint64 cursor, uint64 previous);
    /// @notice The batch claims to consume L1 messages that were never queued.
    error L1CursorBeyondQueue(uint64 cursor, uint256 queueLength);
    /// @notice The oldest unconsumed deposit (at `cursor`) is past its inclusion deadline.
    error ForcedInclusionRequired(uint64 cursor);
    /// @notice Batch `index` has not been committed.
    error BatchNotCommitted(uint64 index);
    /// @notice Batch `index` is already final.
    error BatchAlreadyFinalized(uint64 index);
    /// @notice Batches finalize in order; `expected` is next.
    error NotNextBatch(uint64 index, uint64 expected);
    /// @notice Batch `index` cannot be finalized before `finalizableAt`.
    error ChallengeWindowOpen(uint64 index, uint256 finalizableAt);
    /// @notice The verifier rejected the proof.
    error InvalidProof();
    /// @notice The Hybrid game is off: no verifier for fraud proofs.
    error NoProofVerifier();
    /// @notice Batch `index` already has an open challenge.
    error AlreadyChallenged(uint64 index);
    /// @notice Batch `index` has no open challenge.
    error NotChallenged(uint64 index);
    /// @notice Batch `index` is under challenge and cannot finalize until it is resolved.
    error BatchUnderChallenge(uint64 index, uint64 deadline);
    /// @notice Batch `index` can no longer be challenged (since `closedAt`).
    error ChallengeWindowClosed(uint64 index, uint256 closedAt);
    /// @notice The challenge against batch `index` no longer accepts fraud proofs (since `deadline`).
    error ProofWindowClosed(uint64 index, uint64 deadline);
    /// @notice The challenge against batch `index` still accepts fraud proofs until `deadline`.
    error ProofWindowOpen(uint64 index, uint64 deadline);
    /// @notice The claimed outputs equal what batch `index` committed: nothing to defraud.
    error NotFraud(uint64 index);
    /// @notice Batch `index` was proven valid.
    error BatchIsProven(uint64 index);
    /// @notice In Zk mode batch `index` needs a proof to finalize.
    error NotProven(uint64 index);
    /// @notice Batch `index` is committed (only reverted batches' bonds can be released).
    error BatchNotReverted(uint64 index);
    /// @notice The switch to Zk is already scheduled.
    error SwitchAlreadyScheduled(uint64 switchAt);
    /// @notice This batch needs producers' attestations: use `commitAttestedBatch`.
    error AttestationsRequired(uint8 threshold);
    /// @notice The attestations are malformed, from unstaked producers, out of order, or too few.
    error InvalidAttestations();
    /// @notice `producer` is already registered (or was slashed: a slashed producer cannot return).
    error ProducerAlreadyRegistered(address producer);
    /// @notice The producer set is full (256).
    error TooManyProducers();
    /// @notice `producer` has no stake.
    error NotAProducer(address producer);
    /// @notice The stake stays locked until batch `index`, the last one it attested, is final.
    error StakeLocked(uint64 index);
    /// @notice The threshold exceeds the staked producers.
    error ThresholdTooHigh(uint8 threshold, uint256 producers);
    /// @notice The aggregate verifier can only be set once.
    error AggregateVerifierAlreadySet();
    /// @notice The caller has no parked bond refund.
    error NothingToRefund();
    /// @notice Sending the parked refund to the caller failed.
    error RefundFailed();
    /// @notice The Rollup is frozen: nothing is committed or finalized any more.
    error RollupFrozen();
    /// @notice A batch was finalized less than `freezeDelay` ago.
    error NotFreezable(uint256 freezableAt);
    /// @notice The escape hatch is open only once the Rollup is frozen.
    error NotFrozen();
    /// @notice The sequencer set was named already, or batches were committed without one.
    error SetAlreadyNamed();
    /// @notice The Rollup has no sequencer set (`initMembers` names one).
    error NoSequencerSet();
    /// @notice With a sequencer set, the attestation threshold follows the set.
    error ThresholdFollowsTheSet();
    /// @notice A change of `member` is scheduled already, for `effectiveAt`.
    error MembershipPending(address member, uint64 effectiveAt);
    /// @notice `member` is already what the change asks for.
    error MembershipUnchanged(address member, bool active);
    /// @notice The change would leave the sequencer set without members.
    error EmptySet();
    /// @notice A member of the sequencer set (now or scheduled) keeps its stake until it has left.
    error StillAMember(address member);
    /// @notice Only a proof at commit lets someone other than a proposer commit (`commitProvenBatch`):
    /// its data might be undecodable, which no fraud proof can show, or (Zk) unprovable, which would stop
    /// finality until the Rollup freezes.
    error ProofRequired();

    /// Once frozen, the last finalized state is what users escape from: it must not move.
    modifier notFrozen() {
        if (frozen) revert RollupFrozen();
        _;
    }

    /// Whether the caller commits as a proposer; anyone else may only while the fallback is open.
    function _proposerOrFallback() private view returns (bool proposer) {
        proposer = isProposer[msg.sender] || _counts(msg.sender);
        if (!proposer && !fallbackOpen()) revert NotProposer(msg.sender);
    }

    /// @dev In Zk mode the hybrid terms are unused (batches carry no bond and cannot be challenged).
    constructor(
        address owner_,
        IVerifier verifier_,
        Mode mode_,
        uint64 l2ChainId_,
        bytes32 l2ConfigHash_,
        bytes32 genesisStateRoot,
        bytes32 genesisBlockHash,
        HybridTerms memory terms,
        uint64 inclusionDeadline_
    ) Ownable(owner_) {
        // Zk mode cannot finalize anything without a verifier.
        if (mode_ == Mode.Zk && address(verifier_) == address(0)) revert InvalidConfig();
        // A free challenge would let anyone stall finalization a proof window at a time; an empty
        // proof window would make every challenge lose.
        if (
            mode_ == Mode.Hybrid && address(verifier_) != address(0)
                && (terms.challengerBond == 0 || terms.proofWindow == 0)
        ) revert InvalidConfig();
        // A batch must be able to finalize, even through a whole challenge, before the chain can be
        // frozen for want of finalization — a fallback proposer's too, which may only start after
        // `fallbackDelay`.
        if (terms.fallbackDelay == 0) revert InvalidConfig();
        if (terms.freezeDelay <= uint256(terms.fallbackDelay) + terms.challengeWindow + terms.proofWindow) {
            revert InvalidConfig();
        }
        verifier = verifier_;
        mode = mode_;
        if (mode_ == Mode.Zk) zkFromBatch = 1;
        switchDelay = terms.switchDelay;
        producerStake = terms.producerStake;
        l2ChainId = l2ChainId_;
        l2ConfigHash = l2ConfigHash_;
        challengeWindow = terms.challengeWindow;
        proofWindow = terms.proofWindow;
        bondAmount = terms.bondAmount;
        challengerBond = terms.challengerBond;
        inclusionDeadline = inclusionDeadline_;
        freezeDelay = terms.freezeDelay;
        fallbackDelay = terms.fallbackDelay;
        fallbackClockAt = uint64(block.timestamp);
        lastFinalizedAt = uint64(block.timestamp);

        // Batch 0 is the genesis: final by definition, and the anchor batch 1 chains onto.
        BatchRecord storage genesis = _batches[0];
        genesis.postStateRoot = genesisStateRoot;
        genesis.lastBlockHash = genesisBlockHash;
    }

    // ---- admin ------------------------------------------------------------

    /// @notice Sets the Bridge; only once, since the Bridge's queue is part of every batch's commitment.
    function setBridge(address bridge_) external onlyOwner {
        if (bridge_ == address(0)) revert ZeroAddress();
        if (bridge != address(0)) revert BridgeAlreadySet();
        bridge = bridge_;
        emit BridgeSet(bridge_);
    }

    /// @notice Sets the verifier of aggregate proofs and the batch program they aggregate; only once,
    /// since it decides what finalizes Zk batches.
    function setAggregateVerifier(IVerifier verifier_, bytes32 batchProgram) external onlyOwner {
        if (address(verifier_) == address(0)) revert ZeroAddress();
        if (address(aggregateVerifier) != address(0)) revert AggregateVerifierAlreadySet();
        aggregateVerifier = verifier_;
        aggregateBatchProgram = batchProgram;
        emit AggregateVerifierSet(address(verifier_), batchProgram);
    }

    /// @notice Schedules the switch from Hybrid to Zk `switchDelay` seconds from now. Batches committed
    /// before it finish under Hybrid rules; from the first batch committed at or after it, finalization
    /// needs a proof. Needs a proof verifier.
    function scheduleZkSwitch() external onlyOwner {
        if (mode != Mode.Hybrid) revert WrongMode();
        if (address(verifier) == address(0)) revert NoProofVerifier();
        if (zkSwitchAt != 0) revert SwitchAlreadyScheduled(zkSwitchAt);
        uint64 switchAt = uint64(block.timestamp) + switchDelay;
        zkSwitchAt = switchAt;
        emit ZkSwitchScheduled(switchAt);
    }

    /// @notice Hybrid batches need attestations of at least `threshold` staked producers (0: none).
    function setAttestThreshold(uint8 threshold) external onlyOwner {
        if (members.length != 0) revert ThresholdFollowsTheSet();
        uint256 staked = 0;
        for (uint256 i = 0; i < producers.length; i++) {
            if (stakes[producers[i]] != 0) staked++;
        }
        if (threshold > staked) revert ThresholdTooHigh(threshold, staked);
        attestThreshold = threshold;
        emit AttestThresholdSet(threshold);
    }

    /// @notice Stakes exactly `producerStake` for `producer`, which may then attest hybrid batches.
    /// Anyone may pay; the stake belongs to the producer.
    function registerProducer(address producer) external payable nonReentrant {
        if (producer == address(0)) revert ZeroAddress();
        if (producerSlot[producer] != 0) revert ProducerAlreadyRegistered(producer);
        if (producers.length == 256) revert TooManyProducers();
        if (msg.value != producerStake || msg.value == 0) revert WrongBond(msg.value, producerStake);
        producers.push(producer);
        producerSlot[producer] = producers.length;
        stakes[producer] = msg.value;
        emit ProducerRegistered(producer, msg.value);
    }

    /// @notice The caller leaves the producer set with its stake, once every batch it attested is final.
    /// The threshold must still be reachable without it.
    function exitProducer() external nonReentrant {
        uint256 stake = stakes[msg.sender];
        if (stake == 0) revert NotAProducer(msg.sender);
        if (isMember(msg.sender) || membership[msg.sender].next) revert StillAMember(msg.sender);
        uint64 last = lastAttested[msg.sender];
        if (last > lastFinalizedBatch) revert StakeLocked(last);
        stakes[msg.sender] = 0;
        uint256 staked = 0;
        for (uint256 i = 0; i < producers.length; i++) {
            if (stakes[producers[i]] != 0) staked++;
        }
        if (attestThreshold > staked) revert ThresholdTooHigh(attestThreshold, staked);
        emit ProducerExited(msg.sender, stake);
        _pay(0, msg.sender, stake);
    }

    /// @notice Allows or disallows `proposer` to commit batches.
    function setProposer(address proposer, bool allowed) external onlyOwner {
        isProposer[proposer] = allowed;
        emit ProposerSet(proposer, allowed);
    }

    /// @notice Names the sequencer set, every member active at once: they may commit batches, and each
    /// hybrid batch needs attestations of `⌊2N/3⌋ + 1` of the N active members (each also a staked
    /// producer). Only once, and only before the first batch; later changes go through `scheduleMember`.
    function initMembers(address[] calldata initial) external onlyOwner {
        if (members.length != 0 || lastCommittedBatch != 0) revert SetAlreadyNamed();
        if (initial.length == 0) revert EmptySet();
        if (initial.length > 256) revert TooManyProducers();
        for (uint256 i = 0; i < initial.length; i++) {
            address m = initial[i];
            if (m == address(0)) revert ZeroAddress();
            Membership storage ms = membership[m];
            if (ms.named) revert MembershipUnchanged(m, true);
            if (stakes[m] == 0) revert NotAProducer(m);
            (ms.active, ms.next, ms.named) = (true, true, true);
            members.push(m);
            emit MembershipScheduled(m, true, 0);
        }
        fallbackClockAt = uint64(block.timestamp);
    }

    /// @notice Schedules `member` to join (`active`) or leave the sequencer set `switchDelay` seconds
    /// from now, so that every member sees the change on L1 long before its L2 blocks follow it. One
    /// change per member at a time; the set never schedules itself empty.
    function scheduleMember(address member, bool active) external onlyOwner {
        if (members.length == 0) revert NoSequencerSet();
        if (member == address(0)) revert ZeroAddress();
        Membership storage ms = membership[member];
        if (block.timestamp < ms.effectiveAt) revert MembershipPending(member, ms.effectiveAt);
        if (ms.next == active) revert MembershipUnchanged(member, active);
        // A member attests: one without a stake could only make every batch's attestations invalid.
        if (active && stakes[member] == 0) revert NotAProducer(member);
        if (!ms.named) {
            if (members.length == 256) revert TooManyProducers();
            ms.named = true;
            members.push(member);
        }
        uint64 effectiveAt = uint64(block.timestamp) + switchDelay;
        (ms.active, ms.next, ms.effectiveAt) = (ms.next, active, effectiveAt);
        if (!active) {
            bool left = false;
            for (uint256 i = 0; i < members.length && !left; i++) {
                left = membership[members[i]].next;
            }
            if (!left) revert EmptySet();
        }
        emit MembershipScheduled(member, active, effectiveAt);
    }

    /// @notice Whether `a` is an active member of the sequencer set now.
    function isMember(address a) public view returns (bool) {
        Membership storage ms = membership[a];
        return block.timestamp >= ms.effectiveAt ? ms.next : ms.active;
    }

    /// @notice How many members of the sequencer set are active now and staked (a member slashed for a
    /// false batch no longer counts, so the others can still reach the quorum until it is scheduled out).
    function activeMembers() public view returns (uint256 n) {
        for (uint256 i = 0; i < members.length; i++) {
            if (_counts(members[i])) n++;
        }
    }

    function _counts(address m) private view returns (bool) {
        return isMember(m) && stakes[m] != 0;
    }

    /// @notice How many attestations a hybrid batch needs now: `⌊2N/3⌋ + 1` of the N active, staked
    /// members with a sequencer set, else `attestThreshold`.
    function attestQuorum() public view returns (uint256) {
        if (members.length == 0) return attestThreshold;
        return 2 * activeMembers() / 3 + 1;
    }

    /// @notice How many members the sequencer set has ever named (candidates included).
    function memberCount() external view returns (uint256) {
        return members.length;
    }

    /// @notice The members active now and staked, in the order they were named (the posters' rotation,
    /// and whose attestations count).
    function activeSet() external view returns (address[] memory active) {
        active = new address[](activeMembers());
        uint256 k = 0;
        for (uint256 i = 0; i < members.length; i++) {
            if (_counts(members[i])) active[k++] = members[i];
        }
    }

    // ---- commit -----------------------------------------------------------

    /// @notice Commits the next batch: `header` must chain onto the last committed batch, and
    /// `data` is the batch's data (only its hash is kept; the calldata is the availability layer).
    /// Proposers only (a Hybrid batch needs `commitAttestedBatch` while a quorum is required); anyone
    /// else commits through `commitProvenBatch` while `fallbackOpen()`.
    function commitBatch(BatchHeader calldata header, bytes calldata data) external payable nonReentrant {
        if (!_proposerOrFallback()) revert ProofRequired();
        _commit(header, data);
        _requireNoQuorum();
    }

    /// A proposer's batch without attestations: refused in Hybrid mode while a quorum is required, and
    /// in either mode from a sequencer set's member (the set's quorum is what L1 holds of its agreement).
    function _requireNoQuorum() private view {
        if (mode != Mode.Hybrid && members.length == 0) return;
        uint256 quorum = attestQuorum();
        // casting to 'uint8' is safe because a set has at most 256 members, so a quorum of at most 171
        // forge-lint: disable-next-line(unsafe-typecast)
        if (quorum != 0) revert AttestationsRequired(uint8(quorum));
    }

    /// @notice Commits the next batch with the producers' attestations: 65-byte signatures (r ‖ s ‖ v)
    /// over the EIP-191 personal-sign hash of the batch's `publicInputsHash`, by staked producers in
    /// strictly ascending address order, low s, at least `attestThreshold` of them. The attesters are
    /// recorded: if the batch is proven false, their stakes are slashed. In Zk mode the proof is what
    /// counts, so attestations are ignored — except a sequencer set's quorum, still checked (not
    /// recorded): a proof shows a batch valid, not that the set decided its blocks, and without the
    /// check one member could settle another valid chain than the one the set finalized on L2.
    /// Proposers only.
    function commitAttestedBatch(BatchHeader calldata header, bytes calldata data, bytes calldata attestations)
        external
        payable
        nonReentrant
    {
        if (!_proposerOrFallback()) revert ProofRequired();
        _commit(header, data);
        if (mode == Mode.Zk) {
            if (members.length != 0) _checkAttestations(publicInputsHash(header.index), attestations);
            return;
        }
        uint256 set = _checkAttestations(publicInputsHash(header.index), attestations);
        attesters[header.index] = set;
        for (uint256 i = 0; i < producers.length; i++) {
            if (set & (1 << i) != 0) lastAttested[producers[i]] = header.index;
        }
    }

    /// @notice Commits the next batch with a proof of its journal, in either mode: it is final as soon
    /// as its predecessors are (at once when it is next). Anyone while `fallbackOpen()` — bonded in
    /// Hybrid mode, without attestations — and proposers, who in Hybrid mode are still held to the
    /// set's quorum (a proof shows a batch valid, not that the set decided its blocks).
    function commitProvenBatch(BatchHeader calldata header, bytes calldata data, bytes calldata proof)
        external
        payable
        nonReentrant
    {
        bool proposer = _proposerOrFallback();
        _commit(header, data);
        if (proposer) {
            _requireNoQuorum();
        } else {
            // The fallback stays open until a proposer commits again.
            _batches[header.index].byFallback = true;
        }
        _acceptProof(header.index, proof);
    }

    /// @notice Whether anyone may commit the next batch: no proposer (nor member of the set) has
    /// committed for `fallbackDelay` (counted from the last commit, the last revert by a fraud proof, or
    /// the naming of the set), or the last batch was such a fallback commit, or an L1 message the last
    /// batch left unconsumed is past its inclusion deadline (censorship). Never once frozen, and never on
    /// a Hybrid Rollup without a proof verifier (nobody could challenge a fallback's false batch).
    function fallbackOpen() public view returns (bool) {
        if (frozen || address(verifier) == address(0)) return false;
        uint64 last = lastCommittedBatch;
        BatchRecord storage rec = _batches[last];
        if (rec.byFallback) return true;
        // Genesis has no commit time: the deployment, in the clock, stands for it.
        uint256 since = rec.committedAt > fallbackClockAt ? rec.committedAt : fallbackClockAt;
        if (block.timestamp >= since + fallbackDelay) return true;
        address bridge_ = bridge;
        if (bridge_ == address(0)) return false;
        IDepositQueue queue = IDepositQueue(bridge_);
        return _overdue(queue, rec.l1MessageCursor, queue.queueLength());
    }

    /// Whether the L1 message at `cursor` exists (the queue holds `queueLength`) and is past its inclusion
    /// deadline. Summed in uint256 so a huge deadline (in effect "off") cannot overflow.
    function _overdue(IDepositQueue queue, uint64 cursor, uint256 queueLength) private view returns (bool) {
        return cursor < queueLength && uint256(queue.enqueuedAt(cursor)) + inclusionDeadline <= block.timestamp;
    }

    /// The bitmap of the producers whose attestations `sigs` holds; reverts unless they are valid and at
    /// least `attestQuorum()` (with a sequencer set, only its active members count).
    function _checkAttestations(bytes32 inputsHash, bytes calldata sigs) private view returns (uint256 set) {
        uint256 count = Attestations.count(sigs);
        bool inSet = members.length != 0;
        if (count == 0 || count < attestQuorum()) revert InvalidAttestations();
        bytes32 digest = Attestations.digest(inputsHash);
        address previous = address(0);
        for (uint256 i = 0; i < count; i++) {
            address signer = Attestations.signerAt(sigs, i, digest, previous);
            if (signer == address(0) || stakes[signer] == 0) revert InvalidAttestations();
            if (inSet && !isMember(signer)) revert InvalidAttestations();
            previous = signer;
            set |= 1 << (producerSlot[signer] - 1);
        }
    }

    function _commit(BatchHeader calldata header, bytes calldata data) private {
        if (frozen) revert RollupFrozen();
        address bridge_ = bridge;
        if (bridge_ == address(0)) revert BridgeNotSet();
        if (mode == Mode.Hybrid && zkSwitchAt != 0 && block.timestamp >= zkSwitchAt) {
            mode = Mode.Zk;
            zkFromBatch = header.index;
            emit SwitchedToZk(header.index);
        }
        uint256 requiredBond = mode == Mode.Hybrid ? bondAmount : 0;
        if (msg.value != requiredBond) revert WrongBond(msg.value, requiredBond);

        uint64 prevIndex = lastCommittedBatch;
        if (header.index != prevIndex + 1) revert WrongBatchIndex(header.index, prevIndex + 1);
        BatchRecord storage prev = _batches[prevIndex];
        if (header.prevStateRoot != prev.postStateRoot) {
            revert WrongPrevStateRoot(header.prevStateRoot, prev.postStateRoot);
        }
        if (header.firstBlock != prev.lastBlock + 1) revert WrongFirstBlock(header.firstBlock, prev.lastBlock + 1);
        if (header.lastBlock < header.firstBlock) revert InvalidBlockRange(header.firstBlock, header.lastBlock);
        if (data.length == 0) revert EmptyBatchData();

        uint64 cursor = header.l1MessageCursor;
        if (cursor < prev.l1MessageCursor) revert L1CursorBackwards(cursor, prev.l1MessageCursor);
        IDepositQueue queue = IDepositQueue(bridge_);
        uint256 queueLength = queue.queueLength();
        if (cursor > queueLength) revert L1CursorBeyondQueue(cursor, queueLength);
        // Censorship resistance: once the oldest deposit this batch leaves unconsumed is
        // overdue, no batch is accepted until one consumes it.
        if (_overdue(queue, cursor, queueLength)) revert ForcedInclusionRequired(cursor);

        // The slot may hold a batch a fraud proof reverted: release what it still holds first.
        _releaseReverted(header.index);
        bytes32 dataHash = keccak256(data);
        BatchRecord storage rec = _batches[header.index];
        rec.dataHash = dataHash;
        rec.postStateRoot = header.postStateRoot;
        rec.withdrawalsRoot = header.withdrawalsRoot;
        rec.lastBlockHash = header.lastBlockHash;
        rec.l1MessagesHash = queue.rollingHash(cursor);
        rec.prevStateRoot = header.prevStateRoot;
        rec.lastBlock = header.lastBlock;
        rec.l1MessageCursor = cursor;
        rec.committedAt = uint64(block.timestamp);
        rec.proposer = msg.sender;
        rec.bond = uint96(msg.value); // == bondAmount (a uint96) or 0
        rec.proven = false;
        rec.byFallback = false;
        lastCommittedBatch = header.index;
        if (mode == Mode.Zk) journalHashes[header.index] = publicInputsHash(header.index);

        attesters[header.index] = 0;
        emit BatchCommitted(header.index, dataHash, header.postStateRoot, header.lastBlock, cursor);
    }

    // ---- finalize -----------------------------------------------------------

    /// @notice Finalizes the next batch: a proven one at once; in Hybrid mode an unproven one once its
    /// challenge window has passed and no challenge is open (a challenge whose proof window ran out
    /// without a fraud proof is resolved here, its bond going to the proposer). The proposer's bond
    /// is refunded. Anyone may call it.
    function finalizeBatch(uint64 index) external nonReentrant notFrozen {
        BatchRecord storage rec = _checkNextToFinalize(index);
        if (!rec.proven) {
            if (_isZkBatch(index)) revert NotProven(index);
            Challenge memory c = challenges[index];
            if (c.challenger != address(0)) {
                if (block.timestamp <= c.deadline) revert BatchUnderChallenge(index, c.deadline);
                _challengeFailed(index, c, rec.proposer, false);
            }
            uint256 finalizableAt = uint256(rec.committedAt) + challengeWindow;
            if (block.timestamp < finalizableAt) revert ChallengeWindowOpen(index, finalizableAt);
        }
        _finalize(rec, index);
    }

    /// @notice Accepts a proof of batch `index`'s committed journal: the batch becomes final as soon as
    /// its predecessors are (at once if it is the next), and an open challenge against it fails, its
    /// bond going to the proposer. Anyone may call it, in either mode.
    function proveBatch(uint64 index, bytes calldata proof) external nonReentrant notFrozen {
        if (address(verifier) == address(0)) revert NoProofVerifier();
        if (index == 0 || index > lastCommittedBatch) revert BatchNotCommitted(index);
        if (index <= lastFinalizedBatch) revert BatchAlreadyFinalized(index);
        _acceptProof(index, proof);
    }

    function _acceptProof(uint64 index, bytes calldata proof) private {
        if (address(verifier) == address(0)) revert NoProofVerifier();
        if (!verifier.verify(publicInputsHash(index), proof)) revert InvalidProof();
        BatchRecord storage rec = _batches[index];
        rec.proven = true;
        emit BatchProven(index);
        Challenge memory c = challenges[index];
        if (c.challenger != address(0)) _challengeFailed(index, c, rec.proposer, true);
        if (index == lastFinalizedBatch + 1) _finalize(rec, index);
    }

    /// @notice Finalizes every unfinalized Zk batch up to `to` with one aggregate proof: `proof` must
    /// verify under `aggregateVerifier` against `aggregateInputsHash(lastFinalizedBatch + 1, to)`, the
    /// hash of the aggregate journal that chains those batches (first previous state root and block,
    /// last outputs, every batch's journal hash). Zk batches carry no bond, so nothing is paid. Anyone
    /// may call it.
    function finalizeRange(uint64 to, bytes calldata proof) external nonReentrant notFrozen {
        IVerifier v = aggregateVerifier;
        if (address(v) == address(0)) revert NoProofVerifier();
        uint64 from = lastFinalizedBatch + 1;
        if (to < from) revert BatchAlreadyFinalized(to);
        if (!_isZkBatch(from)) revert WrongMode();
        if (!v.verify(aggregateInputsHash(from, to), proof)) revert InvalidProof();
        lastFinalizedBatch = to;
        lastFinalizedAt = uint64(block.timestamp);
        emit RangeFinalized(from, to);
    }

    /// @notice Hybrid mode: challenges batch `index` inside its challenge window, locking
    /// `challengerBond`. Until the challenge is resolved neither the batch nor any later one can
    /// finalize. Anyone may call it.
    function challenge(uint64 index) external payable nonReentrant {
        if (_isZkBatch(index)) revert WrongMode();
        if (address(verifier) == address(0)) revert NoProofVerifier();
        if (index == 0 || index > lastCommittedBatch) revert BatchNotCommitted(index);
        BatchRecord storage rec = _batches[index];
        if (index <= lastFinalizedBatch) revert BatchAlreadyFinalized(index);
        if (rec.proven) revert BatchIsProven(index);
        if (challenges[index].challenger != address(0)) revert AlreadyChallenged(index);
        uint256 closesAt = uint256(rec.committedAt) + challengeWindow;
        if (block.timestamp >= closesAt) revert ChallengeWindowClosed(index, closesAt);
        if (msg.value != challengerBond) revert WrongBond(msg.value, challengerBond);
        uint64 deadline = uint64(block.timestamp) + proofWindow;
        challenges[index] = Challenge(msg.sender, uint96(msg.value), deadline);
        emit BatchChallenged(index, msg.sender, deadline);
    }

    /// @notice Proves that challenged batch `index` is false: `proof` is a proof of the journal whose
    /// inputs are the batch's (chain, rules, previous state root and block hash, data hash) and whose
    /// outputs are `truth`, which must differ from what was committed. The batch and every later
    /// unfinalized one are reverted; the caller gets the proposer's bond less the burned share, the
    /// challenger its bond back; the proposer may no longer propose. Anyone may call it while the
    /// challenge's proof window is open.
    function proveFraud(uint64 index, BatchOutputs calldata truth, bytes calldata proof) external nonReentrant {
        if (index == 0 || index > lastCommittedBatch) revert BatchNotCommitted(index);
        Challenge memory c = challenges[index];
        if (c.challenger == address(0)) revert NotChallenged(index);
        if (block.timestamp > c.deadline) revert ProofWindowClosed(index, c.deadline);
        BatchRecord storage rec = _batches[index];
        if (
            truth.postStateRoot == rec.postStateRoot && truth.withdrawalsRoot == rec.withdrawalsRoot
                && truth.lastBlockHash == rec.lastBlockHash && truth.lastBlock == rec.lastBlock
                && truth.l1MessageCursor == rec.l1MessageCursor
        ) revert NotFraud(index);
        uint256 queueLength = IDepositQueue(bridge).queueLength();
        if (truth.l1MessageCursor > queueLength) revert L1CursorBeyondQueue(truth.l1MessageCursor, queueLength);
        bytes32 l1MessagesHash = IDepositQueue(bridge).rollingHash(truth.l1MessageCursor);
        if (!verifier.verify(_journalHash(index, truth, l1MessagesHash), proof)) revert InvalidProof();

        address proposer = rec.proposer;
        uint256 bond = rec.bond;
        rec.bond = 0;
        delete challenges[index];
        uint64 last = lastCommittedBatch;
        lastCommittedBatch = index - 1;
        fallbackClockAt = uint64(block.timestamp);
        // After the switch, what replaces the reverted batches is committed under Zk rules.
        if (zkFromBatch > index) zkFromBatch = index;
        emit BatchesReverted(index, last);
        if (isProposer[proposer]) {
            isProposer[proposer] = false;
            emit ProposerSet(proposer, false);
        }
        // The producers who attested the false batch lose their stakes the same way as the proposer
        // its bond, and their place in the set.
        uint256 set = attesters[index];
        for (uint256 i = 0; set != 0 && i < producers.length; i++) {
            if (set & (1 << i) == 0) continue;
            address p = producers[i];
            uint256 stake = stakes[p];
            stakes[p] = 0;
            bond += stake;
            emit ProducerSlashed(index, p, stake);
            _expel(p);
        }
        bond += _slashPostingMember(index, proposer);
        uint256 burned = bond * BURN_BPS / 10_000;
        uint256 reward = bond - burned;
        totalBurned += burned;
        emit FraudProven(index, msg.sender, proposer, reward, burned);
        _pay(index, msg.sender, reward);
        _pay(index, c.challenger, c.bond);
    }

    /// @notice Credits the bonds a reverted batch `index` still holds (its proposer's, and an open
    /// challenge's) to their owners' `pendingRefunds`. Committing a new batch at that index does the
    /// same; this is for slots the chain has not reached again. Anyone may call it.
    function releaseReverted(uint64 index) external nonReentrant {
        if (index <= lastCommittedBatch) revert BatchNotReverted(index);
        _releaseReverted(index);
    }

    /// @notice Pays out what could not be pushed to the caller, and bonds of reverted batches.
    function claimRefund() external nonReentrant {
        uint256 amount = pendingRefunds[msg.sender];
        if (amount == 0) revert NothingToRefund();
        pendingRefunds[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert RefundFailed();
    }

    function _checkNextToFinalize(uint64 index) private view returns (BatchRecord storage rec) {
        rec = _batches[index];
        if (index <= lastFinalizedBatch) revert BatchAlreadyFinalized(index);
        // Finality is in order: a batch's prevStateRoot is only trusted once its parent is final.
        if (index != lastFinalizedBatch + 1) revert NotNextBatch(index, lastFinalizedBatch + 1);
        if (index > lastCommittedBatch) revert BatchNotCommitted(index);
    }

    /// Whether batch `index` was (or will be) committed under Zk rules.
    function _isZkBatch(uint64 index) private view returns (bool) {
        return zkFromBatch != 0 && index >= zkFromBatch;
    }

    /// Marks `index` final and refunds its proposer's bond.
    function _finalize(BatchRecord storage rec, uint64 index) private {
        lastFinalizedBatch = index;
        lastFinalizedAt = uint64(block.timestamp);
        emit BatchFinalized(index);
        uint256 bond = rec.bond;
        rec.bond = 0;
        _pay(index, rec.proposer, bond);
    }

    /// A challenge that lost (to a validity proof, or by running out of time): its bond goes to the
    /// batch's proposer.
    /// A set's member that posted a false batch loses its stake, and with it its right to commit, even
    /// if it left its own attestation out; returns the stake.
    function _slashPostingMember(uint64 index, address proposer) private returns (uint256 own) {
        own = membership[proposer].named ? stakes[proposer] : 0;
        if (own != 0) {
            stakes[proposer] = 0;
            emit ProducerSlashed(index, proposer, own);
        }
        _expel(proposer);
    }

    /// A slashed member leaves the sequencer set `switchDelay` from now, as if the owner scheduled it
    /// out, so that the L2's set (which follows the same event) drops it too; until then it no longer
    /// counts here (no stake). A member leaving already is left as it is; a join still pending is
    /// cancelled here, though the L2 lets it in from that join until this change. Unlike the owner's
    /// changes this may empty the set: a set whose quorum attested a false batch has no claim to go
    /// on, and the fallback proposer opens after its delay.
    function _expel(address m) private {
        Membership storage ms = membership[m];
        if (!ms.named || !ms.next) return;
        uint64 effectiveAt = uint64(block.timestamp) + switchDelay;
        (ms.active, ms.next, ms.effectiveAt) = (isMember(m), false, effectiveAt);
        emit MembershipScheduled(m, false, effectiveAt);
    }

    function _challengeFailed(uint64 index, Challenge memory c, address proposer, bool defended) private {
        delete challenges[index];
        emit ChallengeFailed(index, c.challenger, defended);
        _pay(index, proposer, c.bond);
    }

    /// Credits what a reverted batch's slot still holds to its owners; a no-op on an empty slot.
    function _releaseReverted(uint64 index) private {
        BatchRecord storage rec = _batches[index];
        uint256 bond = rec.bond;
        if (bond != 0) {
            rec.bond = 0;
            pendingRefunds[rec.proposer] += bond;
            emit BondRefundDeferred(index, rec.proposer, bond);
        }
        Challenge memory c = challenges[index];
        if (c.challenger != address(0)) {
            delete challenges[index];
            pendingRefunds[c.challenger] += c.bond;
            emit BondRefundDeferred(index, c.challenger, c.bond);
        }
    }

    /// Sends `amount` to `to`; if that fails, parks it in `pendingRefunds` so a recipient that rejects
    /// ETH cannot stall finalization or a game for everyone.
    function _pay(uint64 index, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        // Assembly so a hostile recipient cannot return-bomb us with huge return data.
        assembly ("memory-safe") {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!ok) {
            pendingRefunds[to] += amount;
            emit BondRefundDeferred(index, to, amount);
        }
    }

    // ---- views --------------------------------------------------------------

    /// @notice Hash of batch `index`'s zk journal — what the batch guest reveals: keccak256 of the packed
    /// (uint64 l2ChainId, l2ConfigHash, prevStateRoot, postStateRoot, prevBlockHash, lastBlockHash,
    /// uint64 lastBlock, dataHash, uint64 l1MessageCursor, l1MessagesHash, withdrawalsRoot), where
    /// prevBlockHash is the previous batch's last block hash.
    function publicInputsHash(uint64 index) public view returns (bytes32) {
        if (index == 0 || index > lastCommittedBatch) revert BatchNotCommitted(index);
        BatchRecord storage rec = _batches[index];
        BatchOutputs memory committed =
            BatchOutputs(rec.postStateRoot, rec.withdrawalsRoot, rec.lastBlockHash, rec.lastBlock, rec.l1MessageCursor);
        return _journalHash(index, committed, rec.l1MessagesHash);
    }

    /// @notice Hash of the aggregate journal of Zk batches `from` up to `to` (committed, in order): keccak256
    /// of the packed (batchProgram, uint64 count, uint64 l2ChainId, l2ConfigHash, first prevStateRoot,
    /// last postStateRoot, the block before the first, last lastBlockHash, uint64 lastBlock, uint64
    /// l1MessageCursor, l1MessagesHash, keccak256 of the batches' journal hashes in order) — what the
    /// aggregation guest reveals after checking that the batch proofs verify and the batches chain.
    function aggregateInputsHash(uint64 from, uint64 to) public view returns (bytes32) {
        if (from == 0 || to < from) revert InvalidBlockRange(from, to);
        if (to > lastCommittedBatch) revert BatchNotCommitted(to);
        if (!_isZkBatch(from)) revert WrongMode();
        uint256 n = to - from + 1;
        bytes memory hashes = new bytes(32 * n);
        for (uint256 i = 0; i < n; i++) {
            bytes32 h = journalHashes[uint64(from + i)];
            assembly ("memory-safe") {
                mstore(add(add(hashes, 32), mul(i, 32)), h)
            }
        }
        BatchRecord storage last = _batches[to];
        bytes memory head = abi.encodePacked(
            aggregateBatchProgram, uint64(n), l2ChainId, l2ConfigHash, _batches[from].prevStateRoot, last.postStateRoot
        );
        return keccak256(
            abi.encodePacked(
                head,
                _batches[from - 1].lastBlockHash,
                last.lastBlockHash,
                last.lastBlock,
                last.l1MessageCursor,
                last.l1MessagesHash,
                keccak256(hashes)
            )
        );
    }

    /// The journal hash of batch `index`'s inputs (from the records) with outputs `out`.
    function _journalHash(uint64 index, BatchOutputs memory out, bytes32 l1MessagesHash)
        private
        view
        returns (bytes32)
    {
        BatchRecord storage rec = _batches[index];
        bytes memory head = abi.encodePacked(
            l2ChainId, l2ConfigHash, rec.prevStateRoot, out.postStateRoot, _batches[index - 1].lastBlockHash
        );
        return keccak256(
            abi.encodePacked(
                head,
                out.lastBlockHash,
                out.lastBlock,
                rec.dataHash,
                out.l1MessageCursor,
                l1MessagesHash,
                out.withdrawalsRoot
            )
        );
    }

    /// @notice The stored record of batch `index` (all zero if it was never committed).
    function batch(uint64 index) external view returns (BatchRecord memory) {
        return _batches[index];
    }

    /// @notice Whether batch `index` is final (its withdrawals are claimable). Batches finalize in
    /// order and a final batch is never reverted, so that is every batch up to `lastFinalizedBatch`.
    function isFinalized(uint64 index) external view returns (bool) {
        return index <= lastFinalizedBatch;
    }

    // ---- escape hatch ----------------------------------------------------------

    /// @notice Freezes the Rollup for good once no batch has been finalized for `freezeDelay` (the
    /// operators stopped, or every batch fails): commits and finalization stop, and the Bridge lets every
    /// user withdraw what the last finalized state holds for them and refunds deposits it never
    /// included. Anyone may call it.
    function freeze() external {
        if (frozen) revert RollupFrozen();
        uint256 freezableAt = uint256(lastFinalizedAt) + freezeDelay;
        if (block.timestamp <= freezableAt) revert NotFreezable(freezableAt);
        frozen = true;
        BatchRecord storage rec = _batches[lastFinalizedBatch];
        emit Frozen(lastFinalizedBatch, rec.postStateRoot, rec.l1MessageCursor);
    }

    /// @notice What users escape from once frozen: the last finalized state root and how many L1
    /// messages (deposits) that state consumed.
    function escapeState() external view returns (bytes32 stateRoot, uint64 l1MessageCursor) {
        if (!frozen) revert NotFrozen();
        BatchRecord storage rec = _batches[lastFinalizedBatch];
        return (rec.postStateRoot, rec.l1MessageCursor);
    }

    /// @notice The withdrawals root committed by batch `index`.
    function withdrawalsRoot(uint64 index) external view returns (bytes32) {
        return _batches[index].withdrawalsRoot;
    }
}
