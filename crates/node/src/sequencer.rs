//! The sequencer loop: a block every `block_time`, or one block per transaction when it is zero.
use crate::chain::Node;
use std::time::Duration;
use tracing::error;

/// Produces blocks until the node is dropped or a fatal error occurs.
pub async fn run_sequencer(node: Node) {
    let block_time = node.config().block_time;
    if block_time.is_zero() {
        loop {
            node.inner.tx_arrived.notified().await;
            // Drain everything that is ready, one transaction per block.
            loop {
                let n = node.clone();
                match tokio::task::spawn_blocking(move || n.build_block(Some(1), true)).await {
                    Ok(Ok(Some(_))) => continue,
                    Ok(Ok(None)) => break,
                    Ok(Err(e)) => {
                        error!(%e, "block production failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                    Err(e) => {
                        error!(%e, "block production panicked");
                        return;
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
            let n = node.clone();
            match tokio::task::spawn_blocking(move || n.build_block(None, false)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => error!(%e, "block production failed"),
                Err(e) => {
                    error!(%e, "block production panicked");
                    return;
                }
            }
        }
    }
}
