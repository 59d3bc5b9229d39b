// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Bridge} from "../src/Bridge.sol";
import {MockRollup} from "./helpers/MockRollup.sol";
import {L2Bridge} from "../src/L2Bridge.sol";
import {Rollup} from "../src/Rollup.sol";
import {TestBase, TestMerkle} from "./helpers/TestBase.sol";

/// Cross-language vectors: fixed inputs whose hashes were computed with `cast keccak` /
/// `cast abi-encode` and hard-coded here. The Rust side (crates/primitives/src/l1.rs)
/// asserts the same values, read from test/vectors.json, which this test checks too.
contract VectorsTest is TestBase {
    address internal constant FROM = address(0x0000000000000000000000000000000000000001);
    address internal constant TO = address(0x0000000000000000000000000000000000000002);
    uint256 internal constant AMOUNT = 1 ether;

    // l1Message (index 0, ETH, FROM -> TO, 1 ether)
    bytes32 internal constant MSG_HASH = 0xa1682ebadb023014e52fda0b35bf3d8c485d631857a01e77e5a18be83b01fd94;
    bytes32 internal constant ROLLING_HASH_1 = 0x8e87723a89e8588e10a70bce0d8554eca2813e3d3d53ab520ee4bf52d24aeb0a;
    // forcedTransaction (index 1, after l1Message: FROM forces the L2 transaction bytes 0x01020304)
    bytes32 internal constant FORCED_MSG_HASH = 0x941b7334d6e9484f0c2931d38e835b5d51f38a3a93897e3276d01f733ac3650e;
    bytes32 internal constant ROLLING_HASH_2 = 0xe8ba0e9ea24dbe7fbff7a21c0dd7b745b8704bfcdd53c5a04a913e9468c9eb17;
    // withdrawal (nonce 0, FROM -> TO on L1, ETH, 1 ether)
    bytes32 internal constant WITHDRAWAL_HASH = 0xec847de68fe74aacb83c8aa256781992b07bd93521a497e5e40ab5a603addf41;
    // Merkle tree over keccak256(abi.encodePacked(uint8(i))) for i = 0, 1, 2
    bytes32 internal constant LEAF_0 = 0xbc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a;
    bytes32 internal constant LEAF_1 = 0x5fe7f977e71dba2ea1a68e21057beebb9be2ac30c6410aa38d4f3fbe41dcffd2;
    bytes32 internal constant LEAF_2 = 0xf2ee15ea639b73fa3db9b34a245bdfa015c260c598b211bf05a1ecc4b3e3b4f2;
    bytes32 internal constant NODE_01 = 0x57d772147cdf27f5f67d679f0f3a513f8b87622ce598a3cf0b048ab178ddfc6e;
    bytes32 internal constant NODE_2Z = 0xc284c64b9ac6dc2500d76767304ae294ecb6b45ac1fbfcf1461b82c4104ed1ec;
    bytes32 internal constant ROOT_3 = 0xf68ec50114947b4e75aba65154eaffa8aacde4fafaab7f492a1e40efa4775769;
    // publicInputs: the journal of chain 42, config 0x77.., roots 0x11.. -> 0x22.., blocks 0x88.. -> 0x66..
    // (number 7), data 0x33.., cursor 3 with rolling hash 0x44.., withdrawals 0x55..
    bytes32 internal constant PUBLIC_INPUTS_HASH = 0x93036085af4b66dce5069fb63d5d2f48ef5fba0389e1970030f84689544d33e4;
    bytes32 internal constant ATTESTATION_DIGEST = 0x071e5cee76d86a41758c1871a9f8561e4189a69e78ebb1cf956ec7dd996e76cf;
    // L2Bridge.balanceOf[0x..01][0x..02] storage slot
    bytes32 internal constant BALANCE_SLOT = 0xb37150ceb7e138645bfe4dfcef9a75073e1d7aa14c524dfdd20d3f751fad1084;

    string internal json;

    function setUp() public {
        json = vm.readFile("test/vectors.json");
    }

    function _fill(uint8 b) internal pure returns (bytes32) {
        return bytes32(uint256(b) * (type(uint256).max / 255));
    }

    function test_L1MessageVector() public {
        assertEq(keccak256(abi.encode(uint256(0), address(0), FROM, TO, AMOUNT)), MSG_HASH, "msgHash");
        assertEq(keccak256(abi.encode(bytes32(0), MSG_HASH)), ROLLING_HASH_1, "rollingHash(1)");
        // The Bridge produces exactly these for a real deposit.
        Bridge bridge = new Bridge(address(new MockRollup()));
        vm.deal(FROM, AMOUNT);
        vm.expectEmit();
        emit Bridge.DepositQueued(0, FROM, TO, address(0), AMOUNT, ROLLING_HASH_1, uint64(block.timestamp));
        vm.prank(FROM);
        bridge.depositETH{value: AMOUNT}(TO);
        assertEq(bridge.rollingHash(1), ROLLING_HASH_1, "bridge rollingHash(1)");
        // Then the forced transaction of the vector, as message 1.
        bytes memory transaction = hex"01020304";
        assertEq(
            keccak256(abi.encode(uint256(1), address(0), FROM, address(0), uint256(0), keccak256(transaction))),
            FORCED_MSG_HASH,
            "forced msgHash"
        );
        assertEq(keccak256(abi.encode(ROLLING_HASH_1, FORCED_MSG_HASH)), ROLLING_HASH_2, "rollingHash(2)");
        vm.expectEmit();
        emit Bridge.L2TransactionQueued(1, FROM, transaction, ROLLING_HASH_2, uint64(block.timestamp));
        vm.prank(FROM);
        bridge.enqueueL2Transaction(transaction);
        assertEq(bridge.rollingHash(2), ROLLING_HASH_2, "bridge rollingHash(2)");
    }

    function test_WithdrawalVector() public {
        assertEq(keccak256(abi.encode(uint256(0), FROM, TO, address(0), AMOUNT)), WITHDRAWAL_HASH, "withdrawalHash");
        address predeploy = address(0x4d4F534149430000000000000000000000000001);
        vm.etch(predeploy, type(L2Bridge).runtimeCode);
        vm.deal(FROM, AMOUNT);
        vm.expectEmit();
        emit L2Bridge.WithdrawalInitiated(0, FROM, TO, address(0), AMOUNT, WITHDRAWAL_HASH);
        vm.prank(FROM);
        L2Bridge(predeploy).withdrawETH{value: AMOUNT}(TO);
    }

    function test_MerkleVector() public pure {
        bytes32[] memory leaves = new bytes32[](3);
        for (uint8 i = 0; i < 3; i++) {
            leaves[i] = keccak256(abi.encodePacked(i));
        }
        assertEq(leaves[0], LEAF_0, "leaf 0");
        assertEq(leaves[1], LEAF_1, "leaf 1");
        assertEq(leaves[2], LEAF_2, "leaf 2");
        assertEq(keccak256(abi.encodePacked(LEAF_0, LEAF_1)), NODE_01, "node(0,1)");
        assertEq(keccak256(abi.encodePacked(LEAF_2, bytes32(0))), NODE_2Z, "node(2,zero)");
        assertEq(keccak256(abi.encodePacked(NODE_01, NODE_2Z)), ROOT_3, "root");
        assertEq(TestMerkle.root(leaves), ROOT_3, "TestMerkle.root");
    }

    function test_PublicInputsVector() public pure {
        bytes32 h = keccak256(
            bytes.concat(
                abi.encodePacked(uint64(42), _fill(0x77), _fill(0x11), _fill(0x22), _fill(0x88), _fill(0x66)),
                abi.encodePacked(uint64(7), _fill(0x33), uint64(3), _fill(0x44), _fill(0x55))
            )
        );
        assertEq(h, PUBLIC_INPUTS_HASH, "publicInputsHash");
        assertEq(keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", h)), ATTESTATION_DIGEST, "digest");
    }

    function test_BalanceSlotVector() public {
        assertEq(keccak256(abi.encode(TO, keccak256(abi.encode(FROM, uint256(0))))), BALANCE_SLOT, "slot");
        address predeploy = address(0x4d4F534149430000000000000000000000000001);
        vm.etch(predeploy, type(L2Bridge).runtimeCode);
        vm.store(predeploy, BALANCE_SLOT, bytes32(uint256(99)));
        assertEq(L2Bridge(predeploy).balanceOf(FROM, TO), 99, "balanceOf[token=0x..01][owner=0x..02]");
    }

    function test_EventTopicVectors() public pure {
        assertEq(
            Bridge.DepositQueued.selector,
            0xd991286f2cd58b542f14a561969c206fc8630586fc081e9e0c1294ef0f23e3d3,
            "DepositQueued"
        );
        assertEq(
            L2Bridge.WithdrawalInitiated.selector,
            0xa304ae41d0f2b0c6acd063c53ebf065f0ca53b3f523c9be8b5d1a331d2193694,
            "WithdrawalInitiated"
        );
        assertEq(
            Bridge.WithdrawalClaimed.selector,
            0x21680886b6aa80d371c48bf86ba4dbf57eb23ac7bfd23000ed5e9def6becc728,
            "WithdrawalClaimed"
        );
        assertEq(
            Rollup.BatchCommitted.selector,
            0xf8bcec9b22d4d7fde6b123b125f06a0455c6b9078ba554687dae9eafbed8cb5d,
            "BatchCommitted"
        );
        assertEq(
            Rollup.BatchFinalized.selector,
            0x3204c0e996205803191d3b1a932c5c454902c09aa71677d183dd4170aaca2ae7,
            "BatchFinalized"
        );
    }

    /// vectors.json (what the Rust tests read) says the same as the constants above.
    function test_JsonMatchesConstants() public view {
        assertEq(vm.parseJsonUint(json, ".l1Message.index"), 0, "l1Message.index");
        assertEq(vm.parseJsonAddress(json, ".l1Message.token"), address(0), "l1Message.token");
        assertEq(vm.parseJsonAddress(json, ".l1Message.from"), FROM, "l1Message.from");
        assertEq(vm.parseJsonAddress(json, ".l1Message.to"), TO, "l1Message.to");
        assertEq(vm.parseJsonUint(json, ".l1Message.amount"), AMOUNT, "l1Message.amount");
        assertEq(vm.parseJsonBytes32(json, ".l1Message.msgHash"), MSG_HASH, "l1Message.msgHash");
        assertEq(vm.parseJsonBytes32(json, ".l1Message.rollingHash0"), bytes32(0), "l1Message.rollingHash0");
        assertEq(vm.parseJsonBytes32(json, ".l1Message.rollingHash1"), ROLLING_HASH_1, "l1Message.rollingHash1");

        assertEq(vm.parseJsonUint(json, ".forcedTransaction.index"), 1, "forcedTransaction.index");
        assertEq(vm.parseJsonAddress(json, ".forcedTransaction.from"), FROM, "forcedTransaction.from");
        assertEq(vm.parseJsonBytes(json, ".forcedTransaction.transaction"), hex"01020304", "forcedTransaction.bytes");
        assertEq(vm.parseJsonBytes32(json, ".forcedTransaction.msgHash"), FORCED_MSG_HASH, "forced msgHash");
        assertEq(vm.parseJsonBytes32(json, ".forcedTransaction.rollingHash2"), ROLLING_HASH_2, "rollingHash2");

        assertEq(vm.parseJsonUint(json, ".withdrawal.nonce"), 0, "withdrawal.nonce");
        assertEq(vm.parseJsonAddress(json, ".withdrawal.from"), FROM, "withdrawal.from");
        assertEq(vm.parseJsonAddress(json, ".withdrawal.l1Recipient"), TO, "withdrawal.l1Recipient");
        assertEq(vm.parseJsonAddress(json, ".withdrawal.token"), address(0), "withdrawal.token");
        assertEq(vm.parseJsonUint(json, ".withdrawal.amount"), AMOUNT, "withdrawal.amount");
        assertEq(vm.parseJsonBytes32(json, ".withdrawal.withdrawalHash"), WITHDRAWAL_HASH, "withdrawal.withdrawalHash");

        bytes32[] memory leaves = vm.parseJsonBytes32Array(json, ".merkle.leaves");
        assertEq(leaves.length, 3, "merkle.leaves length");
        assertEq(leaves[0], LEAF_0, "merkle.leaves[0]");
        assertEq(leaves[1], LEAF_1, "merkle.leaves[1]");
        assertEq(leaves[2], LEAF_2, "merkle.leaves[2]");
        for (uint256 i = 0; i < 3; i++) {
            bytes memory pre = vm.parseJsonBytes(json, string.concat(".merkle.leafPreimages[", _str(i), "]"));
            assertEq(keccak256(pre), leaves[i], "merkle.leafPreimages");
        }
        assertEq(vm.parseJsonBytes32(json, ".merkle.root"), ROOT_3, "merkle.root");
        for (uint256 i = 0; i < 3; i++) {
            bytes32[] memory proof = vm.parseJsonBytes32Array(json, string.concat(".merkle.proofs[", _str(i), "]"));
            bytes32[] memory expected = TestMerkle.proof(leaves, i);
            assertEq(abi.encode(proof), abi.encode(expected), "merkle.proofs[i]");
            assertTrue(_verify(ROOT_3, leaves[i], i, proof), "merkle.proofs[i] verifies");
        }

        assertEq(vm.parseJsonUint(json, ".publicInputs.l2ChainId"), 42, "publicInputs.l2ChainId");
        assertEq(vm.parseJsonUint(json, ".publicInputs.lastBlock"), 7, "publicInputs.lastBlock");
        assertEq(vm.parseJsonUint(json, ".publicInputs.l1MessageCursor"), 3, "publicInputs.l1MessageCursor");
        string[8] memory fields = [
            "l2ConfigHash",
            "prevStateRoot",
            "postStateRoot",
            "prevBlockHash",
            "lastBlockHash",
            "dataHash",
            "l1MessagesHash",
            "withdrawalsRoot"
        ];
        uint8[8] memory fills = [0x77, 0x11, 0x22, 0x88, 0x66, 0x33, 0x44, 0x55];
        for (uint256 i = 0; i < 8; i++) {
            assertEq(vm.parseJsonBytes32(json, string.concat(".publicInputs.", fields[i])), _fill(fills[i]), fields[i]);
        }
        assertEq(vm.parseJsonBytes32(json, ".publicInputs.publicInputsHash"), PUBLIC_INPUTS_HASH, "publicInputsHash");
        assertEq(vm.parseJsonBytes32(json, ".publicInputs.attestationDigest"), ATTESTATION_DIGEST, "attestationDigest");

        assertEq(vm.parseJsonAddress(json, ".l2BridgeBalanceSlot.token"), FROM, "slot token");
        assertEq(vm.parseJsonAddress(json, ".l2BridgeBalanceSlot.owner"), TO, "slot owner");
        assertEq(vm.parseJsonBytes32(json, ".l2BridgeBalanceSlot.slot"), BALANCE_SLOT, "slot");

        _assertTopic("DepositQueued", Bridge.DepositQueued.selector);
        _assertTopic("WithdrawalInitiated", L2Bridge.WithdrawalInitiated.selector);
        _assertTopic("WithdrawalClaimed", Bridge.WithdrawalClaimed.selector);
        _assertTopic("BatchCommitted", Rollup.BatchCommitted.selector);
        _assertTopic("BatchFinalized", Rollup.BatchFinalized.selector);
    }

    function _assertTopic(string memory name, bytes32 selector) internal view {
        string memory base = string.concat(".eventTopics.", name);
        assertEq(vm.parseJsonBytes32(json, string.concat(base, ".topic0")), selector, name);
        assertEq(keccak256(bytes(vm.parseJsonString(json, string.concat(base, ".signature")))), selector, name);
    }

    /// Bridge.sol's proof walk, as specified.
    function _verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] memory proof) internal pure returns (bool) {
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            h = index & 1 == 0 ? keccak256(abi.encodePacked(h, proof[i])) : keccak256(abi.encodePacked(proof[i], h));
            index >>= 1;
        }
        return index == 0 && h == root;
    }

    function _str(uint256 i) internal pure returns (string memory) {
        return string(abi.encodePacked(bytes1(uint8(48 + i)))); // single digit is enough here
    }
}
