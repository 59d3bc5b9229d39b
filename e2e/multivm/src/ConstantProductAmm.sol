// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Just the ERC-20 calls the pool needs. The tokens may be EVM contracts or
/// Wasm contracts reached across VMs; either way they are called through this
/// ABI, and their results are checked by hand (see `_callToken`) rather than
/// trusted, because not every token returns a bool.
interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// @notice Uniswap-V2-style constant-product pool (x * y = k) for two tokens
/// fixed at deployment. token0 is the constructor's tokenA and token1 its
/// tokenB (no sorting), and every "A"/"B" amount below is in token0/token1.
///
/// Reserves are tracked internally (not read back with balanceOf): a swap then
/// costs one pull and one push per token call, which keeps cross-VM call
/// counts predictable for the benchmarks, and tokens sent to the pool directly
/// are ignored rather than skewing the price. The flip side is that
/// fee-on-transfer or rebasing tokens are not supported.
contract ConstantProductAmm {
    /// Fees are in basis points of the input amount.
    uint256 private constant FEE_DENOMINATOR = 10_000;

    address public immutable token0;
    address public immutable token1;
    uint16 public immutable feeBps;

    uint256 private reserve0;
    uint256 private reserve1;

    /// LP accounting: a provider owns shares[provider] / totalShares of both reserves.
    mapping(address => uint256) public shares;
    uint256 public totalShares;

    /// Reentrancy lock. 1 = unlocked, 2 = locked: both non-zero, so taking and
    /// releasing the lock never pays for a zero-to-non-zero storage write.
    uint256 private lock = 1;

    event Swap(address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address indexed to);
    event LiquidityAdded(address indexed provider, uint256 amountA, uint256 amountB, uint256 sharesMinted);
    event LiquidityRemoved(address indexed provider, uint256 amountA, uint256 amountB, uint256 sharesBurned);

    error InsufficientOutput(uint256 out, uint256 min);
    error UnknownToken(address token);
    error ZeroAmount();
    error TransferFailed();
    error InsufficientLiquidity();
    error Reentrancy();
    error InvalidPool();

    modifier nonReentrant() {
        if (lock != 1) revert Reentrancy();
        lock = 2;
        _;
        lock = 1;
    }

    /// Token addresses are not checked for code: a Wasm contract need not look
    /// like EVM code to EXTCODESIZE, and the deployer chooses the pair anyway.
    constructor(address tokenA, address tokenB, uint16 feeBps_) {
        // A fee of 100% (or more) would make every swap return zero.
        if (tokenA == address(0) || tokenB == address(0) || tokenA == tokenB || feeBps_ >= FEE_DENOMINATOR) {
            revert InvalidPool();
        }
        token0 = tokenA;
        token1 = tokenB;
        feeBps = feeBps_;
    }

    /// Current reserves of (token0, token1).
    function reserves() external view returns (uint256, uint256) {
        return (reserve0, reserve1);
    }

    /// Quote for `swap` at the current reserves (0 for amountIn = 0).
    function getAmountOut(address tokenIn, uint256 amountIn) external view returns (uint256) {
        bool zeroForOne = _direction(tokenIn);
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientLiquidity();
        return _amountOut(amountIn, reserveIn, reserveOut);
    }

    /// Deposits exactly `amountA` of token0 and `amountB` of token1 (pulled
    /// with transferFrom, so approve the pool first). The first deposit sets
    /// the price and mints sqrt(amountA * amountB) shares; later deposits mint
    /// in proportion to the smaller side, so any excess on the other side is
    /// a gift to existing LPs: deposit at the ratio of `reserves()`.
    function addLiquidity(uint256 amountA, uint256 amountB) external nonReentrant returns (uint256 minted) {
        if (amountA == 0 || amountB == 0) revert ZeroAmount();
        uint256 total = totalShares;
        if (total == 0) {
            minted = _sqrt(amountA * amountB);
        } else {
            // Shares exist, so both reserves are non-zero (see removeLiquidity).
            minted = _min((amountA * total) / reserve0, (amountB * total) / reserve1);
        }
        if (minted == 0) revert InsufficientLiquidity();

        // Effects before the token calls (checks-effects-interactions); the
        // lock covers the rest, and a failed pull reverts all of it.
        shares[msg.sender] += minted;
        totalShares = total + minted;
        reserve0 += amountA;
        reserve1 += amountB;

        _callToken(token0, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amountA)));
        _callToken(token1, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amountB)));
        emit LiquidityAdded(msg.sender, amountA, amountB, minted);
    }

    /// Burns `shareAmount` of the caller's shares and sends the caller that
    /// fraction of both reserves (rounded down, in the pool's favour).
    function removeLiquidity(uint256 shareAmount) external nonReentrant returns (uint256 amountA, uint256 amountB) {
        if (shareAmount == 0) revert ZeroAmount();
        uint256 owned = shares[msg.sender];
        if (owned < shareAmount) revert InsufficientLiquidity();
        uint256 total = totalShares;
        amountA = (shareAmount * reserve0) / total;
        amountB = (shareAmount * reserve1) / total;
        // Do not burn shares for nothing. Rounding down also means a reserve
        // only reaches zero when the last share is burned.
        if (amountA == 0 || amountB == 0) revert InsufficientLiquidity();

        unchecked {
            shares[msg.sender] = owned - shareAmount; // owned >= shareAmount
            totalShares = total - shareAmount; // total >= owned
            reserve0 -= amountA; // amountA <= reserve0 as shareAmount <= total
            reserve1 -= amountB;
        }

        _callToken(token0, abi.encodeCall(IERC20.transfer, (msg.sender, amountA)));
        _callToken(token1, abi.encodeCall(IERC20.transfer, (msg.sender, amountB)));
        emit LiquidityRemoved(msg.sender, amountA, amountB, shareAmount);
    }

    /// Sells `amountIn` of `tokenIn` (pulled from the caller with
    /// transferFrom) for the other token, sent to `to`. Reverts with
    /// InsufficientOutput if the result is below `minAmountOut` (slippage
    /// protection) or zero.
    function swap(address tokenIn, uint256 amountIn, uint256 minAmountOut, address to)
        external
        nonReentrant
        returns (uint256 amountOut)
    {
        if (amountIn == 0) revert ZeroAmount();
        bool zeroForOne = _direction(tokenIn);
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientLiquidity();

        amountOut = _amountOut(amountIn, reserveIn, reserveOut);
        if (amountOut == 0 || amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);

        // amountOut < reserveOut always (the formula's denominator exceeds its
        // numerator's reserveOut factor), so the pool is never drained.
        uint256 newIn = reserveIn + amountIn;
        uint256 newOut = reserveOut - amountOut;
        // The fee and rounding down both favour the pool, so k can only grow.
        // A failure here is a bug in the formula, hence assert, not an error.
        assert(newIn * newOut >= reserveIn * reserveOut);
        if (zeroForOne) {
            (reserve0, reserve1) = (newIn, newOut);
        } else {
            (reserve0, reserve1) = (newOut, newIn);
        }

        address tokenOut = zeroForOne ? token1 : token0;
        _callToken(tokenIn, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amountIn)));
        _callToken(tokenOut, abi.encodeCall(IERC20.transfer, (to, amountOut)));
        emit Swap(msg.sender, tokenIn, amountIn, amountOut, to);
    }

    /// true when tokenIn is token0 (selling token0 for token1).
    function _direction(address tokenIn) private view returns (bool zeroForOne) {
        if (tokenIn == token0) return true;
        if (tokenIn == token1) return false;
        revert UnknownToken(tokenIn);
    }

    /// Uniswap V2's getAmountOut with a configurable fee:
    /// out = reserveOut * in' / (reserveIn * 10000 + in'), in' = amountIn * (10000 - feeBps).
    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) private view returns (uint256) {
        uint256 amountInWithFee = amountIn * (FEE_DENOMINATOR - feeBps);
        return (reserveOut * amountInWithFee) / (reserveIn * FEE_DENOMINATOR + amountInWithFee);
    }

    /// Calls a token and accepts the result only if the call succeeded and
    /// returned either nothing (older tokens such as USDT) or a word equal to
    /// true. A token's own revert data is re-thrown unchanged, so e.g. an
    /// allowance error from a Wasm token reaches the swapper; a call that
    /// failed silently or returned false/garbage reverts with TransferFailed.
    function _callToken(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok) {
            if (ret.length > 0) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            revert TransferFailed();
        }
        // Decoded as uint256 and compared with 1 so that a malformed bool
        // (neither 0 nor 1) is a TransferFailed instead of a bare revert.
        if (ret.length > 0 && (ret.length < 32 || abi.decode(ret, (uint256)) != 1)) revert TransferFailed();
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// floor(sqrt(y)), Babylonian method (as in Uniswap V2's Math.sqrt).
    function _sqrt(uint256 y) private pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
