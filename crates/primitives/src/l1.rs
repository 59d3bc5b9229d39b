//! L1→L2 messages (bridge deposits and forced L2 transactions) and the hashes that bind them to L1: the message hash, the rolling
//! hash of the deposit queue, and the withdrawal hash of an L2→L1 message. The encodings match
//! `contracts/src/Bridge.sol` and `L2Bridge.sol` byte for byte (`keccak256(abi.encode(...))`).
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

/// One message of the L1 bridge queue, applied at the start of an L2 block: a deposit, or an L2
/// transaction that someone forced through L1 (`Bridge.enqueueL2Transaction`).
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
pub struct L1Message {
    /// Position in the L1 queue (0-based, consumed strictly in order).
    pub index: u64,
    /// L1 token; `Address::ZERO` for ETH.
    pub token: Address,
    /// L1 sender.
    pub from: Address,
    /// L2 recipient.
    pub to: Address,
    /// Amount in wei or token units.
    pub amount: U256,
    /// A forced L2 transaction: its signed EIP-2718 bytes, executed by the L2 like any transaction of its
    /// signer (`from` is only who queued it on L1; `token`, `to` and `amount` are zero). `None` for a
    /// deposit. Trailing, so blocks stored before forced transactions existed still decode.
    pub transaction: Option<Bytes>,
}

fn word_u64(v: u64) -> [u8; 32] {
    U256::from(v).to_be_bytes()
}

fn word_addr(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

impl L1Message {
    /// A deposit of `amount` of `token` (zero for ETH) from `from` on L1 to `to` on L2.
    pub fn deposit(index: u64, token: Address, from: Address, to: Address, amount: U256) -> Self {
        Self { index, token, from, to, amount, transaction: None }
    }

    /// The forced L2 transaction `transaction`, queued on L1 by `from`.
    pub fn forced(index: u64, from: Address, transaction: Bytes) -> Self {
        Self {
            index,
            token: Address::ZERO,
            from,
            to: Address::ZERO,
            amount: U256::ZERO,
            transaction: Some(transaction),
        }
    }

    /// `keccak256(abi.encode(index, token, from, to, amount))` for a deposit, and
    /// `keccak256(abi.encode(index, token, from, to, amount, keccak256(transaction)))` for a forced
    /// transaction: preimages of different lengths, so neither can pass for the other.
    pub fn hash(&self) -> B256 {
        if let Some(tx) = &self.transaction {
            let mut buf = [0u8; 192];
            buf[..160].copy_from_slice(&self.deposit_words());
            buf[160..].copy_from_slice(keccak256(tx).as_slice());
            return keccak256(buf);
        }
        keccak256(self.deposit_words())
    }

    fn deposit_words(&self) -> [u8; 160] {
        let mut buf = [0u8; 160];
        buf[..32].copy_from_slice(&word_u64(self.index));
        buf[32..64].copy_from_slice(&word_addr(&self.token));
        buf[64..96].copy_from_slice(&word_addr(&self.from));
        buf[96..128].copy_from_slice(&word_addr(&self.to));
        buf[128..].copy_from_slice(&self.amount.to_be_bytes::<32>());
        buf
    }
}

/// Next rolling hash of the L1 queue: `keccak256(abi.encode(prev, message_hash))`; the queue starts at zero.
pub fn roll_queue_hash(prev: B256, message_hash: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(prev.as_slice());
    buf[32..].copy_from_slice(message_hash.as_slice());
    keccak256(buf)
}

/// `keccak256(abi.encode(nonce, from, l1Recipient, token, amount))`: the leaf of a withdrawals tree.
pub fn withdrawal_hash(nonce: U256, from: Address, l1_recipient: Address, token: Address, amount: U256) -> B256 {
    let mut buf = [0u8; 160];
    buf[..32].copy_from_slice(&nonce.to_be_bytes::<32>());
    buf[32..64].copy_from_slice(&word_addr(&from));
    buf[64..96].copy_from_slice(&word_addr(&l1_recipient));
    buf[96..128].copy_from_slice(&word_addr(&token));
    buf[128..].copy_from_slice(&amount.to_be_bytes::<32>());
    keccak256(buf)
}

/// Root of the binary keccak Merkle tree over `leaves` (node = `keccak256(left ‖ right)`, an odd node is
/// paired with zero, one leaf is its own root, no leaves give zero), as `Bridge.sol` verifies it.
pub fn merkle_root(leaves: &[B256]) -> B256 {
    if leaves.is_empty() {
        return B256::ZERO;
    }
    let mut level: alloc::vec::Vec<B256> = leaves.to_vec();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| hash_pair(p[0], p.get(1).copied().unwrap_or(B256::ZERO))).collect();
    }
    level[0]
}

/// Siblings from leaf `index` up to the root of [`merkle_root`]'s tree.
pub fn merkle_proof(leaves: &[B256], mut index: usize) -> alloc::vec::Vec<B256> {
    let mut proof = alloc::vec::Vec::new();
    let mut level: alloc::vec::Vec<B256> = leaves.to_vec();
    while level.len() > 1 {
        proof.push(level.get(index ^ 1).copied().unwrap_or(B256::ZERO));
        level = level.chunks(2).map(|p| hash_pair(p[0], p.get(1).copied().unwrap_or(B256::ZERO))).collect();
        index /= 2;
    }
    proof
}

/// Whether `proof` places `leaf` at `index` under `root`.
pub fn verify_merkle_proof(root: B256, leaf: B256, mut index: usize, proof: &[B256]) -> bool {
    let mut h = leaf;
    for sib in proof {
        h = if index & 1 == 0 { hash_pair(h, *sib) } else { hash_pair(*sib, h) };
        index >>= 1;
    }
    h == root && index == 0
}

fn hash_pair(a: B256, b: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(a.as_slice());
    buf[32..].copy_from_slice(b.as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_proofs_verify_for_every_leaf_and_size() {
        for n in 1..=9usize {
            let leaves: alloc::vec::Vec<B256> = (0..n as u8).map(|i| keccak256([i])).collect();
            let root = merkle_root(&leaves);
            for i in 0..n {
                let p = merkle_proof(&leaves, i);
                assert!(verify_merkle_proof(root, leaves[i], i, &p), "n={n} i={i}");
                assert!(!verify_merkle_proof(root, leaves[i], i ^ 1, &p) || n == 1);
            }
        }
        assert_eq!(merkle_root(&[]), B256::ZERO);
        let one = keccak256([7u8]);
        assert_eq!(merkle_root(&[one]), one);
    }

    #[test]
    fn queue_hash_depends_on_every_field() {
        let m = L1Message::deposit(0, Address::ZERO, Address::ZERO, Address::ZERO, U256::from(1));
        let mut m2 = m.clone();
        m2.index = 1;
        assert_ne!(m.hash(), m2.hash());
        assert_ne!(roll_queue_hash(B256::ZERO, m.hash()), roll_queue_hash(B256::ZERO, m2.hash()));
        let forced = L1Message::forced(0, Address::ZERO, Bytes::from_static(&[1, 2]));
        let mut other = forced.clone();
        other.transaction = Some(Bytes::from_static(&[1, 3]));
        assert_ne!(forced.hash(), other.hash());
        // An empty transaction is still a forced one, never the deposit of the same fields.
        other.transaction = Some(Bytes::new());
        let mut deposit = other.clone();
        deposit.transaction = None;
        assert_ne!(other.hash(), deposit.hash());
    }

    #[test]
    fn messages_stored_before_forced_transactions_still_decode() {
        use alloy_rlp::{Decodable, Encodable};
        #[derive(RlpEncodable)]
        struct Old {
            index: u64,
            token: Address,
            from: Address,
            to: Address,
            amount: U256,
        }
        let old = Old {
            index: 3,
            token: Address::ZERO,
            from: Address::with_last_byte(1),
            to: Address::with_last_byte(2),
            amount: U256::from(5),
        };
        let mut bytes = alloc::vec::Vec::new();
        old.encode(&mut bytes);
        let msg = L1Message::decode(&mut bytes.as_slice()).unwrap();
        assert_eq!(
            msg,
            L1Message::deposit(3, Address::ZERO, Address::with_last_byte(1), Address::with_last_byte(2), U256::from(5))
        );
        let forced = L1Message::forced(4, Address::with_last_byte(1), Bytes::from_static(&[0x02, 0xc0]));
        let mut bytes = alloc::vec::Vec::new();
        forced.encode(&mut bytes);
        assert_eq!(L1Message::decode(&mut bytes.as_slice()).unwrap(), forced);
    }
}

/// Address of the L2 bridge predeploy (`contracts/src/L2Bridge.sol`), installed at genesis.
pub const L2_BRIDGE: Address =
    Address::new([0x4d, 0x4f, 0x53, 0x41, 0x49, 0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01]);

/// Storage slot of `balanceOf[token][owner]` in [`L2_BRIDGE`] (slot 0 is the nested mapping).
pub fn l2_bridge_balance_slot(token: &Address, owner: &Address) -> U256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(&word_addr(token));
    let token_slot = keccak256(inner);
    let mut outer = [0u8; 64];
    outer[..32].copy_from_slice(&word_addr(owner));
    outer[32..].copy_from_slice(token_slot.as_slice());
    U256::from_be_bytes(keccak256(outer).0)
}

/// An L2→L1 withdrawal as emitted by the bridge predeploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// Unique, increasing withdrawal number.
    pub nonce: U256,
    /// L2 sender.
    pub from: Address,
    /// L1 recipient.
    pub l1_recipient: Address,
    /// L1 token; zero for ETH.
    pub token: Address,
    /// Amount.
    pub amount: U256,
}

impl Withdrawal {
    /// The withdrawals-tree leaf ([`withdrawal_hash`]).
    pub fn hash(&self) -> B256 {
        withdrawal_hash(self.nonce, self.from, self.l1_recipient, self.token, self.amount)
    }
}

/// topic0 of `WithdrawalInitiated(uint256,address,address,address,uint256,bytes32)`.
pub fn withdrawal_initiated_topic() -> B256 {
    keccak256(b"WithdrawalInitiated(uint256,address,address,address,uint256,bytes32)")
}

/// The withdrawals started by successful transactions, in order, read from the predeploy's logs.
pub fn withdrawals_in(receipts: &[alloy_consensus::ReceiptEnvelope]) -> alloc::vec::Vec<Withdrawal> {
    use alloy_consensus::TxReceipt;
    let topic = withdrawal_initiated_topic();
    let mut out = alloc::vec::Vec::new();
    for r in receipts.iter().filter(|r| r.status()) {
        for log in r.logs() {
            let t = log.topics();
            if log.address != L2_BRIDGE || t.len() != 4 || t[0] != topic || log.data.data.len() != 96 {
                continue;
            }
            let d = &log.data.data;
            out.push(Withdrawal {
                nonce: U256::from_be_bytes(t[1].0),
                from: Address::from_word(t[2]),
                l1_recipient: Address::from_word(t[3]),
                token: Address::from_word(B256::from_slice(&d[..32])),
                amount: U256::from_be_slice(&d[32..64]),
            });
        }
    }
    out
}

/// Where a block leaves the L1 queue: the next message index to consume and the rolling hash so far.
/// Stored in the header's `extraData` (8-byte big-endian index ‖ 32-byte hash) so the block hash commits it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1Cursor {
    /// Index of the next L1 message to consume (= messages consumed so far).
    pub next_index: u64,
    /// Rolling hash of every message consumed so far.
    pub queue_hash: B256,
}

impl L1Cursor {
    /// Length of the `extraData` encoding.
    pub const LEN: usize = 40;

    /// Reads the cursor from a header's `extraData` (genesis has none: the empty queue).
    pub fn from_extra_data(extra: &[u8]) -> Option<Self> {
        match extra.len() {
            0 => Some(Self::default()),
            Self::LEN => {
                let mut idx = [0u8; 8];
                idx.copy_from_slice(&extra[..8]);
                Some(Self { next_index: u64::from_be_bytes(idx), queue_hash: B256::from_slice(&extra[8..]) })
            }
            _ => None,
        }
    }

    /// The `extraData` bytes.
    pub fn to_extra_data(&self) -> alloy_primitives::Bytes {
        let mut v = alloc::vec::Vec::with_capacity(Self::LEN);
        v.extend_from_slice(&self.next_index.to_be_bytes());
        v.extend_from_slice(self.queue_hash.as_slice());
        v.into()
    }

    /// Consumes `msg`, which must be the next one in the queue.
    pub fn consume(&mut self, msg: &L1Message) -> bool {
        if msg.index != self.next_index {
            return false;
        }
        self.next_index += 1;
        self.queue_hash = roll_queue_hash(self.queue_hash, msg.hash());
        true
    }
}
