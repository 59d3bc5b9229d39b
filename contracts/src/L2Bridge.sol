// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The L2 side of Mosaic's bridge, a predeploy installed at genesis by the node. It
/// holds bridged ERC-20 balances (keyed by the L1 token) and starts withdrawals to L1.
/// @dev The node installs the runtime bytecode directly (no constructor runs, so no
/// immutables or initialized state) and credits ERC-20 deposits by writing `balanceOf`
/// straight into storage, so the layout is an interface and must not change:
/// slot 0 = balanceOf, slot 1 = withdrawalCount, nothing else. ETH deposits are credited
/// as native balance by the node.
contract L2Bridge {
    /// @notice Bridged ERC-20 balance of `owner` in L1 token `token` (storage slot 0).
    mapping(address token => mapping(address owner => uint256)) public balanceOf;
    /// @notice Number of withdrawals ever initiated; the next withdrawal's nonce (storage slot 1).
    uint256 public withdrawalCount;

    /// @notice A withdrawal to L1 was started; `withdrawalHash` is its leaf in the batch's withdrawals tree.
    event WithdrawalInitiated(
        uint256 indexed nonce,
        address indexed from,
        address indexed l1Recipient,
        address token,
        uint256 amount,
        bytes32 withdrawalHash
    );
    /// @notice A bridged balance moved between two L2 accounts.
    event Transfer(address indexed token, address indexed from, address indexed to, uint256 amount);

    /// @notice Nothing to withdraw.
    error ZeroAmount();
    /// @notice The recipient is the zero address.
    error ZeroRecipient();
    /// @notice ERC-20 withdrawals need a token (ETH goes through withdrawETH).
    error ZeroToken();
    /// @notice The caller's bridged balance is below `amount`.
    error InsufficientBalance(address token, uint256 balance, uint256 amount);

    /// @notice Withdraws `msg.value` ETH to `l1Recipient`. The ETH stays locked here for good,
    /// which takes it out of L2 circulation; L1 pays it out of the Bridge.
    function withdrawETH(address l1Recipient) external payable {
        if (msg.value == 0) revert ZeroAmount();
        _initiate(l1Recipient, address(0), msg.value);
    }

    /// @notice Burns `amount` of the caller's bridged `token` and withdraws it to `l1Recipient`.
    function withdrawERC20(address token, address l1Recipient, uint256 amount) external {
        // token 0 means ETH in a withdrawal hash; an ERC-20 withdrawal must never look like one.
        if (token == address(0)) revert ZeroToken();
        if (amount == 0) revert ZeroAmount();
        _debit(token, msg.sender, amount);
        _initiate(l1Recipient, token, amount);
    }

    /// @notice Moves `amount` of the caller's bridged `token` to `to`.
    function transfer(address token, address to, uint256 amount) external {
        if (to == address(0)) revert ZeroRecipient();
        _debit(token, msg.sender, amount);
        balanceOf[token][to] += amount;
        emit Transfer(token, msg.sender, to, amount);
    }

    function _debit(address token, address owner, uint256 amount) private {
        uint256 balance = balanceOf[token][owner];
        if (balance < amount) revert InsufficientBalance(token, balance, amount);
        unchecked {
            balanceOf[token][owner] = balance - amount;
        }
    }

    function _initiate(address l1Recipient, address token, uint256 amount) private {
        // A zero recipient could never claim on L1: the funds would be stuck in the Bridge.
        if (l1Recipient == address(0)) revert ZeroRecipient();
        uint256 nonce = withdrawalCount++;
        bytes32 withdrawalHash = keccak256(abi.encode(nonce, msg.sender, l1Recipient, token, amount));
        emit WithdrawalInitiated(nonce, msg.sender, l1Recipient, token, amount, withdrawalHash);
    }
}
