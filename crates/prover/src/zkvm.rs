//! The seam between Mosaic's proofs and a zkVM backend: one guest program loaded into a backend that
//! runs it, proves a run and verifies a proof. OpenVM ([`OpenVm`]) is the default and, today, the only
//! backend; SP1 or RISC Zero plug in by implementing [`ZkVm`] for their SDK (building their guest is a
//! script beside `scripts/build-guest.sh`). What a proof *means* — the journal, its checks, the proof
//! file — lives above this trait, in [`crate::Guest`]; recursion-based aggregation is backend-specific
//! ([`crate::Aggregator`]).
use crate::{program_id, read_elf, zkvm_err, ProgramCommit, ProofKind, ProverError};
use alloy_primitives::B256;
use openvm_circuit::system::memory::merkle::public_values::extract_public_values;
use openvm_sdk::{config::AppConfig, StdIn};
use openvm_sdk_config::SdkVmConfig;
use openvm_stark_backend::codec::{Decode, Encode};
use openvm_transpiler::elf::Elf;
use openvm_verify_stark_host::{
    vk::{VerificationBaseline, VmStarkVerifyingKey},
    VmStarkProof,
};
use std::{cell::RefCell, path::Path, sync::OnceLock};

/// One metered run: the public output, instructions executed and the backend's proving-cost estimate.
#[derive(Debug, Clone)]
pub struct Metered {
    /// The program's public output.
    pub public: Vec<u8>,
    /// Instructions executed.
    pub cycles: u64,
    /// The backend's cost estimate (OpenVM: trace cells).
    pub cost: u64,
}

/// A zkVM with one guest program loaded.
pub trait ZkVm {
    /// The backend, for logs and tables ("openvm").
    fn name(&self) -> &'static str;
    /// Runs the program on `input` without proving: its public output. A panicking guest is an error.
    fn execute(&self, input: &[u8]) -> Result<Vec<u8>, ProverError>;
    /// Runs the program with cost metering.
    fn measure(&self, input: &[u8]) -> Result<Metered, ProverError>;
    /// Generates the proving keys `kind` needs now rather than inside the first proof.
    fn keygen(&self, kind: ProofKind);
    /// Proves a run on `input`: the public output and the encoded proof.
    fn prove(&self, input: &[u8], kind: ProofKind) -> Result<(Vec<u8>, Vec<u8>), ProverError>;
    /// Verifies an encoded proof of `kind` against the loaded program: the public output it proves.
    fn verify(&self, kind: ProofKind, proof: &[u8]) -> Result<Vec<u8>, ProverError>;
    /// The program's commitments: what a verifier (and the L1 deployment) pins.
    fn program_commit(&self) -> Result<ProgramCommit, ProverError>;
}

/// OpenVM 2 (`openvm-sdk`: the CPU backend, or CUDA with the `cuda` feature, [`Sdk`]) with one ELF loaded.
/// App proofs are one STARK per execution segment; recursive proofs aggregate them by OpenVM's leaf and
/// internal recursion into one STARK.
pub struct OpenVm {
    pub(crate) sdk: Sdk,
    pub(crate) elf: Elf,
    /// keccak256 of the ELF file.
    pub elf_hash: B256,
    /// The app prover of the loaded ELF, made once: making it transpiles the ELF and commits to its
    /// memory image (≈18 s for the batch guest), which metering, app proofs and app verification need.
    app: RefCell<Option<AppProver>>,
    /// The recursion baseline (executable and verifying-key commitments), computed once.
    pub(crate) baseline: OnceLock<VerificationBaseline>,
}

/// OpenVM's app prover for the proving backend ([`Engine`]).
type AppProver = openvm_sdk::prover::AppProver<Engine, VmBuilder>;

impl OpenVm {
    /// Loads the ELF at `path` into a VM with `config`, proving at log stacked height
    /// `log_stacked_height` (100-bit security).
    pub fn load(path: &Path, config: SdkVmConfig, log_stacked_height: usize) -> Result<Self, ProverError> {
        let params = openvm_stark_sdk::config::app_params_with_100_bits_security(log_stacked_height);
        let sdk = Sdk::new(AppConfig::new(config, params), Default::default()).map_err(zkvm_err)?;
        Self::with_sdk(sdk, path)
    }

    /// Loads the ELF at `path` into an SDK built elsewhere (the aggregation program's, with deferrals).
    pub(crate) fn with_sdk(sdk: Sdk, path: &Path) -> Result<Self, ProverError> {
        let (elf, elf_hash) = read_elf(path)?;
        Ok(Self { sdk, elf, elf_hash, app: RefCell::new(None), baseline: OnceLock::new() })
    }

    /// Runs `f` with the (cached) app prover of the loaded ELF.
    fn with_app<R>(&self, f: impl FnOnce(&mut AppProver) -> Result<R, ProverError>) -> Result<R, ProverError> {
        let mut slot = self.app.borrow_mut();
        let prover = match slot.as_mut() {
            Some(prover) => prover,
            None => slot.insert(self.sdk.app_prover(self.elf.clone()).map_err(zkvm_err)?),
        };
        f(prover)
    }

    /// OpenVM's SDK for the loaded program's VM (keys, recursion and root provers).
    pub fn sdk(&self) -> &Sdk {
        &self.sdk
    }

    /// The segments a proof of a run on `input` takes (OpenVM's metered execution).
    pub fn segments(&self, input: &[u8]) -> Result<usize, ProverError> {
        self.with_app(|app| {
            let (vm, exe) = (app.vm(), app.exe());
            let interpreter = vm.metered_interpreter(&exe).map_err(zkvm_err)?;
            let (segments, _) =
                interpreter.execute_metered(Self::stdin(input), vm.build_metered_ctx(&exe)).map_err(zkvm_err)?;
            Ok(segments.len())
        })
    }

    /// The recursion baseline of the loaded ELF (cached; generates the aggregation keys).
    pub(crate) fn baseline(&self) -> Result<VerificationBaseline, ProverError> {
        if let Some(b) = self.baseline.get() {
            return Ok(b.clone());
        }
        let b = self.sdk.prover(self.elf.clone()).map_err(zkvm_err)?.generate_baseline();
        Ok(self.baseline.get_or_init(|| b).clone())
    }

    /// `input` as the guest reads it.
    pub(crate) fn stdin(input: &[u8]) -> StdIn {
        let mut stdin = StdIn::default();
        stdin.write_bytes(input);
        stdin
    }
}

impl ZkVm for OpenVm {
    fn name(&self) -> &'static str {
        "openvm"
    }

    fn execute(&self, input: &[u8]) -> Result<Vec<u8>, ProverError> {
        self.sdk.execute(self.elf.clone(), Self::stdin(input)).map_err(zkvm_err)
    }

    fn measure(&self, input: &[u8]) -> Result<Metered, ProverError> {
        // What `Sdk::execute_metered_cost` does, on the cached app prover.
        self.with_app(|app| {
            let (vm, exe) = (app.vm(), app.exe());
            let interpreter = vm.metered_cost_interpreter(&exe).map_err(zkvm_err)?;
            let (ctx, state) =
                interpreter.execute_metered_cost(Self::stdin(input), vm.build_metered_cost_ctx()).map_err(zkvm_err)?;
            let public = extract_public_values(vm.config().as_ref().num_public_values, &state.memory.memory);
            Ok(Metered { public, cycles: ctx.instret, cost: ctx.cost })
        })
    }

    fn keygen(&self, kind: ProofKind) {
        let _ = self.sdk.app_pk();
        if kind != ProofKind::App {
            let _ = self.sdk.agg_pk();
        }
    }

    fn prove(&self, input: &[u8], kind: ProofKind) -> Result<(Vec<u8>, Vec<u8>), ProverError> {
        match kind {
            ProofKind::App => self.with_app(|app| {
                let proof = app.prove(Self::stdin(input)).map_err(zkvm_err)?;
                let bytes = bitcode::serialize(&proof).map_err(zkvm_err)?;
                Ok((field_bytes(&proof.user_public_values.public_values), bytes))
            }),
            ProofKind::Recursive => {
                let (proof, _) = self.sdk.prove(self.elf.clone(), Self::stdin(input), &[]).map_err(zkvm_err)?;
                let bytes = proof.encode_to_vec().map_err(zkvm_err)?;
                Ok((field_bytes(&proof.user_pvs_proof.public_values), bytes))
            }
            ProofKind::Aggregate => Err(not_a_program_proof()),
        }
    }

    fn verify(&self, kind: ProofKind, proof: &[u8]) -> Result<Vec<u8>, ProverError> {
        match kind {
            ProofKind::App => {
                let inner: openvm_circuit::arch::ContinuationVmProof<openvm_sdk::SC> =
                    bitcode::deserialize(proof).map_err(zkvm_err)?;
                let exe_commit =
                    openvm_sdk::prover::verify_app_proof::<CpuEngine>(&self.sdk.app_vk(), &inner).map_err(zkvm_err)?;
                if exe_commit != self.with_app(|app| Ok(app.app_exe_commit()))? {
                    return Err(ProverError::ZkVm("the proof is of another program".into()));
                }
                Ok(field_bytes(&inner.user_public_values.public_values))
            }
            ProofKind::Recursive => {
                let inner = VmStarkProof::decode_from_bytes(proof).map_err(zkvm_err)?;
                let vk = VmStarkVerifyingKey { mvk: self.sdk.agg_vk().as_ref().clone(), baseline: self.baseline()? };
                openvm_verify_stark_host::verify_vm_stark_proof_decoded(&vk, &inner).map_err(zkvm_err)?;
                Ok(field_bytes(&inner.user_pvs_proof.public_values))
            }
            ProofKind::Aggregate => Err(not_a_program_proof()),
        }
    }

    fn program_commit(&self) -> Result<ProgramCommit, ProverError> {
        let prover = self.sdk.prover(self.elf.clone()).map_err(zkvm_err)?;
        let baseline = prover.generate_baseline();
        let (exe, vm) = (baseline.app_exe_commit, prover.app_vm_commit());
        let _ = self.baseline.set(baseline);
        let bytes = |d| B256::from(*openvm_continuations::CommitBytes::from(d).as_slice());
        Ok(ProgramCommit { app_exe_commit: bytes(exe), app_vm_commit: bytes(vm), program_id: program_id(exe, vm) })
    }
}

fn not_a_program_proof() -> ProverError {
    ProverError::ZkVm("aggregate proofs are made and checked by the Aggregator".into())
}

// The proving backend. Without the `cuda` feature everything proves on the CPU; with it, OpenVM's CUDA
// backend proves the app segments, the deferral circuits and (inside `openvm-sdk`, whose `cuda` feature
// this one turns on) the aggregation and root layers. Keys are generated on the host either way, and
// proofs, keys and commitments are the same types, so CPU and GPU builds verify each other's proofs.

/// OpenVM's SDK for the proving backend: `CpuSdk`, or `GpuSdk` with the `cuda` feature.
#[cfg(not(feature = "cuda"))]
pub type Sdk = openvm_sdk::CpuSdk;
/// OpenVM's SDK for the proving backend: `CpuSdk`, or `GpuSdk` with the `cuda` feature.
#[cfg(feature = "cuda")]
pub type Sdk = openvm_sdk::GpuSdk;

/// OpenVM's STARK engine for the proving backend (BabyBear, Poseidon2): CPU, or CUDA with the `cuda`
/// feature.
#[cfg(not(feature = "cuda"))]
pub type Engine = openvm_stark_sdk::config::baby_bear_poseidon2::BabyBearPoseidon2CpuEngine;
/// OpenVM's STARK engine for the proving backend (BabyBear, Poseidon2): CPU, or CUDA with the `cuda`
/// feature.
#[cfg(feature = "cuda")]
pub type Engine = openvm_sdk::DefaultStarkEngine;

/// OpenVM's CPU STARK engine: what verifies app proofs in every build (verification runs on the host).
type CpuEngine = openvm_stark_sdk::config::baby_bear_poseidon2::BabyBearPoseidon2CpuEngine;

/// The app VM's chip builder for [`Engine`].
#[cfg(not(feature = "cuda"))]
pub(crate) type VmBuilder = openvm_sdk_config::SdkVmCpuBuilder;
/// The app VM's chip builder for [`Engine`].
#[cfg(feature = "cuda")]
pub(crate) type VmBuilder = openvm_sdk_config::SdkVmGpuBuilder;

// The verify-stark deferral circuit's provers (the aggregation guest's batch-proof verification) for
// [`Engine`].
#[cfg(not(feature = "cuda"))]
pub(crate) use openvm_verify_stark_circuit::prover::{
    DeferredVerifyCpuCircuitProver as DeferredVerifyCircuitProver, DeferredVerifyCpuProver as DeferredVerifyProver,
};
#[cfg(feature = "cuda")]
pub(crate) use openvm_verify_stark_circuit::prover::{
    DeferredVerifyGpuCircuitProver as DeferredVerifyCircuitProver, DeferredVerifyGpuProver as DeferredVerifyProver,
};

/// User public values as bytes: OpenVM reveals each byte as one field element.
pub(crate) fn field_bytes(values: &[openvm_sdk::F]) -> Vec<u8> {
    use openvm_stark_backend::p3_field::PrimeField32;
    values.iter().map(|v| v.as_canonical_u32() as u8).collect()
}
