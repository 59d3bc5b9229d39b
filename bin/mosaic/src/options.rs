//! Typed option groups shared by the commands. Each group is one struct that is both a set of flags
//! (`clap::Args`, flattened into every command that needs it) and a table of the TOML config file
//! (`serde`), so an option is declared once: its flag, its type, its default (a constant owned by the
//! crate that uses it) and its file key. A file value is overridden by a flag given on the command line
//! ([`layer`]); every value is parsed into its type before anything is opened, started or deployed.
use alloy_primitives::{Address, B256, U256};
use anyhow::Context;
use clap::{parser::ValueSource, ArgMatches, Args, FromArgMatches};
use mosaic_node::dev;
use mosaic_primitives::ChainConfig;
use mosaic_rollup::producer::{DEFAULT_BATCH_MAX_BLOCKS, DEFAULT_BATCH_MAX_BYTES};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::{path::PathBuf, time::Duration};

/// Default port of the embedded L1's JSON-RPC.
pub(crate) const DEFAULT_L1_PORT: u16 = 8546;
/// Default interface the JSON-RPC servers listen on.
pub(crate) const DEFAULT_HOST: &str = "127.0.0.1";

/// The values a group's flags take when none is given: clap's defaults, so the file's defaults and
/// the flags' can never disagree.
pub(crate) fn clap_defaults<T: Args + FromArgMatches>() -> T {
    let cmd = T::augment_args(clap::Command::new("defaults").no_binary_name(true));
    let matches = cmd.try_get_matches_from(std::iter::empty::<String>()).expect("every option has a default");
    T::from_arg_matches(&matches).expect("defaults parse")
}

macro_rules! clap_default {
    ($($t:ty),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                clap_defaults()
            }
        }
    )*};
}

/// The chain's consensus parameters and genesis accounts: what makes two nodes the same chain.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ChainArgs {
    /// EIP-155 chain id.
    #[arg(long, default_value_t = ChainConfig::default().chain_id)]
    pub chain_id: u64,
    /// Gas limit of every block.
    #[arg(long, default_value_t = ChainConfig::default().block_gas_limit)]
    pub block_gas_limit: u64,
    /// Floor of the EIP-1559 base fee, in wei.
    #[arg(long, default_value_t = ChainConfig::default().min_base_fee)]
    pub min_base_fee: u64,
    /// Most estimated zkVM cycles one block may take (a consensus parameter bound into the config hash
    /// L1 checks; at least 1 M, so a block's 256 deposits and one transaction always fit).
    #[arg(long, default_value_t = ChainConfig::default().proving.block_cycle_budget,
          value_parser = clap::value_parser!(u64).range(1_000_000..))]
    pub block_cycle_budget: u64,
    /// Number of funded dev accounts (printed and unlocked by a devnet; part of the genesis).
    #[arg(long, default_value_t = dev::DEFAULT_DEV_ACCOUNTS)]
    pub accounts: u32,
    /// A geth-style genesis file: its `alloc` (balances, nonces, code, storage) is added to the genesis
    /// state, replacing the dev accounts and predeploys at the same addresses. Its `config.chainId`
    /// must be `--chain-id`. Every node of the chain (and `deploy-l1`) needs the same file.
    #[arg(long)]
    pub genesis: Option<std::path::PathBuf>,
}

impl ChainArgs {
    /// The consensus parameters.
    pub(crate) fn config(&self) -> ChainConfig {
        let mut config = ChainConfig {
            chain_id: self.chain_id,
            block_gas_limit: self.block_gas_limit,
            min_base_fee: self.min_base_fee,
            ..ChainConfig::default()
        };
        config.proving.block_cycle_budget = self.block_cycle_budget;
        config
    }

    /// The accounts of the `--genesis` file (none without one).
    pub(crate) fn genesis_accounts(&self) -> anyhow::Result<Vec<(Address, mosaic_stf::InitialAccount)>> {
        use anyhow::Context;
        let Some(path) = &self.genesis else { return Ok(Vec::new()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: alloy_genesis::Genesis = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a geth-style genesis file", path.display()))?;
        anyhow::ensure!(
            file.config.chain_id == self.chain_id,
            "{} is for chain {}; start with --chain-id {}",
            path.display(),
            file.config.chain_id,
            file.config.chain_id
        );
        Ok(file
            .alloc
            .into_iter()
            .map(|(address, a)| {
                let storage = a.storage.unwrap_or_default().into_iter().map(|(k, v)| (k.into(), v.into())).collect();
                let account = mosaic_stf::InitialAccount {
                    balance: a.balance,
                    nonce: a.nonce.unwrap_or_default(),
                    code: a.code.unwrap_or_default(),
                    storage,
                };
                (address, account)
            })
            .collect())
    }

    /// The genesis allocation: every dev account funded.
    pub(crate) fn genesis_alloc(&self) -> Vec<(Address, U256)> {
        dev::dev_signers(self.accounts).iter().map(|s| (s.address(), dev::dev_balance())).collect()
    }
}

/// The JSON-RPC server.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RpcArgs {
    /// Interface the JSON-RPC server listens on.
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,
    /// JSON-RPC port (HTTP and WebSocket on the same port; GET /metrics serves Prometheus metrics and
    /// /explorer the block explorer; 0 picks a free one).
    #[arg(long, short, default_value_t = mosaic_rpc::DEFAULT_PORT)]
    pub port: u16,
    /// Largest accepted JSON-RPC request body, in bytes.
    #[arg(long, default_value_t = mosaic_rpc::DEFAULT_MAX_REQUEST_SIZE)]
    pub max_request_size: u32,
    /// Do not serve the block explorer (a web page at /explorer on the JSON-RPC port).
    #[arg(long)]
    pub no_explorer: bool,
}

/// Block production and admission.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SequencerArgs {
    /// Time between blocks: `1s`, `500ms`, `1m`, or plain seconds. `0` produces one block per transaction.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    #[serde(with = "duration_text")]
    pub block_time: Duration,
    /// Address that receives priority fees.
    #[arg(long, default_value_t = Address::ZERO)]
    pub fee_recipient: Address,
    /// Largest accepted raw transaction, in bytes.
    #[arg(long, default_value_t = mosaic_node::DEFAULT_MAX_TX_SIZE)]
    pub max_tx_size: usize,
    /// Most transactions the mempool holds.
    #[arg(long, default_value_t = mosaic_mempool::PoolConfig::default().max_txs)]
    pub max_pool_txs: usize,
    /// Admit legacy transactions without EIP-155 replay protection (the keyless deployment transactions
    /// of the CREATE2 deployer, Multicall3, ...). Off by default, as in geth: such a transaction can be
    /// replayed on every chain.
    #[arg(long)]
    pub allow_unprotected_txs: bool,
    /// Run a sequencer set of this many member processes on this machine under BFT consensus, each with
    /// its own database (`<data-dir>/seq-i`), JSON-RPC port (`--port`, then `--port`+6, +7, …) and p2p
    /// port (27000+i); the set file is `<data-dir>/sequencers.toml`. 1 is a single sequencer.
    #[arg(long, default_value_t = 1)]
    pub sequencers: u32,
    /// Order blocks with the sequencer set in this TOML file under BFT consensus (Malachite) instead of
    /// alone: a block is final once more than two thirds of the set committed it. Its `block_time` and
    /// `fee_recipient` replace `--block-time` and `--fee-recipient`. Needs `--validator-key` and, until
    /// a set's batches carry its signatures to L1, `--no-l1`. See docs/running.md.
    #[arg(long)]
    pub sequencer_set: Option<PathBuf>,
    /// This member's secp256k1 consensus key, 32 bytes of hex (one of the set's public keys). Prefer
    /// the environment variable to the command line.
    #[arg(long, env = "MOSAIC_VALIDATOR_KEY", hide_env_values = true)]
    pub validator_key: Option<String>,
    /// Fault injection for security drills: this set member misbehaves on purpose, as a byzantine one
    /// would — `invalid-proposals` (its blocks claim a false state root), `equivocate` (a second,
    /// conflicting vote beside each of its votes); comma-separated. The honest members must refuse its
    /// blocks and record its votes as evidence. Only for a member (`--sequencer-set`) with `--no-l1`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FAULT")]
    pub fault_byzantine: Vec<ByzantineFault>,
    /// Fault injection for crash drills: this set member ends at once, as `kill -9` would, right after
    /// storing its own proposal for block N and before sending it. Only with `--sequencer-set` and `--no-l1`.
    #[arg(long, value_name = "N")]
    pub fault_abort_proposing: Option<u64>,
}

impl SequencerArgs {
    /// The faults the drill flags ask this member to commit (none by default).
    pub(crate) fn faults(&self) -> mosaic_consensus::bft::Faults {
        mosaic_consensus::bft::Faults {
            invalid_proposals: self.fault_byzantine.contains(&ByzantineFault::InvalidProposals),
            equivocate_votes: self.fault_byzantine.contains(&ByzantineFault::Equivocate),
            abort_proposing_at: self.fault_abort_proposing,
        }
    }
}

/// A set member's deliberate misbehaviour (`--fault-byzantine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ByzantineFault {
    /// Propose blocks whose state root is false.
    InvalidProposals,
    /// Sign two conflicting votes at every step.
    Equivocate,
}

/// The L1: embedded (default) or any endpoint.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct L1Args {
    /// Port of the embedded L1's JSON-RPC (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_L1_PORT)]
    pub l1_port: u16,
    /// Use this Ethereum JSON-RPC endpoint as the L1 instead of the embedded one.
    #[arg(long)]
    pub l1_rpc: Option<String>,
    /// L1 contract addresses (JSON from `mosaic deploy-l1`); deployed and written there if missing.
    /// Default: `<data-dir>/l1-contracts.json`.
    #[arg(long)]
    pub l1_contracts: Option<PathBuf>,
    /// Block time of the embedded L1.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    #[serde(with = "duration_text")]
    pub l1_block_time: Duration,
    /// L1 blocks on top before an L1 event counts here (default: 0 embedded, which cannot reorg; 1 external).
    #[arg(long)]
    pub l1_confirmations: Option<u64>,
    /// Private key of the L1 account that deploys and posts batches (default: dev account 10).
    #[arg(long)]
    pub l1_private_key: Option<String>,
    /// Run without any L1: no deposits, no batches.
    #[arg(long)]
    pub no_l1: bool,
}

/// When the producer closes a batch.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct BatchArgs {
    /// Post a partial batch once its oldest block is this old (default: the producer's, checked by a test).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    #[serde(with = "duration_text")]
    pub batch_max_age: Duration,
    /// Most L2 blocks per batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_MAX_BLOCKS)]
    pub batch_max_blocks: u64,
    /// Most bytes of batch data per batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_MAX_BYTES)]
    pub batch_max_bytes: usize,
    /// Fault injection for security drills: commit batch K with a false state root (development L1s
    /// only: chain id 1337 or 31337; refused elsewhere).
    #[arg(long, value_name = "K")]
    pub fault_wrong_root_at: Option<u64>,
    /// JSON-RPC URL of a producer's co-signer (`mosaic node --role producer`), asked to attest each hybrid
    /// batch after re-executing it; repeatable. Each co-signer holds one of the --producers keys: the
    /// last ones (with C co-signers, this process signs with the first N − C keys only).
    #[arg(long, value_name = "URL")]
    pub co_signer: Vec<String>,
}

impl BatchArgs {
    /// The producer's settings.
    pub(crate) fn producer(&self) -> mosaic_rollup::producer::ProducerConfig {
        mosaic_rollup::producer::ProducerConfig {
            max_blocks: self.batch_max_blocks,
            max_bytes: self.batch_max_bytes,
            max_age: self.batch_max_age,
            variant: mosaic_batch::Variant::Signed,
            attesters: Vec::new(),
            co_signers: self.co_signer.clone(),
            fault_wrong_root_at: self.fault_wrong_root_at,
            turn: None,
            fallback: None,
        }
    }
}

/// The terms of a freshly deployed `Rollup`.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RollupTermsArgs {
    /// Settlement mode of a freshly deployed Rollup: hybrid (bonded batches, final after the challenge
    /// window unless defrauded) or zk (every batch final only on a proof).
    #[arg(long, value_enum, default_value_t = mosaic_rollup::Mode::Hybrid)]
    pub mode: mosaic_rollup::Mode,
    /// Challenge window of a freshly deployed hybrid Rollup, seconds.
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_CHALLENGE_WINDOW_SECS)]
    pub challenge_window: u64,
    /// Forced-inclusion deadline of a freshly deployed Rollup, seconds.
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_INCLUSION_DEADLINE_SECS)]
    pub inclusion_deadline: u64,
    /// Bond per batch of a freshly deployed hybrid Rollup, wei.
    #[arg(long, default_value_t = U256::from(mosaic_rollup::DEFAULT_BOND_WEI))]
    pub bond: U256,
    /// Proof window of a challenge against a freshly deployed hybrid Rollup's batch, seconds (a fraud
    /// proof must be made in it).
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_PROOF_WINDOW_SECS)]
    pub proof_window: u64,
    /// Bond per challenge of a freshly deployed hybrid Rollup, wei.
    #[arg(long, default_value_t = U256::from(mosaic_rollup::DEFAULT_CHALLENGER_BOND_WEI))]
    pub challenger_bond: U256,
    /// Seconds between the owner scheduling a freshly deployed hybrid Rollup's switch to zk
    /// (`mosaic switch-to-zk`) and the switch.
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_SWITCH_DELAY_SECS)]
    pub switch_delay: u64,
    /// Stake of each producer that attests hybrid batches, wei.
    #[arg(long, default_value_t = U256::from(mosaic_rollup::DEFAULT_PRODUCER_STAKE_WEI))]
    pub producer_stake: U256,
    /// Seconds without a finalized batch after which anyone may freeze a freshly deployed Rollup and
    /// users withdraw on L1 with proofs of the last finalized state (the escape hatch).
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_FREEZE_DELAY_SECS)]
    pub freeze_delay: u64,
    /// Seconds without a batch from a proposer (or a member of the sequencer set) after which anyone
    /// may commit batches to a freshly deployed Rollup, bonded (the fallback proposer: `mosaic node
    /// --role full --fallback-key K`); it and the challenge and proof windows must fit in --freeze-delay.
    #[arg(long, default_value_t = mosaic_rollup::DEFAULT_FALLBACK_DELAY_SECS)]
    pub fallback_delay: u64,
    /// Producers registered (staked by the deployer) at deployment: keys 20, 21, … of the test mnemonic,
    /// which this process signs with (development chains).
    #[arg(long, default_value_t = 0)]
    pub producers: u32,
    /// Attestations of registered producers each hybrid batch needs (M of --producers N; 0: none).
    #[arg(long, default_value_t = 0)]
    pub attest: u8,
    /// SNARK verifying key (`snark.vk.json` of `mosaic snark setup`) whose program the Rollup's proof
    /// verifier pins, with --halo2-verifier; default: the committed keys.
    #[arg(long, requires = "halo2_verifier")]
    pub snark_vk: Option<PathBuf>,
    /// The `Halo2Verifier` generated with --snark-vk's keys, as a JSON artifact with its `bytecode`.
    #[arg(long, requires = "snark_vk")]
    pub halo2_verifier: Option<PathBuf>,
    /// Deploy no SNARK verifier: a hybrid Rollup whose batches cannot be challenged.
    #[arg(long)]
    pub no_proof_verifier: bool,
    /// Allow a proof verifier made from the development KZG setup (a known secret) on an L1 that is not
    /// a development chain (chain id 1337 or 31337).
    #[arg(long)]
    pub insecure_dev_srs: bool,
    /// Allow terms fit only for development chains on an L1 that is not one (chain id 1337 or 31337):
    /// a challenge or proof window under an hour, a switch delay under 15 min, a zero bond or stake in
    /// Hybrid. Without it such a deployment is refused, naming what to set.
    #[arg(long)]
    pub allow_unsafe_terms: bool,
    /// SNARK verifying key of the aggregation program (`mosaic snark setup --program aggregate`): the
    /// Rollup's aggregate verifier, so one proof finalizes a range of zk batches. With
    /// --aggregate-halo2-verifier and --aggregate-batch-program; default: the committed aggregation keys
    /// (none with --no-proof-verifier).
    #[arg(long)]
    pub aggregate_vk: Option<PathBuf>,
    /// The `Halo2Verifier` generated with --aggregate-vk's keys, as a JSON artifact with its `bytecode`.
    #[arg(long)]
    pub aggregate_halo2_verifier: Option<PathBuf>,
    /// The batch program id the aggregate proofs aggregate (printed by `mosaic snark setup --program
    /// aggregate`, and written to `batch-program` in its keys folder).
    #[arg(long)]
    pub aggregate_batch_program: Option<B256>,
}

/// A SNARK verifier from a verifying key (`snark.vk.json`) and its compiled `Halo2Verifier` artifact.
fn snark_verifier(
    vk: &[u8],
    vk_origin: &str,
    artifact: &[u8],
    artifact_origin: &str,
) -> anyhow::Result<mosaic_rollup::ProofVerifier> {
    let vk = mosaic_snark::SnarkVerifyingKey::from_json(vk, vk_origin)?;
    #[derive(Deserialize)]
    struct Artifact {
        bytecode: alloy_primitives::Bytes,
    }
    let Artifact { bytecode } = serde_json::from_slice(artifact)
        .with_context(|| format!("{artifact_origin}: not a contract artifact with a `bytecode`"))?;
    Ok(mosaic_rollup::ProofVerifier {
        halo2_bytecode: bytecode,
        app_exe_commit: vk.app_exe_commit,
        app_vm_commit: vk.app_vm_commit,
        dev_srs: vk.dev_srs,
    })
}

/// The committed SNARK keys' verifying key and their generated Solidity verifier: the default proof
/// verifier of a deployment (made from the development KZG setup).
const COMMITTED_SNARK_VK: &str = include_str!("../../../crates/snark/fixtures/batch.vk.json");
const COMMITTED_HALO2_VERIFIER: &str = include_str!("../../../contracts/artifacts/Halo2Verifier.json");
/// The same for the aggregation program, and the batch program its committed keys aggregate.
const COMMITTED_AGGREGATE_VK: &str = include_str!("../../../crates/snark/fixtures/aggregate.vk.json");
const COMMITTED_AGGREGATE_HALO2_VERIFIER: &str =
    include_str!("../../../contracts/artifacts/AggregateHalo2Verifier.json");
const COMMITTED_AGGREGATE_BATCH_PROGRAM: &str = include_str!("../../../crates/snark/fixtures/aggregate.batch-program");

/// First index in the test mnemonic of the development producer keys.
const DEV_PRODUCER_KEY: u32 = 20;

impl RollupTermsArgs {
    /// What a deployment with these terms stakes and allows: --producers' keys with --attest, unless a
    /// sequencer set's members and quorum (`sequencer_set`) take their place.
    pub(crate) fn deploy_settings(
        &self,
        sequencer_set: Option<crate::settlement::SetDeployment>,
    ) -> anyhow::Result<crate::settlement::DeploySettings> {
        Ok(crate::settlement::DeploySettings {
            terms: self.terms(),
            proof_verifier: self.proof_verifier()?,
            insecure_dev_srs: self.insecure_dev_srs,
            allow_unsafe_terms: self.allow_unsafe_terms,
            aggregate_verifier: self.aggregate_verifier()?,
            producers: (self.producer_keys()?.iter().map(|k| k.address()).collect(), self.attest),
            inclusion_deadline: self.inclusion_deadline,
            mode: self.mode,
            sequencer_set,
        })
    }

    /// The development producer keys this process attests with (--producers N); refuses an --attest
    /// larger than N.
    pub(crate) fn producer_keys(&self) -> anyhow::Result<Vec<alloy_signer_local::PrivateKeySigner>> {
        if u32::from(self.attest) > self.producers {
            anyhow::bail!("--attest {} needs at least as many --producers (have {})", self.attest, self.producers);
        }
        Ok(dev::dev_signers(DEV_PRODUCER_KEY + self.producers).split_off(DEV_PRODUCER_KEY as usize))
    }

    /// The SNARK verifier to deploy: --snark-vk and --halo2-verifier, or the committed keys; `None`
    /// with --no-proof-verifier.
    pub(crate) fn proof_verifier(&self) -> anyhow::Result<Option<mosaic_rollup::ProofVerifier>> {
        if self.no_proof_verifier {
            return Ok(None);
        }
        let (vk, vk_origin, artifact, artifact_origin) = match (&self.snark_vk, &self.halo2_verifier) {
            (Some(vk), Some(halo2)) => (
                std::fs::read(vk).with_context(|| format!("reading {}", vk.display()))?,
                vk.display().to_string(),
                std::fs::read(halo2).with_context(|| format!("reading {}", halo2.display()))?,
                halo2.display().to_string(),
            ),
            (None, None) => (
                COMMITTED_SNARK_VK.as_bytes().to_vec(),
                "the committed SNARK key".to_string(),
                COMMITTED_HALO2_VERIFIER.as_bytes().to_vec(),
                "the committed Halo2Verifier".to_string(),
            ),
            _ => anyhow::bail!("--snark-vk and --halo2-verifier go together"),
        };
        Ok(Some(snark_verifier(&vk, &vk_origin, &artifact, &artifact_origin)?))
    }

    /// The aggregate verifier to set: --aggregate-vk, --aggregate-halo2-verifier and the batch program id
    /// --aggregate-batch-program, all or none; none given: the committed aggregation keys' (none with
    /// --no-proof-verifier).
    pub(crate) fn aggregate_verifier(&self) -> anyhow::Result<Option<(mosaic_rollup::ProofVerifier, B256)>> {
        let (vk, halo2, program) =
            match (&self.aggregate_vk, &self.aggregate_halo2_verifier, self.aggregate_batch_program) {
                (None, None, None) if self.no_proof_verifier => return Ok(None),
                (None, None, None) => {
                    let v = snark_verifier(
                        COMMITTED_AGGREGATE_VK.as_bytes(),
                        "the committed aggregate SNARK key",
                        COMMITTED_AGGREGATE_HALO2_VERIFIER.as_bytes(),
                        "the committed aggregate Halo2Verifier",
                    )?;
                    let program = COMMITTED_AGGREGATE_BATCH_PROGRAM
                        .trim()
                        .parse()
                        .context("crates/snark/fixtures/aggregate.batch-program: not a 32-byte hash")?;
                    return Ok(Some((v, program)));
                }
                (Some(vk), Some(halo2), Some(program)) => (vk, halo2, program),
                _ => anyhow::bail!(
                    "--aggregate-vk, --aggregate-halo2-verifier and --aggregate-batch-program go together"
                ),
            };
        let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
        let v = snark_verifier(&read(vk)?, &vk.display().to_string(), &read(halo2)?, &halo2.display().to_string())?;
        Ok(Some((v, program)))
    }

    /// The hybrid game's terms.
    pub(crate) fn terms(&self) -> mosaic_rollup::HybridTerms {
        mosaic_rollup::HybridTerms {
            challenge_window: self.challenge_window,
            proof_window: self.proof_window,
            bond: self.bond,
            challenger_bond: self.challenger_bond,
            switch_delay: self.switch_delay,
            producer_stake: self.producer_stake,
            freeze_delay: self.freeze_delay,
            fallback_delay: self.fallback_delay,
        }
    }
}

/// Where the devnet proves its batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProverBackend {
    /// No background prover.
    Off,
    /// OpenVM's CPU prover (a `mosaic` built with `--features prover`).
    Cpu,
}

/// The devnet's background prover.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProverArgs {
    /// Prove every committed batch in the background, one at a time: `cpu` (needs a mosaic built with
    /// `--features prover`) or `off`. Proofs go to `<data-dir>/proofs/`; `mosaic_getBatch` reports them.
    #[arg(long, value_enum, default_value_t = ProverBackend::Off)]
    pub prover: ProverBackend,
    /// With `--prover cpu`: aggregate each batch's segment proofs into one recursive STARK.
    #[arg(long)]
    pub prover_recursive: bool,
    /// With `--prover cpu`: the guest ELF (`scripts/build-guest.sh` writes it).
    #[arg(long, default_value = crate::prove::DEFAULT_GUEST_ELF)]
    pub prover_guest: PathBuf,
    /// With `--prover cpu`: cut execution into another segment at this much estimated proving memory,
    /// GiB (segments are proven one at a time, so this bounds the prover's memory).
    #[arg(long, default_value_t = crate::prove::DEFAULT_SEGMENT_MEMORY_GIB)]
    pub prover_segment_memory_gib: u64,
    /// Folder of SNARKs named `<journal hash>.snark` — of one batch, or of an aggregate of a range —
    /// that the finalizer posts to L1 as they appear (`mosaic snark wrap` writes them). Default:
    /// `<data-dir>/validity-proofs`.
    #[arg(long)]
    pub validity_proofs: Option<PathBuf>,
    /// L1 key the finalizer sends proofs from (default: dev account 11 of the test mnemonic, funded on
    /// the embedded L1).
    #[arg(long)]
    pub finalizer_key: Option<String>,
    /// Run no finalizer (proofs are then posted by someone else, or batches finalize by window only).
    #[arg(long)]
    pub no_finalizer: bool,
    /// Prove every zk batch for L1 in the background (a `mosaic` built with `--features prover`): its
    /// recursive STARK, runs of up to --validity-max-range batches aggregated, the aggregate wrapped into
    /// one SNARK in --validity-proofs, which the finalizer posts. Jobs in --prover-queue.
    #[arg(long)]
    pub prove_validity: bool,
    /// With --prove-validity: SNARK keys of the batch program. Default: `<data-dir>/snark/batch`.
    #[arg(long)]
    pub snark_keys: Option<PathBuf>,
    /// With --prove-validity: SNARK keys of the aggregation program; where they are missing each batch is
    /// wrapped alone (for `proveBatch`). Default: `<data-dir>/snark/aggregate`.
    #[arg(long)]
    pub aggregate_keys: Option<PathBuf>,
    /// With --prove-validity: the aggregation guest ELF.
    #[arg(long, default_value = crate::prove::DEFAULT_AGGREGATE_ELF)]
    pub aggregate_guest: PathBuf,
    /// With --prove-validity: most batches per aggregate proof (≈ 2.4k L1 gas each beyond the first).
    #[arg(long, default_value_t = 16)]
    pub validity_max_range: u64,
    /// With --prove-validity: the proof job queue — `postgres://user@host/db` to share it with a fleet of
    /// `mosaic prover worker`s. Default: embedded in the data dir (`prover-queue.redb`).
    #[arg(long)]
    pub prover_queue: Option<String>,
    /// With --prove-validity: where the node and its workers share witnesses and proofs — a folder (a
    /// shared mount for workers on other machines) or `s3://bucket[/prefix]` (credentials and endpoint
    /// from the standard `AWS_*` variables). Default: `<data-dir>/prover-artifacts`.
    #[arg(long)]
    pub prover_artifacts: Option<String>,
    /// With --prove-validity: prover workers inside this process (0: only `mosaic prover worker`s
    /// prove, and this node needs no OpenVM).
    #[arg(long, default_value_t = 1)]
    pub prover_workers: u32,
    /// With --prove-validity: split each batch's recursive STARK into this many jobs, each proving a
    /// group of its execution segments (cut at --prover-segment-memory-gib), joined by the batch's job —
    /// so that several workers prove one long batch side by side (1: one job per batch).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub prover_segment_jobs: u32,
}

clap_default!(ChainArgs, RpcArgs, SequencerArgs, L1Args, BatchArgs, RollupTermsArgs, ProverArgs);

/// `file` with every value that was given on the command line (or through the environment) in `cli`
/// put over it. Both sides are the same typed structure; a leaf's key is its flag's id.
pub(crate) fn layer<T: Serialize + DeserializeOwned>(file: &T, cli: &T, matches: &ArgMatches) -> anyhow::Result<T> {
    let mut merged = serde_json::to_value(file)?;
    overlay(&mut merged, &serde_json::to_value(cli)?, matches);
    Ok(serde_json::from_value(merged)?)
}

fn overlay(into: &mut serde_json::Value, from: &serde_json::Value, matches: &ArgMatches) {
    let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) else { return };
    for (key, value) in from {
        if value.is_object() {
            if let Some(slot) = into.get_mut(key) {
                overlay(slot, value, matches);
            }
        } else if matches!(
            matches.try_contains_id(key).ok().and_then(|_| matches.value_source(key)),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            into.insert(key.clone(), value.clone());
        }
    }
}

/// Durations in the TOML file as text (`"1s"`, `"500ms"`, `"2"`) or plain seconds, read by
/// [`parse_duration`].
mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Str(String),
            Secs(f64),
        }
        match Text::deserialize(d)? {
            Text::Str(s) => super::parse_duration(&s).map_err(serde::de::Error::custom),
            Text::Secs(v) => super::parse_duration(&v.to_string()).map_err(serde::de::Error::custom),
        }
    }
}

/// Parses a duration: plain seconds (`2`, `0.25`, `0`) or humantime's forms (`1s`, `500ms`, `1m 30s`).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(v).map_err(|_| format!("invalid duration `{s}`"));
    }
    humantime::parse_duration(s).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("0.25").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn defaults_come_from_the_crates_that_use_them() {
        let b = BatchArgs::default();
        let p = mosaic_rollup::producer::ProducerConfig::default();
        assert_eq!((b.batch_max_age, b.batch_max_blocks, b.batch_max_bytes), (p.max_age, p.max_blocks, p.max_bytes));
        assert_eq!(RollupTermsArgs::default().bond, U256::from(mosaic_rollup::DEFAULT_BOND_WEI));
        assert_eq!(ChainArgs::default().config(), ChainConfig::default());
        assert_eq!(SequencerArgs::default().block_time, Duration::from_secs(1));
        assert_eq!(L1Args::default().l1_block_time, Duration::from_secs(1));
        assert_eq!(RpcArgs::default().host, DEFAULT_HOST);
        assert_eq!(RollupTermsArgs::default().terms(), mosaic_rollup::HybridTerms::default());
    }

    #[test]
    fn the_default_proof_verifier_is_the_committed_keys() {
        let v = RollupTermsArgs::default().proof_verifier().unwrap().expect("a proof verifier by default");
        let vk = mosaic_snark::SnarkVerifyingKey::from_json(COMMITTED_SNARK_VK.as_bytes(), "vk").unwrap();
        assert_eq!((v.app_exe_commit, v.app_vm_commit), (vk.app_exe_commit, vk.app_vm_commit));
        assert!(v.dev_srs, "the committed keys come from the development setup");
        assert!(v.halo2_bytecode.len() > 18_000, "the generated verifier's creation code");
        let off = RollupTermsArgs { no_proof_verifier: true, ..RollupTermsArgs::default() };
        assert!(off.proof_verifier().unwrap().is_none());
        let half = RollupTermsArgs { snark_vk: Some("vk.json".into()), ..RollupTermsArgs::default() };
        assert!(half.proof_verifier().unwrap_err().to_string().contains("go together"));
        let missing = RollupTermsArgs {
            snark_vk: Some("/nonexistent/vk.json".into()),
            halo2_verifier: Some("/nonexistent/h.json".into()),
            ..RollupTermsArgs::default()
        };
        assert!(missing.proof_verifier().unwrap_err().to_string().contains("/nonexistent/vk.json"));
    }
}
