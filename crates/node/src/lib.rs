//! Mosaic node services: the chain (database, head, state readers), transaction admission with a
//! durable mempool, the sequencer that turns pool transactions into blocks, and Prometheus metrics.
mod admission;
mod chain;
pub mod dev;
mod metrics;
mod sequencer;

pub use admission::SubmitError;
pub use chain::{NewBlock, Node, NodeConfig, NodeError, StateSnapshot};
pub use metrics::Metrics;
pub use sequencer::run_sequencer;
