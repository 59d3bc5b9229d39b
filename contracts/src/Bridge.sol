// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "./utils/ReentrancyGuard.sol";

/// @notice The part of the Rollup the Bridge reads to release withdrawals.
interface IRollupWithdrawals {
    function isFinalized(uint64 index) external view returns (bool);
    function withdrawalsRoot(uint64 index) external view returns (bytes32);
}

/// @notice Mosaic's L1 bridge. Deposits (ETH and ERC-20) are locked here and appended to an
/// ordered queue of L1→L2 messages that batches must consume in order (see Rollup's forced
/// inclusion); withdrawals are released against the withdrawals root of a finalized batch.
/// @dev Queue commitment: message i hashes to
/// `keccak256(abi.encode(uint256(i), token, from, l2Recipient, amount))` (token = 0 for ETH), and
/// `rollingHash(i + 1) = keccak256(abi.encode(rollingHash(i), msgHash))` with `rollingHash(0) = 0`.
contract Bridge is ReentrancyGuard {
    /// @notice The Rollup whose finalized batches authorize withdrawals.
    address public immutable rollup;
    /// @notice Withdrawal hashes already paid out.
    mapping(bytes32 => bool) public claimed;

    // _rollingHashes[i] = rollingHash(i + 1); rollingHash(0) is implicitly zero.
    bytes32[] private _rollingHashes;
    uint64[] private _enqueuedAt;

    /// @notice A deposit was appended to the queue at `index`; `rollingHash` is the value after it.
    event DepositQueued(
        uint256 indexed index,
        address indexed from,
        address indexed l2Recipient,
        address token,
        uint256 amount,
        bytes32 rollingHash,
        uint64 timestamp
    );
    /// @notice A withdrawal was paid out on L1.
    event WithdrawalClaimed(bytes32 indexed withdrawalHash, address indexed l1Recipient, address token, uint256 amount);

    /// @notice The rollup address is zero.
    error ZeroAddress();
    /// @notice Nothing to deposit (zero value, or nothing arrived).
    error ZeroAmount();
    /// @notice The L2 recipient is the zero address.
    error ZeroRecipient();
    /// @notice ERC-20 deposits need a token (ETH goes through depositETH).
    error ZeroToken();
    /// @notice `token` has no code.
    error NotAContract(address token);
    /// @notice A token call reverted, returned false or returned junk.
    error TokenCallFailed(address token);
    /// @notice A queue position past the end of the queue.
    error QueueIndexOutOfRange(uint256 index, uint256 queueLength);
    /// @notice Withdrawals are only paid from finalized batches.
    error BatchNotFinalized(uint64 batchIndex);
    /// @notice This withdrawal was already paid out.
    error AlreadyClaimed(bytes32 withdrawalHash);
    /// @notice The Merkle proof does not place the withdrawal under the batch's withdrawals root.
    error InvalidWithdrawalProof();
    /// @notice The ETH payout to the L1 recipient failed.
    error EthTransferFailed();

    constructor(address rollup_) {
        if (rollup_ == address(0)) revert ZeroAddress();
        rollup = rollup_;
    }

    // ---- deposits -------------------------------------------------------------

    /// @notice Locks `msg.value` wei and queues its credit to `l2Recipient` on L2.
    function depositETH(address l2Recipient) external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (l2Recipient == address(0)) revert ZeroRecipient();
        _enqueue(address(0), l2Recipient, msg.value);
    }

    /// @notice Pulls `amount` of `token` (needs an allowance) and queues the credit of what
    /// actually arrived to `l2Recipient` on L2.
    /// @dev nonReentrant: a token re-entering from transferFrom would otherwise have its inner
    /// deposit counted again in the outer balance delta.
    function depositERC20(address token, address l2Recipient, uint256 amount) external nonReentrant {
        if (token == address(0)) revert ZeroToken();
        if (amount == 0) revert ZeroAmount();
        if (l2Recipient == address(0)) revert ZeroRecipient();
        // A call to an address without code "succeeds" with no return data, which the
        // no-return-value token path would take for a transfer.
        if (token.code.length == 0) revert NotAContract(token);
        uint256 before = _balanceOf(token);
        _callToken(token, abi.encodeWithSelector(0x23b872dd, msg.sender, address(this), amount)); // transferFrom
        // Fee-on-transfer tokens deliver less than `amount`; credit only what arrived.
        uint256 received = _balanceOf(token) - before;
        if (received == 0) revert ZeroAmount();
        _enqueue(token, l2Recipient, received);
    }

    function _enqueue(address token, address l2Recipient, uint256 amount) private {
        uint256 index = _enqueuedAt.length;
        bytes32 msgHash = keccak256(abi.encode(index, token, msg.sender, l2Recipient, amount));
        bytes32 rolling = keccak256(abi.encode(rollingHash(index), msgHash));
        _rollingHashes.push(rolling);
        _enqueuedAt.push(uint64(block.timestamp));
        emit DepositQueued(index, msg.sender, l2Recipient, token, amount, rolling, uint64(block.timestamp));
    }

    // ---- queue views ------------------------------------------------------------

    /// @notice Number of deposits ever queued.
    function queueLength() external view returns (uint256) {
        return _enqueuedAt.length;
    }

    /// @notice The rolling hash after the first `n` messages (`n <= queueLength()`; 0 for n = 0).
    function rollingHash(uint256 n) public view returns (bytes32) {
        if (n == 0) return bytes32(0);
        if (n > _rollingHashes.length) revert QueueIndexOutOfRange(n, _rollingHashes.length);
        return _rollingHashes[n - 1];
    }

    /// @notice The L1 timestamp at which message `i` was queued (`i < queueLength()`).
    function enqueuedAt(uint256 i) external view returns (uint64) {
        if (i >= _enqueuedAt.length) revert QueueIndexOutOfRange(i, _enqueuedAt.length);
        return _enqueuedAt[i];
    }

    // ---- withdrawals ------------------------------------------------------------

    /// @notice Pays out an L2 withdrawal included in finalized batch `batchIndex`: `proof` holds the
    /// sibling hashes from leaf `leafIndex` up to the batch's withdrawals root.
    /// @dev The leaf is `keccak256(abi.encode(nonce, from, l1Recipient, token, amount))` as emitted by
    /// L2Bridge; nodes are `keccak256(left ‖ right)`, an odd last node is paired with zero.
    function claimWithdrawal(
        uint64 batchIndex,
        uint256 nonce,
        address from,
        address l1Recipient,
        address token,
        uint256 amount,
        uint256 leafIndex,
        bytes32[] calldata proof
    ) external nonReentrant {
        IRollupWithdrawals rollup_ = IRollupWithdrawals(rollup);
        if (!rollup_.isFinalized(batchIndex)) revert BatchNotFinalized(batchIndex);
        bytes32 leaf = keccak256(abi.encode(nonce, from, l1Recipient, token, amount));
        if (claimed[leaf]) revert AlreadyClaimed(leaf);
        if (!_verifyProof(rollup_.withdrawalsRoot(batchIndex), leaf, leafIndex, proof)) {
            revert InvalidWithdrawalProof();
        }
        // Effects before the payout: a re-entrant claim (also blocked by the guard) sees it claimed.
        claimed[leaf] = true;
        emit WithdrawalClaimed(leaf, l1Recipient, token, amount);

        if (token == address(0)) {
            (bool ok,) = l1Recipient.call{value: amount}("");
            if (!ok) revert EthTransferFailed();
        } else {
            _callToken(token, abi.encodeWithSelector(0xa9059cbb, l1Recipient, amount)); // transfer
        }
    }

    /// Requiring leafIndex to run out makes each leaf provable at exactly one position.
    function _verifyProof(bytes32 root, bytes32 leaf, uint256 leafIndex, bytes32[] calldata proof)
        private
        pure
        returns (bool)
    {
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            h = (leafIndex & 1) == 0
                ? keccak256(abi.encodePacked(h, proof[i]))
                : keccak256(abi.encodePacked(proof[i], h));
            leafIndex >>= 1;
        }
        return leafIndex == 0 && h == root;
    }

    // ---- token helpers ------------------------------------------------------------

    /// Calls a token and accepts success with either no return data (USDT-style) or an
    /// ABI-encoded `true`; anything else (revert, `false`, junk) fails.
    function _callToken(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length < 32 || abi.decode(ret, (uint256)) != 1))) {
            revert TokenCallFailed(token);
        }
    }

    function _balanceOf(address token) private view returns (uint256) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this))); // balanceOf
        if (!ok || ret.length < 32) revert TokenCallFailed(token);
        return abi.decode(ret, (uint256));
    }
}
