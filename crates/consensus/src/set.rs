//! The sequencer set: who orders blocks, how many must agree, whose turn it is.
//!
//! It binds the members but plays no part in a block's validity for the guest or for derivation, so it
//! stays out of `ChainConfig` (the config hash, the L1 deployment and the SNARK fixtures do not change
//! when a set does). Every member has equal power; a block is decided by `⌊2N/3⌋ + 1` members.
use alloy_primitives::{keccak256, Address, Bytes, B256};
use serde::Deserialize;
use std::time::Duration;

/// A set file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// Not TOML of the expected shape.
    #[error("sequencer set: {0}")]
    Parse(String),
    /// Well-formed but inconsistent.
    #[error("sequencer set: {0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("sequencer set: reading {0}")]
    Read(String),
}

/// One member of the set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Its Ethereum address: the address of `public_key` (the key that signs votes and L1 attestations).
    pub address: Address,
    /// Its secp256k1 consensus key, SEC1-encoded (33 bytes compressed or 65 uncompressed).
    pub public_key: Bytes,
    /// Where its peers reach it (a libp2p multiaddress).
    pub p2p: String,
    /// Its JSON-RPC URL, where other members relay transactions.
    #[serde(default)]
    pub rpc: Option<String>,
    /// Whether it belongs to the set from genesis (default). A candidate (`active = false`) is in the
    /// mesh from the start but orders blocks only once the Rollup on L1 schedules it in.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    block_time: String,
    fee_recipient: Address,
    member: Vec<Member>,
}

/// The sequencer set, as every member reads it from the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencerSet {
    /// Target time of every height.
    pub block_time: Duration,
    /// The one beneficiary of every block (a batch carries one for all its blocks).
    pub fee_recipient: Address,
    /// The members, in the file's order (which fixes the proposer rotation).
    pub members: Vec<Member>,
    /// keccak256 of the file's bytes.
    pub hash: B256,
}

impl SequencerSet {
    /// Reads a set file's `text`: at least one member, no address twice, each address the one of its
    /// public key, a block time of at least 250 ms.
    pub fn from_toml(text: &str) -> Result<Self, SetError> {
        let file: SetFile = toml::from_str(text).map_err(|e| SetError::Parse(e.to_string()))?;
        let invalid = |why: String| SetError::Invalid(why);
        let block_time = humantime::parse_duration(&file.block_time)
            .map_err(|e| invalid(format!("block_time {:?}: {e}", file.block_time)))?;
        if block_time < Duration::from_millis(250) {
            return Err(invalid(format!("block_time {block_time:?} is under 250 ms")));
        }
        if file.member.is_empty() {
            return Err(invalid("no [[member]]".into()));
        }
        if !file.member.iter().any(|m| m.active) {
            return Err(invalid("no member is active from genesis".into()));
        }
        for (i, m) in file.member.iter().enumerate() {
            let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&m.public_key)
                .map_err(|e| invalid(format!("member {i}: public_key is not a secp256k1 key: {e}")))?;
            let of_key = Address::from_public_key(&key);
            if of_key != m.address {
                return Err(invalid(format!("member {i}: address {} is not its key's ({of_key})", m.address)));
            }
            if file.member[..i].iter().any(|o| o.address == m.address) {
                return Err(invalid(format!("member {i}: {} is listed twice", m.address)));
            }
        }
        Ok(Self {
            block_time,
            fee_recipient: file.fee_recipient,
            members: file.member,
            hash: keccak256(text.as_bytes()),
        })
    }

    /// Reads the set file at `path` ([`Self::from_toml`]); errors name the file.
    pub fn load(path: &std::path::Path) -> Result<Self, SetError> {
        let text = std::fs::read_to_string(path).map_err(|e| SetError::Read(format!("{}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| match e {
            SetError::Parse(why) => SetError::Parse(format!("{}: {why}", path.display())),
            SetError::Invalid(why) => SetError::Invalid(format!("{}: {why}", path.display())),
            read => read,
        })
    }

    /// What a node pins on first start and holds every later start to: the block time, the fee
    /// recipient and the genesis members' addresses and keys, in order. Candidates and addresses
    /// (p2p, RPC) may change: a candidate is added by listing it in every member's file, and orders
    /// blocks only once the Rollup schedules it in.
    pub fn genesis_hash(&self) -> B256 {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(self.block_time.as_nanos() as u64).to_be_bytes());
        bytes.extend_from_slice(self.fee_recipient.as_slice());
        for m in self.initial() {
            bytes.extend_from_slice(m.address.as_slice());
            bytes.extend_from_slice(&(m.public_key.len() as u32).to_be_bytes());
            bytes.extend_from_slice(&m.public_key);
        }
        keccak256(bytes)
    }

    /// The members of the set from genesis (`active`), in the file's order.
    pub fn initial(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.active)
    }

    /// How many of the genesis members decide a block: `⌊2N/3⌋ + 1` (more than two thirds).
    pub fn quorum(&self) -> usize {
        quorum(self.initial().count())
    }

    /// How many genesis members may fail (crash or lie) without stopping or forking the chain:
    /// `⌊(N−1)/3⌋`.
    pub fn tolerated_faults(&self) -> usize {
        (self.initial().count() - 1) / 3
    }

    /// Who proposes at `height` in `round` among the genesis members: round-robin, moving on by one each
    /// height and each failed round, so a dead member costs one round per turn and never stops the chain.
    pub fn proposer(&self, height: u64, round: u32) -> &Member {
        let initial: Vec<&Member> = self.initial().collect();
        initial[rotation(initial.len(), height, round)]
    }

    /// The member with `address`, if it is one.
    pub fn member(&self, address: &Address) -> Option<&Member> {
        self.members.iter().find(|m| m.address == *address)
    }

    /// Every member but `me` that lists a JSON-RPC URL, with it (where `me` relays transactions and asks
    /// for attestations).
    pub fn peers(&self, me: &Address) -> Vec<(Address, String)> {
        self.members.iter().filter(|m| m.address != *me).filter_map(|m| Some((m.address, m.rpc.clone()?))).collect()
    }

    /// The URLs of [`SequencerSet::peers`].
    pub fn peer_rpcs(&self, me: &Address) -> Vec<String> {
        self.peers(me).into_iter().map(|(_, url)| url).collect()
    }
}

/// How many of `n` members decide a block: `⌊2n/3⌋ + 1`.
pub fn quorum(n: usize) -> usize {
    2 * n / 3 + 1
}

/// The index of the proposer among `n` members at `height` in `round`: `(height + round) mod n`,
/// without overflow. The BFT context uses the same rule.
pub(crate) fn rotation(n: usize, height: u64, round: u32) -> usize {
    let n = n as u64;
    ((height % n + u64::from(round) % n) % n) as usize
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloy_signer_local::PrivateKeySigner;

    fn key(i: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap()
    }

    fn member_toml(k: &PrivateKeySigner, port: u16) -> String {
        let public = k.credential().verifying_key().to_encoded_point(true);
        format!(
            "[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{port}\"\nrpc = \"http://127.0.0.1:{port}\"\n",
            k.address(),
            alloy_primitives::hex::encode(public.as_bytes())
        )
    }

    pub(crate) fn set_of(n: u8) -> String {
        let mut s = "block_time = \"1s\"\nfee_recipient = \"0x00000000000000000000000000000000000000fe\"\n".to_string();
        for i in 1..=n {
            s.push_str(&member_toml(&key(i), 27000 + u16::from(i)));
        }
        s
    }

    #[test]
    fn a_set_reads_its_members_quorum_and_rotation() {
        let set = SequencerSet::from_toml(&set_of(4)).unwrap();
        assert_eq!(set.block_time, Duration::from_secs(1));
        assert_eq!(set.members.len(), 4);
        assert_eq!((set.quorum(), set.tolerated_faults()), (3, 1), "4 members: 3 decide, 1 may fail");
        let order: Vec<Address> = (0..5).map(|h| set.proposer(h, 0).address).collect();
        assert_eq!(order, [key(1), key(2), key(3), key(4), key(1)].map(|k| k.address()), "round-robin");
        assert_eq!(set.proposer(1, 1).address, key(3).address(), "a failed round moves the turn on");
        assert!(set.member(&key(2).address()).is_some() && set.member(&key(9).address()).is_none());
        let peers = set.peer_rpcs(&key(2).address());
        let others: Vec<&str> = [1, 3, 4].map(|i| set.members[i - 1].rpc.as_deref().unwrap()).to_vec();
        assert_eq!(peers, others, "every other member's URL, in the set's order");
        assert_eq!(set.hash, keccak256(set_of(4).as_bytes()));
        for (n, quorum, faults) in [(1, 1, 0), (3, 3, 0), (7, 5, 2), (10, 7, 3)] {
            let set = SequencerSet::from_toml(&set_of(n)).unwrap();
            assert_eq!((set.quorum(), set.tolerated_faults()), (quorum, faults), "{n} members");
        }
    }

    #[test]
    fn a_candidate_is_in_the_mesh_but_not_in_the_genesis_set() {
        // The key lands in the last `[[member]]` table.
        let text = format!("{}active = false\n", set_of(5));
        let set = SequencerSet::from_toml(&text).unwrap();
        assert_eq!((set.members.len(), set.initial().count(), set.quorum()), (5, 4, 3));
        assert!(!set.members[4].active && set.members[..4].iter().all(|m| m.active));
        assert_eq!(set.peer_rpcs(&key(1).address()).len(), 4, "a candidate is relayed to and asked");
        let none = format!("{}active = false\n", set_of(1));
        let refused = SequencerSet::from_toml(&none).unwrap_err().to_string();
        assert!(refused.contains("no member is active"), "{refused}");
        // The pin covers the genesis members, not the candidates or where members listen.
        let four = SequencerSet::from_toml(&set_of(4)).unwrap();
        assert_eq!(set.genesis_hash(), four.genesis_hash(), "a candidate added");
        let moved = SequencerSet::from_toml(&set_of(4).replace("127.0.0.1:27001", "127.0.0.1:28001")).unwrap();
        assert_eq!(moved.genesis_hash(), four.genesis_hash(), "a member's RPC moved");
        assert_ne!(SequencerSet::from_toml(&set_of(3)).unwrap().genesis_hash(), four.genesis_hash());
        let slower = SequencerSet::from_toml(&set_of(4).replace("\"1s\"", "\"2s\"")).unwrap();
        assert_ne!(slower.genesis_hash(), four.genesis_hash(), "another block time");
    }

    #[test]
    fn an_inconsistent_set_is_refused_with_the_reason() {
        let refused = |text: &str| SequencerSet::from_toml(text).unwrap_err().to_string();
        let header = "block_time = \"1s\"\nfee_recipient = \"0x00000000000000000000000000000000000000fe\"\n";
        assert!(refused(&format!("{header}member = []")).contains("no [[member]]"));
        let twice = format!("{header}{}{}", member_toml(&key(1), 1), member_toml(&key(1), 2));
        assert!(refused(&twice).contains("listed twice"), "{}", refused(&twice));
        let swapped = member_toml(&key(1), 1).replace(&key(1).address().to_string(), &key(2).address().to_string());
        assert!(refused(&format!("{header}{swapped}")).contains("is not its key's"));
        let fast = set_of(1).replace("\"1s\"", "\"100ms\"");
        assert!(refused(&fast).contains("under 250 ms"));
        assert!(refused("block_time = 1").contains("sequencer set"));
    }

    #[test]
    fn a_set_file_is_loaded_and_its_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sequencers.toml");
        std::fs::write(&path, set_of(4)).unwrap();
        assert_eq!(SequencerSet::load(&path).unwrap(), SequencerSet::from_toml(&set_of(4)).unwrap());
        std::fs::write(&path, set_of(1).replace("\"1s\"", "\"100ms\"")).unwrap();
        let err = SequencerSet::load(&path).unwrap_err().to_string();
        assert!(err.contains("sequencers.toml") && err.contains("under 250 ms"), "{err}");
        let missing = SequencerSet::load(&dir.path().join("none.toml")).unwrap_err().to_string();
        assert!(missing.contains("reading") && missing.contains("none.toml"), "{missing}");
    }
}
