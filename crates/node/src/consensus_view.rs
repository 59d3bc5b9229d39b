//! What a node's JSON-RPC may ask of whoever orders its blocks when that is a sequencer set under BFT
//! consensus (`mosaic_bftStatus`, `mosaic_bftEvidence`): the node defines the answers, the consensus
//! crate gives them ([`Node::set_consensus_view`]), so the RPC needs no consensus types.
use crate::{chain::Node, NodeError};
use alloy_primitives::{Address, Bytes, U64};
use serde::{Deserialize, Serialize};

/// Where a member's consensus stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsensusStatus {
    /// The engine and its version.
    pub engine: String,
    /// This member's address.
    pub me: Address,
    /// The set's members in rotation order.
    pub members: Vec<Address>,
    /// Signatures a block needs (more than two thirds of the set).
    pub quorum: U64,
    /// The height being decided now.
    pub height: U64,
    /// Its current round.
    pub round: U64,
    /// Who proposes in that round.
    pub proposer: Option<Address>,
    /// The last block this member committed with its certificate.
    pub last_decided: Option<DecidedSummary>,
    /// Misbehaviour records this member holds ([`Evidence`]).
    pub evidence: U64,
}

/// A decided block's certificate in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecidedSummary {
    /// Its height (the L2 block number).
    pub height: U64,
    /// The round it was decided in (0 unless a proposer failed or was refused).
    pub round: U64,
    /// Members whose precommits the certificate carries.
    pub signers: Vec<Address>,
}

/// One piece of evidence that a member misbehaved: two messages it signed for the same height,
/// round and step with different contents, as the engine saw them. Either message's bytes, with its
/// signature, proves the fault to anyone holding the set's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The member that signed both.
    pub member: Address,
    /// `double-prevote`, `double-precommit` or `double-proposal`.
    pub kind: String,
    /// Height of the two messages.
    pub height: U64,
    /// Their round.
    pub round: U64,
    /// The first message as signed (the engine's wire encoding, signature included).
    pub first: Bytes,
    /// The conflicting one.
    pub second: Bytes,
    /// The height this member had decided when it recorded the evidence.
    pub recorded_at: U64,
}

/// The consensus side of [`Node::set_consensus_view`].
pub trait ConsensusView: Send + Sync + 'static {
    /// Where consensus stands now.
    fn status(&self) -> ConsensusStatus;
    /// Up to `limit` evidence records from index `from` (0-based, in the order recorded).
    /// Blocking: reads the node's database.
    fn evidence(&self, from: u64, limit: usize) -> Result<Vec<Evidence>, NodeError>;
}

impl Node {
    /// Lets the RPC answer about the sequencer set this node belongs to; set once.
    pub fn set_consensus_view(&self, view: std::sync::Arc<dyn ConsensusView>) -> bool {
        self.inner.consensus.set(view).is_ok()
    }

    /// The sequencer set's view, if this node is a member of one.
    pub fn consensus_view(&self) -> Option<std::sync::Arc<dyn ConsensusView>> {
        self.inner.consensus.get().cloned()
    }
}
