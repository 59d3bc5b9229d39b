//! `eth_subscribe` for `newHeads` and `logs`, fed by the node's new-block broadcast, and for
//! `newPendingTransactions` (hashes), fed by the pool's.
use crate::{
    convert::{block_logs, rpc_header},
    error::invalid_params,
    eth::EthApi,
};
use alloy_rpc_types_eth::Filter;
use jsonrpsee::{PendingSubscriptionSink, RpcModule, SubscriptionMessage};
use tokio::sync::broadcast::error::RecvError;

enum Kind {
    NewHeads,
    Logs(Box<Filter>),
}

/// Streams the hashes of transactions the pool accepts until the subscriber leaves.
async fn pending_hashes(
    pending: PendingSubscriptionSink,
    api: std::sync::Arc<EthApi>,
) -> jsonrpsee::core::SubscriptionResult {
    let mut hashes = api.node.subscribe_pending();
    let sink = pending.accept().await?;
    loop {
        let hash = tokio::select! {
            _ = sink.closed() => break,
            h = hashes.recv() => match h {
                Ok(h) => h,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        };
        let msg = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &hash)?;
        if sink.send(msg).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Registers `eth_subscribe` / `eth_unsubscribe`.
pub(crate) fn register(m: &mut RpcModule<EthApi>) {
    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending: PendingSubscriptionSink, api, _| async move {
            let mut seq = params.sequence();
            let kind: String = match seq.next() {
                Ok(k) => k,
                Err(e) => {
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            let kind = match kind.as_str() {
                "newHeads" => Kind::NewHeads,
                "logs" => Kind::Logs(Box::new(seq.optional_next::<Filter>().ok().flatten().unwrap_or_default())),
                "newPendingTransactions" => return pending_hashes(pending, api).await,
                other => {
                    pending.reject(invalid_params(format!("unsupported subscription: {other}"))).await;
                    return Ok(());
                }
            };
            let mut blocks = api.node.subscribe();
            let sink = pending.accept().await?;
            loop {
                let block = tokio::select! {
                    _ = sink.closed() => break,
                    b = blocks.recv() => match b {
                        Ok(b) => b,
                        // A slow subscriber skips what it missed rather than stalling block production.
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => break,
                    },
                };
                let messages: Vec<serde_json::Value> = match &kind {
                    Kind::NewHeads => vec![serde_json::to_value(rpc_header(&block.block.header, block.hash, None))?],
                    Kind::Logs(filter) => block_logs(&block.block, block.hash, &block.receipts)
                        .into_iter()
                        .filter(|l| filter.matches(&l.inner))
                        .map(serde_json::to_value)
                        .collect::<Result<_, _>>()?,
                };
                for msg in messages {
                    let msg = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &msg)?;
                    if sink.send(msg).await.is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        },
    )
    .expect("unique subscription name");
}
