//! [`encode`] and [`decode`]: the payload layout described in the crate docs, wrapped in DEFLATE.
use crate::wire::{put_value, put_varint, Reader};
use crate::{Batch, BatchError, DecodedBatch, DecodedBlock, DecodedTx, Variant, MAX_DECOMPRESSED};
use alloc::{boxed::Box, collections::BTreeMap, vec, vec::Vec};
use alloy_consensus::{
    transaction::TxEip4844Variant, Signed, Transaction, TxEip1559, TxEnvelope, TxLegacy, TypedTransaction,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use miniz_oxide::inflate::{
    core::{decompress, inflate_flags, DecompressorOxide},
    TINFLStatus,
};

/// DEFLATE level: miniz's best ratio (10, "uber"); a few bytes per batch smaller than 9 on the bench workloads.
const LEVEL: u8 = 10;

/// Transaction kinds (low two bits of the flags byte; also the first byte of a fee entry).
const KIND_RAW: u8 = 0;
const KIND_LEGACY: u8 = 1;
const KIND_EIP1559: u8 = 2;
/// Flags bits above the kind.
const FLAG_PARITY: u8 = 1 << 2;
const FLAG_DATA: u8 = 1 << 3;
const FLAG_CREATE: u8 = 1 << 4;
const FLAG_KIND_MASK: u8 = 0b11;
const FLAG_RESERVED: u8 = !0b1_1111;

/// Least bytes a block header entry takes (three one-byte varints).
const MIN_BLOCK_BYTES: usize = 3;
/// Least bytes a transaction takes (a raw one: flags, length, one byte).
const MIN_TX_BYTES: usize = 3;
/// Least bytes a fee entry takes (kind, gas limit, one price).
const MIN_FEE_BYTES: usize = 3;
/// Most items reserved up front for any count read from the payload; vectors grow past it only as items
/// actually decode, so a large claimed count in a small (or highly compressible) batch allocates nothing.
const PREALLOC_MAX: usize = 1024;

fn prealloc<T>(count: usize) -> Vec<T> {
    Vec::with_capacity(count.min(PREALLOC_MAX))
}

/// A distinct fee tuple, in the fee table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fee {
    Legacy { gas_limit: u64, gas_price: u128 },
    Eip1559 { gas_limit: u64, max_fee: u128, max_priority_fee: u128 },
}

impl Fee {
    const fn kind(&self) -> u8 {
        match self {
            Self::Legacy { .. } => KIND_LEGACY,
            Self::Eip1559 { .. } => KIND_EIP1559,
        }
    }
}

/// First-use-ordered table of distinct items, each referenced by its index.
struct Table<K> {
    index: BTreeMap<K, u64>,
    items: Vec<K>,
}

impl<K: Ord + Copy> Table<K> {
    const fn new() -> Self {
        Self { index: BTreeMap::new(), items: Vec::new() }
    }

    fn intern(&mut self, k: K) -> u64 {
        let next = self.items.len() as u64;
        *self.index.entry(k).or_insert_with(|| {
            self.items.push(k);
            next
        })
    }
}

/// The fields shared by the two compact kinds.
struct Compact<'a> {
    kind: u8,
    fee: Fee,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: &'a Bytes,
    signature: &'a Signature,
}

/// The compact form of `tx`, or `None` if it takes the raw fallback.
fn compact(tx: &TxEnvelope, chain_id: u64) -> Option<Compact<'_>> {
    match tx {
        TxEnvelope::Legacy(s) if s.tx().chain_id == Some(chain_id) => {
            let t = s.tx();
            Some(Compact {
                kind: KIND_LEGACY,
                fee: Fee::Legacy { gas_limit: t.gas_limit, gas_price: t.gas_price },
                nonce: t.nonce,
                to: t.to,
                value: t.value,
                input: &t.input,
                signature: s.signature(),
            })
        }
        TxEnvelope::Eip1559(s) if s.tx().chain_id == chain_id && s.tx().access_list.is_empty() => {
            let t = s.tx();
            Some(Compact {
                kind: KIND_EIP1559,
                fee: Fee::Eip1559 {
                    gas_limit: t.gas_limit,
                    max_fee: t.max_fee_per_gas,
                    max_priority_fee: t.max_priority_fee_per_gas,
                },
                nonce: t.nonce,
                to: t.to,
                value: t.value,
                input: &t.input,
                signature: s.signature(),
            })
        }
        _ => None,
    }
}

/// The signature that stands in for none in the Unsigned raw fallback.
const ZERO_SIGNATURE: Signature = Signature::new(U256::ZERO, U256::ZERO, false);

/// EIP-2718 bytes of `tx` with nonce 0, signed with [`ZERO_SIGNATURE`]: the Unsigned raw fallback.
pub(crate) fn unsigned_raw(tx: &TxEnvelope) -> Vec<u8> {
    let mut typed = TypedTransaction::from(tx.clone());
    match &mut typed {
        TypedTransaction::Legacy(t) => t.nonce = 0,
        TypedTransaction::Eip2930(t) => t.nonce = 0,
        TypedTransaction::Eip1559(t) => t.nonce = 0,
        TypedTransaction::Eip4844(TxEip4844Variant::TxEip4844(t)) => t.nonce = 0,
        TypedTransaction::Eip4844(TxEip4844Variant::TxEip4844WithSidecar(t)) => t.tx.nonce = 0,
        TypedTransaction::Eip7702(t) => t.nonce = 0,
    }
    typed.into_envelope(ZERO_SIGNATURE).encoded_2718()
}

/// Encodes `batch` as L1 data: `[variant] ‖ DEFLATE(payload)` (layout in the crate docs).
///
/// Transactions whose chain id is not `chain_id` are kept, in the raw fallback. The result decodes only if
/// the payload is at most [`MAX_DECOMPRESSED`] bytes, so producers should bound batch sizes well below it.
///
/// # Panics
/// In [`Variant::Unsigned`], if a block does not have exactly one sender per transaction (a caller bug:
/// [`Batch::from_blocks`] checks it).
pub fn encode(batch: &Batch, variant: Variant, chain_id: u64) -> Vec<u8> {
    let payload = encode_payload(batch, variant, chain_id);
    let compressed = miniz_oxide::deflate::compress_to_vec(&payload, LEVEL);
    let mut out = Vec::with_capacity(1 + compressed.len());
    out.push(variant as u8);
    out.extend_from_slice(&compressed);
    out
}

/// The uncompressed payload of [`encode`].
pub(crate) fn encode_payload(batch: &Batch, variant: Variant, chain_id: u64) -> Vec<u8> {
    let unsigned = variant == Variant::Unsigned;
    let mut addresses = Table::<Address>::new();
    let mut fees = Table::<Fee>::new();
    let mut body = Vec::new();
    for block in &batch.blocks {
        if unsigned {
            assert_eq!(block.senders.len(), block.transactions.len(), "Unsigned batches need one sender per tx");
        }
        for (i, tx) in block.transactions.iter().enumerate() {
            let sender = if unsigned { Some(addresses.intern(block.senders[i])) } else { None };
            let Some(c) = compact(tx, chain_id) else {
                body.push(KIND_RAW);
                let raw = match sender {
                    Some(sender) => {
                        put_varint(&mut body, sender.into());
                        unsigned_raw(tx)
                    }
                    None => tx.encoded_2718(),
                };
                put_varint(&mut body, raw.len() as u128);
                body.extend_from_slice(&raw);
                continue;
            };
            let mut flags = c.kind;
            if !unsigned && c.signature.v() {
                flags |= FLAG_PARITY;
            }
            if !c.input.is_empty() {
                flags |= FLAG_DATA;
            }
            if c.to.is_create() {
                flags |= FLAG_CREATE;
            }
            body.push(flags);
            match sender {
                Some(sender) => put_varint(&mut body, sender.into()),
                None => put_varint(&mut body, c.nonce.into()),
            }
            put_varint(&mut body, fees.intern(c.fee).into());
            if let TxKind::Call(to) = c.to {
                put_varint(&mut body, addresses.intern(to).into());
            }
            put_value(&mut body, c.value);
            if !c.input.is_empty() {
                put_varint(&mut body, c.input.len() as u128);
                body.extend_from_slice(c.input);
            }
            if !unsigned {
                body.extend_from_slice(&c.signature.r().to_be_bytes::<32>());
                body.extend_from_slice(&c.signature.s().to_be_bytes::<32>());
            }
        }
    }

    let mut payload = Vec::with_capacity(body.len() + 21 * addresses.items.len() + 64 + 3 * batch.blocks.len());
    put_varint(&mut payload, batch.first_block.into());
    payload.extend_from_slice(batch.beneficiary.as_slice());
    put_varint(&mut payload, batch.blocks.len() as u128);
    let mut prev_ts = 0u64;
    for block in &batch.blocks {
        put_varint(&mut payload, block.timestamp.wrapping_sub(prev_ts).into());
        prev_ts = block.timestamp;
        put_varint(&mut payload, block.l1_message_count.into());
        put_varint(&mut payload, block.transactions.len() as u128);
    }
    put_varint(&mut payload, addresses.items.len() as u128);
    for a in &addresses.items {
        payload.extend_from_slice(a.as_slice());
    }
    put_varint(&mut payload, fees.items.len() as u128);
    for fee in &fees.items {
        payload.push(fee.kind());
        match *fee {
            Fee::Legacy { gas_limit, gas_price } => {
                put_varint(&mut payload, gas_limit.into());
                put_varint(&mut payload, gas_price);
            }
            Fee::Eip1559 { gas_limit, max_fee, max_priority_fee } => {
                put_varint(&mut payload, gas_limit.into());
                put_varint(&mut payload, max_fee);
                put_varint(&mut payload, max_priority_fee);
            }
        }
    }
    payload.extend_from_slice(&body);
    payload
}

/// Inflates a raw DEFLATE stream into at most [`MAX_DECOMPRESSED`] bytes, rejecting bytes after its end.
///
/// This is `miniz_oxide::inflate::decompress_to_vec_with_limit`'s loop plus the check, which that function
/// lacks, that the stream ends exactly at the end of the data.
fn inflate(mut input: &[u8]) -> Result<Vec<u8>, BatchError> {
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut out = vec![0u8; input.len().saturating_mul(4).clamp(64, MAX_DECOMPRESSED)];
    let mut state = Box::<DecompressorOxide>::default();
    let mut out_pos = 0;
    loop {
        let (status, consumed, produced) = decompress(&mut state, input, &mut out, out_pos, flags);
        out_pos += produced;
        input = input.get(consumed..).ok_or(BatchError::Decompression("decoder overran its input"))?;
        match status {
            TINFLStatus::Done if input.is_empty() => {
                out.truncate(out_pos);
                return Ok(out);
            }
            TINFLStatus::Done => return Err(BatchError::TrailingCompressed(input.len())),
            TINFLStatus::HasMoreOutput => {
                if out.len() >= MAX_DECOMPRESSED {
                    return Err(BatchError::DecompressedTooLarge);
                }
                let len = out.len().saturating_mul(2).min(MAX_DECOMPRESSED);
                out.resize(len, 0);
            }
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err(BatchError::Decompression("stream truncated"))
            }
            TINFLStatus::Adler32Mismatch => return Err(BatchError::Decompression("checksum mismatch")),
            TINFLStatus::BadParam => return Err(BatchError::Decompression("bad parameter")),
            TINFLStatus::Failed => return Err(BatchError::Decompression("corrupt stream")),
        }
    }
}

/// Decodes L1 data written by [`encode`]; any malformed input is an error, never a panic.
///
/// `chain_id` is the rollup's: compact transactions get it back, and legacy ones their EIP-155 `v`.
pub fn decode(data: &[u8], chain_id: u64) -> Result<DecodedBatch, BatchError> {
    let (&version, compressed) = data.split_first().ok_or(BatchError::Empty)?;
    let variant = Variant::from_byte(version).ok_or(BatchError::UnknownVersion(version))?;
    decode_payload(&inflate(compressed)?, variant, chain_id)
}

/// Decodes an uncompressed payload of the given variant.
pub(crate) fn decode_payload(payload: &[u8], variant: Variant, chain_id: u64) -> Result<DecodedBatch, BatchError> {
    let unsigned = variant == Variant::Unsigned;
    let mut r = Reader::new(payload);

    let first_block = r.varint("first block number")?;
    let beneficiary = r.address("beneficiary")?;
    let n_blocks = r.count(MIN_BLOCK_BYTES, "block")?;
    if n_blocks > 0 && first_block.checked_add(n_blocks as u64 - 1).is_none() {
        return Err(BatchError::BlockNumberOverflow { first: first_block, count: n_blocks as u64 });
    }
    let mut headers = prealloc(n_blocks);
    let mut timestamp = 0u64;
    let mut total_txs = 0usize;
    for _ in 0..n_blocks {
        timestamp = timestamp.wrapping_add(r.varint("block timestamp")?);
        let l1_message_count = r.varint("L1 message count")?;
        let tx_count = r.varint("transaction count")?;
        total_txs = usize::try_from(tx_count)
            .ok()
            .and_then(|c| total_txs.checked_add(c))
            .filter(|t| t.checked_mul(MIN_TX_BYTES).is_some_and(|need| need <= r.remaining()))
            .ok_or(BatchError::CountExceedsInput { what: "transaction", count: tx_count, remaining: r.remaining() })?;
        headers.push((timestamp, l1_message_count, tx_count as usize));
    }

    let n_addresses = r.count(20, "address table")?;
    let mut addresses = prealloc(n_addresses);
    for _ in 0..n_addresses {
        addresses.push(r.address("address table")?);
    }
    let n_fees = r.count(MIN_FEE_BYTES, "fee table")?;
    let mut fees = prealloc(n_fees);
    for _ in 0..n_fees {
        let kind = r.u8("fee entry")?;
        let gas_limit = r.varint("fee entry gas limit")?;
        fees.push(match kind {
            KIND_LEGACY => Fee::Legacy { gas_limit, gas_price: r.varint_u128("fee entry gas price")? },
            KIND_EIP1559 => Fee::Eip1559 {
                gas_limit,
                max_fee: r.varint_u128("fee entry max fee")?,
                max_priority_fee: r.varint_u128("fee entry max priority fee")?,
            },
            other => return Err(BatchError::InvalidFeeKind(other)),
        });
    }
    // Every transaction still needs MIN_TX_BYTES after the tables.
    if total_txs.saturating_mul(MIN_TX_BYTES) > r.remaining() {
        return Err(BatchError::CountExceedsInput {
            what: "transaction",
            count: total_txs as u64,
            remaining: r.remaining(),
        });
    }

    let ctx = TxContext { unsigned, chain_id, addresses: &addresses, fees: &fees };
    let mut blocks = prealloc(n_blocks);
    for (timestamp, l1_message_count, tx_count) in headers {
        let mut transactions = prealloc(tx_count);
        for _ in 0..tx_count {
            transactions.push(ctx.tx(&mut r)?);
        }
        blocks.push(DecodedBlock { timestamp, l1_message_count, transactions });
    }
    if r.remaining() != 0 {
        return Err(BatchError::TrailingBytes(r.remaining()));
    }
    Ok(DecodedBatch { variant, first_block, beneficiary, blocks })
}

/// Who authorized a compact transaction: its signature (Signed variant) or its explicit sender (Unsigned).
enum Auth {
    Signature(Signature),
    Sender(Address),
}

/// What decoding a transaction needs besides its bytes.
struct TxContext<'a> {
    unsigned: bool,
    chain_id: u64,
    addresses: &'a [Address],
    fees: &'a [Fee],
}

impl TxContext<'_> {
    fn address(&self, r: &mut Reader<'_>, what: &'static str) -> Result<Address, BatchError> {
        Ok(self.addresses[r.index(self.addresses.len(), what)?])
    }

    fn tx(&self, r: &mut Reader<'_>) -> Result<DecodedTx, BatchError> {
        let flags = r.u8("transaction flags")?;
        let kind = flags & FLAG_KIND_MASK;
        let bad_flags = flags & FLAG_RESERVED != 0
            || (kind == KIND_RAW && flags != KIND_RAW)
            || (self.unsigned && flags & FLAG_PARITY != 0);
        if bad_flags || !matches!(kind, KIND_RAW | KIND_LEGACY | KIND_EIP1559) {
            return Err(BatchError::InvalidFlags(flags));
        }
        if kind == KIND_RAW {
            return self.raw(r);
        }

        let (sender, nonce) =
            if self.unsigned { (Some(self.address(r, "sender address")?), 0) } else { (None, r.varint("nonce")?) };
        let fee_index = r.index(self.fees.len(), "fee")?;
        let fee = self.fees[fee_index];
        if fee.kind() != kind {
            return Err(BatchError::FeeKindMismatch { index: fee_index, entry: fee.kind(), tx: kind });
        }
        let to =
            if flags & FLAG_CREATE != 0 { TxKind::Create } else { TxKind::Call(self.address(r, "recipient address")?) };
        let value = r.value()?;
        let input = if flags & FLAG_DATA != 0 {
            let len = r.count(1, "calldata length")?;
            if len == 0 {
                return Err(BatchError::NonCanonical("empty calldata with the data flag"));
            }
            Bytes::copy_from_slice(r.bytes(len, "calldata")?)
        } else {
            Bytes::new()
        };
        // The Signed variant ends with the signature; the Unsigned one had the sender up front.
        let auth = match sender {
            Some(sender) => Auth::Sender(sender),
            None => {
                let sig_r = U256::from_be_bytes(r.array::<32>("signature r")?);
                let sig_s = U256::from_be_bytes(r.array::<32>("signature s")?);
                Auth::Signature(Signature::new(sig_r, sig_s, flags & FLAG_PARITY != 0))
            }
        };
        let chain_id = self.chain_id;
        // Signed ones stay unhashed: the hash is computed lazily, once, by whoever asks for it.
        Ok(match fee {
            Fee::Legacy { gas_limit, gas_price } => {
                let tx = TxLegacy { chain_id: Some(chain_id), nonce, gas_price, gas_limit, to, value, input };
                match auth {
                    Auth::Signature(sig) => DecodedTx::Signed(TxEnvelope::Legacy(Signed::new_unhashed(tx, sig))),
                    Auth::Sender(sender) => DecodedTx::Unsigned { sender, tx: tx.into() },
                }
            }
            Fee::Eip1559 { gas_limit, max_fee, max_priority_fee } => {
                let tx = TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: max_fee,
                    max_priority_fee_per_gas: max_priority_fee,
                    to,
                    value,
                    access_list: Default::default(),
                    input,
                };
                match auth {
                    Auth::Signature(sig) => DecodedTx::Signed(TxEnvelope::Eip1559(Signed::new_unhashed(tx, sig))),
                    Auth::Sender(sender) => DecodedTx::Unsigned { sender, tx: tx.into() },
                }
            }
        })
    }

    fn raw(&self, r: &mut Reader<'_>) -> Result<DecodedTx, BatchError> {
        let sender = if self.unsigned { Some(self.address(r, "sender address")?) } else { None };
        let len = r.count(1, "raw transaction length")?;
        let mut bytes = r.bytes(len, "raw transaction")?;
        let envelope = TxEnvelope::decode_2718(&mut bytes).map_err(BatchError::RawTransaction)?;
        if !bytes.is_empty() {
            return Err(BatchError::NonCanonical("raw transaction with trailing bytes"));
        }
        let Some(sender) = sender else {
            return Ok(DecodedTx::Signed(envelope));
        };
        if *envelope.signature() != ZERO_SIGNATURE || envelope.nonce() != 0 {
            return Err(BatchError::NonCanonical("unsigned raw transaction (needs zero signature and nonce)"));
        }
        Ok(DecodedTx::Unsigned { sender, tx: envelope.into() })
    }
}
