//! Mosaic node services: the chain (database, head, state readers), transaction admission with a
//! durable mempool, the sequencer that turns pool transactions into blocks, and Prometheus metrics.
mod admission;
mod chain;
pub mod dev;
mod metrics;
mod sequencer;

pub use admission::SubmitError;
pub use chain::{ImportError, NewBlock, Node, NodeConfig, NodeError, StateSnapshot, MAX_L1_MESSAGES_PER_BLOCK};
pub use metrics::Metrics;
pub use sequencer::run_sequencer;
