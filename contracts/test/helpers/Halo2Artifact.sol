// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";

/// Deploys the generated halo2 verifier from its committed artifact: the generated contract is compiled
/// by scripts/build-contracts.sh, outside forge's sources (see there why).
abstract contract Halo2Artifact is TestBase {
    function _deployHalo2Verifier() internal returns (address deployed) {
        bytes memory code = vm.parseJsonBytes(vm.readFile("./artifacts/Halo2Verifier.json"), ".bytecode");
        assembly ("memory-safe") {
            deployed := create(0, add(code, 32), mload(code))
        }
        assertTrue(deployed != address(0), "Halo2Verifier deployment failed");
    }
}
