//! The prover side of Mosaic's batch proofs: builds a batch's witness from the node database
//! ([`batch_witness`]) and runs the OpenVM guest (`guest/batch`, built by `scripts/build-guest.sh`) on
//! it ([`Guest`]).
use alloy_primitives::{keccak256, Bytes, B256};
use mosaic_batch::Variant;
use mosaic_node::Node;
use mosaic_primitives::{Block, Header, L1Message};
use mosaic_stf::{StateError, StateReader};
use mosaic_storage::HistoricalState;
use mosaic_trie::{Node as TreeNode, NodeStore, TrieError};
pub use mosaic_witness::{BatchWitness, Executed, Journal};
use mosaic_witness::{ChainSource, Recorder, JOURNAL_LEN};
use openvm_algebra_circuit::ModularExtension;
use openvm_ecc_circuit::{WeierstrassExtension, SECP256K1_CONFIG};
use openvm_sdk::{config::AppConfig, CpuSdk, StdIn};
use openvm_sdk_config::SdkVmConfig;
use openvm_stark_backend::codec::{Decode, Encode};
use openvm_transpiler::elf::Elf;
use openvm_verify_stark_host::{vk::VmStarkVerifyingKey, VmStarkProof};
use std::path::Path;

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

fn node_err(e: impl std::fmt::Display) -> ProverError {
    ProverError::Node(e.to_string())
}

/// The node's database as a witness source: the tree and codes as of the batch's parent, headers.
struct NodeChain {
    state: HistoricalState,
    node: Node,
}

impl NodeStore for NodeChain {
    fn get_node(&self, hash: &B256) -> Result<Option<TreeNode>, TrieError> {
        self.state.nodes().get_node(hash)
    }
}

impl ChainSource for NodeChain {
    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        self.state.code(hash)
    }

    fn header(&self, number: u64) -> Result<Option<Header>, StateError> {
        self.node.db().header(number).map_err(|e| StateError(e.to_string()))
    }
}

/// Where `scripts/build-guest.sh` puts the guest ELF, relative to the repository root.
pub const GUEST_ELF: &str = "guest/out/mosaic-guest-batch.elf";

/// The witness of L2 blocks `first..=last` posted as one batch in `variant`, recorded by re-executing
/// them over the node's database; also returns the native result (journal, blocks).
pub fn batch_witness(
    node: &Node,
    first: u64,
    last: u64,
    variant: Variant,
) -> Result<(BatchWitness, Executed), ProverError> {
    let blocks = load_blocks(node, first, last)?;
    let data = encode_batch(node, &blocks, variant)?;
    record_witness(node, &blocks, variant, data)
}

/// The witness of the batch L1 holds for blocks `first..=last`: the variant is the one whose encoding
/// hashes to `data_hash` (the node keeps the hash, not the variant), found by encoding alone so the
/// batch is re-executed once.
pub fn posted_batch_witness(
    node: &Node,
    first: u64,
    last: u64,
    data_hash: B256,
) -> Result<(BatchWitness, Executed), ProverError> {
    let blocks = load_blocks(node, first, last)?;
    for variant in [Variant::Signed, Variant::Unsigned] {
        let data = encode_batch(node, &blocks, variant)?;
        if keccak256(&data) == data_hash {
            return record_witness(node, &blocks, variant, data);
        }
    }
    Err(node_err(format!("re-encoding blocks {first}..={last} does not give the posted data {data_hash}")))
}

fn load_blocks(node: &Node, first: u64, last: u64) -> Result<Vec<Block>, ProverError> {
    if first == 0 {
        return Err(node_err("the genesis block is in no batch"));
    }
    if last < first {
        return Err(node_err(format!("empty block range {first}..={last}")));
    }
    (first..=last)
        .map(|n| node.db().block(n).map_err(node_err)?.ok_or_else(|| node_err(format!("missing block {n}"))))
        .collect()
}

fn encode_batch(node: &Node, blocks: &[Block], variant: Variant) -> Result<Vec<u8>, ProverError> {
    let batch = mosaic_batch::Batch::from_blocks(blocks).map_err(node_err)?;
    Ok(mosaic_batch::encode(&batch, variant, node.chain_id()))
}

/// Records the witness of `blocks` (non-empty, consecutive) posted as `data` in `variant`.
fn record_witness(
    node: &Node,
    blocks: &[Block],
    variant: Variant,
    data: Vec<u8>,
) -> Result<(BatchWitness, Executed), ProverError> {
    let db = node.db();
    let (first, head) = (blocks[0].header.number, &blocks[blocks.len() - 1].header);
    let parent =
        db.header(first - 1).map_err(node_err)?.ok_or_else(|| node_err(format!("missing header {}", first - 1)))?;
    let messages: Vec<L1Message> = blocks.iter().flat_map(|b| b.l1_messages.iter().cloned()).collect();
    let signatures = match variant {
        Variant::Signed => Vec::new(),
        Variant::Unsigned => blocks.iter().flat_map(|b| b.transactions.iter().map(|t| *t.signature())).collect(),
    };
    let state =
        HistoricalState::new(db.read().map_err(node_err)?, parent.number, parent.state_root).map_err(node_err)?;
    let recorder = Recorder::new(NodeChain { state, node: node.clone() });
    let (witness, executed) = recorder.build(&node.config().chain, &parent, &data, &messages, &signatures)?;
    // The witness must reproduce the node's own chain, or it proves something else.
    if executed.journal.post_state_root != head.state_root || executed.journal.last_block_hash != head.hash_slow() {
        return Err(node_err(format!(
            "re-execution of blocks {first}..={} does not reach the node's block",
            head.number
        )));
    }
    Ok((witness, executed))
}

/// What running the guest produced.
#[derive(Debug, Clone, Copy)]
pub struct GuestRun {
    /// The guest's public value: keccak256 of the journal.
    pub journal_hash: B256,
    /// RISC-V instructions executed.
    pub cycles: u64,
    /// OpenVM's estimate of the proving cost (trace cells).
    pub cost: u64,
}

/// The OpenVM configuration the batch guest runs in: RV32IM, IO, Keccak-256, SHA-256, and modular and
/// short-Weierstrass arithmetic over secp256k1. The guest's `openvm_init.rs` registers the same moduli
/// and curve in the same order ([`init_file`] generates it).
pub fn vm_config() -> SdkVmConfig {
    SdkVmConfig::builder()
        .system(Default::default())
        .rv32i(Default::default())
        .rv32m(Default::default())
        .io(Default::default())
        .keccak(Default::default())
        .sha2(Default::default())
        .modular(ModularExtension::new(vec![SECP256K1_CONFIG.modulus.clone(), SECP256K1_CONFIG.scalar.clone()]))
        .ecc(WeierstrassExtension::new(vec![SECP256K1_CONFIG.clone()]))
        .build()
        .optimize()
}

/// The `openvm_init.rs` that [`vm_config`] requires of the guest (what `cargo openvm` would write).
pub fn init_file() -> String {
    use openvm_circuit::arch::InitFileGenerator;
    vm_config().generate_init_file_contents().unwrap_or_default()
}

/// The batch guest program loaded into OpenVM ([`vm_config`], CPU backend).
pub struct Guest {
    sdk: CpuSdk,
    elf: Elf,
    /// keccak256 of the ELF (identifies the build; the proving commitment derives from it).
    pub elf_hash: B256,
}

impl Guest {
    /// Loads the guest ELF (`guest/out/mosaic-guest-batch.elf`).
    pub fn load(path: &Path) -> Result<Self, ProverError> {
        let bytes = std::fs::read(path).map_err(|e| {
            ProverError::ZkVm(format!("{}: {e} (build it with scripts/build-guest.sh)", path.display()))
        })?;
        let elf = Elf::decode(&bytes, 1 << 29).map_err(|e| ProverError::ZkVm(format!("bad guest ELF: {e}")))?;
        let params = openvm_stark_sdk::config::app_params_with_100_bits_security(
            openvm_stark_sdk::config::DEFAULT_APP_L_SKIP + 19,
        );
        let sdk = CpuSdk::new(AppConfig::new(vm_config(), params), Default::default())
            .map_err(|e| ProverError::ZkVm(e.to_string()))?;
        Ok(Self { sdk, elf, elf_hash: keccak256(&bytes) })
    }

    /// Runs the guest on `witness` without proving (fast, no keys): its public value, keccak256 of the
    /// journal. An invalid batch or a forged witness is an error.
    pub fn execute(&self, witness: &BatchWitness) -> Result<B256, ProverError> {
        let public =
            self.sdk.execute(self.elf.clone(), Self::stdin(witness)).map_err(|e| ProverError::ZkVm(e.to_string()))?;
        journal_hash(&public)
    }

    /// Runs the guest with OpenVM's cost metering: cycles and trace cells (generates the app proving key
    /// on first use, which takes minutes).
    pub fn measure(&self, witness: &BatchWitness) -> Result<GuestRun, ProverError> {
        let (public, (cost, cycles)) = self
            .sdk
            .execute_metered_cost(self.elf.clone(), Self::stdin(witness))
            .map_err(|e| ProverError::ZkVm(e.to_string()))?;
        Ok(GuestRun { journal_hash: journal_hash(&public)?, cycles, cost })
    }

    /// Generates the proving keys `kind` needs now (the app key; for recursive proofs also the
    /// aggregation keys) instead of inside the first proof; later calls reuse them.
    pub fn keygen(&self, kind: ProofKind) {
        let _ = self.sdk.app_pk();
        if kind == ProofKind::Recursive {
            let _ = self.sdk.agg_pk();
        }
    }

    /// Proves the guest's run on `witness`, whose native execution gave `journal` (generates the app,
    /// and for [`ProofKind::Recursive`] the aggregation, proving keys on first use: minutes). Fails if
    /// the guest does not reveal `journal`'s hash.
    pub fn prove(&self, witness: &BatchWitness, journal: &Journal, kind: ProofKind) -> Result<BatchProof, ProverError> {
        let (public, proof) = match kind {
            ProofKind::App => {
                let mut prover = self.sdk.app_prover(self.elf.clone()).map_err(zkvm)?;
                let proof = prover.prove(Self::stdin(witness)).map_err(zkvm)?;
                let bytes = bitcode::serialize(&proof).map_err(zkvm)?;
                (field_bytes(&proof.user_public_values.public_values), bytes)
            }
            ProofKind::Recursive => {
                let (proof, _) = self.sdk.prove(self.elf.clone(), Self::stdin(witness), &[]).map_err(zkvm)?;
                let bytes = proof.encode_to_vec().map_err(zkvm)?;
                (field_bytes(&proof.user_pvs_proof.public_values), bytes)
            }
        };
        check_public_value(journal_hash(&public)?, journal)?;
        let proof = zstd::encode_all(proof.as_slice(), 3).map_err(zkvm)?;
        Ok(BatchProof { kind, journal: *journal, proof })
    }

    /// Verifies `proof` against this guest program and returns its journal: the STARK(s) must verify
    /// under the keys derived from this ELF and the VM configuration, and reveal the journal's hash.
    pub fn verify(&self, proof: &BatchProof) -> Result<Journal, ProverError> {
        let bytes = zstd::decode_all(proof.proof.as_slice()).map_err(zkvm)?;
        let public = match proof.kind {
            ProofKind::App => {
                let inner: openvm_circuit::arch::ContinuationVmProof<openvm_sdk::SC> =
                    bitcode::deserialize(&bytes).map_err(zkvm)?;
                let exe_commit =
                    openvm_sdk::prover::verify_app_proof::<Engine>(&self.sdk.app_vk(), &inner).map_err(zkvm)?;
                let expected = self.sdk.app_prover(self.elf.clone()).map_err(zkvm)?.app_exe_commit();
                if exe_commit != expected {
                    return Err(ProverError::ZkVm("the proof is of another program".into()));
                }
                field_bytes(&inner.user_public_values.public_values)
            }
            ProofKind::Recursive => {
                let inner = VmStarkProof::decode_from_bytes(&bytes).map_err(zkvm)?;
                let baseline = self.sdk.prover(self.elf.clone()).map_err(zkvm)?.generate_baseline();
                let vk = VmStarkVerifyingKey { mvk: self.sdk.agg_vk().as_ref().clone(), baseline };
                openvm_verify_stark_host::verify_vm_stark_proof_decoded(&vk, &inner).map_err(zkvm)?;
                field_bytes(&inner.user_pvs_proof.public_values)
            }
        };
        check_public_value(journal_hash(&public)?, &proof.journal)?;
        Ok(proof.journal)
    }

    /// The program's commitments (generates the app and aggregation proving keys: minutes).
    pub fn program_commit(&self) -> Result<ProgramCommit, ProverError> {
        let commit = self.sdk.app_commit(self.elf.clone()).map_err(zkvm)?;
        Ok(ProgramCommit {
            app_exe_commit: B256::from(*commit.app_exe_commit.as_slice()),
            app_vm_commit: B256::from(*commit.app_vm_commit.as_slice()),
        })
    }

    fn stdin(witness: &BatchWitness) -> StdIn {
        let mut stdin = StdIn::default();
        stdin.write_bytes(&witness.encode());
        stdin
    }
}

/// Which proof of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKind {
    /// OpenVM's app proof: one STARK per execution segment (size grows with the batch).
    App,
    /// The segments' proofs aggregated by OpenVM's leaf and internal recursion into one STARK.
    Recursive,
}

impl ProofKind {
    fn tag(self) -> u8 {
        match self {
            Self::App => 1,
            Self::Recursive => 2,
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

impl BatchProof {
    /// The file bytes: magic, version, kind, the 280-byte journal, the proof.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + JOURNAL_LEN + self.proof.len());
        out.extend_from_slice(PROOF_MAGIC);
        out.push(PROOF_VERSION);
        out.push(self.kind.tag());
        out.extend_from_slice(&self.journal.encode());
        out.extend_from_slice(&self.proof);
        out
    }

    /// Parses [`BatchProof::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProverError> {
        let bad = |why: &str| ProverError::ZkVm(format!("not a Mosaic batch proof: {why}"));
        let rest = bytes.strip_prefix(PROOF_MAGIC.as_slice()).ok_or_else(|| bad("wrong magic"))?;
        let (&version, rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
        if version != PROOF_VERSION {
            return Err(bad(&format!("format version {version}, this build reads {PROOF_VERSION}")));
        }
        let (&tag, rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
        let kind = match tag {
            1 => ProofKind::App,
            2 => ProofKind::Recursive,
            _ => return Err(bad("unknown proof kind")),
        };
        if rest.len() < JOURNAL_LEN {
            return Err(bad("truncated journal"));
        }
        let journal = Journal::decode(&rest[..JOURNAL_LEN]).ok_or_else(|| bad("malformed journal"))?;
        Ok(Self { kind, journal, proof: rest[JOURNAL_LEN..].to_vec() })
    }
}

/// The commitments that identify the proven program: what an L1 deployment pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramCommit {
    /// OpenVM's commitment to the guest executable (code, initial memory, entry point).
    pub app_exe_commit: B256,
    /// OpenVM's commitment to the VM configuration and the recursion verifying keys.
    pub app_vm_commit: B256,
}

/// The guest's one public value (the first 32 bytes of OpenVM's user public output): the journal hash.
fn journal_hash(public: &[u8]) -> Result<B256, ProverError> {
    public.get(..32).map(B256::from_slice).ok_or_else(|| ProverError::ZkVm("no public value".into()))
}

/// OpenVM's CPU STARK engine.
type Engine = openvm_stark_sdk::config::baby_bear_poseidon2::BabyBearPoseidon2CpuEngine;

fn zkvm(e: impl std::fmt::Display) -> ProverError {
    ProverError::ZkVm(e.to_string())
}

/// User public values as bytes: OpenVM reveals each byte as one field element.
fn field_bytes(values: &[openvm_sdk::F]) -> Vec<u8> {
    use openvm_stark_backend::p3_field::PrimeField32;
    values.iter().map(|v| v.as_canonical_u32() as u8).collect()
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

/// A throwaway single-sequencer chain with ETH transfers, for the guest's tests and benchmarks.
pub mod sample {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_primitives::{Address, TxKind, B256, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use mosaic_node::{Node, NodeConfig, NodeError};
    use mosaic_primitives::ChainConfig;
    use std::{
        path::{Path, PathBuf},
        time::Duration,
    };

    /// This checkout's guest ELF ([`super::GUEST_ELF`]), for tests and benchmarks.
    pub fn checkout_guest_elf() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(super::GUEST_ELF)
    }

    /// Opens a node in `dir` (inside a tokio runtime) and seals block 1 with `transfers` ETH transfers
    /// from distinct funded senders.
    pub fn chain_with_transfers(dir: &Path, transfers: usize) -> Result<Node, NodeError> {
        let signers: Vec<PrivateKeySigner> = (0..transfers)
            .map(|i| PrivateKeySigner::from_bytes(&B256::with_last_byte(i as u8 + 1)).expect("key"))
            .collect();
        let node = Node::open(NodeConfig {
            chain: ChainConfig::default(),
            data_dir: dir.to_path_buf(),
            block_time: Duration::ZERO,
            fee_recipient: Address::repeat_byte(0xfe),
            pool: Default::default(),
            genesis_alloc: signers.iter().map(|s| (s.address(), U256::from(10u64).pow(U256::from(19u64)))).collect(),
            max_tx_size: 128 * 1024,
            predeploys: vec![],
        })?;
        let txs = signers
            .iter()
            .map(|s| {
                let tx = TxEip1559 {
                    chain_id: ChainConfig::default().chain_id,
                    nonce: 0,
                    gas_limit: 21_000,
                    max_fee_per_gas: 10_000_000_000,
                    max_priority_fee_per_gas: 1,
                    to: TxKind::Call(Address::repeat_byte(0xd0)),
                    value: U256::from(12345),
                    ..Default::default()
                };
                let sig = s.sign_hash_sync(&tx.signature_hash()).expect("sign");
                (tx.into_signed(sig).into(), s.address())
            })
            .collect();
        node.import_block(node.head().timestamp + 1, Address::repeat_byte(0xfe), &[], txs)
            .map_err(|e| NodeError::Inconsistent(format!("{e:?}")))?;
        Ok(node)
    }
}
