//! The sequencer loop: a block every `block_time`, or one block per transaction when it is zero.
use crate::{blocking::BlockingError, chain::Node};
use std::time::Duration;
use tracing::error;

/// Produces blocks until the node is dropped. Block building runs on the blocking pool; a failed block is
/// logged and retried, a panic in block building ends the loop with an error (for the supervisor).
pub async fn run_sequencer(node: Node) -> Result<(), BlockingError> {
    let block_time = node.config().block_time;
    if block_time.is_zero() {
        loop {
            node.inner.tx_arrived.notified().await;
            // Drain everything that is ready, one transaction per block.
            loop {
                match node.blocking(|n| n.build_block(Some(1), true)).await? {
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    Err(e) => {
                        error!(%e, "block production failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                }
            }
        }
    } else {
        let mut interval = tokio::time::interval(block_time);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(e) = node.blocking(|n| n.build_block(None, false)).await? {
                error!(%e, "block production failed");
            }
        }
    }
}
