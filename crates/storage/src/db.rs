//! Tables, the block commit, and block/receipt/transaction queries.
use alloy_consensus::{Header, ReceiptEnvelope, TxEnvelope};
use alloy_primitives::{Address, B256};
use alloy_rlp::{Decodable, Encodable};
use mosaic_primitives::{decode_receipts, encode_receipts, Block, L1Message};
use mosaic_stf::{vm::FrameStat, BuiltBlock};
use mosaic_trie::{Node, NodeStore, TrieError};
use redb::{Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;

pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
pub(crate) const BODIES: TableDefinition<u64, &[u8]> = TableDefinition::new("bodies");
pub(crate) const HASHES: TableDefinition<&[u8; 32], u64> = TableDefinition::new("block_hashes");
pub(crate) const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
pub(crate) const TX_INDEX: TableDefinition<&[u8; 32], (u64, u32)> = TableDefinition::new("tx_index");
pub(crate) const ACCOUNTS: TableDefinition<&[u8; 20], &[u8]> = TableDefinition::new("accounts");
pub(crate) const STORAGE: TableDefinition<&[u8; 52], &[u8; 32]> = TableDefinition::new("storage");
pub(crate) const CODES: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("codes");
pub(crate) const TRIE: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("trie_nodes");
pub(crate) const POOL: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("mempool");
/// Per-transaction VM frame stats (gas and cycles per frame), keyed by transaction hash.
pub(crate) const TX_STATS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("tx_stats");
/// Per block, the proving cycles the block's cycle budget charged each of its transactions, in order
/// (8-byte big-endian words). One row per block, so a block of plain transfers adds one write, not one
/// per transaction.
pub(crate) const TX_CYCLES: TableDefinition<u64, &[u8]> = TableDefinition::new("tx_cycles");
/// Rollup batches this node posted or derived, by index (opaque records owned by `mosaic-rollup`).
/// A service's table of numbered records (the producer's batches, a challenger's games): the services
/// define what a record means, the database only keeps them durably.
fn record_table(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

const HEAD: &str = "head";
const CHAIN_ID: &str = "chain_id";

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database engine reported an error.
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    /// A stored value could not be decoded (corruption or a format change).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The state tree could not be read or updated.
    #[error("state tree: {0}")]
    Trie(#[from] TrieError),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { Self::Db(e.into()) }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// Where a transaction was included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block: u64,
    /// Position in the block.
    pub index: u32,
}

/// The node's database.
#[derive(Debug)]
pub struct Database {
    pub(crate) db: redb::Database,
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(e.to_string())
}

fn encode_body(block: &Block) -> Vec<u8> {
    let mut out = Vec::new();
    alloy_rlp::Header {
        list: true,
        payload_length: block.transactions.length()
            + block.senders.length()
            + block.l1_messages.length()
            + block.forced.length(),
    }
    .encode(&mut out);
    block.transactions.encode(&mut out);
    block.senders.encode(&mut out);
    block.l1_messages.encode(&mut out);
    block.forced.encode(&mut out);
    out
}

type Body = (Vec<TxEnvelope>, Vec<Address>, Vec<L1Message>, u64);

fn decode_body(mut bytes: &[u8]) -> Result<Body, StorageError> {
    let buf = &mut bytes;
    let header = alloy_rlp::Header::decode(buf).map_err(corrupt)?;
    if !header.list {
        return Err(corrupt("block body is not a list"));
    }
    let txs = Vec::<TxEnvelope>::decode(buf).map_err(corrupt)?;
    let senders = Vec::<Address>::decode(buf).map_err(corrupt)?;
    let l1_messages = Vec::<L1Message>::decode(buf).map_err(corrupt)?;
    // Bodies stored before forced transactions existed end here.
    let forced = if buf.is_empty() { 0 } else { u64::decode(buf).map_err(corrupt)? };
    Ok((txs, senders, l1_messages, forced))
}

impl Database {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let db = redb::Database::builder().set_cache_size(256 << 20).create(path)?;
        // Create every table up front so readers never see a missing table.
        let txn = db.begin_write()?;
        {
            txn.open_table(META)?;
            txn.open_table(HEADERS)?;
            txn.open_table(BODIES)?;
            txn.open_table(HASHES)?;
            txn.open_table(RECEIPTS)?;
            txn.open_table(TX_INDEX)?;
            txn.open_table(ACCOUNTS)?;
            txn.open_table(STORAGE)?;
            txn.open_table(CODES)?;
            txn.open_table(TRIE)?;
            txn.open_table(POOL)?;
            txn.open_table(TX_STATS)?;
            txn.open_table(TX_CYCLES)?;
        }
        txn.commit()?;
        Ok(Self { db })
    }

    /// A consistent snapshot for reads.
    pub fn read(&self) -> Result<ReadTransaction, StorageError> {
        Ok(self.db.begin_read()?)
    }

    /// Number of the latest committed block, `None` before genesis.
    pub fn head_number(&self) -> Result<Option<u64>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(META)?;
        Ok(t.get(HEAD)?.map(|v| v.value()))
    }

    /// Chain id the database was created for.
    pub fn chain_id(&self) -> Result<Option<u64>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(META)?;
        Ok(t.get(CHAIN_ID)?.map(|v| v.value()))
    }

    /// Records the chain id (once, at genesis).
    pub fn set_chain_id(&self, chain_id: u64) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.open_table(META)?.insert(CHAIN_ID, chain_id)?;
        txn.commit()?;
        Ok(())
    }

    /// Stores (or replaces) record `index` of a service's record table `table` (created on first use).
    pub fn put_record(&self, table: &str, index: u64, record: &[u8]) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.open_table(record_table(table))?.insert(index, record)?;
        txn.commit()?;
        Ok(())
    }

    /// Forgets every record of `table` above `index` (an L1 reorg or a revert dropped them).
    pub fn drop_records_after(&self, table: &str, index: u64) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.open_table(record_table(table))?.retain_in(index.saturating_add(1).., |_, _| false)?;
        txn.commit()?;
        Ok(())
    }

    /// Record `index` of `table`.
    pub fn record(&self, table: &str, index: u64) -> Result<Option<Vec<u8>>, StorageError> {
        let txn = self.read()?;
        let t = match txn.open_table(record_table(table)) {
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            t => t?,
        };
        Ok(t.get(index)?.map(|v| v.value().to_vec()))
    }

    /// The highest-numbered record of `table`.
    pub fn last_record(&self, table: &str) -> Result<Option<(u64, Vec<u8>)>, StorageError> {
        let txn = self.read()?;
        let t = match txn.open_table(record_table(table)) {
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            t => t?,
        };
        let last = t.last()?.map(|(k, v)| (k.value(), v.value().to_vec()));
        Ok(last)
    }

    /// Atomically persists a block and all its effects, and drops its transactions from the stored pool.
    pub fn commit_block(&self, built: &BuiltBlock) -> Result<(), StorageError> {
        self.commit_block_with_records(built, &[])
    }

    /// [`Database::commit_block`], storing service records `(table, index, bytes)` in the same
    /// transaction (a decided block and its commit certificate land together or not at all).
    pub fn commit_block_with_records(
        &self,
        built: &BuiltBlock,
        records: &[(&str, u64, &[u8])],
    ) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let block = &built.block;
        let number = block.header.number;
        let hash = block.hash();
        {
            let mut header_bytes = Vec::new();
            block.header.encode(&mut header_bytes);
            txn.open_table(HEADERS)?.insert(number, header_bytes.as_slice())?;
            txn.open_table(BODIES)?.insert(number, encode_body(block).as_slice())?;
            txn.open_table(HASHES)?.insert(&hash.0, number)?;
            txn.open_table(RECEIPTS)?.insert(number, encode_receipts(&built.receipts).as_slice())?;
            let mut idx = txn.open_table(TX_INDEX)?;
            let mut pool = txn.open_table(POOL)?;
            let mut stats = txn.open_table(TX_STATS)?;
            for (i, tx) in block.transactions.iter().enumerate() {
                idx.insert(&tx.tx_hash().0, (number, i as u32))?;
                pool.remove(&tx.tx_hash().0)?;
                // A transaction that ran no code (a plain transfer) has no row: no write on that hot path.
                if let Some(frames) = built.frame_stats.get(i).filter(|f| !f.is_empty()) {
                    stats.insert(&tx.tx_hash().0, encode_frame_stats(frames).as_slice())?;
                }
            }
            if !built.tx_cycles.is_empty() {
                let words: Vec<u8> = built.tx_cycles.iter().flat_map(|c| c.to_be_bytes()).collect();
                txn.open_table(TX_CYCLES)?.insert(number, words.as_slice())?;
            }
            let mut accounts = txn.open_table(ACCOUNTS)?;
            for (addr, leaf) in &built.diff.accounts {
                match leaf {
                    Some(leaf) => accounts.insert(&addr.0 .0, leaf.encode().as_slice())?,
                    None => accounts.remove(&addr.0 .0)?,
                };
            }
            let mut storage = txn.open_table(STORAGE)?;
            for ((addr, slot), value) in &built.diff.storage {
                let key = storage_row(addr, &slot.to_be_bytes::<32>());
                if value.is_zero() {
                    storage.remove(&key)?;
                } else {
                    storage.insert(&key, &value.to_be_bytes::<32>())?;
                }
            }
            let mut codes = txn.open_table(CODES)?;
            for (code_hash, code) in &built.diff.codes {
                if codes.get(&code_hash.0)?.is_none() {
                    codes.insert(&code_hash.0, code.as_ref())?;
                }
            }
            let mut trie = txn.open_table(TRIE)?;
            for (node_hash, node) in &built.trie_nodes {
                trie.insert(&node_hash.0, node.encode().as_slice())?;
            }
            for (table, index, record) in records {
                txn.open_table(record_table(table))?.insert(*index, *record)?;
            }
            txn.open_table(META)?.insert(HEAD, number)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Header of block `number`.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        header_in(&self.read()?, number)
    }

    /// Block number of the block with `hash`.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(HASHES)?;
        Ok(t.get(&hash.0)?.map(|v| v.value()))
    }

    /// Full block `number`.
    pub fn block(&self, number: u64) -> Result<Option<Block>, StorageError> {
        let txn = self.read()?;
        let Some(header) = header_in(&txn, number)? else { return Ok(None) };
        let t = txn.open_table(BODIES)?;
        let Some(body) = t.get(number)? else { return Err(corrupt(format!("block {number} has no body"))) };
        let (transactions, senders, l1_messages, forced) = decode_body(body.value())?;
        Ok(Some(Block { header, transactions, senders, l1_messages, forced }))
    }

    /// Receipts of block `number`.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<ReceiptEnvelope>>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(RECEIPTS)?;
        match t.get(number)? {
            Some(v) => Ok(Some(decode_receipts(v.value()).map_err(corrupt)?)),
            None => Ok(None),
        }
    }

    /// An account in the latest state (one table lookup; the admission hot path).
    pub fn latest_account(&self, address: &Address) -> Result<Option<mosaic_primitives::AccountLeaf>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(ACCOUNTS)?;
        match t.get(&address.0 .0)? {
            Some(v) => {
                Ok(Some(mosaic_primitives::AccountLeaf::decode(v.value()).ok_or_else(|| corrupt("account row"))?))
            }
            None => Ok(None),
        }
    }

    /// Where transaction `hash` was included.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(TX_INDEX)?;
        Ok(t.get(&hash.0)?.map(|v| {
            let (block, index) = v.value();
            TxLocation { block, index }
        }))
    }

    /// Gas and cycles of every VM frame included transaction `hash` ran (empty if it ran no code, or is
    /// unknown: check [`Self::tx_location`] first).
    pub fn tx_stats(&self, hash: &B256) -> Result<Vec<FrameStat>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(TX_STATS)?;
        match t.get(&hash.0)? {
            None => Ok(Vec::new()),
            Some(v) => {
                decode_frame_stats(v.value()).ok_or_else(|| StorageError::Corrupt(format!("frame stats of {hash}")))
            }
        }
    }

    /// The proving cycles block `number`'s cycle budget charged each of its transactions, in order
    /// (`None` for an unknown block or one without transactions).
    pub fn tx_cycles(&self, number: u64) -> Result<Option<Vec<u64>>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(TX_CYCLES)?;
        let Some(v) = t.get(number)? else { return Ok(None) };
        let bytes = v.value();
        if bytes.len() % 8 != 0 {
            return Err(StorageError::Corrupt(format!("proving cycles of block {number}")));
        }
        Ok(Some(bytes.chunks_exact(8).map(|w| u64::from_be_bytes(w.try_into().unwrap_or_default())).collect()))
    }

    /// Persists acknowledged pool transactions (`sender || EIP-2718 bytes`) in one durable commit.
    pub fn pool_insert(&self, txs: &[(B256, Address, Vec<u8>)]) -> Result<(), StorageError> {
        self.pool_update(txs, &[])
    }

    /// Inserts `txs` and then removes `removed` (transactions they replaced) in one durable commit, so a
    /// replacement and the transaction it replaced never both survive a crash.
    pub fn pool_update(&self, txs: &[(B256, Address, Vec<u8>)], removed: &[B256]) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut t = txn.open_table(POOL)?;
            let mut row = Vec::new();
            for (hash, sender, raw) in txs {
                row.clear();
                row.extend_from_slice(sender.as_slice());
                row.extend_from_slice(raw);
                t.insert(&hash.0, row.as_slice())?;
            }
            for h in removed {
                t.remove(&h.0)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes pool transactions that were dropped (replaced or invalidated).
    pub fn pool_remove(&self, hashes: &[B256]) -> Result<(), StorageError> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut t = txn.open_table(POOL)?;
            for h in hashes {
                t.remove(&h.0)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Every persisted pool transaction as `(sender, EIP-2718 bytes)`.
    pub fn pool_load(&self) -> Result<Vec<(Address, Vec<u8>)>, StorageError> {
        let txn = self.read()?;
        let t = txn.open_table(POOL)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (_, v) = row?;
            let v = v.value();
            if v.len() < 20 {
                return Err(corrupt("short mempool row"));
            }
            out.push((Address::from_slice(&v[..20]), v[20..].to_vec()));
        }
        Ok(out)
    }
}

/// Flat storage row key: `address || slot`.
pub(crate) fn storage_row(addr: &Address, slot: &[u8; 32]) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(addr.as_slice());
    key[20..].copy_from_slice(slot);
    key
}

/// Head block number as of a snapshot (0 before genesis).
pub fn head_in(txn: &ReadTransaction) -> Result<u64, StorageError> {
    let t = txn.open_table(META)?;
    Ok(t.get(HEAD)?.map(|v| v.value()).unwrap_or_default())
}

/// Header of block `number` in a snapshot.
pub fn header_in(txn: &ReadTransaction, number: u64) -> Result<Option<Header>, StorageError> {
    let t = txn.open_table(HEADERS)?;
    match t.get(number)? {
        Some(v) => Ok(Some(Header::decode(&mut v.value()).map_err(corrupt)?)),
        None => Ok(None),
    }
}

/// State-tree nodes read from a database snapshot.
pub struct TrieNodes {
    table: redb::ReadOnlyTable<&'static [u8; 32], &'static [u8]>,
}

impl TrieNodes {
    /// Opens the node table of a snapshot.
    pub fn new(txn: &ReadTransaction) -> Result<Self, StorageError> {
        Ok(Self { table: txn.open_table(TRIE)? })
    }
}

impl NodeStore for TrieNodes {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        match self.table.get(&hash.0).map_err(|e| TrieError::Store(e.to_string()))? {
            Some(v) => Ok(Some(Node::decode(v.value())?)),
            None => Ok(None),
        }
    }
}

/// Row format: per frame `depth u16 | vm len u8 + bytes | kind len u8 + bytes | address 20 | gas_limit u64 |
/// gas_used u64 | cycles u64 | status len u8 + bytes`, all big-endian.
fn encode_frame_stats(frames: &[FrameStat]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames.len() * 80);
    let str8 = |out: &mut Vec<u8>, s: &str| {
        let b = &s.as_bytes()[..s.len().min(255)];
        out.push(b.len() as u8);
        out.extend_from_slice(b);
    };
    for f in frames {
        out.extend_from_slice(&f.depth.to_be_bytes());
        str8(&mut out, f.vm);
        str8(&mut out, f.kind);
        out.extend_from_slice(f.address.as_slice());
        out.extend_from_slice(&f.gas_limit.to_be_bytes());
        out.extend_from_slice(&f.gas_used.to_be_bytes());
        out.extend_from_slice(&f.cycles.to_be_bytes());
        str8(&mut out, &f.status);
    }
    out
}

fn decode_frame_stats(mut bytes: &[u8]) -> Option<Vec<FrameStat>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = b.split_at_checked(n)?;
        *b = tail;
        Some(head)
    }
    fn str8<'a>(b: &mut &'a [u8]) -> Option<&'a str> {
        let n = *take(b, 1)?.first()? as usize;
        std::str::from_utf8(take(b, n)?).ok()
    }
    fn u64be(b: &mut &[u8]) -> Option<u64> {
        Some(u64::from_be_bytes(take(b, 8)?.try_into().ok()?))
    }
    // Names are a closed set; keep them `&'static` like the STF's.
    fn known(s: &str) -> &'static str {
        ["evm", "wasm", "call", "staticcall", "delegatecall", "callcode", "create"]
            .into_iter()
            .find(|k| *k == s)
            .unwrap_or("unknown")
    }
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let depth = u16::from_be_bytes(take(&mut bytes, 2)?.try_into().ok()?);
        let vm = known(str8(&mut bytes)?);
        let kind = known(str8(&mut bytes)?);
        let address = Address::from_slice(take(&mut bytes, 20)?);
        let gas_limit = u64be(&mut bytes)?;
        let gas_used = u64be(&mut bytes)?;
        let cycles = u64be(&mut bytes)?;
        let status = str8(&mut bytes)?.to_string();
        frames.push(FrameStat { depth, vm, kind, address, gas_limit, gas_used, cycles, status });
    }
    Some(frames)
}
