//! Mosaic's Ethereum JSON-RPC server: HTTP and WebSocket on one port, batch requests, geth-compatible
//! errors, CORS for browser wallets, and Prometheus metrics at `GET /metrics`.
mod convert;
pub mod debug;
pub mod error;
mod eth;
mod filters;
mod get_routes;
pub mod proof;
pub mod stats;
mod subscribe;
#[cfg(test)]
mod tests;
mod transport;

pub use eth::{EthApi, SUGGESTED_TIP};
pub use proof::ProofResponse;
pub use stats::TxStats;

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use mosaic_node::Node;
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{atomic::AtomicBool, Arc},
};
use tower_http::cors::{Any, CorsLayer};

/// Server limits and dev accounts.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Listen address.
    pub addr: SocketAddr,
    /// Largest accepted request body, bytes.
    pub max_request_body_size: u32,
    /// Largest response body, bytes.
    pub max_response_body_size: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// Most calls in one batch.
    pub max_batch_len: u32,
    /// Accounts the node signs for (devnet); their order is `eth_accounts`'.
    pub dev_signers: Vec<PrivateKeySigner>,
    /// Set on nodes that do not sequence (full, verifier): why they refuse transactions.
    pub refuse_transactions: Option<String>,
    /// Lifts `refuse_transactions` once set (a fallback proposer that starts sequencing).
    pub refusal_lifted: Option<Arc<AtomicBool>>,
    /// Serve the block explorer at `/explorer` ([`mosaic_explorer`]).
    pub explorer: bool,
}

/// Default JSON-RPC port (as geth's and anvil's).
pub const DEFAULT_PORT: u16 = 8545;
/// Default largest request body, bytes.
pub const DEFAULT_MAX_REQUEST_SIZE: u32 = 5 * 1024 * 1024;

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            max_request_body_size: DEFAULT_MAX_REQUEST_SIZE,
            max_response_body_size: 50 * 1024 * 1024,
            max_connections: 1000,
            max_batch_len: 1000,
            dev_signers: Vec::new(),
            refuse_transactions: None,
            refusal_lifted: None,
            explorer: true,
        }
    }
}

/// Starts the server; returns its bound address and a handle that stops it when dropped or stopped.
pub async fn start(node: Node, config: RpcConfig) -> std::io::Result<(SocketAddr, ServerHandle)> {
    start_with(node, config, jsonrpsee::Methods::new()).await
}

/// Like [`start`], also serving `extra` methods (settlement RPC from `mosaic-rollup`).
pub async fn start_with(
    node: Node,
    config: RpcConfig,
    extra: jsonrpsee::Methods,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let accounts: Vec<Address> = config.dev_signers.iter().map(|s| s.address()).collect();
    let signers: HashMap<Address, PrivateKeySigner> =
        config.dev_signers.iter().map(|s| (s.address(), s.clone())).collect();
    let metrics = node.metrics().clone();
    let refuse_transactions = config.refuse_transactions.clone();
    let refusal_lifted = config.refusal_lifted.clone();
    let filters = filters::Filters::default();
    // Pending-transaction filters see every admitted transaction, also one mined before the next poll:
    // the log reads the admission broadcast before each answer, and here every 100 ms so it never lags.
    filters.pending.feed(node.subscribe_pending());
    let log = filters.pending.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        loop {
            tick.tick().await;
            if !log.drain() {
                break;
            }
        }
    });
    let mut module = eth::module(EthApi { node, signers, accounts, refuse_transactions, refusal_lifted, filters });
    module.merge(extra).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let server_cfg = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_size)
        .max_response_body_size(config.max_response_body_size)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .build();
    let http = tower::ServiceBuilder::new()
        .layer(CorsLayer::new().allow_origin(Any).allow_headers(Any).allow_methods(Any))
        .layer(get_routes::GetRoutes::new(metrics, config.explorer))
        .layer(transport::MarkPlainHttp);
    let rpc =
        jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new().layer(transport::RefuseSubscriptionsOverHttp);
    let server = Server::builder()
        .set_config(server_cfg)
        .set_http_middleware(http)
        .set_rpc_middleware(rpc)
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    Ok((addr, server.start(module)))
}
