//! `mosaic devnet`: flags, the TOML config file they mirror, and start-up.
use crate::settlement;
use alloy_primitives::{Address, U256};
use anyhow::{bail, Context as _};
use clap::Args;
use mosaic_node::{dev, run_sequencer, Node, NodeConfig};
use mosaic_primitives::ChainConfig;
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use tracing::info;

/// Flags of `mosaic devnet`. Every flag can also be set in the TOML file given by `--config` (same
/// names, snake_case); a flag on the command line wins over the file.
#[derive(Args, Debug, Default)]
pub struct DevnetArgs {
    /// TOML config file; its keys mirror these flags (e.g. `port = 8545`, `block_time = "1s"`).
    #[arg(long, env = "MOSAIC_CONFIG")]
    pub config: Option<PathBuf>,
    /// Interface the JSON-RPC server listens on.
    #[arg(long)]
    pub host: Option<String>,
    /// JSON-RPC port (HTTP and WebSocket on the same port; GET /metrics serves Prometheus metrics).
    #[arg(long, short)]
    pub port: Option<u16>,
    /// Data directory (database). Default: the user's data dir, e.g. ~/.local/share/mosaic/devnet.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Time between blocks: `1s`, `500ms`, or plain seconds. `0` produces one block per transaction.
    #[arg(long)]
    pub block_time: Option<String>,
    /// EIP-155 chain id.
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// Gas limit of every block.
    #[arg(long)]
    pub block_gas_limit: Option<u64>,
    /// Floor of the EIP-1559 base fee, in wei.
    #[arg(long)]
    pub min_base_fee: Option<u64>,
    /// Address that receives priority fees.
    #[arg(long)]
    pub fee_recipient: Option<Address>,
    /// Number of funded dev accounts printed and unlocked (`eth_accounts`, `eth_sendTransaction`).
    #[arg(long)]
    pub accounts: Option<u32>,
    /// Largest accepted JSON-RPC request body, in bytes.
    #[arg(long)]
    pub max_request_size: Option<u32>,
    /// Largest accepted raw transaction, in bytes.
    #[arg(long)]
    pub max_tx_size: Option<usize>,
    /// Most transactions the mempool holds.
    #[arg(long)]
    pub max_pool_txs: Option<usize>,
    /// Port of the embedded L1's JSON-RPC (0 picks a free one).
    #[arg(long)]
    pub l1_port: Option<u16>,
    /// Use this Ethereum JSON-RPC endpoint as the L1 instead of the embedded one.
    #[arg(long)]
    pub l1_rpc: Option<String>,
    /// L1 contract addresses (JSON from `mosaic deploy-l1`); deployed and written there if missing.
    /// Default: `<data-dir>/l1-contracts.json`.
    #[arg(long)]
    pub l1_contracts: Option<PathBuf>,
    /// Block time of the embedded L1.
    #[arg(long)]
    pub l1_block_time: Option<String>,
    /// L1 blocks on top before an L1 event counts here (default: 0 embedded, which cannot reorg; 1 external).
    #[arg(long)]
    pub l1_confirmations: Option<u64>,
    /// Private key of the L1 account that deploys and posts batches (default: dev account 10).
    #[arg(long)]
    pub l1_private_key: Option<String>,
    /// Run without any L1: no deposits, no batches.
    #[arg(long)]
    pub no_l1: bool,
    /// Post a partial batch once its oldest block is this old.
    #[arg(long)]
    pub batch_max_age: Option<String>,
    /// Most L2 blocks per batch.
    #[arg(long)]
    pub batch_max_blocks: Option<u64>,
    /// Most bytes of batch data per batch.
    #[arg(long)]
    pub batch_max_bytes: Option<usize>,
    /// Challenge window of a freshly deployed Rollup, seconds.
    #[arg(long)]
    pub challenge_window: Option<u64>,
    /// Forced-inclusion deadline of a freshly deployed Rollup, seconds.
    #[arg(long)]
    pub inclusion_deadline: Option<u64>,
    /// Bond per batch of a freshly deployed Rollup, wei.
    #[arg(long)]
    pub bond: Option<U256>,
    /// Prove every committed batch in the background, one at a time: `cpu` (needs a mosaic built with
    /// `--features prover`) or `off`. Proofs go to `<data-dir>/proofs/`; `mosaic_getBatch` reports them.
    #[arg(long, value_parser = ["off", "cpu"])]
    pub prover: Option<String>,
    /// With `--prover cpu`: aggregate each batch's segment proofs into one recursive STARK.
    #[arg(long)]
    pub prover_recursive: bool,
    /// With `--prover cpu`: the guest ELF (`scripts/build-guest.sh` writes it).
    #[arg(long)]
    pub prover_guest: Option<PathBuf>,
    /// With `--prover cpu`: cut execution into another segment at this much estimated proving memory,
    /// GiB (segments are proven one at a time, so this bounds the prover's memory; default 8).
    #[arg(long)]
    pub prover_segment_memory_gib: Option<u64>,
}

/// The resolved devnet configuration (also the TOML file format).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevnetConfig {
    /// Listen interface.
    pub host: String,
    /// Listen port.
    pub port: u16,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Block time.
    pub block_time: String,
    /// Chain id.
    pub chain_id: u64,
    /// Block gas limit.
    pub block_gas_limit: u64,
    /// Base fee floor.
    pub min_base_fee: u64,
    /// Priority fee recipient.
    pub fee_recipient: Address,
    /// Dev accounts.
    pub accounts: u32,
    /// Request body limit.
    pub max_request_size: u32,
    /// Raw transaction size limit.
    pub max_tx_size: usize,
    /// Mempool capacity.
    pub max_pool_txs: usize,
    /// Embedded L1 RPC port.
    pub l1_port: u16,
    /// External L1 endpoint.
    pub l1_rpc: Option<String>,
    /// L1 contracts file.
    pub l1_contracts: Option<PathBuf>,
    /// Embedded L1 block time.
    pub l1_block_time: String,
    /// L1 confirmation depth.
    pub l1_confirmations: Option<u64>,
    /// L1 proposer key.
    pub l1_private_key: Option<String>,
    /// No L1 at all.
    pub no_l1: bool,
    /// Batch age limit.
    pub batch_max_age: String,
    /// Batch block limit.
    pub batch_max_blocks: u64,
    /// Batch byte limit.
    pub batch_max_bytes: usize,
    /// Challenge window, seconds.
    pub challenge_window: u64,
    /// Forced-inclusion deadline, seconds.
    pub inclusion_deadline: u64,
    /// Bond, wei.
    pub bond: U256,
    /// Background prover: `off` or `cpu`.
    pub prover: String,
    /// Recursive (aggregated) proofs from the background prover.
    pub prover_recursive: bool,
    /// Guest ELF of the background prover.
    pub prover_guest: PathBuf,
    /// Estimated proving memory per segment, GiB.
    pub prover_segment_memory_gib: u64,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        let chain = ChainConfig::default();
        Self {
            host: "127.0.0.1".into(),
            port: 8545,
            data_dir: None,
            block_time: "1s".into(),
            chain_id: chain.chain_id,
            block_gas_limit: chain.block_gas_limit,
            min_base_fee: chain.min_base_fee,
            fee_recipient: Address::ZERO,
            accounts: 10,
            max_request_size: 5 * 1024 * 1024,
            max_tx_size: 128 * 1024,
            max_pool_txs: mosaic_mempool::PoolConfig::default().max_txs,
            l1_port: 8546,
            l1_rpc: None,
            l1_contracts: None,
            l1_block_time: "1s".into(),
            l1_confirmations: None,
            l1_private_key: None,
            no_l1: false,
            batch_max_age: "5s".into(),
            batch_max_blocks: 600,
            batch_max_bytes: 120_000,
            challenge_window: 10,
            inclusion_deadline: 600,
            bond: U256::from(100_000_000_000_000_000u128),
            prover: "off".into(),
            prover_recursive: false,
            prover_guest: PathBuf::from(crate::prove::DEFAULT_GUEST_ELF),
            prover_segment_memory_gib: crate::prove::DEFAULT_SEGMENT_MEMORY_GIB,
        }
    }
}

impl DevnetConfig {
    /// File (if any), then flags.
    pub fn resolve(args: &DevnetArgs) -> anyhow::Result<Self> {
        let mut c = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => Self::default(),
        };
        macro_rules! over {
            ($($f:ident),*) => {$( if let Some(v) = &args.$f { c.$f = v.clone(); } )*};
        }
        over!(
            host,
            port,
            block_time,
            chain_id,
            block_gas_limit,
            min_base_fee,
            fee_recipient,
            accounts,
            max_request_size,
            max_tx_size,
            max_pool_txs,
            l1_port,
            l1_block_time,
            batch_max_age,
            batch_max_blocks,
            batch_max_bytes,
            challenge_window,
            inclusion_deadline,
            bond,
            prover,
            prover_guest,
            prover_segment_memory_gib
        );
        if args.data_dir.is_some() {
            c.data_dir = args.data_dir.clone();
        }
        if args.l1_rpc.is_some() {
            c.l1_rpc = args.l1_rpc.clone();
        }
        if args.l1_contracts.is_some() {
            c.l1_contracts = args.l1_contracts.clone();
        }
        if args.l1_confirmations.is_some() {
            c.l1_confirmations = args.l1_confirmations;
        }
        if args.l1_private_key.is_some() {
            c.l1_private_key = args.l1_private_key.clone();
        }
        c.no_l1 |= args.no_l1;
        c.prover_recursive |= args.prover_recursive;
        if c.prover != "off" && c.prover != "cpu" {
            bail!("prover must be `off` or `cpu`, not `{}`", c.prover);
        }
        if c.prover == "cpu" && c.no_l1 {
            bail!("--prover cpu proves the batches committed to L1; it cannot run with --no-l1");
        }
        Ok(c)
    }
}

/// Parses `1s`, `500ms`, `2` (seconds) or `0.25`.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().with_context(|| format!("invalid duration `{s}`"))?;
    if !v.is_finite() || v < 0.0 {
        bail!("invalid duration `{s}`");
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Opens (or creates) the devnet chain that `c` describes, in its data dir, funding `signers` at genesis.
pub fn open_devnet_chain(
    c: &DevnetConfig,
    signers: &[alloy_signer_local::PrivateKeySigner],
) -> anyhow::Result<(Node, PathBuf)> {
    let chain = ChainConfig {
        chain_id: c.chain_id,
        block_gas_limit: c.block_gas_limit,
        min_base_fee: c.min_base_fee,
        ..ChainConfig::default()
    };
    let data_dir = c.data_dir.clone().unwrap_or_else(default_data_dir);
    let node = Node::open(NodeConfig {
        chain,
        data_dir: data_dir.clone(),
        block_time: parse_duration(&c.block_time)?,
        fee_recipient: c.fee_recipient,
        pool: mosaic_mempool::PoolConfig { max_txs: c.max_pool_txs, ..Default::default() },
        genesis_alloc: signers.iter().map(|s| (s.address(), dev::dev_balance())).collect(),
        max_tx_size: c.max_tx_size,
        predeploys: mosaic_rollup::predeploys(),
    })
    .with_context(|| format!("opening chain in {}", data_dir.display()))?;
    Ok((node, data_dir))
}

/// `~/.local/share/mosaic/devnet` (the platform's data dir).
pub(crate) fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("mosaic").join("devnet")
}

/// The L1 signer from a hex private key, or the devnet proposer.
pub fn l1_signer(key: Option<&str>) -> anyhow::Result<alloy_signer_local::PrivateKeySigner> {
    match key {
        Some(k) => k.trim().parse().context("invalid L1 private key"),
        None => Ok(settlement::dev_proposer()),
    }
}

/// Starts the devnet and runs until Ctrl-C.
pub async fn run_devnet(args: DevnetArgs) -> anyhow::Result<()> {
    let c = DevnetConfig::resolve(&args)?;
    let signers = dev::dev_signers(c.accounts);
    let (node, data_dir) = open_devnet_chain(&c, &signers)?;
    let block_time = parse_duration(&c.block_time)?;

    // Settlement: the L1 (embedded unless --l1-rpc), its contracts, deposits in and batches out.
    let mut l1_handle = None;
    let mut settlement_info = None;
    let mut extra = jsonrpsee::Methods::new();
    if !c.no_l1 {
        let (l1_url, confirmations) = match &c.l1_rpc {
            Some(url) => (url.clone(), c.l1_confirmations.unwrap_or(1)),
            None => {
                let (url, handle) = settlement::start_embedded_l1(
                    &data_dir.join("l1"),
                    &c.host,
                    c.l1_port,
                    parse_duration(&c.l1_block_time)?,
                    c.accounts,
                )
                .await?;
                l1_handle = Some(handle);
                (url, c.l1_confirmations.unwrap_or(0))
            }
        };
        let l1 = mosaic_rollup::L1Client::new(&l1_url, l1_signer(c.l1_private_key.as_deref())?, confirmations)?;
        let genesis = node.db().header(0)?.context("no genesis block")?;
        let contracts = settlement::contracts_for(
            &l1,
            &c.l1_contracts.clone().unwrap_or_else(|| data_dir.join("l1-contracts.json")),
            &node.config().chain,
            (genesis.state_root, genesis.hash_slow()),
            &settlement::DeploySettings {
                challenge_window: c.challenge_window,
                bond: c.bond,
                inclusion_deadline: c.inclusion_deadline,
                mode: mosaic_rollup::Mode::Hybrid,
            },
        )
        .await?;
        let producer = mosaic_rollup::producer::ProducerConfig {
            max_blocks: c.batch_max_blocks,
            max_bytes: c.batch_max_bytes,
            max_age: parse_duration(&c.batch_max_age)?,
            variant: mosaic_batch::Variant::Signed,
        };
        settlement::spawn_sequencer_services(&node, &l1, &contracts, producer);
        let prover_on = c.prover == "cpu";
        if prover_on {
            crate::prove::spawn_background_prover(
                &node,
                &c.prover_guest,
                c.prover_recursive,
                c.prover_segment_memory_gib,
            )?;
        }
        extra = settlement::rpc_methods(&node, &contracts, "sequencer", &l1_url, prover_on, None);
        settlement_info = Some((l1_url, contracts));
    }

    let addr: SocketAddr = format!("{}:{}", c.host, c.port).parse().context("invalid host/port")?;
    let rpc = mosaic_rpc::RpcConfig {
        addr,
        max_request_body_size: c.max_request_size,
        dev_signers: signers.clone(),
        ..Default::default()
    };
    let (bound, handle) =
        mosaic_rpc::start_with(node.clone(), rpc, extra).await.with_context(|| format!("binding {addr}"))?;
    print_banner(&c, &node, bound, &data_dir, block_time, &signers, settlement_info.as_ref());
    let sequencer = tokio::spawn(run_sequencer(node.clone()));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("shutting down"),
        _ = sequencer => bail!("sequencer stopped"),
    }
    handle.stop().ok();
    if let Some(h) = l1_handle {
        h.stop().ok();
    }
    Ok(())
}

fn print_banner(
    c: &DevnetConfig,
    node: &Node,
    addr: SocketAddr,
    data_dir: &std::path::Path,
    block_time: Duration,
    signers: &[alloy_signer_local::PrivateKeySigner],
    settlement: Option<&(String, mosaic_rollup::L1Contracts)>,
) {
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let mut out = String::new();
    out.push_str(&format!("\nMosaic devnet v{}\n\n", env!("CARGO_PKG_VERSION")));
    out.push_str("Available Accounts\n==================\n");
    for (i, s) in signers.iter().enumerate() {
        out.push_str(&format!("({i}) {} ({} ETH)\n", s.address(), dev::dev_balance() / eth));
    }
    out.push_str("\nPrivate Keys\n==================\n");
    for (i, s) in signers.iter().enumerate() {
        out.push_str(&format!("({i}) {}\n", s.to_bytes()));
    }
    out.push_str(&format!(
        "\nWallet\n==================\nMnemonic:          {}\nDerivation path:   m/44'/60'/0'/0/\n\n",
        dev::DEV_MNEMONIC
    ));
    out.push_str(&format!("Chain ID:          {}\n", c.chain_id));
    out.push_str(&format!(
        "Block time:        {}\n",
        if block_time.is_zero() { "0 (one block per transaction)".to_string() } else { format!("{block_time:?}") }
    ));
    out.push_str(&format!("Block gas limit:   {}\n", c.block_gas_limit));
    out.push_str(&format!("Head block:        {}\n", node.head_number()));
    out.push_str(&format!("Data dir:          {}\n", data_dir.display()));
    out.push_str(&format!("Metrics:           http://{addr}/metrics\n\n"));
    match settlement {
        Some((url, l1)) => {
            out.push_str("L1 Settlement\n==================\n");
            out.push_str(&format!("L1 RPC URL:        {url}\n"));
            out.push_str(&format!("L1 chain ID:       {}\n", l1.l1_chain_id));
            out.push_str(&format!("Rollup:            {}\n", l1.rollup));
            out.push_str(&format!("Bridge:            {}\n", l1.bridge));
            out.push_str(&format!("Verifier:          {}\n", l1.verifier));
            out.push_str(&format!("L2 bridge:         {}\n\n", mosaic_primitives::L2_BRIDGE));
        }
        None => out.push_str("L1 Settlement:     off (--no-l1)\n\n"),
    }
    out.push_str(&format!("RPC URL:           http://{addr}\nWebSocket:         ws://{addr}\n\nListening on {addr}\n"));
    println!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn flags_override_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "port = 9000\nchain_id = 7\nblock_time = \"250ms\"\n").unwrap();
        let args = DevnetArgs { config: Some(path.clone()), port: Some(9100), ..Default::default() };
        let c = DevnetConfig::resolve(&args).unwrap();
        assert_eq!((c.port, c.chain_id, c.block_time.as_str()), (9100, 7, "250ms"));
        std::fs::write(&path, "bogus = 1\n").unwrap();
        assert!(DevnetConfig::resolve(&DevnetArgs { config: Some(path), ..Default::default() }).is_err());
    }
}
