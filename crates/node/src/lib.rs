//! Mosaic node services: the chain (database, head, state readers), transaction admission with a
//! durable mempool, the sequencer that turns pool transactions into blocks, and Prometheus metrics.
mod admission;
pub mod blocking;
mod chain;
mod consensus_view;
pub mod dev;
mod metrics;
mod reader;
mod records;
mod sequencer;
pub mod supervisor;
mod trace;

pub use admission::{SubmitError, TxRelay};
pub use blocking::{spawn_blocking, BlockingError};
pub use chain::{
    Assembled, ImportError, L1Finality, NewBlock, Node, NodeConfig, NodeError, PoolContent, StateSnapshot,
    DEFAULT_MAX_TX_SIZE, MAX_L1_MESSAGES_PER_BLOCK,
};
pub use consensus_view::{ConsensusStatus, ConsensusView, DecidedSummary, Evidence};
pub use metrics::{register_counter, Metrics};
/// A transaction waiting in the pool (what `Node::pool_tx` and `Node::pool_content` hand out).
pub use mosaic_mempool::PoolTx;
pub use reader::{ChainReader, StateTree, TxLocation};
pub use records::Records;
pub use sequencer::run_sequencer;
pub use supervisor::{ExitCause, ServiceExit, Supervisor, SHUTDOWN_GRACE};
pub use trace::{trace_block, TracedTx};
