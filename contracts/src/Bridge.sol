// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "./utils/ReentrancyGuard.sol";

/// @notice The part of the Rollup the Bridge reads to release withdrawals.
interface IRollupWithdrawals {
    function isFinalized(uint64 index) external view returns (bool);
    function withdrawalsRoot(uint64 index) external view returns (bytes32);
    function frozen() external view returns (bool);
    function escapeState() external view returns (bytes32 stateRoot, uint64 l1MessageCursor);
}

/// @notice Mosaic's L1 bridge. Deposits (ETH and ERC-20) are locked here and appended to an
/// ordered queue of L1→L2 messages that batches must consume in order (see Rollup's forced
/// inclusion); so are L2 transactions that anyone forces through L1 (`enqueueL2Transaction`), which
/// the L2 runs like any transaction of their signer. Withdrawals are released against the withdrawals
/// root of a finalized batch.
/// @dev Queue commitment: a deposit i hashes to
/// `keccak256(abi.encode(uint256(i), token, from, l2Recipient, amount))` (token = 0 for ETH), a forced
/// transaction i to `keccak256(abi.encode(uint256(i), address(0), from, address(0), uint256(0),
/// keccak256(transaction)))` (a longer preimage, so neither passes for the other), and
/// `rollingHash(i + 1) = keccak256(abi.encode(rollingHash(i), msgHash))` with `rollingHash(0) = 0`.
///
/// Escape hatch: once the Rollup is frozen (no batch finalized for its `freezeDelay`), deposits stop,
/// every externally owned account withdraws its ETH and bridged ERC-20 balances of the last finalized
/// state by proving them against its state root (`mosaic_getProof`'s sparse-Merkle proofs), once per
/// account and token, and every deposit that state never consumed is refunded to its depositor.
contract Bridge is ReentrancyGuard {
    /// @notice The Rollup whose finalized batches authorize withdrawals.
    address public immutable rollup;
    /// @notice Withdrawal hashes already paid out.
    mapping(bytes32 => bool) public claimed;
    /// @notice Whether `account` has escaped with its balance of `token` (0 for ETH).
    mapping(address account => mapping(address token => bool)) public escaped;
    /// @notice Whether deposit `index` was refunded after the freeze.
    mapping(uint256 index => bool) public refunded;

    /// @notice The L2 bridge predeploy whose storage holds bridged ERC-20 balances (slot 0:
    /// `balanceOf[token][owner]`).
    address public constant L2_BRIDGE = 0x4d4F534149430000000000000000000000000001;
    /// @notice The code hash of an account without code.
    bytes32 public constant EMPTY_CODE_HASH = keccak256("");

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
    /// @notice `from` forced the signed L2 transaction `transaction` (EIP-2718 bytes) into the queue at
    /// `index`; `rollingHash` is the value after it.
    event L2TransactionQueued(
        uint256 indexed index, address indexed from, bytes transaction, bytes32 rollingHash, uint64 timestamp
    );
    /// @notice A withdrawal was paid out on L1.
    event WithdrawalClaimed(bytes32 indexed withdrawalHash, address indexed l1Recipient, address token, uint256 amount);
    /// @notice After the freeze, `account` left with its `amount` of `token` (0 for ETH).
    event Escaped(address indexed account, address indexed token, uint256 amount);
    /// @notice After the freeze, deposit `index`, never consumed by the finalized state, went back to `from`.
    event DepositRefunded(uint256 indexed index, address indexed from, address token, uint256 amount);

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
    /// @notice The Rollup is frozen: no more deposits.
    error RollupFrozen();
    /// @notice The escape hatch is open only once the Rollup is frozen.
    error NotFrozen();
    /// @notice Only an account without code on L2 escapes (contract-held funds have no key on L1).
    error NotAnExternallyOwnedAccount(bytes32 codeHash);
    /// @notice The account already escaped with this token.
    error AlreadyEscaped(address account, address token);
    /// @notice The proof does not place the leaf under the frozen state root.
    error InvalidStateProof();
    /// @notice This deposit was consumed by the finalized state (the L2 holds it) or refunded already.
    error NotRefundable(uint256 index);
    /// @notice The deposit's fields do not hash to the queue's entry.
    error WrongDeposit(uint256 index);
    /// @notice A forced transaction needs its bytes, at most `MAX_FORCED_TRANSACTION_BYTES` of them.
    error ForcedTransactionSize(uint256 size);

    /// @notice Most bytes of a forced L2 transaction: the size an L2 node accepts from its RPC.
    uint256 public constant MAX_FORCED_TRANSACTION_BYTES = 128 * 1024;

    constructor(address rollup_) {
        if (rollup_ == address(0)) revert ZeroAddress();
        rollup = rollup_;
    }

    // ---- deposits -------------------------------------------------------------

    /// @notice Locks `msg.value` wei and queues its credit to `l2Recipient` on L2.
    function depositETH(address l2Recipient) external payable {
        if (IRollupWithdrawals(rollup).frozen()) revert RollupFrozen();
        if (msg.value == 0) revert ZeroAmount();
        if (l2Recipient == address(0)) revert ZeroRecipient();
        _enqueue(address(0), l2Recipient, msg.value);
    }

    /// @notice Pulls `amount` of `token` (needs an allowance) and queues the credit of what
    /// actually arrived to `l2Recipient` on L2.
    /// @dev nonReentrant: a token re-entering from transferFrom would otherwise have its inner
    /// deposit counted again in the outer balance delta.
    function depositERC20(address token, address l2Recipient, uint256 amount) external nonReentrant {
        if (IRollupWithdrawals(rollup).frozen()) revert RollupFrozen();
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

    /// @notice Forces `transaction`, a signed L2 transaction (EIP-2718 bytes, not a blob transaction),
    /// into the queue: batches must consume it by the Rollup's inclusion deadline like a deposit, and
    /// the L2 then runs it as a transaction of its signer, with its receipt, before the sequencer's own
    /// transactions of that block. This is the way around a sequencer that censors. Nothing but the size
    /// is checked here: a transaction that cannot run when its turn comes (undecodable, badly signed,
    /// wrong chain, nonce or fee, too little balance, over the block's gas or cycle budget) is consumed
    /// without effect, so sign it with a fee cap that allows for the base fee rising meanwhile.
    function enqueueL2Transaction(bytes calldata transaction) external {
        if (IRollupWithdrawals(rollup).frozen()) revert RollupFrozen();
        if (transaction.length == 0 || transaction.length > MAX_FORCED_TRANSACTION_BYTES) {
            revert ForcedTransactionSize(transaction.length);
        }
        uint256 index = _enqueuedAt.length;
        bytes32 rolling = _push(
            keccak256(abi.encode(index, address(0), msg.sender, address(0), uint256(0), keccak256(transaction)))
        );
        emit L2TransactionQueued(index, msg.sender, transaction, rolling, uint64(block.timestamp));
    }

    function _enqueue(address token, address l2Recipient, uint256 amount) private {
        uint256 index = _enqueuedAt.length;
        bytes32 rolling = _push(keccak256(abi.encode(index, token, msg.sender, l2Recipient, amount)));
        emit DepositQueued(index, msg.sender, l2Recipient, token, amount, rolling, uint64(block.timestamp));
    }

    /// Appends the message `msgHash` at the end of the queue; returns the rolling hash after it.
    function _push(bytes32 msgHash) private returns (bytes32 rolling) {
        rolling = keccak256(abi.encode(rollingHash(_enqueuedAt.length), msgHash));
        _rollingHashes.push(rolling);
        _enqueuedAt.push(uint64(block.timestamp));
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
        _pay(token, l1Recipient, amount);
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

    // ---- escape hatch ---------------------------------------------------------------

    /// @notice After the freeze: pays the caller the ETH balance its L2 account holds in the last
    /// finalized state. `nonce`, `balance` and `codeHash` are the account's leaf and `siblings` its
    /// proof, as `mosaic_getProof` gives them at the last finalized block. Once per account.
    function escapeETH(uint64 nonce, uint256 balance, bytes32 codeHash, bytes32[] calldata siblings)
        external
        nonReentrant
    {
        bytes32 root = _escapeRoot(address(0));
        _checkAccount(root, nonce, balance, codeHash, siblings);
        escaped[msg.sender][address(0)] = true;
        emit Escaped(msg.sender, address(0), balance);
        _pay(address(0), msg.sender, balance);
    }

    /// @notice After the freeze: pays the caller its bridged balance of L1 token `token` in the last
    /// finalized state: `amount` is `L2Bridge.balanceOf[token][caller]`, `storageSiblings` the proof of
    /// that storage slot, and the account leaf and its proof show the caller has no code on L2. Once per
    /// account and token.
    function escapeERC20(
        address token,
        uint256 amount,
        bytes32[] calldata storageSiblings,
        uint64 nonce,
        uint256 balance,
        bytes32 codeHash,
        bytes32[] calldata accountSiblings
    ) external nonReentrant {
        if (token == address(0)) revert ZeroToken();
        bytes32 root = _escapeRoot(token);
        _checkAccount(root, nonce, balance, codeHash, accountSiblings);
        bytes32 inner = keccak256(abi.encode(token, uint256(0)));
        uint256 slot = uint256(keccak256(abi.encode(msg.sender, inner)));
        bytes32 key = sha256(abi.encodePacked(uint8(1), L2_BRIDGE, slot));
        if (!_inTree(root, key, sha256(abi.encode(amount)), storageSiblings)) revert InvalidStateProof();
        escaped[msg.sender][token] = true;
        emit Escaped(msg.sender, token, amount);
        _pay(token, msg.sender, amount);
    }

    /// @notice After the freeze: refunds deposit `index`, which the last finalized state never consumed,
    /// to its depositor (`from`); the other fields are the deposit's, as `DepositQueued` logged them.
    /// Anyone may call it.
    function refundDeposit(uint256 index, address token, address from, address l2Recipient, uint256 amount)
        external
        nonReentrant
    {
        IRollupWithdrawals rollup_ = IRollupWithdrawals(rollup);
        if (!rollup_.frozen()) revert NotFrozen();
        (, uint64 cursor) = rollup_.escapeState();
        if (index < cursor || refunded[index]) revert NotRefundable(index);
        bytes32 msgHash = keccak256(abi.encode(index, token, from, l2Recipient, amount));
        if (keccak256(abi.encode(rollingHash(index), msgHash)) != rollingHash(index + 1)) revert WrongDeposit(index);
        refunded[index] = true;
        emit DepositRefunded(index, from, token, amount);
        _pay(token, from, amount);
    }

    /// The frozen state root, once the caller has not escaped with `token` yet.
    function _escapeRoot(address token) private view returns (bytes32 root) {
        IRollupWithdrawals rollup_ = IRollupWithdrawals(rollup);
        if (!rollup_.frozen()) revert NotFrozen();
        if (escaped[msg.sender][token]) revert AlreadyEscaped(msg.sender, token);
        (root,) = rollup_.escapeState();
    }

    /// Checks the caller's account leaf (`nonce ‖ balance ‖ codeHash`, 72 bytes) under `root` and that
    /// it has no code.
    function _checkAccount(bytes32 root, uint64 nonce, uint256 balance, bytes32 codeHash, bytes32[] calldata siblings)
        private
        view
    {
        if (codeHash != EMPTY_CODE_HASH) revert NotAnExternallyOwnedAccount(codeHash);
        bytes32 key = sha256(abi.encodePacked(uint8(0), msg.sender));
        if (!_inTree(root, key, sha256(abi.encodePacked(nonce, balance, codeHash)), siblings)) {
            revert InvalidStateProof();
        }
    }

    /// Whether the leaf `key` with value hash `valueHash` sits under `root` with `siblings` (from the
    /// root down): the state tree's own hashing — leaves `sha256(0x00 ‖ key ‖ valueHash)`, inner nodes
    /// `sha256(0x01 ‖ left ‖ right)`, key bits most significant first, 0 = left.
    function _inTree(bytes32 root, bytes32 key, bytes32 valueHash, bytes32[] calldata siblings)
        private
        view
        returns (bool)
    {
        if (siblings.length > 256) return false;
        bytes32 h = sha256(abi.encodePacked(uint8(0), key, valueHash));
        for (uint256 i = siblings.length; i > 0; i--) {
            uint256 depth = i - 1;
            h = ((uint256(key) >> (255 - depth)) & 1) == 0
                ? sha256(abi.encodePacked(uint8(1), h, siblings[depth]))
                : sha256(abi.encodePacked(uint8(1), siblings[depth], h));
        }
        return h == root;
    }

    // ---- token helpers ------------------------------------------------------------

    /// Pays `amount` of `token` (0: ETH) out of the Bridge to `to`.
    function _pay(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed();
        } else {
            _callToken(token, abi.encodeWithSelector(0xa9059cbb, to, amount)); // transfer
        }
    }

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
