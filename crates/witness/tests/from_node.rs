//! Witnesses recorded from a real node database: the witness alone reproduces the node's roots and
//! hashes, and any tampering with it, the batch or the parent is caught.
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_node::{ChainReader, Node, NodeConfig};
use mosaic_primitives::{merkle_root, withdrawals_in, Block, ChainConfig, Header, L1Message, L2_BRIDGE};
use mosaic_stf::StateReader;
use mosaic_witness::*;
use std::time::Duration;

/// Stores BLOCKHASH(NUMBER - 2) in slot 0 on every call.
const BLOCKHASH_CONTRACT: &str = "6009600c60003960096000f3600243034060005500";

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn l2_bridge_code() -> Bytes {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/artifacts/L2Bridge.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    json["deployedBytecode"].as_str().unwrap().parse().unwrap()
}

struct Chain {
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    node: Node,
    alice: PrivateKeySigner,
    nonce: u64,
}

impl Chain {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _enter = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        let alice = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let node = Node::open(NodeConfig {
            chain: ChainConfig::default(),
            data_dir: dir.path().to_path_buf(),
            block_time: Duration::ZERO,
            fee_recipient: Address::repeat_byte(0xfe),
            pool: Default::default(),
            genesis_alloc: vec![(alice.address(), eth(100))],
            max_tx_size: 128 * 1024,
            allow_unprotected_txs: false,
            predeploys: vec![(
                L2_BRIDGE,
                mosaic_stf::InitialAccount { nonce: 1, code: l2_bridge_code(), ..Default::default() },
            )],
            genesis_accounts: Vec::new(),
        })
        .unwrap();
        drop(_enter);
        Self { _rt: rt, _dir: dir, node, alice, nonce: 0 }
    }

    fn tx(
        &mut self,
        signer: &PrivateKeySigner,
        nonce: Option<u64>,
        to: TxKind,
        value: U256,
        input: &str,
    ) -> (TxEnvelope, Address) {
        let nonce = nonce.unwrap_or_else(|| {
            self.nonce += 1;
            self.nonce - 1
        });
        let tx = TxEip1559 {
            chain_id: ChainConfig::default().chain_id,
            nonce,
            gas_limit: 200_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            input: alloy_primitives::hex::decode(input).unwrap().into(),
            access_list: Default::default(),
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        (tx.into_signed(sig).into(), signer.address())
    }

    fn block(&self, msgs: &[L1Message], txs: Vec<(TxEnvelope, Address)>) -> Block {
        let ts = self.node.head().timestamp + 2;
        let parts = mosaic_stf::BlockParts {
            timestamp: ts,
            beneficiary: Address::repeat_byte(0xfe),
            l1_messages: msgs,
            transactions: txs,
        };
        let new = self.node.import_block(parts).unwrap();
        self.node.block(new.block.header.number).unwrap().unwrap()
    }

    fn header(&self, n: u64) -> Header {
        self.node.header(n).unwrap().unwrap()
    }
}

fn record(
    chain: &Chain,
    blocks: &[Block],
    msgs: &[L1Message],
    variant: mosaic_batch::Variant,
) -> (BatchWitness, Executed) {
    let parent = chain.header(blocks[0].header.number - 1);
    let state = chain.node.state_tree(parent.number).unwrap();
    let batch = mosaic_batch::Batch::from_blocks(blocks).unwrap();
    let data = mosaic_batch::encode(&batch, variant, chain.node.chain_id());
    let sigs: Vec<Signature> = match variant {
        mosaic_batch::Variant::Signed => vec![],
        mosaic_batch::Variant::Unsigned => {
            blocks.iter().flat_map(|b| b.sequenced().map(|(t, _)| *t.signature())).collect()
        }
    };
    Recorder::new(state).build(&ChainConfig::default(), &parent, &data, msgs, &sigs).unwrap()
}

fn expected_journal(chain: &Chain, blocks: &[Block], data: &[u8]) -> Journal {
    let (first, last) = (blocks[0].header.number, blocks[blocks.len() - 1].header.number);
    let parent = chain.header(first - 1);
    let mut leaves = Vec::new();
    for n in first..=last {
        leaves.extend(withdrawals_in(&chain.node.receipts(n).unwrap().unwrap()).iter().map(|w| w.hash()));
    }
    let head = chain.header(last);
    let cursor = mosaic_primitives::L1Cursor::from_extra_data(&head.extra_data).unwrap();
    Journal {
        chain_id: ChainConfig::default().chain_id,
        config_hash: config_hash(&ChainConfig::default()),
        prev_state_root: parent.state_root,
        post_state_root: head.state_root,
        prev_block_hash: parent.hash_slow(),
        last_block_hash: head.hash_slow(),
        last_block: last,
        batch_data_hash: keccak256(data),
        l1_message_cursor: cursor.next_index,
        l1_messages_hash: cursor.queue_hash,
        withdrawals_root: merkle_root(&leaves),
    }
}

/// Deposits, transfers, a contract using storage and BLOCKHASH, a withdrawal, a transaction forced
/// through L1: two batches.
fn scenario() -> (Chain, Vec<Block>, Vec<L1Message>, Vec<Block>) {
    let mut c = Chain::new();
    let (alice, bob) = (c.alice.clone(), PrivateKeySigner::from_bytes(&B256::repeat_byte(8)).unwrap());
    let token = Address::repeat_byte(0xe2);
    let msgs = vec![
        L1Message {
            index: 0,
            token: Address::ZERO,
            from: Address::repeat_byte(1),
            to: bob.address(),
            amount: eth(3),
            transaction: None,
        },
        L1Message {
            index: 1,
            token,
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(0xc0),
            amount: U256::from(9),
            transaction: None,
        },
    ];
    let transfer = c.tx(&alice, None, TxKind::Call(Address::repeat_byte(0xd0)), eth(1), "");
    let b1 = c.block(&msgs, vec![transfer]);
    let mut msgs = msgs;
    let deploy = c.tx(&alice, None, TxKind::Create, U256::ZERO, BLOCKHASH_CONTRACT);
    let contract = alice.address().create(1);
    // withdrawETH(address l1Recipient), paid with deposited ETH.
    let withdraw = c.tx(
        &bob,
        Some(0),
        TxKind::Call(L2_BRIDGE),
        eth(1),
        &std::format!("{}{:0>64}", "690d8320", alloy_primitives::hex::encode(Address::repeat_byte(0xab))),
    );
    let b2 = c.block(&[], vec![deploy, withdraw]);
    let (forced, _) = c.tx(&bob, Some(1), TxKind::Call(Address::repeat_byte(0xd1)), U256::from(1), "");
    msgs.push(L1Message::forced(2, Address::repeat_byte(1), forced.encoded_2718().into()));
    let call = c.tx(&alice, None, TxKind::Call(contract), U256::ZERO, "");
    let b3 = c.block(&msgs[2..], vec![call]);
    assert_eq!((b3.forced, b3.transactions.len()), (1, 2), "the forced transaction ran");
    // Second batch: BLOCKHASH(NUMBER - 2) reaches below its parent, into the ancestors.
    let call = c.tx(&alice, None, TxKind::Call(contract), U256::ZERO, "");
    let b4 = c.block(&[], vec![call]);
    (c, vec![b1, b2, b3], msgs, vec![b4])
}

#[test]
fn witness_alone_reproduces_the_node_and_round_trips() {
    let (chain, batch1, msgs, batch2) = scenario();
    assert!(!withdrawals_in(&chain.node.receipts(2).unwrap().unwrap()).is_empty(), "the withdrawal happened");
    for (blocks, msgs) in [(&batch1, &msgs[..]), (&batch2, &[][..])] {
        let (witness, native) = record(&chain, blocks, msgs, mosaic_batch::Variant::Signed);
        let expected = expected_journal(&chain, blocks, &witness.data);
        assert_eq!(native.journal, expected);
        let decoded = BatchWitness::decode(&witness.encode()).unwrap();
        assert_eq!(decoded, witness);
        let replay = decoded.execute().unwrap();
        assert_eq!(replay.journal, expected, "the witness alone reaches the node's roots");
        assert_eq!(replay.blocks, *blocks);
        assert_eq!(Journal::decode(&expected.encode()), Some(expected));
    }
    // The second batch's BLOCKHASH reached below its parent: the witness carries that ancestor.
    let (witness, _) = record(&chain, &batch2, &[], mosaic_batch::Variant::Signed);
    assert_eq!(witness.ancestors.len(), 1);
    assert_eq!(witness.ancestors[0].number, 2);
    // The contract stored that hash.
    let stored = chain.node.latest_state().unwrap().storage(&chain.alice.address().create(1), &U256::ZERO).unwrap();
    assert_eq!(B256::from(stored), chain.header(2).hash_slow());
}

#[test]
fn signature_less_batches_take_signatures_from_the_witness() {
    let (chain, batch1, msgs, _) = scenario();
    let (witness, native) = record(&chain, &batch1, &msgs, mosaic_batch::Variant::Unsigned);
    assert_eq!(witness.signatures.len(), 4);
    let signed = expected_journal(&chain, &batch1, &witness.data);
    assert_eq!(native.journal, signed, "same roots and block hashes as the signed variant");
    assert_eq!(witness.execute().unwrap().journal, signed);
    // Swapped signatures: the recovered signer no longer matches the posted sender.
    let mut bad = witness.clone();
    bad.signatures.swap(0, 1);
    assert!(matches!(bad.execute(), Err(WitnessError::Invalid { .. })));
    let mut short = witness;
    short.signatures.pop();
    assert!(short.execute().is_err());
}

#[test]
fn tampering_with_the_witness_the_batch_or_the_parent_fails() {
    let (chain, batch1, msgs, batch2) = scenario();
    let (witness, native) = record(&chain, &batch1, &msgs, mosaic_batch::Variant::Signed);
    let good = native.journal;
    // Any byte of any tree node.
    for i in 0..witness.nodes.len() {
        let mut w = witness.clone();
        let mut node = w.nodes[i].to_vec();
        let at = node.len() - 1;
        node[at] ^= 1;
        w.nodes[i] = node.into();
        assert!(w.execute().is_err(), "tampered node {i} accepted");
    }
    // A missing node.
    let mut w = witness.clone();
    w.nodes.remove(0);
    assert!(w.execute().is_err());
    // A wrong previous state root.
    let mut w = witness.clone();
    w.parent.state_root = B256::repeat_byte(1);
    assert!(w.execute().is_err());
    // Any transaction byte: the batch no longer decodes, a signature no longer recovers the sender, or at
    // least the data hash in the journal changes.
    for i in (1..witness.data.len()).step_by(7) {
        let mut w = witness.clone();
        let mut data = w.data.to_vec();
        data[i] ^= 0x10;
        w.data = data.into();
        if let Ok(out) = w.execute() {
            assert_ne!(out.journal, good, "byte {i} changed nothing");
        }
    }
    // A different deposit: the queue hash (and balances) differ.
    let mut w = witness.clone();
    w.l1_messages[0].amount += U256::from(1);
    assert_ne!(w.execute().unwrap().journal.l1_messages_hash, good.l1_messages_hash);
    // A deposit held back.
    let mut w = witness.clone();
    w.l1_messages.pop();
    assert!(w.execute().is_err());
    // Missing code for the contract the batch calls.
    let (witness2, _) = record(&chain, &batch2, &[], mosaic_batch::Variant::Signed);
    let mut w = witness2.clone();
    w.codes.clear();
    assert!(w.execute().is_err());
    // A forged ancestor header.
    let mut w = witness2;
    w.ancestors[0].gas_used += 1;
    assert!(matches!(w.execute(), Err(WitnessError::Witness(_))));
    // Another chain's parameters change the journal.
    let mut w = witness;
    w.config.min_base_fee += 1;
    assert_ne!(w.execute().map(|e| e.journal.config_hash).ok(), Some(good.config_hash));
    // So are its proving-cost rules (issue #20): they travel in the witness, change the hash, and a
    // block over the witness's budget does not execute.
    w.config.min_base_fee -= 1;
    w.config.proving.wasm_gas.frame_gas += 1;
    w.config.proving.cycles.precompiles[0].1 += 1;
    assert_eq!(BatchWitness::decode(&w.encode()).unwrap(), w, "the schedules travel in the witness");
    assert_ne!(w.execute().map(|e| e.journal.config_hash).ok(), Some(good.config_hash));
    w.config.proving = ChainConfig::default().proving;
    assert_eq!(w.execute().map(|e| e.journal.config_hash).ok(), Some(good.config_hash));
    w.config.proving.block_cycle_budget = 1_000;
    assert!(matches!(w.execute(), Err(WitnessError::Invalid { .. })), "a block over the budget is invalid");
}
