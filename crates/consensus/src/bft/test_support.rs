//! What the BFT tests share: a set file of members with known keys, and a member's node.
use super::MosaicSigner;
use alloy_primitives::{hex, Address, U256};
use mosaic_node::{Node, NodeConfig};
use mosaic_primitives::ChainConfig;
use std::time::Duration;

/// A set file of the members with `secrets`, each listening for peers on `port(i)`.
pub(super) fn set_file(secrets: &[[u8; 32]], block_time: &str, fee: Address, port: impl Fn(usize) -> u16) -> String {
    let mut s = format!("block_time = \"{block_time}\"\nfee_recipient = \"{fee}\"\n");
    for (i, secret) in secrets.iter().enumerate() {
        let signer = MosaicSigner::new(secret, 1).unwrap();
        let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&signer.public_key().to_vec()).unwrap();
        s.push_str(&format!(
            "[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{}\"\n",
            Address::from_public_key(&key),
            hex::encode(signer.public_key().to_vec()),
            port(i)
        ));
    }
    s
}

/// A member's node in `dir` on the default chain: its blocks credit `fee`, and `funded` holds 1 ETH.
pub(super) fn member_node(dir: &std::path::Path, fee: Address, funded: Address) -> Node {
    Node::open(NodeConfig {
        data_dir: dir.to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: fee,
        pool: Default::default(),
        genesis_alloc: vec![(funded, U256::from(10u64).pow(U256::from(18u64)))],
        max_tx_size: mosaic_node::DEFAULT_MAX_TX_SIZE,
        allow_unprotected_txs: false,
        predeploys: Vec::new(),
        genesis_accounts: Vec::new(),
        chain: ChainConfig::default(),
    })
    .unwrap()
}
