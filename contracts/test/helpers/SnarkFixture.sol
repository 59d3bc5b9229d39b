// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SnarkVerifier} from "../../src/snark/SnarkVerifier.sol";
import {Halo2Artifact} from "./Halo2Artifact.sol";

/// The committed real SNARK (test/snark/fixture.json) of batch 1 of the one-transfer sample chain
/// (test/snark/batch.json), and a SnarkVerifier pinning its program over the generated halo2 verifier.
abstract contract SnarkFixture is Halo2Artifact {
    event log_named_uint(string key, uint256 val);

    string internal batchJson;
    bytes internal proof;
    address internal halo2;
    SnarkVerifier internal verifier;

    /// Loads the fixture and deploys the verifiers.
    function _loadSnarkFixture() internal {
        batchJson = vm.readFile("./test/snark/batch.json");
        string memory fixture = vm.readFile("./test/snark/fixture.json");
        proof = vm.parseJsonBytes(fixture, ".proof");
        halo2 = _deployHalo2Verifier();
        verifier = new SnarkVerifier(
            halo2, vm.parseJsonBytes32(fixture, ".appExeCommit"), vm.parseJsonBytes32(fixture, ".appVmCommit")
        );
    }

    /// The L2 chain id of the fixture's batch.
    function _chainId() internal view returns (uint64) {
        return uint64(vm.parseJsonUint(batchJson, ".chainId"));
    }
}
