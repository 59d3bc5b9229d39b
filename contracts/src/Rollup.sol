// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVerifier} from "./IVerifier.sol";
import {Ownable} from "./utils/Ownable.sol";
import {ReentrancyGuard} from "./utils/ReentrancyGuard.sol";

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
    uint96 bond; // wei held; zeroed once refunded at finalization
    bool finalized;
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
/// @dev Not in this cut: challenges and slashing of a Hybrid batch (they need fraud or
/// validity proofs), and reverting unfinalized batches. Until then a committed batch can
/// only move forward to finalization, and the bond is always refunded.
contract Rollup is Ownable, ReentrancyGuard {
    /// @notice Verifier of Zk-mode proofs (unused in Hybrid mode).
    IVerifier public immutable verifier;
    /// @notice How batches are finalized; fixed at deployment.
    Mode public immutable mode;
    /// @notice Chain id of the L2, bound into every batch's public inputs.
    uint64 public immutable l2ChainId;
    /// @notice keccak256 of the L2's other consensus parameters (gas limit, fee rules): part of every
    /// batch proof's journal, so a proof under other rules does not verify here.
    bytes32 public immutable l2ConfigHash;
    /// @notice Hybrid mode: seconds after commitment before a batch can be finalized.
    uint64 public immutable challengeWindow;
    /// @notice Hybrid mode: wei a proposer locks per batch until it is finalized.
    uint96 public immutable bondAmount;
    /// @notice Seconds after which an unconsumed deposit must be included by the next batch.
    uint64 public immutable inclusionDeadline;

    /// @notice The Bridge holding the deposit queue (set once, after deployment).
    address public bridge;
    /// @notice Whether an address may commit batches.
    mapping(address => bool) public isProposer;
    /// @notice Index of the newest committed batch (0 = genesis only).
    uint64 public lastCommittedBatch;
    /// @notice Index of the newest finalized batch.
    uint64 public lastFinalizedBatch;
    /// @notice Bond refunds whose push transfer failed, claimable with `claimRefund`.
    mapping(address => uint256) public pendingRefunds;

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
    /// @notice A bond refund could not be pushed and was credited to `pendingRefunds`.
    event BondRefundDeferred(uint64 indexed index, address indexed proposer, uint256 amount);

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
    /// @notice The caller has no parked bond refund.
    error NothingToRefund();
    /// @notice Sending the parked refund to the caller failed.
    error RefundFailed();

    modifier onlyProposer() {
        if (!isProposer[msg.sender]) revert NotProposer(msg.sender);
        _;
    }

    /// @dev In Zk mode `bondAmount` and `challengeWindow` are unused (batches carry no bond).
    constructor(
        address owner_,
        IVerifier verifier_,
        Mode mode_,
        uint64 l2ChainId_,
        bytes32 l2ConfigHash_,
        bytes32 genesisStateRoot,
        bytes32 genesisBlockHash,
        uint64 challengeWindow_,
        uint96 bondAmount_,
        uint64 inclusionDeadline_
    ) Ownable(owner_) {
        // Zk mode cannot finalize anything without a verifier.
        if (mode_ == Mode.Zk && address(verifier_) == address(0)) revert InvalidConfig();
        verifier = verifier_;
        mode = mode_;
        l2ChainId = l2ChainId_;
        l2ConfigHash = l2ConfigHash_;
        challengeWindow = challengeWindow_;
        bondAmount = bondAmount_;
        inclusionDeadline = inclusionDeadline_;

        // Batch 0 is the genesis: final by definition, and the anchor batch 1 chains onto.
        BatchRecord storage genesis = _batches[0];
        genesis.postStateRoot = genesisStateRoot;
        genesis.lastBlockHash = genesisBlockHash;
        genesis.finalized = true;
    }

    // ---- admin ------------------------------------------------------------

    /// @notice Sets the Bridge; only once, since the Bridge's queue is part of every batch's commitment.
    function setBridge(address bridge_) external onlyOwner {
        if (bridge_ == address(0)) revert ZeroAddress();
        if (bridge != address(0)) revert BridgeAlreadySet();
        bridge = bridge_;
        emit BridgeSet(bridge_);
    }

    /// @notice Allows or disallows `proposer` to commit batches.
    function setProposer(address proposer, bool allowed) external onlyOwner {
        isProposer[proposer] = allowed;
        emit ProposerSet(proposer, allowed);
    }

    // ---- commit -----------------------------------------------------------

    /// @notice Commits the next batch: `header` must chain onto the last committed batch, and
    /// `data` is the batch's data (only its hash is kept; the calldata is the availability layer).
    function commitBatch(BatchHeader calldata header, bytes calldata data) external payable onlyProposer nonReentrant {
        address bridge_ = bridge;
        if (bridge_ == address(0)) revert BridgeNotSet();
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
        // overdue, no batch is accepted until one consumes it. Summed in uint256 so a huge
        // deadline (in effect "off") cannot overflow.
        if (cursor < queueLength && uint256(queue.enqueuedAt(cursor)) + inclusionDeadline <= block.timestamp) {
            revert ForcedInclusionRequired(cursor);
        }

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
        lastCommittedBatch = header.index;

        emit BatchCommitted(header.index, dataHash, header.postStateRoot, header.lastBlock, cursor);
    }

    // ---- finalize -----------------------------------------------------------

    /// @notice Hybrid mode: finalizes the next batch once its challenge window has passed, and
    /// refunds its bond to the proposer. Anyone may call it.
    function finalizeBatch(uint64 index) external nonReentrant {
        if (mode != Mode.Hybrid) revert WrongMode();
        BatchRecord storage rec = _checkNextToFinalize(index);
        uint256 finalizableAt = uint256(rec.committedAt) + challengeWindow;
        if (block.timestamp < finalizableAt) revert ChallengeWindowOpen(index, finalizableAt);

        _finalize(rec, index);
        address proposer = rec.proposer;
        uint256 bond = rec.bond;
        rec.bond = 0;
        if (bond != 0) {
            bool ok;
            // Assembly so a hostile proposer cannot return-bomb us with huge return data.
            assembly ("memory-safe") {
                ok := call(gas(), proposer, bond, 0, 0, 0, 0)
            }
            // A proposer that cannot take ETH must not halt finalization for everyone:
            // park the refund for it to pull instead.
            if (!ok) {
                pendingRefunds[proposer] += bond;
                emit BondRefundDeferred(index, proposer, bond);
            }
        }
    }

    /// @notice Zk mode: finalizes the next batch if `verifier` accepts `proof` for its public inputs.
    /// Anyone may call it.
    function proveBatch(uint64 index, bytes calldata proof) external nonReentrant {
        if (mode != Mode.Zk) revert WrongMode();
        BatchRecord storage rec = _checkNextToFinalize(index);
        if (!verifier.verify(publicInputsHash(index), proof)) revert InvalidProof();
        _finalize(rec, index);
    }

    /// @notice Pays out bond refunds that `finalizeBatch` could not push to the caller.
    function claimRefund() external nonReentrant {
        uint256 amount = pendingRefunds[msg.sender];
        if (amount == 0) revert NothingToRefund();
        pendingRefunds[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert RefundFailed();
    }

    function _checkNextToFinalize(uint64 index) private view returns (BatchRecord storage rec) {
        rec = _batches[index];
        if (rec.finalized) revert BatchAlreadyFinalized(index);
        // Finality is in order: a batch's prevStateRoot is only trusted once its parent is final.
        if (index != lastFinalizedBatch + 1) revert NotNextBatch(index, lastFinalizedBatch + 1);
        if (index > lastCommittedBatch) revert BatchNotCommitted(index);
    }

    function _finalize(BatchRecord storage rec, uint64 index) private {
        rec.finalized = true;
        lastFinalizedBatch = index;
        emit BatchFinalized(index);
    }

    // ---- views --------------------------------------------------------------

    /// @notice Hash of batch `index`'s zk journal — what the batch guest reveals: keccak256 of the packed
    /// (uint64 l2ChainId, l2ConfigHash, prevStateRoot, postStateRoot, prevBlockHash, lastBlockHash,
    /// uint64 lastBlock, dataHash, uint64 l1MessageCursor, l1MessagesHash, withdrawalsRoot), where
    /// prevBlockHash is the previous batch's last block hash.
    function publicInputsHash(uint64 index) public view returns (bytes32) {
        if (index == 0 || index > lastCommittedBatch) revert BatchNotCommitted(index);
        BatchRecord storage rec = _batches[index];
        bytes memory head = abi.encodePacked(
            l2ChainId, l2ConfigHash, rec.prevStateRoot, rec.postStateRoot, _batches[index - 1].lastBlockHash
        );
        return keccak256(
            abi.encodePacked(
                head,
                rec.lastBlockHash,
                rec.lastBlock,
                rec.dataHash,
                rec.l1MessageCursor,
                rec.l1MessagesHash,
                rec.withdrawalsRoot
            )
        );
    }

    /// @notice The stored record of batch `index` (all zero if it was never committed).
    function batch(uint64 index) external view returns (BatchRecord memory) {
        return _batches[index];
    }

    /// @notice Whether batch `index` is final (its withdrawals are claimable).
    function isFinalized(uint64 index) external view returns (bool) {
        return _batches[index].finalized;
    }

    /// @notice The withdrawals root committed by batch `index`.
    function withdrawalsRoot(uint64 index) external view returns (bytes32) {
        return _batches[index].withdrawalsRoot;
    }
}
