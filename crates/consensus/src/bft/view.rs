//! What a member tells its node's RPC (`mosaic_bftStatus`, `mosaic_bftEvidence`): where consensus
//! stands, kept current by the application loop, and the misbehaviour evidence the engine handed it,
//! kept in the node's database.
use super::{codec::MosaicCodec, context::MosaicContext};
use alloy_primitives::{Address, Bytes, U64};
use malachitebft_app_channel::app::types::{
    codec::Codec,
    core::{CommitCertificate, Round, Vote as _, VoteType},
    MisbehaviorEvidence, SignedConsensusMsg,
};
use mosaic_node::{ConsensusStatus, ConsensusView, DecidedSummary, Evidence, Node, NodeError};
use std::sync::{Arc, Mutex};

/// The node's record table of misbehaviour evidence: JSON of [`Evidence`], numbered from 0 in the
/// order recorded.
pub const EVIDENCE: &str = "bft_evidence";

/// Engine name and version in `mosaic_bftStatus`.
const ENGINE: &str = "malachite 0.8.2 (arc-malachitebft)";

/// What changes as consensus runs.
#[derive(Debug, Clone, Default)]
pub(super) struct Live {
    pub height: u64,
    pub round: u32,
    pub proposer: Option<Address>,
    pub last_decided: Option<DecidedSummary>,
    /// Evidence records held (the next record's index).
    pub evidence: u64,
    /// The set deciding `height` (it follows L1's schedule).
    pub members: Vec<Address>,
    /// Signatures a block of `height` needs.
    pub quorum: usize,
}

/// A member's [`ConsensusView`]: who it is, and the loop's [`Live`] state.
pub(super) struct BftView {
    pub node: Node,
    pub me: Address,
    pub live: Arc<Mutex<Live>>,
}

impl ConsensusView for BftView {
    fn status(&self) -> ConsensusStatus {
        let live = self.live.lock().map(|l| l.clone()).unwrap_or_default();
        ConsensusStatus {
            engine: ENGINE.to_string(),
            me: self.me,
            members: live.members,
            quorum: U64::from(live.quorum),
            height: U64::from(live.height),
            round: U64::from(live.round),
            proposer: live.proposer,
            last_decided: live.last_decided,
            evidence: U64::from(live.evidence),
        }
    }

    fn evidence(&self, from: u64, limit: usize) -> Result<Vec<Evidence>, NodeError> {
        let records = self.node.records(EVIDENCE);
        let mut out = Vec::new();
        for index in from.. {
            if out.len() >= limit {
                break;
            }
            let Some(bytes) = records.get(index)? else { break };
            match serde_json::from_slice(&bytes) {
                Ok(e) => out.push(e),
                Err(e) => return Err(NodeError::Inconsistent(format!("evidence record {index}: {e}"))),
            }
        }
        Ok(out)
    }
}

/// A certificate in brief.
pub(super) fn summary(certificate: &CommitCertificate<MosaicContext>) -> DecidedSummary {
    DecidedSummary {
        height: U64::from(certificate.height.0),
        round: round_of(certificate.round),
        signers: certificate.commit_signatures.iter().map(|s| s.address.0).collect(),
    }
}

fn round_of(round: Round) -> U64 {
    U64::from(super::app::round_u32(round))
}

/// A signed vote or proposal in the engine's wire encoding.
fn wire(msg: SignedConsensusMsg<MosaicContext>) -> Bytes {
    MosaicCodec.encode(&msg).map(|b| Bytes::from(b.to_vec())).unwrap_or_default()
}

/// The engine's evidence as records, double votes first.
pub(super) fn records(evidence: &MisbehaviorEvidence<MosaicContext>, decided: u64) -> Vec<Evidence> {
    let mut out = Vec::new();
    for (member, pairs) in evidence.votes.iter() {
        for (first, second) in pairs {
            let kind = match first.vote_type() {
                VoteType::Prevote => "double-prevote",
                VoteType::Precommit => "double-precommit",
            };
            out.push(Evidence {
                member: member.0,
                kind: kind.to_string(),
                height: U64::from(first.height().0),
                round: round_of(first.round()),
                first: wire(SignedConsensusMsg::Vote(first.clone())),
                second: wire(SignedConsensusMsg::Vote(second.clone())),
                recorded_at: U64::from(decided),
            });
        }
    }
    for (member, pairs) in evidence.proposals.iter() {
        for (first, second) in pairs {
            out.push(Evidence {
                member: member.0,
                kind: "double-proposal".to_string(),
                height: U64::from(first.height.0),
                round: round_of(first.round),
                first: wire(SignedConsensusMsg::Proposal(first.clone())),
                second: wire(SignedConsensusMsg::Proposal(second.clone())),
                recorded_at: U64::from(decided),
            });
        }
    }
    out
}
