//! A sequencer set of four `mosaic devnet --sequencer-set` processes under BFT consensus: they decide
//! the same blocks, the chain goes on when one member is killed with `kill -9`, and the killed member,
//! restarted, catches up from the others and agrees with them.
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
}
