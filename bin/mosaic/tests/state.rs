//! `mosaic_getProof` checked by an independent verifier (plain `sha2`, not the node's trie crate)
//! against the `stateRoot` of block headers, current and historical, plus historical state reads.
mod common;

use alloy::primitives::{keccak256, Address, B256, KECCAK256_EMPTY, U256};
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn sha256(parts: &[&[u8]]) -> B256 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    B256::from_slice(&h.finalize())
}

/// Account key: sha256(0x00 || address).
fn account_key(a: Address) -> B256 {
    sha256(&[&[0x00], a.as_slice()])
}

/// Storage key: sha256(0x01 || address || slot as 32 bytes big-endian).
fn storage_key(a: Address, slot: U256) -> B256 {
    sha256(&[&[0x01], a.as_slice(), &slot.to_be_bytes::<32>()])
}

/// Account leaf value: nonce (8 BE) || balance (32 BE) || codeHash (32).
fn account_value(nonce: u64, balance: U256, code_hash: B256) -> Vec<u8> {
    [&nonce.to_be_bytes()[..], &balance.to_be_bytes::<32>()[..], code_hash.as_slice()].concat()
}

fn key_bit(key: &B256, i: usize) -> u8 {
    (key[i / 8] >> (7 - i % 8)) & 1
}

/// Verifies a proof (`{siblings, leaf}`) that `key` holds `value` (`None`: holds nothing) under `root`.
/// Leaf = sha256(0x00 || key || sha256(value)), inner = sha256(0x01 || left || right), empty = zero;
/// siblings run from the root down, key bits MSB first, 0 = left.
fn verify(root: B256, key: B256, value: Option<&[u8]>, proof: &Value) -> Result<(), String> {
    let siblings: Vec<B256> = serde_json::from_value(proof["siblings"].clone()).map_err(|e| e.to_string())?;
    if siblings.len() > 256 {
        return Err("deeper than 256".into());
    }
    let depth = siblings.len();
    let leaf = &proof["leaf"];
    let mut node = match (value, leaf.is_null()) {
        (Some(_), true) => return Err("inclusion proof without a leaf".into()),
        (Some(v), false) => {
            let leaf_key = hex_b256(&leaf["key"]);
            let value_hash = hex_b256(&leaf["valueHash"]);
            if leaf_key != key {
                return Err(format!("leaf key {leaf_key} is not {key}"));
            }
            if value_hash != sha256(&[v]) {
                return Err("leaf value hash does not match the value".into());
            }
            sha256(&[&[0x00], key.as_slice(), sha256(&[v]).as_slice()])
        }
        (None, true) => B256::ZERO,
        (None, false) => {
            // Absence via another leaf sitting where `key` would be: it must share the path.
            let other = hex_b256(&leaf["key"]);
            if other == key {
                return Err("absence proof ends at the key's own leaf".into());
            }
            if (0..depth).any(|i| key_bit(&other, i) != key_bit(&key, i)) {
                return Err("the leaf is not on the key's path".into());
            }
            sha256(&[&[0x00], other.as_slice(), hex_b256(&leaf["valueHash"]).as_slice()])
        }
    };
    for i in (0..depth).rev() {
        node = if key_bit(&key, i) == 0 {
            sha256(&[&[0x01], node.as_slice(), siblings[i].as_slice()])
        } else {
            sha256(&[&[0x01], siblings[i].as_slice(), node.as_slice()])
        };
    }
    if node != root {
        return Err(format!("computed root {node} != {root}"));
    }
    Ok(())
}

async fn get_proof(rpc: &Rpc, addr: Address, slots: &[U256], block: u64) -> Value {
    rpc.ok("mosaic_getProof", json!([addr, slots, format!("{block:#x}")])).await
}

/// Checks an account proof against the header root and the account as eth_* reports it at `block`.
async fn check_account(rpc: &Rpc, proof: &Value, addr: Address, block: u64) -> B256 {
    let root = hex_b256(&rpc.block(block).await["stateRoot"]);
    assert_eq!(hex_b256(&proof["stateRoot"]), root, "proof root = header stateRoot of block {block}");
    assert_eq!(hex_u64(&proof["blockNumber"]), block);
    assert_eq!(proof["address"], json!(addr));
    let key = account_key(addr);
    assert_eq!(hex_b256(&proof["accountKey"]), key, "account key = sha256(0x00 || address)");
    let tag = json!(format!("{block:#x}"));
    let balance = rpc.balance_at(addr, tag.clone()).await;
    let nonce = hex_u64(&rpc.ok("eth_getTransactionCount", json!([addr, tag.clone()])).await);
    let code: alloy::primitives::Bytes =
        serde_json::from_value(rpc.ok("eth_getCode", json!([addr, tag])).await).unwrap();
    let exists = !balance.is_zero() || nonce != 0 || !code.is_empty();
    if exists {
        let code_hash = if code.is_empty() { KECCAK256_EMPTY } else { keccak256(&code) };
        let value = account_value(nonce, balance, code_hash);
        assert_eq!(hex_u256(&proof["account"]["balance"]), balance);
        assert_eq!(hex_u64(&proof["account"]["nonce"]), nonce);
        assert_eq!(hex_b256(&proof["account"]["codeHash"]), code_hash);
        assert_eq!(proof["accountValue"], json!(alloy::primitives::Bytes::from(value.clone())));
        verify(root, key, Some(&value), &proof["accountProof"]).unwrap_or_else(|e| panic!("{addr}@{block}: {e}"));
        // The verifier is not a rubber stamp.
        let mut wrong = value.clone();
        wrong[39] ^= 1;
        assert!(verify(root, key, Some(&wrong), &proof["accountProof"]).is_err(), "wrong balance verified");
        assert!(verify(root, key, None, &proof["accountProof"]).is_err(), "inclusion proof passed as absence");
    } else {
        assert!(proof["account"].is_null() && proof["accountValue"].is_null(), "{proof}");
        verify(root, key, None, &proof["accountProof"]).unwrap_or_else(|e| panic!("absence of {addr}@{block}: {e}"));
        assert!(verify(root, key, Some(&[0u8; 72]), &proof["accountProof"]).is_err());
    }
    root
}

/// Checks the storage proofs of a response against eth_getStorageAt at `block`.
async fn check_storage(rpc: &Rpc, proof: &Value, addr: Address, slots: &[U256], block: u64) {
    let root = hex_b256(&proof["stateRoot"]);
    let proofs = proof["storageProof"].as_array().unwrap();
    assert_eq!(proofs.len(), slots.len());
    for (p, slot) in proofs.iter().zip(slots) {
        assert_eq!(hex_u256(&p["slot"]), *slot);
        let key = storage_key(addr, *slot);
        assert_eq!(hex_b256(&p["key"]), key, "storage key = sha256(0x01 || address || slot)");
        let value = hex_u256(&p["value"]);
        let via_rpc =
            hex_u256(&rpc.ok("eth_getStorageAt", json!([addr, format!("{slot:#x}"), format!("{block:#x}")])).await);
        assert_eq!(value, via_rpc, "slot {slot:#x} value = eth_getStorageAt");
        if value.is_zero() {
            verify(root, key, None, &p["proof"]).unwrap_or_else(|e| panic!("absent slot {slot:#x}: {e}"));
        } else {
            let bytes = value.to_be_bytes::<32>();
            verify(root, key, Some(&bytes), &p["proof"]).unwrap_or_else(|e| panic!("slot {slot:#x}: {e}"));
            let wrong = (value + U256::from(1u64)).to_be_bytes::<32>();
            assert!(verify(root, key, Some(&wrong), &p["proof"]).is_err(), "wrong slot value verified");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_of_accounts_and_storage_verify_against_state_root() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(0);
    let alice = dev(1).address();
    let (token, _) = deploy_token(&node, &owner).await;
    let amount = U256::from(1234u64);
    let t = Token::new(token, node.wallet(&owner));
    let hash = *t.transfer(alice, amount).send().await.unwrap().tx_hash();
    rpc.wait_receipt(hash).await;
    let n = rpc.block_number().await;

    // Independent key derivation, checked against a known vector as well.
    assert_eq!(
        account_key(owner.address()),
        sha256(&[&[0u8], &alloy::hex::decode("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap()])
    );

    // Existing EOAs, a contract, and an account that does not exist.
    let nobody = random_address();
    for addr in [owner.address(), alice, token, nobody] {
        let p = get_proof(&rpc, addr, &[], n).await;
        check_account(&rpc, &p, addr, n).await;
    }
    let p = get_proof(&rpc, nobody, &[], n).await;
    assert!(p["account"].is_null());

    // Token storage: present (balances, totalSupply, name) and absent slots.
    let slots = [
        balance_slot(owner.address()),
        balance_slot(alice),
        U256::from(2u64),
        U256::ZERO,
        balance_slot(nobody),
        U256::from(99u64),
    ];
    let p = get_proof(&rpc, token, &slots, n).await;
    check_storage(&rpc, &p, token, &slots, n).await;
    let values: Vec<U256> = p["storageProof"].as_array().unwrap().iter().map(|s| hex_u256(&s["value"])).collect();
    assert_eq!(values[0], token_supply() - amount);
    assert_eq!(values[1], amount);
    assert_eq!(values[2], token_supply());
    assert!(!values[3].is_zero(), "short string `name` lives in slot 0");
    assert!(values[4].is_zero() && values[5].is_zero());

    // A tampered sibling breaks the proof.
    let mut tampered = p["storageProof"][1]["proof"].clone();
    let sib = hex_b256(&tampered["siblings"][0]);
    tampered["siblings"][0] = json!(B256::from(U256::from_be_bytes(sib.0) ^ U256::from(1u64)));
    let root = hex_b256(&p["stateRoot"]);
    assert!(verify(root, storage_key(token, slots[1]), Some(&amount.to_be_bytes::<32>()), &tampered).is_err());

    // An EOA has no storage: its slots prove absent.
    let p = get_proof(&rpc, alice, &[U256::ZERO], n).await;
    check_storage(&rpc, &p, alice, &[U256::ZERO], n).await;
    // Unknown blocks are refused.
    let e = rpc.err("mosaic_getProof", json!([alice, [], format!("{:#x}", n + 100)])).await;
    assert_rpc_error(&e, -32001, "not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn historical_proofs_and_reads_stay_valid() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(2);
    let alice = dev(3).address();
    let (token, deploy) = deploy_token(&node, &owner).await;
    let old = hex_u64(&deploy["blockNumber"]);
    let old_root = hex_b256(&rpc.block(old).await["stateRoot"]);
    let old_balance = rpc.balance(owner.address()).await;
    let slots = [balance_slot(owner.address()), balance_slot(alice)];
    let old_proof = get_proof(&rpc, owner.address(), &[], old).await;
    let old_token_proof = get_proof(&rpc, token, &slots, old).await;

    // More blocks change the owner's balance and the token's storage.
    let t = Token::new(token, node.wallet(&owner));
    let hash = *t.transfer(alice, U256::from(5u64)).send().await.unwrap().tx_hash();
    rpc.wait_receipt(hash).await;
    for nonce in 2..5 {
        let hash = rpc.send_raw(&signed_transfer(&owner, nonce, random_address(), U256::from(1u64))).await.unwrap();
        rpc.wait_receipt(hash).await;
    }
    let head = rpc.block_number().await;
    assert!(head >= old + 4);

    // The old proof is unchanged and still verifies against the old header's root.
    let again = get_proof(&rpc, owner.address(), &[], old).await;
    assert_eq!(again, old_proof, "a historical proof never changes");
    assert_eq!(check_account(&rpc, &again, owner.address(), old).await, old_root);
    assert_eq!(hex_u256(&again["account"]["balance"]), old_balance);
    let token_again = get_proof(&rpc, token, &slots, old).await;
    assert_eq!(token_again, old_token_proof);
    check_storage(&rpc, &token_again, token, &slots, old).await;
    assert!(hex_u256(&token_again["storageProof"][1]["value"]).is_zero(), "alice had no tokens yet");

    // Historical reads return the old values; latest ones the new.
    let tag = json!(format!("{old:#x}"));
    assert_eq!(rpc.balance_at(owner.address(), tag.clone()).await, old_balance);
    let latest_balance = rpc.balance(owner.address()).await;
    assert!(latest_balance < old_balance);
    assert_eq!(rpc.nonce(owner.address(), "latest").await, 5);
    assert_eq!(hex_u64(&rpc.ok("eth_getTransactionCount", json!([owner.address(), tag])).await), 1);
    assert_eq!(rpc.balance_at(owner.address(), json!("earliest")).await, dev_balance());

    // And the latest proof verifies against the new root.
    let now = get_proof(&rpc, owner.address(), &[], head).await;
    let new_root = check_account(&rpc, &now, owner.address(), head).await;
    assert_ne!(new_root, old_root);
    assert_eq!(hex_u256(&now["account"]["balance"]), latest_balance);
    let token_now = get_proof(&rpc, token, &slots, head).await;
    check_storage(&rpc, &token_now, token, &slots, head).await;
    assert_eq!(hex_u256(&token_now["storageProof"][1]["value"]), U256::from(5u64));
    // Genesis too.
    let genesis = get_proof(&rpc, owner.address(), &[], 0).await;
    check_account(&rpc, &genesis, owner.address(), 0).await;
    assert_eq!(hex_u256(&genesis["account"]["balance"]), dev_balance());
}
