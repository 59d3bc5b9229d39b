// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ConstantProductAmm} from "../src/ConstantProductAmm.sol";
import {TestToken} from "../src/TestToken.sol";
import {Actor, Assertions} from "./TestHelpers.sol";

/// Returns false instead of reverting, as some old tokens do: the pool must
/// not count that as a successful transfer.
contract FalseToken {
    function transfer(address, uint256) external pure returns (bool) {
        return false;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return false;
    }
}

/// USDT-style token whose transfer functions return nothing: the pool must
/// accept empty return data. No allowances (a mock; anyone may move funds).
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
    }

    function transfer(address to, uint256 value) external {
        _move(msg.sender, to, value);
    }

    function transferFrom(address from, address to, uint256 value) external {
        _move(from, to, value);
    }

    function _move(address from, address to, uint256 value) private {
        require(balanceOf[from] >= value, "balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
    }
}

/// Once armed, re-enters the pool from inside transferFrom, as a malicious
/// (or cross-VM callback-happy) token could. Balances are not tracked.
contract ReentrantToken {
    ConstantProductAmm public amm;

    function arm(ConstantProductAmm amm_) external {
        amm = amm_;
    }

    function transfer(address, uint256) external pure returns (bool) {
        return true;
    }

    function transferFrom(address, address, uint256) external returns (bool) {
        // A high-level call: the pool's Reentrancy() revert propagates as is.
        if (address(amm) != address(0)) amm.swap(address(this), 1e18, 0, address(this));
        return true;
    }
}

contract ConstantProductAmmTest is Assertions {
    uint256 constant SUPPLY = 1_000_000e18;
    uint16 constant FEE_BPS = 30; // 0.3%, as in Uniswap V2
    address constant ALICE = address(0xA11CE);

    TestToken tokenA;
    TestToken tokenB;
    ConstantProductAmm amm;
    Actor lp;

    function setUp() public {
        tokenA = new TestToken("Token A", "TKA", SUPPLY);
        tokenB = new TestToken("Token B", "TKB", SUPPLY);
        amm = new ConstantProductAmm(address(tokenA), address(tokenB), FEE_BPS);
        tokenA.approve(address(amm), type(uint256).max);
        tokenB.approve(address(amm), type(uint256).max);

        // A second liquidity provider with its own funds and approvals.
        lp = new Actor();
        require(tokenA.transfer(address(lp), 10_000e18), "fund lp with token0");
        require(tokenB.transfer(address(lp), 10_000e18), "fund lp with token1");
        lp.exec(address(tokenA), abi.encodeCall(TestToken.approve, (address(amm), type(uint256).max)));
        lp.exec(address(tokenB), abi.encodeCall(TestToken.approve, (address(amm), type(uint256).max)));
    }

    // ---- helpers ----------------------------------------------------------

    /// The swap formula written out independently of the contract.
    function expectedOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        uint256 inWithFee = amountIn * (10_000 - FEE_BPS);
        return (reserveOut * inWithFee) / (reserveIn * 10_000 + inWithFee);
    }

    function k() internal view returns (uint256) {
        (uint256 r0, uint256 r1) = amm.reserves();
        return r0 * r1;
    }

    /// Internal accounting must match what the pool actually holds.
    function assertReservesBacked() internal view {
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(tokenA.balanceOf(address(amm)), r0, "pool balance of token0 == reserve0");
        assertEq(tokenB.balanceOf(address(amm)), r1, "pool balance of token1 == reserve1");
    }

    /// Seeds the pool with 100 A : 400 B (price 1 A = 4 B), 200e18 shares.
    function seed() internal {
        amm.addLiquidity(100e18, 400e18);
    }

    // ---- construction -------------------------------------------------------

    function test_Constructor() public view {
        assertEq(amm.token0(), address(tokenA), "token0 is tokenA");
        assertEq(amm.token1(), address(tokenB), "token1 is tokenB");
        assertEq(amm.feeBps(), FEE_BPS, "feeBps");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 0, "reserve0 starts empty");
        assertEq(r1, 0, "reserve1 starts empty");
        assertEq(amm.totalShares(), 0, "no shares yet");
    }

    function test_RevertWhen_InvalidPool() public {
        bytes memory err = abi.encodeWithSelector(ConstantProductAmm.InvalidPool.selector);
        try new ConstantProductAmm(address(tokenA), address(tokenA), FEE_BPS) {
            revert("identical tokens accepted");
        } catch (bytes memory reason) {
            require(keccak256(reason) == keccak256(err), "identical tokens: wrong revert data");
        }
        try new ConstantProductAmm(address(0), address(tokenB), FEE_BPS) {
            revert("zero token accepted");
        } catch (bytes memory reason) {
            require(keccak256(reason) == keccak256(err), "zero token: wrong revert data");
        }
        try new ConstantProductAmm(address(tokenA), address(tokenB), 10_000) {
            revert("100% fee accepted");
        } catch (bytes memory reason) {
            require(keccak256(reason) == keccak256(err), "100% fee: wrong revert data");
        }
    }

    // ---- liquidity ----------------------------------------------------------

    function test_FirstLiquidityMintsSqrtOfProduct() public {
        uint256 minted = amm.addLiquidity(100e18, 400e18);
        assertEq(minted, 200e18, "sqrt(100e18 * 400e18)");
        assertEq(amm.shares(address(this)), 200e18, "shares credited");
        assertEq(amm.totalShares(), 200e18, "totalShares");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 100e18, "reserve0");
        assertEq(r1, 400e18, "reserve1");
        assertEq(tokenA.balanceOf(address(this)), SUPPLY - 10_000e18 - 100e18, "token0 pulled from provider");
        assertEq(tokenB.balanceOf(address(this)), SUPPLY - 10_000e18 - 400e18, "token1 pulled from provider");
        assertReservesBacked();
    }

    function test_FirstLiquidityRoundsSqrtDown() public {
        assertEq(amm.addLiquidity(2, 3), 2, "floor(sqrt(6))");
        assertEq(amm.totalShares(), 2, "totalShares");
    }

    function test_SecondLiquidityIsProportional() public {
        seed();
        bytes memory ret = lp.exec(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (50e18, 200e18)));
        assertEq(abi.decode(ret, (uint256)), 100e18, "half the reserves mints half the shares");
        assertEq(amm.shares(address(lp)), 100e18, "second LP's shares");
        assertEq(amm.shares(address(this)), 200e18, "first LP's shares unchanged");
        assertEq(amm.totalShares(), 300e18, "totalShares");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 150e18, "reserve0");
        assertEq(r1, 600e18, "reserve1");
        assertReservesBacked();
    }

    function test_SecondLiquidityUsesSmallerSide() public {
        seed();
        // 50 A would mint 100 shares, 1000 B would mint 500: the minimum wins,
        // and the whole 1000 B is still taken (a gift to all LPs).
        bytes memory ret = lp.exec(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (50e18, 1000e18)));
        assertEq(abi.decode(ret, (uint256)), 100e18, "min of the two proportional amounts");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 150e18, "reserve0");
        assertEq(r1, 1400e18, "reserve1 includes the excess");
        assertEq(tokenB.balanceOf(address(lp)), 10_000e18 - 1000e18, "excess token1 pulled too");
        assertReservesBacked();
    }

    function test_RevertWhen_AddZeroAmount() public {
        bytes memory err = abi.encodeWithSelector(ConstantProductAmm.ZeroAmount.selector);
        assertRevert(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (0, 1e18)), err, "zero amountA");
        assertRevert(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (1e18, 0)), err, "zero amountB");
    }

    function test_RevertWhen_AddMintsNoShares() public {
        seed();
        // 1 wei of B against 400e18 B is half a share (of 200e18): rounds to 0.
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.addLiquidity, (1, 1)),
            abi.encodeWithSelector(ConstantProductAmm.InsufficientLiquidity.selector),
            "dust deposit"
        );
    }

    function test_RemoveLiquidity() public {
        seed();
        (uint256 a, uint256 b) = amm.removeLiquidity(50e18); // a quarter of the shares
        assertEq(a, 25e18, "token0 returned");
        assertEq(b, 100e18, "token1 returned");
        assertEq(amm.shares(address(this)), 150e18, "shares burned");
        assertEq(amm.totalShares(), 150e18, "totalShares");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 75e18, "reserve0");
        assertEq(r1, 300e18, "reserve1");
        assertEq(tokenA.balanceOf(address(this)), SUPPLY - 10_000e18 - 75e18, "token0 paid out");
        assertReservesBacked();
    }

    function test_RemoveAllLiquidityAfterSwapPaysFees() public {
        seed();
        lp.exec(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (100e18, 400e18)));
        uint256 out = amm.swap(address(tokenA), 10e18, 0, ALICE);
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 210e18, "reserve0 after swap");
        assertEq(r1, 800e18 - out, "reserve1 after swap");

        // The second LP owns exactly half and gets half of each reserve.
        bytes memory ret = lp.exec(address(amm), abi.encodeCall(ConstantProductAmm.removeLiquidity, (200e18)));
        (uint256 a, uint256 b) = abi.decode(ret, (uint256, uint256));
        assertEq(a, 105e18, "half of reserve0");
        assertEq(b, (800e18 - out) / 2, "half of reserve1");
        // The fee stays in the pool, so the LP's sqrt(a * b) (Uniswap V2's
        // measure of liquidity, immune to the price move) beats the deposit's.
        require(a * b > 100e18 * 400e18, "LP did not earn the fee");

        // The last share out empties the pool completely.
        (a, b) = amm.removeLiquidity(200e18);
        assertEq(a, 105e18, "rest of reserve0");
        assertEq(b, 800e18 - out - (800e18 - out) / 2, "rest of reserve1");
        (r0, r1) = amm.reserves();
        assertEq(r0, 0, "reserve0 emptied");
        assertEq(r1, 0, "reserve1 emptied");
        assertEq(amm.totalShares(), 0, "no shares left");
        assertReservesBacked();
    }

    function test_RevertWhen_RemoveMoreThanOwned() public {
        seed();
        lp.exec(address(amm), abi.encodeCall(ConstantProductAmm.addLiquidity, (1e18, 4e18)));
        // lp owns 2e18 shares; the pool holds far more, but not for lp.
        assertRevert(
            address(lp),
            abi.encodeCall(Actor.exec, (address(amm), abi.encodeCall(ConstantProductAmm.removeLiquidity, (2e18 + 1)))),
            abi.encodeWithSelector(ConstantProductAmm.InsufficientLiquidity.selector),
            "remove more than owned"
        );
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.removeLiquidity, (0)),
            abi.encodeWithSelector(ConstantProductAmm.ZeroAmount.selector),
            "remove zero"
        );
        assertEq(amm.shares(address(lp)), 2e18, "shares untouched");
    }

    // ---- swaps --------------------------------------------------------------

    function test_SwapSmallNumbersExact() public {
        amm.addLiquidity(1000, 1000);
        // 1000 * (100 * 9970) / (1000 * 10000 + 100 * 9970) = 997000000 / 10997000 = 90.66..
        assertEq(amm.getAmountOut(address(tokenA), 100), 90, "quote");
        assertEq(amm.swap(address(tokenA), 100, 90, ALICE), 90, "swap output");
        assertEq(tokenB.balanceOf(ALICE), 90, "output delivered to `to`");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 1100, "reserve0");
        assertEq(r1, 910, "reserve1");
    }

    function test_SwapToken0ForToken1() public {
        seed();
        uint256 balanceABefore = tokenA.balanceOf(address(this));
        uint256 quote = amm.getAmountOut(address(tokenA), 1e18);
        assertEq(quote, 3948632137588245195, "quote (precomputed)");
        assertEq(quote, expectedOut(1e18, 100e18, 400e18), "quote matches formula");

        uint256 out = amm.swap(address(tokenA), 1e18, quote, ALICE);
        assertEq(out, quote, "swap pays the quote");
        assertEq(tokenB.balanceOf(ALICE), out, "token1 sent to `to`");
        assertEq(tokenA.balanceOf(address(this)), balanceABefore - 1e18, "token0 pulled from sender");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 101e18, "reserve0 grew by amountIn");
        assertEq(r1, 400e18 - out, "reserve1 shrank by amountOut");
        assertReservesBacked();
    }

    function test_SwapToken1ForToken0() public {
        seed();
        uint256 quote = amm.getAmountOut(address(tokenB), 4e18);
        assertEq(quote, 987158034397061298, "quote (precomputed)");
        assertEq(quote, expectedOut(4e18, 400e18, 100e18), "quote matches formula");

        uint256 out = amm.swap(address(tokenB), 4e18, 0, ALICE);
        assertEq(out, quote, "swap pays the quote");
        assertEq(tokenA.balanceOf(ALICE), out, "token0 sent to `to`");
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 100e18 - out, "reserve0 shrank by amountOut");
        assertEq(r1, 404e18, "reserve1 grew by amountIn");
        assertReservesBacked();
    }

    function test_RevertWhen_OutputBelowMinimum() public {
        seed();
        uint256 quote = amm.getAmountOut(address(tokenA), 1e18);
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.swap, (address(tokenA), 1e18, quote + 1, ALICE)),
            abi.encodeWithSelector(ConstantProductAmm.InsufficientOutput.selector, quote, quote + 1),
            "minAmountOut above quote"
        );
        (uint256 r0, uint256 r1) = amm.reserves();
        assertEq(r0, 100e18, "reserve0 unchanged");
        assertEq(r1, 400e18, "reserve1 unchanged");
        assertEq(tokenB.balanceOf(ALICE), 0, "nothing sent");
    }

    function test_RevertWhen_OutputRoundsToZero() public {
        seed();
        // 1 wei of B buys 0.25 wei of A before the fee: rounds to 0, so the
        // swap must not take the input for nothing, even with minAmountOut 0.
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.swap, (address(tokenB), 1, 0, ALICE)),
            abi.encodeWithSelector(ConstantProductAmm.InsufficientOutput.selector, 0, 0),
            "zero output"
        );
    }

    function test_RevertWhen_UnknownToken() public {
        seed();
        address stranger = address(0xBAD);
        bytes memory err = abi.encodeWithSelector(ConstantProductAmm.UnknownToken.selector, stranger);
        assertRevert(address(amm), abi.encodeCall(ConstantProductAmm.swap, (stranger, 1e18, 0, ALICE)), err, "swap");
        assertRevert(address(amm), abi.encodeCall(ConstantProductAmm.getAmountOut, (stranger, 1e18)), err, "quote");
    }

    function test_RevertWhen_SwapZeroOrEmptyPool() public {
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.swap, (address(tokenA), 1e18, 0, ALICE)),
            abi.encodeWithSelector(ConstantProductAmm.InsufficientLiquidity.selector),
            "swap on empty pool"
        );
        seed();
        assertRevert(
            address(amm),
            abi.encodeCall(ConstantProductAmm.swap, (address(tokenA), 0, 0, ALICE)),
            abi.encodeWithSelector(ConstantProductAmm.ZeroAmount.selector),
            "zero amountIn"
        );
    }

    function test_KNeverDecreasesOverManySwaps() public {
        seed();
        uint256 kBefore = k();
        for (uint256 i = 0; i < 20; i++) {
            // Alternate directions with uneven sizes, including large ones.
            address tokenIn = i % 2 == 0 ? address(tokenA) : address(tokenB);
            amm.swap(tokenIn, (i + 1) * 3e18, 0, address(this));
            uint256 kAfter = k();
            require(kAfter >= kBefore, "k decreased");
            kBefore = kAfter;
        }
        require(kBefore > 100e18 * 400e18, "fees did not grow k");
        assertReservesBacked();
    }

    function testFuzz_SwapMatchesFormulaAndKeepsK(uint256 amountIn, bool zeroForOne) public {
        seed();
        amountIn = 1 + (amountIn % 1_000e18); // up to 10x the pool's token0 reserve
        (address tokenIn, TestToken tokenOut) =
            zeroForOne ? (address(tokenA), tokenB) : (address(tokenB), tokenA);
        (uint256 r0, uint256 r1) = amm.reserves();
        (uint256 rIn, uint256 rOut) = zeroForOne ? (r0, r1) : (r1, r0);
        uint256 expected = expectedOut(amountIn, rIn, rOut);
        if (expected == 0) return; // covered by test_RevertWhen_OutputRoundsToZero

        uint256 kBefore = k();
        uint256 out = amm.swap(tokenIn, amountIn, expected, ALICE);
        assertEq(out, expected, "swap output");
        assertEq(tokenOut.balanceOf(ALICE), expected, "output delivered");
        require(out < rOut, "pool drained");
        require(k() >= kBefore, "k decreased");
        assertReservesBacked();
    }

    // ---- token call handling ------------------------------------------------

    function test_BubblesTokenRevertData() public {
        seed();
        Actor trader = new Actor();
        require(tokenA.transfer(address(trader), 1e18), "fund trader");
        // No approval: the token's own error must reach the caller unchanged.
        assertRevert(
            address(trader),
            abi.encodeCall(
                Actor.exec,
                (address(amm), abi.encodeCall(ConstantProductAmm.swap, (address(tokenA), 1e18, 0, address(trader))))
            ),
            abi.encodeWithSelector(TestToken.InsufficientAllowance.selector, address(amm), 0, 1e18),
            "missing approval"
        );
        (uint256 r0,) = amm.reserves();
        assertEq(r0, 100e18, "reserve0 unchanged");
    }

    function test_RevertWhen_TokenReturnsFalse() public {
        FalseToken bad = new FalseToken();
        ConstantProductAmm pool = new ConstantProductAmm(address(bad), address(tokenB), FEE_BPS);
        tokenB.approve(address(pool), type(uint256).max);
        assertRevert(
            address(pool),
            abi.encodeCall(ConstantProductAmm.addLiquidity, (1e18, 1e18)),
            abi.encodeWithSelector(ConstantProductAmm.TransferFailed.selector),
            "false return"
        );
        assertEq(pool.totalShares(), 0, "no shares minted");
    }

    function test_AcceptsTokenWithoutReturnValue() public {
        NoReturnToken usdt = new NoReturnToken(1_000e18);
        ConstantProductAmm pool = new ConstantProductAmm(address(usdt), address(tokenB), FEE_BPS);
        tokenB.approve(address(pool), type(uint256).max);
        pool.addLiquidity(100e18, 100e18);
        uint256 out = pool.swap(address(usdt), 10e18, 0, ALICE);
        assertEq(out, expectedOut(10e18, 100e18, 100e18), "swap output");
        out = pool.swap(address(tokenB), 1e18, 0, ALICE);
        assertEq(usdt.balanceOf(ALICE), out, "no-return token paid out");
        (uint256 r0,) = pool.reserves();
        assertEq(usdt.balanceOf(address(pool)), r0, "reserve0 backed");
    }

    function test_RevertWhen_Reentered() public {
        ReentrantToken evil = new ReentrantToken();
        ConstantProductAmm pool = new ConstantProductAmm(address(evil), address(tokenB), FEE_BPS);
        tokenB.approve(address(pool), type(uint256).max);
        pool.addLiquidity(100e18, 100e18); // not armed yet
        evil.arm(pool);
        assertRevert(
            address(pool),
            abi.encodeCall(ConstantProductAmm.swap, (address(evil), 1e18, 0, ALICE)),
            abi.encodeWithSelector(ConstantProductAmm.Reentrancy.selector),
            "re-entered swap"
        );
        (uint256 r0, uint256 r1) = pool.reserves();
        assertEq(r0, 100e18, "reserve0 unchanged");
        assertEq(r1, 100e18, "reserve1 unchanged");
    }
}
