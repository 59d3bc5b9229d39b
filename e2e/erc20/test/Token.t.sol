// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Token} from "../src/Token.sol";

/// Acts as a second account: forge-std (and its vm.prank) is not available
/// offline, so a separate contract gives us a distinct msg.sender.
contract Actor {
    function transferFrom(Token token, address from, address to, uint256 value) external returns (bool) {
        return token.transferFrom(from, to, value);
    }
}

/// Plain forge tests without forge-std: a failing `require` fails the test.
contract TokenTest {
    uint256 constant SUPPLY = 1_000_000e18;
    address constant ALICE = address(0xA11CE);

    Token token;
    Actor spender;

    function setUp() public {
        token = new Token("Mosaic Test", "MOS", SUPPLY);
        spender = new Actor();
    }

    function test_Metadata() public view {
        require(keccak256(bytes(token.name())) == keccak256("Mosaic Test"), "name");
        require(keccak256(bytes(token.symbol())) == keccak256("MOS"), "symbol");
        require(token.decimals() == 18, "decimals");
        require(token.totalSupply() == SUPPLY, "totalSupply");
        require(token.balanceOf(address(this)) == SUPPLY, "initial balance");
    }

    function test_Transfer() public {
        require(token.transfer(ALICE, 250e18), "transfer returned false");
        require(token.balanceOf(address(this)) == SUPPLY - 250e18, "sender balance");
        require(token.balanceOf(ALICE) == 250e18, "receiver balance");
        require(token.totalSupply() == SUPPLY, "supply changed");
    }

    function test_TransferToSelfKeepsBalance() public {
        require(token.transfer(address(this), 1e18), "transfer returned false");
        require(token.balanceOf(address(this)) == SUPPLY, "self transfer changed balance");
    }

    function test_TransferFrom() public {
        require(token.approve(address(spender), 100e18), "approve returned false");
        require(token.allowance(address(this), address(spender)) == 100e18, "allowance");

        require(spender.transferFrom(token, address(this), ALICE, 60e18), "transferFrom returned false");
        require(token.balanceOf(ALICE) == 60e18, "receiver balance");
        require(token.balanceOf(address(this)) == SUPPLY - 60e18, "owner balance");
        require(token.allowance(address(this), address(spender)) == 40e18, "allowance not spent");
    }

    function test_InfiniteAllowanceIsNotSpent() public {
        require(token.approve(address(spender), type(uint256).max), "approve returned false");
        require(spender.transferFrom(token, address(this), ALICE, 5e18), "transferFrom returned false");
        require(token.allowance(address(this), address(spender)) == type(uint256).max, "infinite allowance spent");
    }

    function test_RevertWhen_TransferExceedsBalance() public {
        try token.transfer(ALICE, SUPPLY + 1) {
            revert("transfer should have reverted");
        } catch (bytes memory reason) {
            bytes memory expected =
                abi.encodeWithSelector(Token.InsufficientBalance.selector, address(this), SUPPLY, SUPPLY + 1);
            require(keccak256(reason) == keccak256(expected), "wrong revert data");
        }
        require(token.balanceOf(address(this)) == SUPPLY, "balance changed by failed transfer");
    }

    function test_RevertWhen_TransferFromExceedsAllowance() public {
        require(token.approve(address(spender), 10e18), "approve returned false");
        // Low-level call: checks the raw revert bytes a client would see.
        (bool ok, bytes memory reason) = address(spender).call(
            abi.encodeCall(Actor.transferFrom, (token, address(this), ALICE, 10e18 + 1))
        );
        require(!ok, "transferFrom should have reverted");
        bytes memory expected =
            abi.encodeWithSelector(Token.InsufficientAllowance.selector, address(spender), 10e18, 10e18 + 1);
        require(keccak256(reason) == keccak256(expected), "wrong revert data");
        require(token.balanceOf(ALICE) == 0, "tokens moved by failed transferFrom");
    }

    function test_RevertWhen_TransferToZeroAddress() public {
        try token.transfer(address(0), 1) {
            revert("transfer to zero should have reverted");
        } catch (bytes memory reason) {
            bytes memory expected = abi.encodeWithSelector(Token.InvalidReceiver.selector, address(0));
            require(keccak256(reason) == keccak256(expected), "wrong revert data");
        }
    }

    function testFuzz_TransferConservesSupply(address to, uint256 amount) public {
        if (to == address(0) || to == address(this)) return;
        amount = amount % (SUPPLY + 1);
        require(token.transfer(to, amount), "transfer returned false");
        require(token.balanceOf(to) + token.balanceOf(address(this)) == SUPPLY, "supply not conserved");
    }
}
