//! Aggregation of K consecutive recursive batch proofs into one STARK, by recursion: the aggregation
//! guest (`guest/aggregate`) asks OpenVM's verify-stark deferral circuit to verify each batch STARK,
//! checks continuity and reveals the hash of one [`AggregateJournal`]. OpenVM proves the deferred
//! verifications (verify-stark circuit → deferral leaf/internal recursion → hook) and merges them into
//! the aggregation program's own proof, so the final STARK shows both that the guest ran and that every
//! batch proof it relied on verifies.
use crate::{
    journal_hash,
    zkvm::{field_bytes, DeferredVerifyCircuitProver, DeferredVerifyProver, Engine, Sdk},
    zkvm_err, BatchProof, Guest, OpenVm, ProofKind, ProverError,
};
use alloy_primitives::{keccak256, B256};
use mosaic_witness::{AggregateJournal, Journal};
use openvm_sdk::{
    config::{AggregationConfig, AggregationSystemParams, AppConfig},
    prover::MultiDeferralCircuitProver,
    DeferralInput, StdIn,
};
use openvm_sdk_config::{
    deferral::{DeferralConfig, SupportedDeferral},
    SdkVmConfig,
};
use openvm_stark_backend::codec::{Decode, Encode};
use openvm_stark_sdk::config::{baby_bear_poseidon2::Digest, hook_params_with_100_bits_security};
use openvm_verify_stark_circuit::{
    default_verify_stark_circuit_params,
    extension::{get_deferral_state, get_raw_deferral_results},
};
use openvm_verify_stark_host::{vk::VmStarkVerifyingKey, VmStarkProof};
use std::path::Path;

/// Where `scripts/build-guest.sh` puts the aggregation guest ELF, relative to the repository root.
pub const AGGREGATE_GUEST_ELF: &str = "guest/out/mosaic-guest-aggregate.elf";

/// The deferral slot of the verify-stark circuit (the aggregation guest's `VERIFY_STARK`).
const VERIFY_STARK: usize = 0;

/// log2 of the aggregation guest's stacked trace height: it runs a few thousand cycles per batch, so a
/// small height keeps its fixed commit cost low (the batch guest uses 2^23).
const AGGREGATE_LOG_STACKED_HEIGHT: usize = openvm_stark_sdk::config::DEFAULT_APP_L_SKIP + 16;

/// The aggregation guest's VM: RV32IM, IO, Keccak-256 and the verify-stark deferral circuit.
fn vm_config(deferral: DeferralConfig) -> SdkVmConfig {
    SdkVmConfig::builder()
        .system(Default::default())
        .rv32i(Default::default())
        .rv32m(Default::default())
        .io(Default::default())
        .keccak(Default::default())
        .deferral(deferral)
        .build()
        .optimize()
}

/// keccak256 of a program's `app_exe_commit ‖ app_vm_commit` in the verify-stark circuit's output form
/// (each 8 BabyBear limbs, canonical, u32 little-endian): how an [`AggregateJournal`] names the batch
/// program. (`CommitBytes::to_field_le_bytes` gives the limbs' Montgomery form instead.)
pub fn program_id(app_exe_commit: Digest, app_vm_commit: Digest) -> B256 {
    use openvm_stark_backend::p3_field::PrimeField32;
    let bytes: Vec<u8> =
        app_exe_commit.iter().chain(&app_vm_commit).flat_map(|limb| limb.as_canonical_u32().to_le_bytes()).collect();
    keccak256(bytes)
}

/// The aggregation program loaded into OpenVM, bound to one batch program whose recursive proofs it
/// aggregates.
pub struct Aggregator {
    /// The aggregation guest in its SDK (RV32IM, IO, Keccak, the verify-stark deferral).
    program: OpenVm,
    /// The batch program ([`program_id`]) whose proofs this aggregates and whose id every aggregate
    /// journal must carry.
    pub batch_program: B256,
    /// What a batch proof must verify under (the batch guest's recursive key and baseline).
    child_vk: VmStarkVerifyingKey,
    /// The verify-stark circuit's cached commit, folded into each input commit.
    cached_commit: Digest,
}

impl Aggregator {
    /// Loads the aggregation guest ELF for the proofs of `batch`. Generates the batch guest's recursion
    /// keys and the deferral circuits' keys: minutes.
    pub fn load(batch: &Guest, path: &Path) -> Result<Self, ProverError> {
        let batch = &batch.vm;
        let batch_baseline = batch.baseline()?;
        let agg = batch.sdk.agg_prover();
        let batch_program = program_id(batch_baseline.app_exe_commit, agg.vm_or_hook_commit());

        let recursive = &agg.internal_recursive_prover;
        let recursive_commit = recursive
            .get_self_vk_pcs_data()
            .ok_or_else(|| ProverError::ZkVm("the batch recursion key has no commitment".into()))?
            .commitment;
        let system = batch.sdk.app_config().app_vm_config.as_ref().clone();
        let verify = DeferredVerifyProver::new::<Engine>(
            recursive.get_vk(),
            recursive_commit.into(),
            default_verify_stark_circuit_params(),
            system.memory_config.memory_dimensions(),
            system.num_public_values,
            // The batch proofs come from an SDK without deferrals.
            None,
            VERIFY_STARK,
        );
        let agg_params = AggregationSystemParams::default();
        let deferrals = MultiDeferralCircuitProver::new(
            DeferredVerifyCircuitProver::new(verify),
            AggregationConfig { params: agg_params.clone() },
            hook_params_with_100_bits_security(),
        );
        let config = vm_config(deferrals.make_config(vec![SupportedDeferral::VerifyStark]));
        let params = openvm_stark_sdk::config::app_params_with_100_bits_security(AGGREGATE_LOG_STACKED_HEIGHT);
        let sdk = Sdk::builder()
            .app_config(AppConfig::new(config, params))
            .agg_params(agg_params)
            .multi_deferral_circuit_prover(deferrals)
            .build()
            .map_err(zkvm_err)?;
        let cached_commit: Digest = sdk
            .deferral_circuit_cached_commits(VERIFY_STARK)
            .map_err(zkvm_err)?
            .pop()
            .ok_or_else(|| ProverError::ZkVm("no verify-stark circuit commit".into()))?
            .into();
        let child_vk = VmStarkVerifyingKey { mvk: batch.sdk.agg_vk().as_ref().clone(), baseline: batch_baseline };
        Ok(Self { program: OpenVm::with_sdk(sdk, path)?, batch_program, child_vk, cached_commit })
    }

    /// The zkVM the aggregation guest is loaded in (its SDK verifies batch STARKs by deferral).
    pub fn vm(&self) -> &OpenVm {
        &self.program
    }

    /// keccak256 of the aggregation guest's ELF.
    pub fn elf_hash(&self) -> B256 {
        self.program.elf_hash
    }

    /// The aggregation guest's input for `starks` (batch proofs, verified here on the host) claimed to
    /// prove `journals`: per proof its verify-stark input commit and the journal, and the deferral state
    /// the guest's verify-stark calls read. Every proof must be of this aggregator's batch program.
    fn guest_input(&self, starks: &[VmStarkProof], journals: &[Journal]) -> Result<StdIn, ProverError> {
        let raws = get_raw_deferral_results(&self.child_vk, starks, self.cached_commit).map_err(zkvm_err)?;
        let mut input = Vec::with_capacity(raws.len() * mosaic_witness::AGGREGATE_ENTRY_LEN);
        for (raw, journal) in raws.iter().zip(journals) {
            if raw.output_raw.get(..64).map(keccak256) != Some(self.batch_program) {
                return Err(ProverError::ZkVm("a proof is of another batch program".into()));
            }
            input.extend_from_slice(&raw.input);
            input.extend_from_slice(&journal.encode());
        }
        let mut stdin = StdIn::default();
        stdin.write_bytes(&input);
        stdin.deferrals =
            vec![get_deferral_state(&self.child_vk, starks, self.cached_commit, VERIFY_STARK as u32)
                .map_err(zkvm_err)?];
        Ok(stdin)
    }

    /// The batch program (as [`program_id`]) that the verify-stark circuit reads out of `proof`, after
    /// verifying it on the host under the batch guest's recursion key.
    pub fn program_of(&self, proof: &BatchProof) -> Result<B256, ProverError> {
        let stark = recursive_stark(proof)?;
        let raws = get_raw_deferral_results(&self.child_vk, std::slice::from_ref(&stark), self.cached_commit)
            .map_err(zkvm_err)?;
        raws.first()
            .and_then(|raw| raw.output_raw.get(..64))
            .map(keccak256)
            .ok_or_else(|| ProverError::ZkVm("no verify-stark output".into()))
    }

    /// The aggregate journal of `proofs` (recursive proofs of consecutive batches, in order), checked
    /// natively: each proof verifies under the batch program and the batches chain.
    pub fn journal(&self, proofs: &[BatchProof]) -> Result<AggregateJournal, ProverError> {
        let journals: Vec<Journal> = proofs.iter().map(|p| p.journal).collect();
        AggregateJournal::fold(self.batch_program, &journals).map_err(zkvm_err)
    }

    /// Proves the aggregation guest over `proofs` (recursive proofs of consecutive batches, in order):
    /// one recursive STARK whose public value is the aggregate journal's hash.
    pub fn prove(&self, proofs: &[BatchProof]) -> Result<AggregateProof, ProverError> {
        let journal = self.journal(proofs)?;
        let starks = proofs.iter().map(recursive_stark).collect::<Result<Vec<_>, _>>()?;
        let journals: Vec<Journal> = proofs.iter().map(|p| p.journal).collect();
        let stdin = self.guest_input(&starks, &journals)?;
        let deferred = vec![DeferralInput::from_inputs(&starks)];
        let (stark, baseline) = self.program.sdk.prove(self.program.elf.clone(), stdin, &deferred).map_err(zkvm_err)?;
        let _ = self.program.baseline.set(baseline);
        let revealed = journal_hash(&field_bytes(&stark.user_pvs_proof.public_values))?;
        if revealed != journal.hash() {
            return Err(ProverError::ZkVm(format!(
                "aggregation guest revealed {revealed}, the aggregate journal hashes to {}",
                journal.hash()
            )));
        }
        let bytes = stark.encode_to_vec().map_err(zkvm_err)?;
        Ok(AggregateProof { journal, proof: zstd::encode_all(bytes.as_slice(), 3).map_err(zkvm_err)? })
    }

    /// Verifies an aggregation proof: the STARK verifies under this aggregation program's keys (with its
    /// deferred batch verifications), reveals the journal's hash, and the journal names this batch
    /// program.
    pub fn verify(&self, proof: &AggregateProof) -> Result<AggregateJournal, ProverError> {
        if proof.journal.batch_program != self.batch_program {
            return Err(ProverError::ZkVm("the aggregate is of another batch program".into()));
        }
        let bytes = zstd::decode_all(proof.proof.as_slice()).map_err(zkvm_err)?;
        let stark = VmStarkProof::decode_from_bytes(&bytes).map_err(zkvm_err)?;
        let vk =
            VmStarkVerifyingKey { mvk: self.program.sdk.agg_vk().as_ref().clone(), baseline: self.program.baseline()? };
        openvm_verify_stark_host::verify_vm_stark_proof_decoded(&vk, &stark).map_err(zkvm_err)?;
        let revealed = journal_hash(&field_bytes(&stark.user_pvs_proof.public_values))?;
        if revealed != proof.journal.hash() {
            return Err(ProverError::ZkVm(format!(
                "the proof reveals {revealed}, the claimed aggregate journal hashes to {}",
                proof.journal.hash()
            )));
        }
        Ok(proof.journal)
    }

    /// Runs the aggregation guest without proving on precomputed entries (each a verify-stark input
    /// commit and a journal), with the deferral results of `proofs`: its public value. For tests of what
    /// the guest refuses.
    pub fn execute(&self, proofs: &[BatchProof], journals: &[Journal]) -> Result<B256, ProverError> {
        let starks = proofs.iter().map(recursive_stark).collect::<Result<Vec<_>, _>>()?;
        let stdin = self.guest_input(&starks, journals)?;
        let public = self.program.sdk.execute(self.program.elf.clone(), stdin).map_err(zkvm_err)?;
        journal_hash(&public)
    }
}

/// The OpenVM STARK inside a recursive batch proof.
fn recursive_stark(proof: &BatchProof) -> Result<VmStarkProof, ProverError> {
    if proof.kind != ProofKind::Recursive {
        return Err(ProverError::ZkVm(format!(
            "only recursive batch proofs can be aggregated (this one is {:?}; prove with --recursive)",
            proof.kind
        )));
    }
    let bytes = zstd::decode_all(proof.proof.as_slice()).map_err(zkvm_err)?;
    VmStarkProof::decode_from_bytes(&bytes).map_err(zkvm_err)
}

/// An aggregation proof as `mosaic aggregate` writes it: the aggregate journal it claims and the STARK.
#[derive(Debug, Clone)]
pub struct AggregateProof {
    /// The claimed aggregate journal; verification checks the proof reveals its hash.
    pub journal: AggregateJournal,
    /// OpenVM's recursive STARK (its codec), zstd-compressed.
    pub proof: Vec<u8>,
}
