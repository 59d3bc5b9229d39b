//! Mosaic's types under Malachite's consensus traits: heights are L2 block numbers, a value is a block
//! (decided by its hash; the block itself travels as proposal parts), members are the set file's
//! secp256k1 keys with one vote each, and the proposer rotates round-robin.
use alloy_primitives::{Address, Bytes, B256};
use core::fmt;
use malachitebft_core_types as mc;
use malachitebft_core_types::{LinearTimeouts, NilOrVal, Round, VoteType};
use malachitebft_signing_ecdsa::{K256Config, PublicKey, K256};
use std::sync::Arc;

/// An L2 block number as a consensus height (block 0, genesis, is never decided).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BftHeight(pub u64);

impl fmt::Display for BftHeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mc::Height for BftHeight {
    const ZERO: Self = Self(0);
    const INITIAL: Self = Self(1);

    fn increment_by(&self, n: u64) -> Self {
        Self(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Self)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A member's Ethereum address (of its consensus key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BftAddress(pub Address);

impl fmt::Display for BftAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Malachite's network matches members by this string: one canonical spelling.
        write!(f, "{}", self.0.to_checksum(None))
    }
}

impl mc::Address for BftAddress {}

/// The value a height decides: a block, named by its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockValue {
    /// The block's hash (its header commits to the transactions and the state root).
    pub hash: B256,
}

/// A block hash as a value id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId(pub B256);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mc::Value for BlockValue {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        BlockId(self.hash)
    }
}

/// One part of a streamed proposal: who proposes what on which parent, the block's bytes in chunks, and
/// the proposer's signature over all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalPart {
    /// The first part.
    Init {
        /// The height proposed for.
        height: BftHeight,
        /// The round proposed in.
        round: Round,
        /// The proof-of-lock round (`Round::Nil` for a fresh value).
        pol_round: Round,
        /// The proposer.
        proposer: BftAddress,
        /// The hash of the block the proposal extends.
        parent_hash: B256,
    },
    /// A chunk of the block's RLP.
    Data(Bytes),
    /// The last part: the proposer's signature over the stream (`signing::part_stream_bytes`).
    Fin {
        /// 64-byte secp256k1 signature (`K256`).
        signature: Bytes,
    },
}

impl mc::ProposalPart<MosaicContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, Self::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, Self::Fin { .. })
    }
}

/// A proposal: this block at this height and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The height.
    pub height: BftHeight,
    /// The round.
    pub round: Round,
    /// The block.
    pub value: BlockValue,
    /// The proof-of-lock round.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: BftAddress,
}

impl mc::Proposal<MosaicContext> for Proposal {
    fn height(&self) -> BftHeight {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockValue {
        &self.value
    }

    fn take_value(self) -> BlockValue {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &BftAddress {
        &self.proposer
    }
}

/// A prevote or precommit. Mosaic uses no vote extensions: a vote never carries one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// The height.
    pub height: BftHeight,
    /// The round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub voter: BftAddress,
}

impl mc::Vote<MosaicContext> for Vote {
    fn height(&self) -> BftHeight {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &BftAddress {
        &self.voter
    }

    fn extension(&self) -> Option<&mc::SignedExtension<MosaicContext>> {
        None
    }

    fn take_extension(&mut self) -> Option<mc::SignedExtension<MosaicContext>> {
        None
    }

    fn extend(self, _extension: mc::SignedExtension<MosaicContext>) -> Self {
        // Extensions are disabled (`VoteExtensionPolicy::Disabled`), so the engine never attaches one.
        self
    }
}

/// A member as consensus sees it: one vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Its address.
    pub address: BftAddress,
    /// Its consensus key.
    pub public_key: PublicKey<K256Config>,
}

impl mc::Validator<MosaicContext> for Validator {
    fn address(&self) -> &BftAddress {
        &self.address
    }

    fn public_key(&self) -> &PublicKey<K256Config> {
        &self.public_key
    }

    fn voting_power(&self) -> mc::VotingPower {
        1
    }
}

/// The members in the set file's order, which fixes the proposer rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    members: Arc<[Validator]>,
}

impl ValidatorSet {
    /// The set of `members`, in rotation order; `None` if it is empty or names an address twice.
    pub fn new(members: Vec<Validator>) -> Option<Self> {
        let mut addresses: Vec<_> = members.iter().map(|m| m.address).collect();
        addresses.sort();
        addresses.dedup();
        (!members.is_empty() && addresses.len() == members.len()).then(|| Self { members: members.into() })
    }

    /// The set file's members with their parsed keys.
    pub fn from_set(set: &crate::SequencerSet) -> Result<Self, crate::SetError> {
        let members = set
            .members
            .iter()
            .map(|m| {
                let public_key = PublicKey::from_sec1_bytes(&m.public_key)
                    .map_err(|e| crate::SetError::Invalid(format!("{}: public key: {e}", m.address)))?;
                Ok(Validator { address: BftAddress(m.address), public_key })
            })
            .collect::<Result<Vec<_>, crate::SetError>>()?;
        Self::new(members).ok_or_else(|| crate::SetError::Invalid("no members, or an address twice".into()))
    }
}

impl mc::ValidatorSet<MosaicContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.members.len()
    }

    fn total_voting_power(&self) -> mc::VotingPower {
        self.members.len() as u64
    }

    fn get_by_address(&self, address: &BftAddress) -> Option<&Validator> {
        self.members.iter().find(|m| &m.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.members.get(index)
    }
}

/// Mosaic's consensus context: the chain it orders (signatures are bound to its id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MosaicContext {
    /// The L2 chain id.
    pub chain_id: u64,
}

impl mc::Context for MosaicContext {
    type Address = BftAddress;
    type Height = BftHeight;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = K256;

    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: BftHeight, round: Round) -> &'a Validator {
        // Round-robin over heights and rounds, the same rule as `SequencerSet::proposer`; a nil round
        // (never asked for) counts as round 0.
        &set.members[crate::set::rotation(set.members.len(), height.0, round.as_u32().unwrap_or(0))]
    }

    fn new_proposal(
        &self,
        height: BftHeight,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: BftAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(&self, height: BftHeight, round: Round, value: NilOrVal<BlockId>, address: BftAddress) -> Vote {
        Vote { kind: VoteType::Prevote, height, round, value, voter: address }
    }

    fn new_precommit(&self, height: BftHeight, round: Round, value: NilOrVal<BlockId>, address: BftAddress) -> Vote {
        Vote { kind: VoteType::Precommit, height, round, value, voter: address }
    }
}

/// The timeouts of a set whose target block time is `block_time`: propose `max(1 s, 3 × block_time)`,
/// prevote and precommit `max(500 ms, block_time)`, each growing by half of that per round, capped at 60 s.
pub fn timeouts(block_time: std::time::Duration) -> LinearTimeouts {
    use std::time::Duration;
    let propose = (block_time * 3).max(Duration::from_secs(1));
    let vote = block_time.max(Duration::from_millis(500));
    LinearTimeouts {
        propose,
        propose_delta: propose / 2,
        prevote: vote,
        prevote_delta: vote / 2,
        precommit: vote,
        precommit_delta: vote / 2,
        rebroadcast: propose + 2 * vote,
        max_timeout: Duration::from_secs(60),
    }
}
