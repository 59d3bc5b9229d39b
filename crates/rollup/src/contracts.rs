//! Bindings for the L1 contracts (generated from `contracts/artifacts`, so building needs no Solidity
//! compiler), their deployment, and the L2 genesis they pin.
use crate::l1::{L1Client, L1Error};
use alloy::{network::TransactionBuilder, primitives::U256, providers::Provider};
use alloy_primitives::{Address, Bytes, B256};
use mosaic_primitives::ChainConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Generated bindings mirror the Solidity signatures (constructors and calls with many parameters);
/// their docs are the contracts' NatSpec, which not every generated item carries.
#[allow(clippy::too_many_arguments, missing_docs)]
mod bindings {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        Rollup,
        "../../contracts/artifacts/Rollup.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        Bridge,
        "../../contracts/artifacts/Bridge.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        AttestationVerifier,
        "../../contracts/artifacts/AttestationVerifier.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        L2Bridge,
        "../../contracts/artifacts/L2Bridge.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        SnarkVerifier,
        "../../contracts/artifacts/SnarkVerifier.json"
    );
}
pub use bindings::{AttestationVerifier, Bridge, L2Bridge, Rollup, SnarkVerifier};

/// Runtime code of the L2 bridge predeploy, installed at [`mosaic_primitives::L2_BRIDGE`] at genesis.
pub fn l2_bridge_runtime() -> Bytes {
    L2Bridge::DEPLOYED_BYTECODE.clone()
}

/// Where the settlement contracts live; `mosaic deploy-l1` writes it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Contracts {
    /// `Rollup` (batches, state roots, finalization).
    pub rollup: Address,
    /// `Bridge` (deposit queue, withdrawals).
    pub bridge: Address,
    /// The producers' M-of-N `AttestationVerifier` (the Rollup's verifier in a zk deployment that has no
    /// SNARK verifier).
    pub verifier: Address,
    /// The `SnarkVerifier` the Rollup checks validity and fraud proofs with, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_verifier: Option<Address>,
    /// The `SnarkVerifier` of aggregate proofs (`Rollup.finalizeRange`), if one was set at deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate_verifier: Option<Address>,
    /// Chain id of the L1.
    pub l1_chain_id: u64,
    /// L1 block the contracts were deployed in (where log scans start).
    pub deployed_at: u64,
}

impl L1Contracts {
    /// Reads a file written by [`L1Contracts::save`].
    pub fn load(path: &Path) -> Result<Self, L1Error> {
        let text = std::fs::read_to_string(path).map_err(|e| L1Error::Config(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| L1Error::Config(format!("{}: {e}", path.display())))
    }

    /// Writes the addresses as pretty JSON (atomically: a crash leaves the old file or the new one).
    pub fn save(&self, path: &Path) -> Result<(), L1Error> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| L1Error::Config(e.to_string()))?;
        std::fs::write(&tmp, text + "\n")
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| L1Error::Config(e.to_string()))
    }
}

/// Settlement mode of the `Rollup` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Batches finalize after a challenge window; proposers post bonds.
    Hybrid,
    /// Batches finalize with a verified proof.
    Zk,
}

/// Default challenge window of a freshly deployed hybrid `Rollup`, seconds (a devnet's; production
/// windows are days).
pub const DEFAULT_CHALLENGE_WINDOW_SECS: u64 = 10;
/// Default bond per hybrid batch, wei (0.1 ETH).
pub const DEFAULT_BOND_WEI: u128 = 100_000_000_000_000_000;
/// Default proof window of a hybrid challenge, seconds: a fraud proof (the batch's recursive STARK and
/// the SNARK wrap) must fit in it — 48 min from challenge to `proveFraud` on a 2-core machine that also
/// runs the devnet (`scripts/e2e-security.sh`, docs/benchmarks.md), so 2 h leaves room for a retry.
pub const DEFAULT_PROOF_WINDOW_SECS: u64 = 7200;
/// Default challenger bond, wei (0.05 ETH).
pub const DEFAULT_CHALLENGER_BOND_WEI: u128 = 50_000_000_000_000_000;
/// Default stake of a producer that attests hybrid batches, wei (0.1 ETH).
pub const DEFAULT_PRODUCER_STAKE_WEI: u128 = 100_000_000_000_000_000;
/// Default delay between scheduling the switch to zk and the switch, seconds (a devnet's; a production
/// delay gives users time to react, days).
pub const DEFAULT_SWITCH_DELAY_SECS: u64 = 30;
/// Default time without a finalized batch after which anyone may freeze the `Rollup` and users leave
/// through the escape hatch, seconds (7 days: the operators' outage must be long and unmistakable).
pub const DEFAULT_FREEZE_DELAY_SECS: u64 = 7 * 24 * 3600;
/// Default time without a proposer's (or set member's) commit after which anyone bonded may commit
/// batches, seconds (1 day: the fallback proposer's batches still finalize well before a freeze).
pub const DEFAULT_FALLBACK_DELAY_SECS: u64 = 24 * 3600;

/// The terms of the hybrid game a `Rollup` is deployed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HybridTerms {
    /// Seconds a batch can be challenged after its commitment (and waits before it finalizes).
    pub challenge_window: u64,
    /// Seconds a challenge waits for a fraud proof.
    pub proof_window: u64,
    /// Bond posted with every batch, wei.
    pub bond: U256,
    /// Bond posted with every challenge, wei.
    pub challenger_bond: U256,
    /// Seconds between scheduling the switch to zk and the switch.
    pub switch_delay: u64,
    /// Stake of each producer that attests batches, wei.
    pub producer_stake: U256,
    /// Seconds without a finalized batch after which anyone may freeze the Rollup (the escape hatch);
    /// more than the challenge and proof windows together.
    pub freeze_delay: u64,
    /// Seconds without a proposer's commit after which anyone may commit, bonded (the fallback
    /// proposer); with the challenge and proof windows, less than `freeze_delay`.
    pub fallback_delay: u64,
}

impl Default for HybridTerms {
    fn default() -> Self {
        Self {
            challenge_window: DEFAULT_CHALLENGE_WINDOW_SECS,
            proof_window: DEFAULT_PROOF_WINDOW_SECS,
            bond: U256::from(DEFAULT_BOND_WEI),
            challenger_bond: U256::from(DEFAULT_CHALLENGER_BOND_WEI),
            switch_delay: DEFAULT_SWITCH_DELAY_SECS,
            producer_stake: U256::from(DEFAULT_PRODUCER_STAKE_WEI),
            freeze_delay: DEFAULT_FREEZE_DELAY_SECS,
            fallback_delay: DEFAULT_FALLBACK_DELAY_SECS,
        }
    }
}

/// `value` as a Solidity `uint96`, or a configuration error naming `what`.
fn uint96(value: U256, what: &str) -> Result<alloy::primitives::Uint<96, 2>, L1Error> {
    if value.bit_len() > 96 {
        return Err(L1Error::Config(format!("{what} does not fit in 96 bits")));
    }
    let limbs = value.as_limbs();
    Ok(alloy::primitives::Uint::<96, 2>::from_limbs([limbs[0], limbs[1]]))
}
/// Default forced-inclusion deadline of a deposit, seconds.
pub const DEFAULT_INCLUSION_DEADLINE_SECS: u64 = 600;

/// L1 chain ids of development chains (the embedded L1, anvil), where a verifier made from the development
/// KZG setup — whose secret is known, so anyone can forge proofs for it — may be deployed.
pub const DEV_L1_CHAIN_IDS: [u64; 2] = [1337, 31337];

/// Least challenge window, proof window and switch delay of a deployment on an L1 that is not a
/// development chain: a verifier must see a commit and challenge it, a prover must prove a batch and
/// wrap it (≈ 50 min on a CPU), and a scheduled change must be final on L1 (64 blocks, ≈ 13 min)
/// before anyone acts on it.
pub const MIN_CHALLENGE_WINDOW_SECS: u64 = 3600;
/// See [`MIN_CHALLENGE_WINDOW_SECS`].
pub const MIN_PROOF_WINDOW_SECS: u64 = 3600;
/// See [`MIN_CHALLENGE_WINDOW_SECS`].
pub const MIN_SWITCH_DELAY_SECS: u64 = 900;

/// What in `terms` only a development chain should run with (the defaults are such terms: a devnet's
/// seconds-long windows): windows and delays under the `MIN_*` floors, and in Hybrid a batch bond, a
/// challenger bond or a producer stake of 0 (a lie, a griefing challenge or a false attestation that
/// costs nothing). Empty when the terms are fit for a public L1.
pub fn unsafe_terms(terms: &HybridTerms, mode: Mode) -> Vec<String> {
    let mut out = Vec::new();
    let floors = [
        ("--challenge-window", terms.challenge_window, MIN_CHALLENGE_WINDOW_SECS),
        ("--proof-window", terms.proof_window, MIN_PROOF_WINDOW_SECS),
        ("--switch-delay", terms.switch_delay, MIN_SWITCH_DELAY_SECS),
    ];
    for (flag, value, min) in floors {
        if value < min {
            out.push(format!("{flag} {value} s is under {min} s"));
        }
    }
    if mode == Mode::Hybrid {
        for (flag, value) in [
            ("--bond", terms.bond),
            ("--challenger-bond", terms.challenger_bond),
            ("--producer-stake", terms.producer_stake),
        ] {
            if value.is_zero() {
                out.push(format!("{flag} is 0"));
            }
        }
    }
    out
}

/// The SNARK verifier a `Rollup` checks validity and fraud proofs with: the generated `Halo2Verifier`
/// for one set of SNARK keys, and the program (OpenVM's commitments) the proofs must be of.
#[derive(Debug, Clone)]
pub struct ProofVerifier {
    /// Creation bytecode of the generated `Halo2Verifier`.
    pub halo2_bytecode: Bytes,
    /// OpenVM's `app_exe_commit` of the batch program.
    pub app_exe_commit: B256,
    /// OpenVM's `app_vm_commit` of the batch program.
    pub app_vm_commit: B256,
    /// Whether the keys were made from the development KZG setup (a known secret).
    pub dev_srs: bool,
}

/// What `deploy` needs to know.
#[derive(Debug, Clone)]
pub struct DeployParams {
    /// Settlement mode.
    pub mode: Mode,
    /// L2 chain id (part of every public-inputs hash).
    pub l2_chain_id: u64,
    /// `mosaic_witness::config_hash` of the L2's consensus parameters (part of every public-inputs hash).
    pub l2_config_hash: B256,
    /// L2 genesis state root and block hash (batch 0).
    pub genesis: (B256, B256),
    /// The hybrid game's windows and bonds.
    pub terms: HybridTerms,
    /// Seconds after which an unconsumed deposit must be in the next batch (forced inclusion).
    pub inclusion_deadline: u64,
    /// Accounts allowed to commit batches.
    pub proposers: Vec<Address>,
    /// Attestation signers of the verifier (M-of-N) and the threshold M.
    pub attesters: (Vec<Address>, u64),
    /// Producers the deployer stakes for, and how many of them must attest each hybrid batch.
    pub producers: (Vec<Address>, u8),
    /// A sequencer set's genesis members, named on the Rollup (`initMembers`): they may commit, and
    /// each hybrid batch needs a quorum of them; later changes go through `scheduleMember`. Empty: no set.
    pub members: Vec<Address>,
    /// The SNARK verifier to deploy with the Rollup (Hybrid without one: no challenges; Zk without one:
    /// the attestation verifier finalizes).
    pub proof_verifier: Option<ProofVerifier>,
    /// Deploy a development-setup verifier on an L1 that is not a development chain.
    pub insecure_dev_srs: bool,
    /// Deploy terms below [`unsafe_terms`]' floors on an L1 that is not a development chain.
    pub allow_unsafe_terms: bool,
    /// The SNARK verifier of the aggregation program and the batch program id its proofs aggregate
    /// (`mosaic_prover::aggregate::program_id`), set as the Rollup's aggregate verifier (one proof
    /// finalizes a range of zk batches).
    pub aggregate_verifier: Option<(ProofVerifier, B256)>,
}

/// Deploys verifier, rollup and bridge from the client's account (which becomes the owner) and wires
/// them together. All five transactions go out at once with consecutive nonces (the addresses are
/// known in advance), so a deployment takes one L1 block; then it waits for every receipt.
pub async fn deploy(l1: &L1Client, p: &DeployParams) -> Result<L1Contracts, L1Error> {
    let provider = l1.provider();
    let owner = l1.address();
    let l1_chain_id = provider.get_chain_id().await?;
    for v in p.proof_verifier.iter().chain(p.aggregate_verifier.as_ref().map(|(v, _)| v)) {
        if v.dev_srs && !DEV_L1_CHAIN_IDS.contains(&l1_chain_id) && !p.insecure_dev_srs {
            return Err(L1Error::Config(format!(
                "the SNARK keys come from the development KZG setup, whose secret is known: anyone could forge \
                 proofs on L1 chain {l1_chain_id}. Make keys from the public Powers-of-Tau files (docs/running.md, \
                 \"SNARK\"), or pass --insecure-dev-srs for a throwaway test chain"
            )));
        }
    }
    let unsafe_terms = unsafe_terms(&p.terms, p.mode);
    if !unsafe_terms.is_empty() && !DEV_L1_CHAIN_IDS.contains(&l1_chain_id) && !p.allow_unsafe_terms {
        return Err(L1Error::Config(format!(
            "these terms are for development chains, not L1 chain {l1_chain_id}: {}. Set them (mosaic deploy-l1 \
             --help), or pass --allow-unsafe-terms for a throwaway test chain",
            unsafe_terms.join("; ")
        )));
    }
    let t = &p.terms;
    let game = u128::from(t.fallback_delay) + u128::from(t.challenge_window) + u128::from(t.proof_window);
    if t.fallback_delay == 0 || u128::from(t.freeze_delay) <= game {
        return Err(L1Error::Config(format!(
            "the freeze delay ({} s) must exceed the fallback delay ({} s, not 0) plus the challenge and proof \
             windows ({} s + {} s): a fallback proposer's batch must be able to finalize before a freeze",
            t.freeze_delay, t.fallback_delay, t.challenge_window, t.proof_window
        )));
    }
    let deployed_at = provider.get_block_number().await?;
    let nonce = provider.get_transaction_count(owner).pending().await?;
    let (verifier, rollup, bridge) = (owner.create(nonce), owner.create(nonce + 1), owner.create(nonce + 2));
    // The proof verifier goes after the wiring: its two contracts take the nonces after the proposers'.
    let after_wiring = nonce + 4 + p.proposers.len() as u64;
    let proof_verifier = p.proof_verifier.as_ref().map(|_| owner.create(after_wiring + 1));
    let mode = match p.mode {
        Mode::Hybrid => 0u8,
        Mode::Zk => 1u8,
    };
    let terms = Rollup::HybridTerms {
        challengeWindow: p.terms.challenge_window,
        proofWindow: p.terms.proof_window,
        bondAmount: uint96(p.terms.bond, "bond")?,
        challengerBond: uint96(p.terms.challenger_bond, "challenger bond")?,
        switchDelay: p.terms.switch_delay,
        producerStake: uint96(p.terms.producer_stake, "producer stake")?,
        freezeDelay: p.terms.freeze_delay,
        fallbackDelay: p.terms.fallback_delay,
    };
    // With a SNARK verifier the Rollup checks every proof with it. Without one a Hybrid Rollup has no
    // game (an attestation of the producers themselves must not count as a validity or fraud proof),
    // and a Zk one falls back to the producers' attestations.
    let rollup_verifier = match (proof_verifier, p.mode) {
        (Some(v), _) => v,
        (None, Mode::Hybrid) => Address::ZERO,
        (None, Mode::Zk) => verifier,
    };
    let mut pending = Vec::new();
    pending.push(
        AttestationVerifier::deploy_builder(provider, p.attesters.0.clone(), U256::from(p.attesters.1))
            .nonce(nonce)
            .gas(3_000_000)
            .send()
            .await?,
    );
    pending.push(
        Rollup::deploy_builder(
            provider,
            owner,
            rollup_verifier,
            mode,
            p.l2_chain_id,
            p.l2_config_hash,
            p.genesis.0,
            p.genesis.1,
            terms,
            p.inclusion_deadline,
        )
        .nonce(nonce + 1)
        .gas(8_000_000)
        .send()
        .await?,
    );
    pending.push(Bridge::deploy_builder(provider, rollup).nonce(nonce + 2).gas(5_000_000).send().await?);
    let r = Rollup::new(rollup, provider.clone());
    pending.push(r.setBridge(bridge).nonce(nonce + 3).gas(200_000).send().await?);
    for (i, proposer) in p.proposers.iter().enumerate() {
        pending.push(r.setProposer(*proposer, true).nonce(nonce + 4 + i as u64).gas(200_000).send().await?);
    }
    let mut next_nonce = after_wiring;
    // A SNARK verifier is two contracts: the generated Halo2Verifier, and SnarkVerifier over it pinning
    // the program.
    let deploy_snark_verifier = async |v: &ProofVerifier, at: u64| -> Result<_, L1Error> {
        let halo2 = owner.create(at);
        let code = alloy::rpc::types::TransactionRequest::default()
            .with_deploy_code(v.halo2_bytecode.clone())
            .with_nonce(at)
            .with_gas_limit(8_000_000);
        let a = provider.send_transaction(code).await?;
        let b = SnarkVerifier::deploy_builder(provider, halo2, v.app_exe_commit, v.app_vm_commit)
            .nonce(at + 1)
            .gas(1_000_000)
            .send()
            .await?;
        Ok((owner.create(at + 1), [a, b]))
    };
    if let Some(v) = &p.proof_verifier {
        pending.extend(deploy_snark_verifier(v, after_wiring).await?.1);
        next_nonce += 2;
    }
    let mut aggregate_verifier = None;
    if let Some((v, batch_program)) = &p.aggregate_verifier {
        let (address, txs) = deploy_snark_verifier(v, next_nonce).await?;
        pending.extend(txs);
        let set = r.setAggregateVerifier(address, *batch_program).nonce(next_nonce + 2).gas(200_000);
        pending.push(set.send().await?);
        next_nonce += 3;
        aggregate_verifier = Some(address);
    }
    for producer in &p.producers.0 {
        let call = r.registerProducer(*producer).value(p.terms.producer_stake);
        pending.push(call.nonce(next_nonce).gas(200_000).send().await?);
        next_nonce += 1;
    }
    if p.producers.1 > 0 {
        pending.push(r.setAttestThreshold(p.producers.1).nonce(next_nonce).gas(300_000).send().await?);
        next_nonce += 1;
    }
    if !p.members.is_empty() {
        let gas = 100_000 + 60_000 * p.members.len() as u64;
        pending.push(r.initMembers(p.members.clone()).nonce(next_nonce).gas(gas).send().await?);
    }
    for tx in pending {
        l1.confirm(tx).await?;
    }
    Ok(L1Contracts { rollup, bridge, verifier, proof_verifier, aggregate_verifier, l1_chain_id, deployed_at })
}

/// Checks that `c` points at live contracts pinning the L2 `genesis` (state root, block hash) and
/// consensus parameters (`config_hash`).
pub async fn check_deployment(
    l1: &L1Client,
    c: &L1Contracts,
    genesis: (B256, B256),
    config_hash: B256,
) -> Result<(), L1Error> {
    let provider = l1.provider();
    if provider.get_chain_id().await? != c.l1_chain_id {
        return Err(L1Error::Config(format!("L1 chain id is not {} as the contracts file says", c.l1_chain_id)));
    }
    if provider.get_code_at(c.rollup).await?.is_empty() {
        return Err(L1Error::Config(format!("no Rollup contract at {} on this L1", c.rollup)));
    }
    let g = Rollup::new(c.rollup, provider.clone()).batch(0).call().await?;
    if (g.postStateRoot, g.lastBlockHash) != genesis {
        return Err(L1Error::Config(format!(
            "Rollup at {} pins another L2 genesis (root {}, block {}); this node has root {}, block {}",
            c.rollup, g.postStateRoot, g.lastBlockHash, genesis.0, genesis.1
        )));
    }
    let pinned = Rollup::new(c.rollup, provider.clone()).l2ConfigHash().call().await?;
    if pinned != config_hash {
        return Err(L1Error::Config(format!(
            "Rollup at {} pins other L2 consensus parameters (config hash {pinned}, this node has {config_hash}): \
             same gas limit and base-fee rules?",
            c.rollup
        )));
    }
    Ok(())
}

/// The L2 genesis (state root, block hash) for `chain` with `alloc` — what a fresh node writes, computed
/// in memory so `deploy-l1` can pin it without a database.
pub fn l2_genesis(
    chain: &ChainConfig,
    alloc: &[(Address, alloy_primitives::U256)],
    accounts: &[(Address, mosaic_stf::InitialAccount)],
) -> Result<(B256, B256), L1Error> {
    let nodes = mosaic_trie::MemoryNodeStore::new();
    let built = mosaic_stf::genesis(&nodes, chain, alloc, &predeploys(chain.chain_id), accounts, 0)
        .map_err(|e| L1Error::Config(format!("genesis: {e}")))?;
    Ok((built.block.header.state_root, built.block.hash()))
}

/// Accounts every Mosaic L2 on `chain_id` has at genesis: the L2 bridge and the standard contracts
/// ([`crate::standard`]: the CREATE2 deployer, Multicall3, Permit2, Safe, EntryPoint v0.7, CreateX).
pub fn predeploys(chain_id: u64) -> Vec<(Address, mosaic_stf::InitialAccount)> {
    let bridge = mosaic_stf::InitialAccount { nonce: 1, code: l2_bridge_runtime(), ..Default::default() };
    let mut all = vec![(mosaic_primitives::L2_BRIDGE, bridge)];
    all.extend(crate::standard::standard_predeploys(chain_id));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_terms_are_named_and_public_l1_terms_pass() {
        let dev = unsafe_terms(&HybridTerms::default(), Mode::Hybrid);
        assert_eq!(
            dev,
            ["--challenge-window 10 s is under 3600 s", "--switch-delay 30 s is under 900 s"],
            "the defaults' challenge window and switch delay are a devnet's"
        );
        let public = HybridTerms {
            challenge_window: 7 * 24 * 3600,
            proof_window: MIN_PROOF_WINDOW_SECS,
            switch_delay: MIN_SWITCH_DELAY_SECS,
            ..HybridTerms::default()
        };
        assert!(unsafe_terms(&public, Mode::Hybrid).is_empty());
        let free = HybridTerms { bond: U256::ZERO, producer_stake: U256::ZERO, ..public };
        assert_eq!(unsafe_terms(&free, Mode::Hybrid), ["--bond is 0", "--producer-stake is 0"]);
        assert!(unsafe_terms(&free, Mode::Zk).is_empty(), "zk batches carry no bond");
    }
}
