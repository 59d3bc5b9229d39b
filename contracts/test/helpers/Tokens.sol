// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Plain ERC-20 with open minting (a test token; no access control on purpose).
contract TestERC20 {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    error InsufficientBalance();
    error InsufficientAllowance();

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external virtual returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }

    function _spend(address from, uint256 amount) internal {
        if (allowance[from][msg.sender] < amount) revert InsufficientAllowance();
        allowance[from][msg.sender] -= amount;
    }

    function _move(address from, address to, uint256 amount) internal virtual {
        if (balanceOf[from] < amount) revert InsufficientBalance();
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// USDT-style: transfer and transferFrom return nothing.
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        require(allowance[from][msg.sender] >= amount, "allowance");
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// Burns `feeBps` of every transfer, so the recipient gets less than `amount`.
contract FeeOnTransferToken is TestERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) {
        feeBps = feeBps_;
    }

    function _move(address from, address to, uint256 amount) internal override {
        if (balanceOf[from] < amount) revert InsufficientBalance();
        uint256 fee = (amount * feeBps) / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
    }
}

/// Returns false instead of reverting, as some old tokens do.
contract FalseToken {
    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }

    function transfer(address, uint256) external pure returns (bool) {
        return false;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return false;
    }
}

interface IBridgeDeposit {
    function depositERC20(address token, address l2Recipient, uint256 amount) external;
}

/// Re-enters the bridge's depositERC20 from inside transferFrom (once) and records
/// the inner call's revert data, then behaves like a normal token.
contract ReentrantToken is TestERC20 {
    address public target;
    bytes public innerRevert;
    bool public innerSucceeded;

    function arm(address target_) external {
        target = target_;
    }

    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        address t = target;
        if (t != address(0)) {
            target = address(0);
            try IBridgeDeposit(t).depositERC20(address(this), from, amount) {
                innerSucceeded = true;
            } catch (bytes memory reason) {
                innerRevert = reason;
            }
        }
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }
}
