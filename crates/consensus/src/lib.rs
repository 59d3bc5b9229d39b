//! How Mosaic's blocks get ordered (issue #21). [`Sequencing`] is the seam between a node and whoever
//! decides its next block: [`Solo`] is the single sequencer of today (a block every `block_time`); a
//! sequencer set under BFT consensus (Malachite, `docs/design/bft-sequencer.md`) is the next
//! implementation. [`SequencerSet`] is that set's membership as its members agree on it: the
//! `--sequencer-set` file, its quorum and its proposer rotation.
use mosaic_node::{run_sequencer, Node};
use std::{future::Future, pin::Pin};

#[cfg(feature = "bft")]
pub mod bft;
mod relay;
mod schedule;
mod set;

pub use relay::{RpcRelay, DEFAULT_RELAY_TIMEOUT, RELAY_METHOD};
pub use schedule::{MemberChange, SetSchedule};
pub use set::{quorum, Member, SequencerSet, SetError};

/// Why a sequencing loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum SequencingError {
    /// The block-building thread panicked or the node went away.
    #[error("sequencer: {0}")]
    Node(String),
    /// The consensus engine could not start, or stopped.
    #[error("consensus: {0}")]
    Engine(String),
}

/// A future a sequencing loop runs as (boxed: implementations differ and the binary holds them as
/// `Box<dyn Sequencing>`).
pub type SequencingFuture = Pin<Box<dyn Future<Output = Result<(), SequencingError>> + Send>>;

/// Whoever decides a node's next block: runs until the node is dropped, or fails for the supervisor.
pub trait Sequencing: Send {
    /// The loop that orders `node`'s blocks.
    fn run(self: Box<Self>, node: Node) -> SequencingFuture;
}

/// One sequencer: the node builds and commits its own blocks (`mosaic_node::run_sequencer`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Solo;

impl Sequencing for Solo {
    fn run(self: Box<Self>, node: Node) -> SequencingFuture {
        Box::pin(async move { run_sequencer(node).await.map_err(|e| SequencingError::Node(e.to_string())) })
    }
}
