// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";

/// Deploys a generated halo2 verifier from its committed artifact: the generated contracts are compiled
/// by scripts/build-contracts.sh, outside forge's sources (see there why).
abstract contract Halo2Artifact is TestBase {
    /// The batch program's verifier.
    function _deployHalo2Verifier() internal returns (address) {
        return _deployHalo2Artifact("./artifacts/Halo2Verifier.json");
    }

    /// `artifact`'s creation code, deployed.
    function _deployHalo2Artifact(string memory artifact) internal returns (address deployed) {
        bytes memory code = vm.parseJsonBytes(vm.readFile(artifact), ".bytecode");
        assembly ("memory-safe") {
            deployed := create(0, add(code, 32), mload(code))
        }
        assertTrue(deployed != address(0), "Halo2Verifier deployment failed");
    }
}
