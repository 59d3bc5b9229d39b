//! The prover side of Mosaic's batch proofs: builds a batch's witness from the node database
//! ([`batch_witness`]) and runs the OpenVM guest (`guest/batch`, built by `scripts/build-guest.sh`) on
//! it ([`Guest`]); aggregates recursive batch proofs into one ([`Aggregator`]).
pub mod aggregate;
pub mod segments;
mod service;
pub mod zkvm;

pub use aggregate::{program_id, AggregateProof, Aggregator, AGGREGATE_GUEST_ELF};
use alloy_primitives::{keccak256, B256};
/// Witnesses are built without the zkVM (crate `mosaic-rollup`); re-exported for the prover's callers.
pub use mosaic_rollup::witness::{batch_witness, posted_batch_witness, WitnessBuildError};
pub use mosaic_witness::{AggregateJournal, BatchWitness, Executed, Journal};
use mosaic_witness::{AGGREGATE_JOURNAL_LEN, JOURNAL_LEN};
use openvm_algebra_circuit::ModularExtension;
use openvm_ecc_circuit::{WeierstrassExtension, P256_CONFIG, SECP256K1_CONFIG};
use openvm_sdk_config::SdkVmConfig;
use openvm_transpiler::elf::Elf;
pub use segments::{group_segments, SegmentGroup};
pub use service::run_background_prover;
use std::path::Path;
pub use zkvm::{Engine as StarkEngine, Metered, OpenVm, ZkVm};

/// Why a witness could not be built or the guest not run.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The node lacks something the batch needs.
    #[error("node: {0}")]
    Node(String),
    /// The batch does not re-execute.
    #[error(transparent)]
    Witness(#[from] mosaic_witness::WitnessError),
    /// The guest program or the zkVM failed.
    #[error("zkvm: {0}")]
    ZkVm(String),
}

impl From<WitnessBuildError> for ProverError {
    fn from(e: WitnessBuildError) -> Self {
        match e {
            WitnessBuildError::Node(why) => ProverError::Node(why),
            WitnessBuildError::Witness(e) => ProverError::Witness(e),
        }
    }
}

/// Where `scripts/build-guest.sh` puts the guest ELF, relative to the repository root.
pub const GUEST_ELF: &str = "guest/out/mosaic-guest-batch.elf";

/// What running the guest produced.
#[derive(Debug, Clone, Copy)]
pub struct GuestRun {
    /// The guest's public value: keccak256 of the journal.
    pub journal_hash: B256,
    /// RISC-V instructions executed.
    pub cycles: u64,
    /// The backend's estimate of the proving cost (OpenVM: trace cells).
    pub cost: u64,
}

/// The proving memory (OpenVM's own estimate for a segment's traces) at which execution is cut into
/// another segment. Segments are proven one after another, so this bounds an app proof's memory however
/// long the batch: a longer batch gets more segments, not more memory. OpenVM's default (15 GiB) plus
/// the proving keys and the recursion layers would leave no margin under the 20 GB this 24 GB machine
/// may spend; it does not change the program's commitments.
pub const DEFAULT_SEGMENT_MEMORY: usize = 8 << 30;

/// The OpenVM configuration the batch guest runs in: RV32IM, IO, Keccak-256, SHA-256, modular and
/// short-Weierstrass arithmetic over secp256k1, P256, BN254 and BLS12-381 (G1), the two pairing curves'
/// Fp2 and the pairing extension (`mosaic_openvm_precompiles`), segments bounded by
/// [`DEFAULT_SEGMENT_MEMORY`]. The guest's `openvm_init.rs` registers the same moduli, Fp2s and curves
/// in the same order ([`init_file`] generates it).
pub fn vm_config() -> SdkVmConfig {
    vm_config_with(DEFAULT_SEGMENT_MEMORY)
}

/// [`vm_config`] with segments cut at `segment_memory` bytes of estimated proving memory.
pub fn vm_config_with(segment_memory: usize) -> SdkVmConfig {
    use openvm_algebra_circuit::Fp2Extension;
    use openvm_pairing_circuit::{PairingCurve, PairingExtension};
    let (bn254, bls) = (PairingCurve::Bn254.curve_config(), PairingCurve::Bls12_381.curve_config());
    let curves = [&*SECP256K1_CONFIG, &*P256_CONFIG, &bn254, &bls];
    let moduli = curves.iter().flat_map(|c| [c.modulus.clone(), c.scalar.clone()]).collect();
    let mut config = SdkVmConfig::builder()
        .system(Default::default())
        .rv32i(Default::default())
        .rv32m(Default::default())
        .io(Default::default())
        .keccak(Default::default())
        .sha2(Default::default())
        .modular(ModularExtension::new(moduli))
        .ecc(WeierstrassExtension::new(curves.iter().map(|c| (*c).clone()).collect()))
        .build()
        .optimize();
    // The pairing checks' Fp2 (the names `openvm-pairing` declares) and final-exponentiation hints, in
    // the order OpenVM numbers the pairing curves.
    config.fp2 = Some(Fp2Extension::new(vec![
        ("Bn254Fp2".to_string(), bn254.modulus.clone()),
        ("Bls12_381Fp2".to_string(), bls.modulus.clone()),
    ]));
    config.pairing = Some(PairingExtension::new(vec![PairingCurve::Bn254, PairingCurve::Bls12_381]));
    config.system.config.segmentation_max_memory = segment_memory;
    config
}

/// The `openvm_init.rs` that [`vm_config`] requires of the guest (what `cargo openvm` would write).
pub fn init_file() -> String {
    use openvm_circuit::arch::InitFileGenerator;
    vm_config().generate_init_file_contents().unwrap_or_default()
}

/// log2 of the batch guest's stacked trace height (OpenVM app parameters, 100-bit security).
const BATCH_LOG_STACKED_HEIGHT: usize = openvm_stark_sdk::config::DEFAULT_APP_L_SKIP + 19;

/// The batch guest program loaded into a zkVM: runs it on a [`BatchWitness`], proves a run into a
/// [`BatchProof`] (checked to reveal the native journal's hash) and verifies one. OpenVM by default.
pub struct Guest<V: ZkVm = OpenVm> {
    pub(crate) vm: V,
}

/// Loads the benchmark-only profile guest (`guest/profile`) into the batch guest's VM ([`vm_config`],
/// the batch parameters).
pub fn profile_vm(path: &Path) -> Result<OpenVm, ProverError> {
    OpenVm::load(path, vm_config(), BATCH_LOG_STACKED_HEIGHT)
}

impl Guest<OpenVm> {
    /// Loads the batch guest ELF (`guest/out/mosaic-guest-batch.elf`) into OpenVM ([`vm_config`]).
    pub fn load(path: &Path) -> Result<Self, ProverError> {
        Self::load_with_segment_memory(path, DEFAULT_SEGMENT_MEMORY)
    }

    /// [`Guest::load`] with segments cut at `segment_memory` bytes of estimated proving memory instead
    /// of [`DEFAULT_SEGMENT_MEMORY`] (same program commitments).
    pub fn load_with_segment_memory(path: &Path, segment_memory: usize) -> Result<Self, ProverError> {
        Ok(Self { vm: OpenVm::load(path, vm_config_with(segment_memory), BATCH_LOG_STACKED_HEIGHT)? })
    }

    /// How many segments (app STARKs, proven one after another) a proof of `witness` takes.
    pub fn segments(&self, witness: &BatchWitness) -> Result<usize, ProverError> {
        self.vm.segments(&witness.encode())
    }

    /// keccak256 of the ELF (identifies the build; the proving commitment derives from it).
    pub fn elf_hash(&self) -> B256 {
        self.vm.elf_hash
    }

    /// The zkVM the guest is loaded in.
    pub fn vm(&self) -> &OpenVm {
        &self.vm
    }

    /// Proves group `group` of `groups` of the segments of the guest's run on `witness`, with their leaf
    /// aggregations: one job's share of the batch's recursive STARK ([`segments`]). Blocking: minutes.
    pub fn prove_segment_group(
        &self,
        witness: &BatchWitness,
        group: u32,
        groups: u32,
    ) -> Result<SegmentGroup, ProverError> {
        self.vm.prove_segment_group(&witness.encode(), group, groups)
    }

    /// Joins every group of the batch's run, in order, into its recursive proof ([`ProofKind::Recursive`],
    /// the proof [`Guest::prove`] makes); fails unless it reveals `journal`'s hash. Blocking: minutes.
    pub fn join_segment_groups(&self, journal: &Journal, groups: Vec<SegmentGroup>) -> Result<BatchProof, ProverError> {
        let (public, proof) = self.vm.join_segment_groups(groups)?;
        check_public_value(journal_hash(&public)?, journal)?;
        let proof = zstd::encode_all(proof.as_slice(), 3).map_err(zkvm_err)?;
        Ok(BatchProof { kind: ProofKind::Recursive, journal: *journal, proof })
    }
}

impl<V: ZkVm> Guest<V> {
    /// The batch guest on another backend.
    pub fn on(vm: V) -> Self {
        Self { vm }
    }

    /// Runs the guest on `witness` without proving (fast, no keys): its public value, keccak256 of the
    /// journal. An invalid batch or a forged witness is an error.
    pub fn execute(&self, witness: &BatchWitness) -> Result<B256, ProverError> {
        journal_hash(&self.vm.execute(&witness.encode())?)
    }

    /// Runs the guest with the backend's cost metering: cycles and cost (OpenVM generates the app
    /// proving key on first use, which takes minutes).
    pub fn measure(&self, witness: &BatchWitness) -> Result<GuestRun, ProverError> {
        let run = self.vm.measure(&witness.encode())?;
        Ok(GuestRun { journal_hash: journal_hash(&run.public)?, cycles: run.cycles, cost: run.cost })
    }

    /// Generates the proving keys `kind` needs now (the app key; for recursive proofs also the
    /// aggregation keys) instead of inside the first proof; later calls reuse them.
    pub fn keygen(&self, kind: ProofKind) {
        self.vm.keygen(kind)
    }

    /// Proves the guest's run on `witness`, whose native execution gave `journal` (generates the proving
    /// keys on first use: minutes). Fails if the guest does not reveal `journal`'s hash.
    pub fn prove(&self, witness: &BatchWitness, journal: &Journal, kind: ProofKind) -> Result<BatchProof, ProverError> {
        let (public, proof) = self.vm.prove(&witness.encode(), kind)?;
        check_public_value(journal_hash(&public)?, journal)?;
        let proof = zstd::encode_all(proof.as_slice(), 3).map_err(zkvm_err)?;
        Ok(BatchProof { kind, journal: *journal, proof })
    }

    /// Verifies `proof` against this guest program and returns its journal: the proof must verify under
    /// the keys derived from this program and its VM, and reveal the journal's hash.
    pub fn verify(&self, proof: &BatchProof) -> Result<Journal, ProverError> {
        let bytes = zstd::decode_all(proof.proof.as_slice()).map_err(zkvm_err)?;
        let public = self.vm.verify(proof.kind, &bytes)?;
        check_public_value(journal_hash(&public)?, &proof.journal)?;
        Ok(proof.journal)
    }

    /// The program's commitments (OpenVM generates the app and aggregation proving keys: minutes).
    pub fn program_commit(&self) -> Result<ProgramCommit, ProverError> {
        self.vm.program_commit()
    }
}

/// The zkVM proof inside a proof file, uncompressed (OpenVM's codec for recursive and aggregate proofs).
pub fn decompress(proof: &[u8]) -> Result<Vec<u8>, ProverError> {
    zstd::decode_all(proof).map_err(zkvm_err)
}

/// Reads a guest ELF: the program and keccak256 of the file.
pub(crate) fn read_elf(path: &Path) -> Result<(Elf, B256), ProverError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ProverError::ZkVm(format!("{}: {e} (build it with scripts/build-guest.sh)", path.display())))?;
    let elf = Elf::decode(&bytes, 1 << 29).map_err(|e| ProverError::ZkVm(format!("bad guest ELF: {e}")))?;
    Ok((elf, keccak256(&bytes)))
}

/// Which proof: of one batch (app or recursive), or of several aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKind {
    /// OpenVM's app proof: one STARK per execution segment (size grows with the batch).
    App,
    /// The segments' proofs aggregated by OpenVM's leaf and internal recursion into one STARK.
    Recursive,
    /// K consecutive recursive batch proofs verified inside the aggregation guest: one STARK.
    Aggregate,
}

impl ProofKind {
    fn tag(self) -> u8 {
        match self {
            Self::App => 1,
            Self::Recursive => 2,
            Self::Aggregate => 3,
        }
    }
}

/// A batch proof as `mosaic prove` writes it: the journal it claims and the zkVM proof of the guest
/// revealing that journal's hash.
#[derive(Debug, Clone)]
pub struct BatchProof {
    /// App or recursive.
    pub kind: ProofKind,
    /// The claimed journal; verification checks the proof reveals its hash.
    pub journal: Journal,
    /// The proof, zstd-compressed (app: bitcode of the segment proofs; recursive: OpenVM's codec).
    pub proof: Vec<u8>,
}

/// Leading bytes of a proof file, then a format version.
const PROOF_MAGIC: &[u8; 8] = b"MOSAICPF";
const PROOF_VERSION: u8 = 1;

/// A proof file: magic, version, kind, the journal (280 bytes for a batch, 288 for an aggregate), the
/// zstd-compressed proof.
fn encode_file(kind: ProofKind, journal: &[u8], proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + journal.len() + proof.len());
    out.extend_from_slice(PROOF_MAGIC);
    out.push(PROOF_VERSION);
    out.push(kind.tag());
    out.extend_from_slice(journal);
    out.extend_from_slice(proof);
    out
}

/// A proof file of either kind, as `mosaic verify-proof` reads it.
#[derive(Debug, Clone)]
pub enum ProofFile {
    /// An app or recursive proof of one batch.
    Batch(BatchProof),
    /// An aggregation of consecutive batches.
    Aggregate(AggregateProof),
}

impl ProofFile {
    /// Parses the bytes [`BatchProof::encode`] or [`AggregateProof::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProverError> {
        let bad = |why: &str| ProverError::ZkVm(format!("not a Mosaic proof: {why}"));
        let rest = bytes.strip_prefix(PROOF_MAGIC.as_slice()).ok_or_else(|| bad("wrong magic"))?;
        let (&version, rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
        if version != PROOF_VERSION {
            return Err(bad(&format!("format version {version}, this build reads {PROOF_VERSION}")));
        }
        let (&tag, rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
        let kind = match tag {
            1 => ProofKind::App,
            2 => ProofKind::Recursive,
            3 => ProofKind::Aggregate,
            _ => return Err(bad("unknown proof kind")),
        };
        let len = if kind == ProofKind::Aggregate { AGGREGATE_JOURNAL_LEN } else { JOURNAL_LEN };
        if rest.len() < len {
            return Err(bad("truncated journal"));
        }
        let (journal, proof) = rest.split_at(len);
        let proof = proof.to_vec();
        Ok(match kind {
            ProofKind::Aggregate => Self::Aggregate(AggregateProof {
                journal: AggregateJournal::decode(journal).ok_or_else(|| bad("malformed journal"))?,
                proof,
            }),
            kind => Self::Batch(BatchProof {
                kind,
                journal: Journal::decode(journal).ok_or_else(|| bad("malformed journal"))?,
                proof,
            }),
        })
    }
}

impl BatchProof {
    /// The file bytes: magic, version, kind, the 280-byte journal, the proof.
    pub fn encode(&self) -> Vec<u8> {
        encode_file(self.kind, &self.journal.encode(), &self.proof)
    }

    /// Parses [`BatchProof::encode`]'s bytes (an aggregate proof is refused).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProverError> {
        match ProofFile::decode(bytes)? {
            ProofFile::Batch(proof) => Ok(proof),
            ProofFile::Aggregate(_) => Err(ProverError::ZkVm("an aggregate proof, not a batch proof".into())),
        }
    }
}

impl AggregateProof {
    /// The file bytes: magic, version, kind, the 288-byte aggregate journal, the proof.
    pub fn encode(&self) -> Vec<u8> {
        encode_file(ProofKind::Aggregate, &self.journal.encode(), &self.proof)
    }
}

/// The commitments that identify the proven program: what an L1 deployment pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramCommit {
    /// OpenVM's commitment to the guest executable (code, initial memory, entry point).
    pub app_exe_commit: B256,
    /// OpenVM's commitment to the VM configuration and the recursion verifying keys.
    pub app_vm_commit: B256,
    /// [`program_id`] of the two: how an aggregate journal names the batch program.
    pub program_id: B256,
}

/// The guest's one public value (the first 32 bytes of OpenVM's user public output): the journal hash.
pub(crate) fn journal_hash(public: &[u8]) -> Result<B256, ProverError> {
    public.get(..32).map(B256::from_slice).ok_or_else(|| ProverError::ZkVm("no public value".into()))
}

pub(crate) fn zkvm_err(e: impl std::fmt::Display) -> ProverError {
    ProverError::ZkVm(e.to_string())
}

/// Checks the guest's public value against the natively computed journal.
pub fn check_public_value(revealed: B256, journal: &Journal) -> Result<(), ProverError> {
    if revealed != journal.hash() {
        return Err(ProverError::ZkVm(format!(
            "guest revealed {revealed}, the node's journal hashes to {}",
            journal.hash()
        )));
    }
    Ok(())
}

/// Throwaway chains for the guests' tests and benchmarks: ETH transfers, and MultiVM scenarios (EVM and
/// Wasm tokens, a cross-VM swap, deposits, withdrawals).
#[cfg(feature = "test-utils")]
pub mod sample;

#[cfg(test)]
mod tests {
    use super::*;

    /// A mock backend, for this unit test only: "proves" by echoing a fixed public output, and accepts
    /// exactly its own proof bytes. It shows what [`Guest`] checks above any [`ZkVm`].
    struct MockZkVm {
        public: Vec<u8>,
    }

    impl ZkVm for MockZkVm {
        fn name(&self) -> &'static str {
            "mock"
        }
        fn execute(&self, _: &[u8]) -> Result<Vec<u8>, ProverError> {
            Ok(self.public.clone())
        }
        fn measure(&self, _: &[u8]) -> Result<Metered, ProverError> {
            Ok(Metered { public: self.public.clone(), cycles: 1, cost: 1 })
        }
        fn keygen(&self, _: ProofKind) {}
        fn prove(&self, _: &[u8], _: ProofKind) -> Result<(Vec<u8>, Vec<u8>), ProverError> {
            Ok((self.public.clone(), b"mock proof".to_vec()))
        }
        fn verify(&self, _: ProofKind, proof: &[u8]) -> Result<Vec<u8>, ProverError> {
            if proof != b"mock proof" {
                return Err(ProverError::ZkVm("mock: bad proof".into()));
            }
            Ok(self.public.clone())
        }
        fn program_commit(&self) -> Result<ProgramCommit, ProverError> {
            Ok(ProgramCommit { app_exe_commit: B256::ZERO, app_vm_commit: B256::ZERO, program_id: B256::ZERO })
        }
    }

    fn witness() -> BatchWitness {
        BatchWitness {
            config: Default::default(),
            parent: Default::default(),
            ancestors: vec![],
            data: Default::default(),
            l1_messages: vec![],
            signatures: vec![],
            nodes: vec![],
            codes: vec![],
        }
    }

    #[test]
    fn guest_holds_any_backend_to_the_native_journal() {
        let journal = Journal { chain_id: 424242, last_block: 7, ..Default::default() };
        let honest = Guest::on(MockZkVm { public: journal.hash().to_vec() });
        assert_eq!(honest.execute(&witness()).unwrap(), journal.hash());
        let proof = honest.prove(&witness(), &journal, ProofKind::App).unwrap();
        let file = BatchProof::decode(&proof.encode()).unwrap();
        assert_eq!(honest.verify(&file).unwrap(), journal);
        // A claimed journal the proof does not reveal.
        let mut claim = file.clone();
        claim.journal.last_block = 8;
        assert!(honest.verify(&claim).is_err());
        // Proof bytes the backend refuses.
        let mut forged = file.clone();
        forged.proof = zstd::encode_all(&b"other proof"[..], 3).unwrap();
        assert!(honest.verify(&forged).is_err());
        // A backend whose guest revealed something else: no proof comes out.
        let lying = Guest::on(MockZkVm { public: B256::repeat_byte(1).to_vec() });
        assert!(lying.prove(&witness(), &journal, ProofKind::App).is_err());
        // No public value at all.
        let mute = Guest::on(MockZkVm { public: vec![] });
        assert!(mute.execute(&witness()).is_err());
    }

    #[test]
    fn proof_files_round_trip_and_refuse_garbage() {
        let journal = Journal { chain_id: 1, ..Default::default() };
        let batch = BatchProof { kind: ProofKind::Recursive, journal, proof: vec![1, 2, 3] };
        let ProofFile::Batch(back) = ProofFile::decode(&batch.encode()).unwrap() else { panic!("kind") };
        assert_eq!((back.kind, back.journal, back.proof), (ProofKind::Recursive, journal, vec![1, 2, 3]));
        let aggregate = AggregateProof {
            journal: AggregateJournal { batches: 2, chain_id: 1, ..Default::default() },
            proof: vec![4, 5],
        };
        let ProofFile::Aggregate(back) = ProofFile::decode(&aggregate.encode()).unwrap() else { panic!("kind") };
        assert_eq!((back.journal, back.proof), (aggregate.journal, vec![4, 5]));
        assert!(BatchProof::decode(&aggregate.encode()).is_err(), "an aggregate read as a batch proof");
        let bytes = batch.encode();
        assert!(ProofFile::decode(&bytes[..20]).is_err(), "truncated");
        assert!(ProofFile::decode(b"NOTAPROOF").is_err(), "magic");
        let mut other_version = bytes.clone();
        other_version[8] = 9;
        assert!(ProofFile::decode(&other_version).is_err(), "version");
        let mut other_kind = bytes;
        other_kind[9] = 7;
        assert!(ProofFile::decode(&other_kind).is_err(), "kind");
    }
}
