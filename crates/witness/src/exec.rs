//! Re-executing one batch on top of its parent block, reading state through the tree.
use crate::journal::{config_hash, Journal};
use alloc::{collections::BTreeMap, format, string::String, vec::Vec};
use alloy_consensus::{transaction::SignerRecoverable, Header, Signed, TxEnvelope, TypedTransaction};
use alloy_primitives::{keccak256, Address, Bytes, Signature, B256, U256};
use mosaic_batch::{DecodedTx, Variant};
use mosaic_primitives::{merkle_root, withdrawals_in, AccountLeaf, Block, ChainConfig, L1Cursor, L1Message};
use mosaic_stf::{
    in_blockhash_window, replay_block, tree_account, tree_storage, BlockParts, ReplayError, StateError, StateReader,
};
use mosaic_trie::{MemoryNodeStore, Node, NodeStore, TrieError};

/// Why a batch could not be re-executed: the batch is invalid, or the witness is incomplete or forged.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The batch data does not decode.
    #[error("undecodable batch data: {0}")]
    Decode(#[from] mosaic_batch::BatchError),
    /// The batch does not fit on the parent block, or the L1 messages do not fit the batch.
    #[error("batch does not follow its parent: {0}")]
    Parent(String),
    /// A block of the batch is invalid (bad signature, failing transaction, bad timestamp, ...).
    #[error("block {block}: {why}")]
    Invalid {
        /// Block number.
        block: u64,
        /// What is wrong.
        why: String,
    },
    /// State could not be read (a tree node or code the witness lacks or forged).
    #[error("state: {0}")]
    State(String),
    /// The witness itself is malformed (bad encoding, broken header chain).
    #[error("witness: {0}")]
    Witness(String),
}

impl From<StateError> for WitnessError {
    fn from(e: StateError) -> Self {
        Self::State(e.0)
    }
}

impl From<TrieError> for WitnessError {
    fn from(e: TrieError) -> Self {
        Self::State(format!("{e}"))
    }
}

/// Where execution reads what is not in the batch: tree nodes, contract code, ancestor block hashes.
/// Implementations need not be trusted: nodes are hash-checked by the tree, codes are checked here.
pub trait Sources {
    /// The tree node with this hash.
    fn node(&self, hash: &B256) -> Result<Option<Node>, TrieError>;
    /// Contract code by keccak256 hash.
    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError>;
    /// Hash of block `number`, strictly below the batch's parent (for `BLOCKHASH`).
    fn ancestor_hash(&self, number: u64) -> Result<B256, StateError>;
}

/// One batch to execute: the chain's parameters, the parent header, the posted bytes, the L1 messages
/// it consumes (in queue order) and, for the signature-less variant, the signatures kept off L1.
#[derive(Clone, Debug)]
pub struct BatchInput<'a> {
    /// Consensus parameters.
    pub config: &'a ChainConfig,
    /// Header of the block before the batch.
    pub parent: &'a Header,
    /// The batch data exactly as posted.
    pub data: &'a [u8],
    /// L1 messages the batch consumes, from the parent's cursor on.
    pub l1_messages: &'a [L1Message],
    /// One signature per transaction, in order, for [`Variant::Unsigned`] data (ignored otherwise).
    pub signatures: &'a [Signature],
}

/// The result of [`execute_batch`].
#[derive(Clone, Debug)]
pub struct Executed {
    /// What a proof of this execution commits.
    pub journal: Journal,
    /// The re-built blocks.
    pub blocks: Vec<Block>,
}

/// Tree nodes from the sources, plus those the batch itself created (its later blocks read them).
struct Layered<'a, S> {
    sources: &'a S,
    created: MemoryNodeStore,
}

impl<S: Sources> NodeStore for Layered<'_, S> {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        match self.created.get_node(hash)? {
            Some(n) => Ok(Some(n)),
            None => self.sources.node(hash),
        }
    }
}

/// State after `parent` read through the tree at `root`.
struct TreeState<'a, S> {
    nodes: &'a Layered<'a, S>,
    root: B256,
    /// Number of the block being built.
    next: u64,
    /// Number of the batch's parent and hashes from there on (parent first).
    parent_number: u64,
    recent: &'a [B256],
    codes: &'a BTreeMap<B256, Bytes>,
}

fn state_err(e: impl core::fmt::Display) -> StateError {
    StateError(format!("{e}"))
}

impl<S: Sources> StateReader for TreeState<'_, S> {
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        tree_account(self.nodes, self.root, address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        tree_storage(self.nodes, self.root, address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        if let Some(c) = self.codes.get(code_hash) {
            return Ok(Some(c.clone()));
        }
        match self.nodes.sources.code(code_hash)? {
            Some(c) if keccak256(&c) == *code_hash => Ok(Some(c)),
            Some(_) => Err(state_err(format!("code for {code_hash} does not hash to it"))),
            None => Ok(None),
        }
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        if !in_blockhash_window(number, self.next) {
            return Ok(B256::ZERO);
        }
        match number.checked_sub(self.parent_number) {
            Some(i) => self.recent.get(i as usize).copied().ok_or_else(|| state_err("block hash out of range")),
            None => self.nodes.sources.ancestor_hash(number),
        }
    }
}

/// A signature-less transaction with its nonce and signature put back, as it was signed.
pub fn signed_with(tx: TypedTransaction, nonce: u64, sig: Signature) -> TxEnvelope {
    match tx {
        TypedTransaction::Legacy(mut t) => {
            t.nonce = nonce;
            TxEnvelope::Legacy(Signed::new_unhashed(t, sig))
        }
        TypedTransaction::Eip2930(mut t) => {
            t.nonce = nonce;
            TxEnvelope::Eip2930(Signed::new_unhashed(t, sig))
        }
        TypedTransaction::Eip1559(mut t) => {
            t.nonce = nonce;
            TxEnvelope::Eip1559(Signed::new_unhashed(t, sig))
        }
        TypedTransaction::Eip4844(mut t) => {
            use alloy_consensus::TxEip4844Variant;
            match &mut t {
                TxEip4844Variant::TxEip4844(x) => x.nonce = nonce,
                TxEip4844Variant::TxEip4844WithSidecar(x) => x.tx.nonce = nonce,
            }
            TxEnvelope::Eip4844(Signed::new_unhashed(t, sig))
        }
        TypedTransaction::Eip7702(mut t) => {
            t.nonce = nonce;
            TxEnvelope::Eip7702(Signed::new_unhashed(t, sig))
        }
    }
}

/// Where the signatures of a signature-less batch's transactions come from.
#[derive(Debug)]
pub enum SignatureSource<'s, 'a> {
    /// Kept off L1 and given beside the data (a witness): each must recover the posted sender.
    Given(&'s mut core::slice::Iter<'a, Signature>),
    /// Not available (a node deriving a signature-less batch from L1 alone): the posted sender is taken
    /// as given and the transaction carries an empty signature; the batch's proof checks the real one.
    Absent,
}

/// The `(transaction, sender)` pairs of one block of a batch, in order — the one rule every caller
/// (node derivation, prover, guest) resolves senders and nonces by. A signed transaction recovers its
/// sender. A signature-less one takes its nonce from `state` (the block's parent state), counted up for
/// each further transaction of the same sender in the block, and its signature from `signatures`.
pub fn block_transactions<S: StateReader>(
    txs: Vec<DecodedTx>,
    state: &S,
    signatures: &mut SignatureSource<'_, '_>,
) -> Result<Vec<(TxEnvelope, Address)>, ReplayError> {
    let invalid = |i: usize, why: String| ReplayError::Invalid(format!("transaction {i}: {why}"));
    let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
    let mut out = Vec::with_capacity(txs.len());
    for (i, tx) in txs.into_iter().enumerate() {
        match tx {
            DecodedTx::Signed(tx) => {
                let sender = tx.recover_signer().map_err(|e| invalid(i, format!("bad signature: {e}")))?;
                out.push((tx, sender));
            }
            DecodedTx::Unsigned { sender, tx } => {
                let nonce = match nonces.get(&sender) {
                    Some(n) => *n,
                    None => state.account(&sender)?.map(|a| a.nonce).unwrap_or_default(),
                };
                nonces.insert(sender, nonce + 1);
                let tx = match signatures {
                    SignatureSource::Given(sigs) => {
                        let sig = *sigs.next().ok_or_else(|| invalid(i, "no signature".into()))?;
                        let tx = signed_with(tx, nonce, sig);
                        let signer = tx.recover_signer().map_err(|e| invalid(i, format!("bad signature: {e}")))?;
                        if signer != sender {
                            return Err(invalid(i, format!("signed by {signer}, posted as {sender}")));
                        }
                        tx
                    }
                    SignatureSource::Absent => signed_with(tx, nonce, Signature::new(U256::ZERO, U256::ZERO, false)),
                };
                out.push((tx, sender));
            }
        }
    }
    Ok(out)
}

/// Re-executes `input.data` on top of `input.parent`, block by block through the shared STF, and
/// returns the journal a proof of it commits.
pub fn execute_batch<S: Sources>(input: &BatchInput<'_>, sources: &S) -> Result<Executed, WitnessError> {
    let config = input.config;
    let batch = mosaic_batch::decode(input.data, config.chain_id)?;
    let parent = input.parent;
    if batch.first_block != parent.number + 1 {
        return Err(WitnessError::Parent(format!(
            "batch starts at block {}, parent is block {}",
            batch.first_block, parent.number
        )));
    }
    let prev_block_hash = parent.hash_slow();
    let mut nodes = Layered { sources, created: MemoryNodeStore::new() };
    let mut codes = BTreeMap::new();
    let mut recent = alloc::vec![prev_block_hash];
    let mut header = parent.clone();
    let mut messages = input.l1_messages;
    let mut signatures = input.signatures.iter();
    let mut sigs = SignatureSource::Given(&mut signatures);
    let mut leaves = Vec::new();
    let mut blocks = Vec::with_capacity(batch.blocks.len());
    for block in batch.blocks {
        let number = header.number + 1;
        let replay_err = |e: ReplayError| match e {
            ReplayError::Invalid(why) => WitnessError::Invalid { block: number, why },
            ReplayError::State(e) => e.into(),
            ReplayError::Trie(e) => e.into(),
        };
        let count = usize::try_from(block.l1_message_count).unwrap_or(usize::MAX);
        if count > messages.len() {
            return Err(WitnessError::Parent(format!("block {number} consumes L1 messages the input lacks")));
        }
        let (mine, rest) = messages.split_at(count);
        messages = rest;
        let state = TreeState {
            nodes: &nodes,
            root: header.state_root,
            next: number,
            parent_number: parent.number,
            recent: &recent,
            codes: &codes,
        };
        let transactions = block_transactions(block.transactions, &state, &mut sigs).map_err(replay_err)?;
        let parts =
            BlockParts { timestamp: block.timestamp, beneficiary: batch.beneficiary, l1_messages: mine, transactions };
        let built = replay_block(config, &header, parts, state, &nodes).map_err(replay_err)?;
        nodes.created.insert_all(built.trie_nodes);
        codes.extend(built.diff.codes);
        leaves.extend(withdrawals_in(&built.receipts).iter().map(|w| w.hash()));
        header = built.block.header.clone();
        recent.push(header.hash_slow());
        blocks.push(built.block);
    }
    if !messages.is_empty() {
        return Err(WitnessError::Parent(format!("{} L1 messages left unconsumed", messages.len())));
    }
    if batch.variant == Variant::Unsigned && signatures.next().is_some() {
        return Err(WitnessError::Witness("more signatures than transactions".into()));
    }
    let cursor = L1Cursor::from_extra_data(&header.extra_data).unwrap_or_default();
    let journal = Journal {
        chain_id: config.chain_id,
        config_hash: config_hash(config),
        prev_state_root: parent.state_root,
        post_state_root: header.state_root,
        prev_block_hash,
        last_block_hash: recent.last().copied().unwrap_or_default(),
        last_block: header.number,
        batch_data_hash: keccak256(input.data),
        l1_message_cursor: cursor.next_index,
        l1_messages_hash: cursor.queue_hash,
        withdrawals_root: merkle_root(&leaves),
    };
    Ok(Executed { journal, blocks })
}
