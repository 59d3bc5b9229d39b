// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Token} from "../src/Token.sol";

/// The part of Foundry's cheatcode interface this script uses (the project carries no forge-std).
interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
}

/// `forge script` deploys `new C{salt: s}()` through the deterministic CREATE2 deployer
/// (0x4e59b44847b379578588920ca78fbf26c0b4956c), which a chain must have: e2e/predeploys.sh.
contract Deterministic {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 public constant SALT = bytes32(uint256(0x4d4f53414943));

    function run() external returns (Token token) {
        vm.startBroadcast();
        token = new Token{salt: SALT}("Salted", "SLT", 1000);
        vm.stopBroadcast();
    }
}
