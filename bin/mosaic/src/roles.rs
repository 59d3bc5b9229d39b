//! `mosaic node --role full|verifier` (derive the L2 from L1 data alone) and `mosaic deploy-l1`.
use crate::{config::l1_signer, settlement};
use alloy_primitives::U256;
use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use mosaic_node::{dev, Node, NodeConfig};
use mosaic_primitives::ChainConfig;
use mosaic_rollup::{derive::Role, L1Client, L1Contracts, Mode};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use tracing::info;

/// What a `mosaic node` does.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NodeRole {
    /// Rebuild the L2 from L1 calldata and serve it over JSON-RPC (read-only).
    Full,
    /// Re-execute every committed batch and report any whose claimed root is wrong.
    Verifier,
}

/// Flags of `mosaic node`.
#[derive(Args, Debug)]
pub struct NodeArgs {
    /// Role of this node.
    #[arg(long, value_enum)]
    pub role: NodeRole,
    /// L1 JSON-RPC endpoint (the only source of L2 data this node uses).
    #[arg(long)]
    pub l1_rpc: String,
    /// L1 contract addresses (JSON written by `mosaic deploy-l1` or a devnet's data dir).
    #[arg(long)]
    pub l1_contracts: PathBuf,
    /// L1 blocks on top before an L1 event counts.
    #[arg(long, default_value_t = 1)]
    pub l1_confirmations: u64,
    /// Data directory (a fresh one derives from batch 1).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Interface the JSON-RPC server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// JSON-RPC port (0 picks a free one).
    #[arg(long, short, default_value_t = 8545)]
    pub port: u16,
    /// L2 chain id (must match the rollup's).
    #[arg(long, default_value_t = ChainConfig::default().chain_id)]
    pub chain_id: u64,
    /// Dev accounts funded at genesis (must match the sequencer's genesis).
    #[arg(long, default_value_t = 10)]
    pub accounts: u32,
}

/// Flags of `mosaic deploy-l1`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    pub l1_rpc: String,
    /// Deployer key (becomes owner, proposer and attester). Default: dev account 10 of the test mnemonic.
    #[arg(long)]
    pub private_key: Option<String>,
    /// Where to write the addresses.
    #[arg(long, default_value = "l1-contracts.json")]
    pub out: PathBuf,
    /// Settlement mode.
    #[arg(long, default_value = "hybrid")]
    pub mode: String,
    /// Challenge window, seconds (hybrid).
    #[arg(long, default_value_t = 10)]
    pub challenge_window: u64,
    /// Bond per batch, wei (hybrid).
    #[arg(long, default_value_t = U256::from(100_000_000_000_000_000u128))]
    pub bond: U256,
    /// Forced-inclusion deadline, seconds.
    #[arg(long, default_value_t = 600)]
    pub inclusion_deadline: u64,
    /// L2 chain id.
    #[arg(long, default_value_t = ChainConfig::default().chain_id)]
    pub chain_id: u64,
    /// Dev accounts funded at the L2 genesis (pins the genesis the rollup starts from).
    #[arg(long, default_value_t = 10)]
    pub accounts: u32,
}

fn chain(chain_id: u64) -> ChainConfig {
    ChainConfig { chain_id, ..ChainConfig::default() }
}

fn alloc(accounts: u32) -> Vec<(alloy_primitives::Address, U256)> {
    dev::dev_signers(accounts).iter().map(|s| (s.address(), dev::dev_balance())).collect()
}

/// `mosaic deploy-l1`.
pub async fn run_deploy(a: DeployArgs) -> anyhow::Result<()> {
    let mode = match a.mode.as_str() {
        "hybrid" => Mode::Hybrid,
        "zk" => Mode::Zk,
        m => bail!("unknown mode `{m}` (hybrid or zk)"),
    };
    let l1 = L1Client::new(&a.l1_rpc, l1_signer(a.private_key.as_deref())?, 0)?;
    let genesis = mosaic_rollup::l2_genesis(&chain(a.chain_id), &alloc(a.accounts))?;
    if a.out.exists() {
        bail!("{} exists; remove it to deploy a new set of contracts", a.out.display());
    }
    let c = settlement::contracts_for(
        &l1,
        &a.out,
        &chain(a.chain_id),
        genesis,
        &settlement::DeploySettings {
            challenge_window: a.challenge_window,
            bond: a.bond,
            inclusion_deadline: a.inclusion_deadline,
            mode,
        },
    )
    .await?;
    println!("{}", serde_json::to_string_pretty(&c)?);
    Ok(())
}

/// `mosaic node`.
pub async fn run_node(a: NodeArgs) -> anyhow::Result<()> {
    let contracts = L1Contracts::load(&a.l1_contracts)?;
    let node = Node::open(NodeConfig {
        chain: chain(a.chain_id),
        data_dir: a.data_dir.clone(),
        block_time: Duration::ZERO,
        fee_recipient: Default::default(),
        pool: Default::default(),
        genesis_alloc: alloc(a.accounts),
        max_tx_size: 128 * 1024,
        predeploys: mosaic_rollup::predeploys(),
    })
    .with_context(|| format!("opening chain in {}", a.data_dir.display()))?;
    // The key only identifies this client; a deriving node sends no L1 transactions.
    let l1 = L1Client::new(&a.l1_rpc, settlement::dev_proposer(), a.l1_confirmations)?;
    let role = match a.role {
        NodeRole::Full => Role::Full,
        NodeRole::Verifier => Role::Verifier,
    };
    let status = settlement::spawn_derivation(&node, &l1, &contracts, role).await?;
    let role_name = match role {
        Role::Full => "full",
        Role::Verifier => "verifier",
    };
    let extra = settlement::rpc_methods(&node, &contracts, role_name, &a.l1_rpc, false, Some(status));
    let addr: SocketAddr = format!("{}:{}", a.host, a.port).parse().context("invalid host/port")?;
    let rpc = mosaic_rpc::RpcConfig {
        addr,
        refuse_transactions: Some(format!(
            "this is a {role_name} node: it rebuilds the chain from L1 and takes no transactions; send them to the sequencer"
        )),
        ..Default::default()
    };
    let (bound, handle) =
        mosaic_rpc::start_with(node.clone(), rpc, extra).await.with_context(|| format!("binding {addr}"))?;
    println!(
        "\nMosaic {role_name} node v{}\n\nDeriving from L1:  {}\nRollup:            {}\nHead block:        {}\nData dir:          {}\n\nListening on {bound}\n",
        env!("CARGO_PKG_VERSION"),
        a.l1_rpc,
        contracts.rollup,
        node.head_number(),
        a.data_dir.display()
    );
    tokio::signal::ctrl_c().await.ok();
    info!("shutting down");
    handle.stop().ok();
    Ok(())
}
