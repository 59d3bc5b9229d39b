//! A sequencer set of four `mosaic devnet --sequencer-set` processes under BFT consensus: they decide
//! the same blocks, the chain goes on when one member — the proposer, under load — is killed with
//! `kill -9`, it halts without forking while two of four are down and resumes when one returns, no
//! acknowledged transaction is lost, and a killed member, restarted, catches up from the others.
mod common;

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use common::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A set file of `keys`, each member on a free loopback port for its peers and one for its JSON-RPC;
/// returns the file and the members' RPC ports.
fn set_file(keys: &[PrivateKeySigner], block_time: &str) -> (String, Vec<u16>) {
    let mut s = format!("block_time = \"{block_time}\"\nfee_recipient = \"{}\"\n", Address::repeat_byte(0xfe));
    let mut rpc_ports = Vec::new();
    for k in keys {
        let public = k.credential().verifying_key().to_encoded_point(true);
        let rpc = free_port();
        rpc_ports.push(rpc);
        s.push_str(&format!(
            "[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{}\"\nrpc = \"http://127.0.0.1:{rpc}\"\n",
            k.address(),
            alloy::primitives::hex::encode(public.as_bytes()),
            free_port()
        ));
    }
    (s, rpc_ports)
}

/// Hash of block `number` as `member` has it.
async fn block_hash(member: &DevNode, number: u64) -> String {
    member.rpc().block(number).await["hash"].as_str().expect("a block hash").to_string()
}

/// Waits until every member in `members` has the same hash at `number`.
async fn agree_at(members: &[&DevNode], number: u64) {
    for m in members {
        m.rpc().wait_block(number).await;
    }
    let first = block_hash(members[0], number).await;
    for (i, m) in members.iter().enumerate().skip(1) {
        assert_eq!(block_hash(m, number).await, first, "member {i} differs at block {number}: a fork");
    }
}

/// Starts member `i` of `keys` on its RPC port.
fn start_member(keys: &[PrivateKeySigner], rpc_ports: &[u16], set: &str, i: usize) -> DevNode {
    let key = alloy::primitives::hex::encode(keys[i].to_bytes());
    let port = rpc_ports[i].to_string();
    DevNode::start(&["--no-l1", "--sequencer-set", set, "--validator-key", &key, "--port", &port])
}

/// Sends transfers from dev account `from` to `member` every 50 ms until `stop`, each acknowledged one
/// pushed to `acked`; stops at the first that is not acknowledged (its member died), so that no later
/// nonce waits behind a transaction nobody holds.
async fn load(
    member: Rpc,
    from: usize,
    acked: std::sync::Arc<std::sync::Mutex<Vec<B256>>>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let signer = dev(from);
    for nonce in 0.. {
        if *stop.borrow() {
            return;
        }
        let raw = signed_transfer(&signer, nonce, Address::repeat_byte(0xd3), U256::from(1));
        match member.try_call("eth_sendRawTransaction", serde_json::json!([raw])).await {
            Ok(Ok(v)) => acked.lock().unwrap().push(serde_json::from_value(v).unwrap()),
            _ => return,
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Head of the chain and its hash on `member`.
async fn head(member: &DevNode) -> (u64, String) {
    let n = member.rpc().block_number().await;
    (n, block_hash(member, n).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_set_survives_its_proposer_killed_under_load_and_halts_without_forking_while_two_of_four_are_down() {
    let keys: Vec<PrivateKeySigner> =
        (0..4u8).map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(0x61 + i)).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let set_path = dir.path().join("sequencers.toml");
    let (text, rpc_ports) = set_file(&keys, "500ms");
    std::fs::write(&set_path, text).unwrap();
    let set = set_path.to_str().unwrap();
    let mut members: Vec<DevNode> = (0..4).map(|i| start_member(&keys, &rpc_ports, set, i)).collect();
    members[0].rpc().wait_block(2).await;

    // Load on every member: dev account i sends to member i.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let senders: Vec<_> =
        (0..4).map(|i| tokio::spawn(load(members[i].rpc(), i, acked.clone(), stopped.clone()))).collect();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    // kill -9 whoever proposes now: the next round's proposer takes over within the round timeouts.
    let status = members[0].rpc().ok("mosaic_bftStatus", serde_json::json!([])).await;
    let proposer: Address = serde_json::from_value(status["proposer"].clone()).unwrap();
    let p = keys.iter().position(|k| k.address() == proposer).expect("the proposer is a member");
    assert_eq!(status["members"].as_array().unwrap().len(), 4, "{status}");
    assert_eq!(status["quorum"], "0x3", "{status}");
    members[p].kill9();
    let live: Vec<usize> = (0..4).filter(|&i| i != p).collect();
    let at_kill = members[live[0]].rpc().block_number().await;
    agree_at(&live.iter().map(|&i| &members[i]).collect::<Vec<_>>(), at_kill + 4).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    stop.send(true).unwrap();
    for s in senders {
        s.await.unwrap();
    }
    // Every acknowledged transaction is in the chain of the three left.
    let acked: Vec<B256> = acked.lock().unwrap().clone();
    assert!(acked.len() > 40, "load: {} acknowledged", acked.len());
    for hash in &acked {
        members[live[0]].rpc().wait_receipt(*hash).await;
    }

    // A second member down: two of four cannot decide, and nothing forks while they wait.
    let q = live[2];
    members[q].kill9();
    let two: Vec<usize> = live[..2].to_vec();
    let halted_at = head(&members[two[0]]).await.0;
    // Acknowledged by one survivor and held by the other, though no block can include it yet.
    let waiting = members[two[1]]
        .rpc()
        .send_raw(&signed_transfer(&dev(5), 0, Address::repeat_byte(0xd4), U256::from(9)))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (a, b) = (head(&members[two[0]]).await, head(&members[two[1]]).await);
    assert!(a.0 <= halted_at + 1 && a.0.abs_diff(b.0) <= 1, "two of four went on deciding: {a:?} {b:?}");
    let common = a.0.min(b.0);
    assert_eq!(block_hash(&members[two[0]], common).await, block_hash(&members[two[1]], common).await, "a fork");

    // One returns: three of four decide again, and the waiting transaction is included.
    members[q].restart();
    let back: Vec<&DevNode> = [two[0], two[1], q].iter().map(|&i| &members[i]).collect();
    for m in &back {
        m.rpc().wait_receipt(waiting).await;
    }
    agree_at(&back, common + 3).await;
    // And the killed proposer, restarted, syncs everything it missed.
    members[p].restart();
    members[p].rpc().wait_receipt(waiting).await;
    for hash in acked.iter().step_by(7) {
        members[p].rpc().wait_receipt(*hash).await;
    }
    agree_at(&members.iter().collect::<Vec<_>>(), common + 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_sequencers_agree_keep_acknowledged_transactions_through_a_kill_9_and_catch_up() {
    let keys: Vec<PrivateKeySigner> =
        (0..4u8).map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(0x51 + i)).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let set_path = dir.path().join("sequencers.toml");
    let (text, rpc_ports) = set_file(&keys, "500ms");
    std::fs::write(&set_path, text).unwrap();
    let set = set_path.to_str().unwrap();
    let mut members: Vec<DevNode> = keys
        .iter()
        .zip(&rpc_ports)
        .map(|(k, port)| {
            let key = alloy::primitives::hex::encode(k.to_bytes());
            let port = port.to_string();
            DevNode::start(&["--no-l1", "--sequencer-set", set, "--validator-key", &key, "--port", &port])
        })
        .collect();

    // A transaction sent to any member reaches the others (whoever proposes next includes it), and
    // every member has the same blocks.
    let alice = dev(0);
    let to = Address::repeat_byte(0xd1);
    let first = members[1].rpc().send_raw(&signed_transfer(&alice, 0, to, U256::from(7))).await.unwrap();
    for m in &members {
        m.rpc().wait_receipt(first).await;
    }
    let top = members[0].rpc().wait_block(4).await;
    agree_at(&members.iter().collect::<Vec<_>>(), top).await;

    // Acknowledged means held by another member too: kill -9 the member right after it answered, and
    // the other three (a quorum) still include the transaction and go on.
    let acked = members[3].rpc().send_raw(&signed_transfer(&alice, 1, to, U256::from(7))).await.unwrap();
    members[3].kill9();
    let live: Vec<&DevNode> = members[..3].iter().collect();
    for m in &live {
        m.rpc().wait_receipt(acked).await;
    }
    let head = members[0].rpc().block_number().await + 6;
    agree_at(&live, head).await;

    // Restarted, member 3 syncs the blocks it missed from the others and has the same chain.
    members[3].restart();
    members[3].rpc().wait_receipt(acked).await;
    agree_at(&members.iter().collect::<Vec<_>>(), head).await;
    assert_eq!(members[3].rpc().balance(to).await, U256::from(14), "both transfers, on member 3 too");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_command_runs_a_local_set_of_four_that_orders_one_chain() {
    let set = DevNode::start(&["--no-l1", "--sequencers", "4", "--block-time", "500ms"]);
    // Its banner lists every member's JSON-RPC URL.
    let urls: Vec<String> = set
        .logs()
        .lines()
        .filter_map(|l| l.strip_prefix("member "))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert_eq!(urls.len(), 4, "{}", set.logs());
    let members: Vec<Rpc> = urls.iter().map(|u| Rpc::new(u)).collect();
    let hash =
        members[2].send_raw(&signed_transfer(&dev(1), 0, Address::repeat_byte(0xd2), U256::from(1))).await.unwrap();
    for m in &members {
        m.wait_receipt(hash).await;
    }
    let top = members[0].wait_block(3).await;
    let mut hashes = Vec::new();
    for m in &members {
        m.wait_block(top).await;
        hashes.push(m.block(top).await["hash"].clone());
    }
    assert!(hashes.iter().all(|h| *h == hashes[0]), "one chain: {hashes:?}");
    // Each member tells where consensus stands; honest members record no evidence.
    let status = members[1].ok("mosaic_bftStatus", serde_json::json!([])).await;
    assert_eq!(status["members"].as_array().map(Vec::len), Some(4), "{status}");
    assert!(hex_u64(&status["lastDecided"]["height"]) >= top, "{status}");
    assert!(status["lastDecided"]["signers"].as_array().unwrap().len() >= 3, "{status}");
    assert_eq!(members[1].ok("mosaic_bftEvidence", serde_json::json!([])).await, serde_json::json!([]));
}
