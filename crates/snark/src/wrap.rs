//! Setup and wrap (feature `prove`): OpenVM's root STARK of a recursive proof, a halo2 proof of
//! OpenVM's static verifier circuit over it (seven advice columns at k = 22, Poseidon transcript), then
//! a halo2 proof of OpenVM's wrapper circuit over that one (one advice column at k = 23, the Keccak
//! transcript Ethereum replays): the one column is what brings the L1 verifier from 41 `ecMul`s to 22.
use crate::{
    point_bytes,
    srs::{self, Params},
    SnarkError, SnarkProof, SnarkVerifyingKey,
};
use alloy_primitives::B256;
use halo2_base::{
    gates::circuit::builder::BaseCircuitBuilder,
    halo2_proofs::{
        halo2curves::bn256::G1Affine,
        poly::commitment::{Params as _, ParamsProver},
        SerdeFormat,
    },
};
use mosaic_prover::{OpenVm, ProgramCommit, ProofKind, ZkVm};
use openvm_continuations::circuit::inner::ProofsType;
use openvm_sdk::{
    keygen::{dummy::generate_dummy_root_proof, RootProvingKey},
    prover::{InternalLayerMetadata, RootProver},
    DeferralSetup,
};
use openvm_stark_backend::codec::{Decode, Encode};
use snark_verifier_sdk::{
    halo2::{gen_dummy_snark_from_vk, gen_proof_shplonk},
    snark_verifier::system::halo2::{compile, Config},
    Snark, SHPLONK,
};

use openvm_static_verifier::{
    compute_dag_onion_commit, log_heights_per_air_from_proof, Halo2ProvingPinning, Halo2WrapperProvingKey,
    StaticVerifierCircuit, StaticVerifierShape,
};
use openvm_verify_stark_host::VmStarkProof;
use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
    sync::Arc,
    time::Instant,
};

/// Retries of root trace generation with one more internal-recursion layer (OpenVM's value).
const MAX_ROOT_RETRIES: usize = 8;

const KEY_MAGIC: &[u8; 8] = b"MSNKPK01";

/// File names in a setup directory.
pub(crate) struct Files(PathBuf);

impl Files {
    /// The static verifier circuit's proving key.
    fn pk(&self) -> PathBuf {
        self.0.join("static.pk")
    }
    fn static_stamp(&self) -> PathBuf {
        self.0.join("static.json")
    }
    fn wrapper_pk(&self) -> PathBuf {
        self.0.join("wrapper.pk")
    }
    fn vk(&self) -> PathBuf {
        self.0.join("snark.vk.json")
    }
    fn solidity(&self) -> PathBuf {
        self.0.join("Halo2Verifier.sol")
    }
    fn root_pk(&self) -> PathBuf {
        self.0.join("root.pk")
    }
}

/// What `setup` measured and wrote.
#[derive(Debug, Clone)]
pub struct SetupReport {
    /// The verifying key (also written to `snark.vk.json`).
    pub vk: SnarkVerifyingKey,
    /// Seconds: OpenVM's app, aggregation and root keys plus the dummy root proof keygen needs.
    pub stark_keys_s: f64,
    /// Seconds: the halo2 keygen (vk and pk) of the static verifier circuit; `None` when its keys in
    /// the folder were reused.
    pub halo2_keygen_s: Option<f64>,
    /// Seconds: the wrapper's layout and keygen (its KZG parameters included when generated).
    pub wrapper_keygen_s: f64,
    /// Bytes of the two proving keys.
    pub pk_bytes: u64,
    /// The generated Solidity verifier's path.
    pub solidity: PathBuf,
    /// The static verifier circuit's advice columns (halo2-base fits it into `2^static_k` rows).
    pub advice_columns: usize,
    /// Its lookup-advice columns (range checks).
    pub lookup_columns: usize,
    /// Its fixed columns.
    pub fixed_columns: usize,
    /// The wrapper's layout.
    pub wrapper: crate::WrapperSize,
}

/// What the two halo2 proofs measured (the root STARK's time comes with [`root_proof`]).
#[derive(Debug, Clone)]
pub struct WrapReport {
    /// Seconds reading the proving keys and KZG parameters.
    pub load_s: f64,
    /// Seconds for the static verifier's witness (its circuit run on the root proof).
    pub witness_s: f64,
    /// Seconds for the static verifier's proof (and its self-check).
    pub static_s: f64,
    /// Seconds for the wrapper's witness and proof (and its self-check).
    pub wrapper_s: f64,
    /// Advice cells the static verifier circuit used, of `2^static_k` rows.
    pub advice_cells: usize,
    /// Cells range-checked by lookups.
    pub lookup_cells: usize,
}

/// The static verifier circuit with its halo2 keys, for one program's VM.
struct StaticKey {
    circuit: StaticVerifierCircuit,
    shape: StaticVerifierShape,
    pinning: Halo2ProvingPinning,
}

impl StaticKey {
    fn write(&self, path: &Path) -> Result<(), SnarkError> {
        write_key_file(path, KEY_MAGIC, |w| {
            write_json(w, &(&self.circuit, &self.shape))?;
            self.pinning.encode(w)
        })
    }

    /// The circuit and shape only (the file's header), without the multi-GB proving key.
    fn read_head(path: &Path) -> Result<(StaticVerifierCircuit, StaticVerifierShape), SnarkError> {
        Self::open(path).map(|(head, _)| head)
    }

    fn open(path: &Path) -> Result<((StaticVerifierCircuit, StaticVerifierShape), BufReader<File>), SnarkError> {
        let mut r = open_key_file(path, KEY_MAGIC, "SNARK proving key")?;
        Ok((read_json(&mut r).map_err(|e| SnarkError::io(path, e))?, r))
    }

    fn read(path: &Path) -> Result<Self, SnarkError> {
        let ((circuit, shape), mut r) = Self::open(path)?;
        let pinning = Halo2ProvingPinning::decode(&mut r).map_err(|e| SnarkError::io(path, e))?;
        Ok(Self { circuit, shape, pinning })
    }
}

/// The STARK side of setup: the static verifier circuit for `vm`'s program (it pins the root
/// verifying key and the internal-recursion verifier) and a dummy root proof of a trivial program to
/// run keygen on, both cached in `dir` (`keygen-inputs.bin`), and the root proving key (`root.pk`,
/// which every wrap would otherwise rebuild: [`RootKey`]). Uses the program's SDK (app, aggregation
/// and root keys: ≈4 GB); drop the VM before the halo2 work.
pub fn keygen_inputs(vm: &OpenVm, dir: &Path) -> Result<KeygenInputs, SnarkError> {
    let started = Instant::now();
    let program = vm.program_commit().map_err(prover_err)?;
    let sdk = vm.sdk();
    let root = sdk.root_prover();
    let agg = sdk.agg_prover();
    std::fs::create_dir_all(dir).map_err(|e| SnarkError::io(dir, e))?;
    RootKey::write_cache(&root, &Files(dir.to_path_buf()).root_pk())?;
    tracing::info!("proving a dummy root proof for the static verifier's keygen");
    let dummy = generate_dummy_root_proof::<mosaic_prover::StarkEngine, _>(
        *sdk.app_vm_builder(),
        &sdk.app_pk().app_vm_pk,
        agg.clone(),
        deferral_setup(vm),
        root.clone(),
    );
    let circuit = StaticVerifierCircuit::try_new(
        root.0.get_vk().as_ref().clone(),
        compute_dag_onion_commit(&agg.internal_recursive_prover.get_vk()),
        &log_heights_per_air_from_proof(&dummy),
    )
    .map_err(prover_err)?;
    let inputs = KeygenInputs { program, circuit, dummy, seconds: started.elapsed().as_secs_f64() };
    inputs.write(dir)?;
    Ok(inputs)
}

/// What halo2 keygen needs from the STARK side ([`keygen_inputs`], which caches it in the keys folder
/// so a failed keygen does not redo the STARK work).
pub struct KeygenInputs {
    /// The program the keys are for.
    pub program: ProgramCommit,
    circuit: StaticVerifierCircuit,
    dummy: RootProof,
    /// Seconds the STARK side took.
    pub seconds: f64,
}

/// OpenVM's root STARK (BN254 Poseidon2), what the static verifier circuit verifies.
pub type RootProof = openvm_stark_backend::proof::Proof<openvm_continuations::RootSC>;

const INPUTS_MAGIC: &[u8; 8] = b"MSNKIN01";

impl KeygenInputs {
    fn path(dir: &Path) -> PathBuf {
        dir.join("keygen-inputs.bin")
    }

    /// Writes the inputs to `dir/keygen-inputs.bin`.
    fn write(&self, dir: &Path) -> Result<(), SnarkError> {
        write_key_file(&Self::path(dir), INPUTS_MAGIC, |w| {
            w.write_all(self.program.app_exe_commit.as_slice())?;
            w.write_all(self.program.app_vm_commit.as_slice())?;
            w.write_all(self.program.program_id.as_slice())?;
            write_json(w, &self.circuit)?;
            self.dummy.encode(w)
        })
    }

    /// Reads `dir/keygen-inputs.bin` if it exists and is for `program`.
    pub fn read(dir: &Path, program: &ProgramCommit) -> Result<Option<Self>, SnarkError> {
        let path = Self::path(dir);
        let Ok(file) = File::open(&path) else { return Ok(None) };
        let io = |e| SnarkError::io(&path, e);
        let mut r = BufReader::new(file);
        let mut head = [0u8; 8 + 96];
        r.read_exact(&mut head).map_err(io)?;
        let exe = B256::from_slice(&head[8..40]);
        let vm = B256::from_slice(&head[40..72]);
        if &head[..8] != INPUTS_MAGIC || (exe, vm) != (program.app_exe_commit, program.app_vm_commit) {
            return Ok(None);
        }
        let circuit = read_json(&mut r).map_err(io)?;
        let dummy = RootProof::decode(&mut r).map_err(io)?;
        Ok(Some(Self { program: *program, circuit, dummy, seconds: 0.0 }))
    }
}

/// OpenVM's root STARK of a recursive proof (OpenVM's codec, as in a Mosaic proof file) of `vm`'s
/// program with the SDK's root prover (which OpenVM derives by proving a trivial program through the
/// whole pipeline: minutes; [`RootKey`] loads it from the keys instead), and the seconds it took.
/// The proof is verified first, as [`RootKey::prove`] does.
pub fn root_proof(vm: &OpenVm, stark: &[u8]) -> Result<(RootProof, f64), SnarkError> {
    verify_recursive(vm, stark)?;
    RootKey { prover: vm.sdk().root_prover() }.prove_verified(vm, stark)
}

fn verify_recursive(vm: &OpenVm, stark: &[u8]) -> Result<(), SnarkError> {
    vm.verify(ProofKind::Recursive, stark).map_err(|e| SnarkError::Invalid(format!("the recursive proof: {e}")))?;
    Ok(())
}

/// OpenVM's root prover of one program: the STARK whose verifier the static verifier circuit is.
pub struct RootKey {
    prover: Arc<RootProver>,
}

impl RootKey {
    /// The root prover that the keys in `dir` verify, for `vm`'s program: from the root proving key
    /// setup cached there (`root.pk`) when it is the one the circuit pins, else the SDK's (minutes: a
    /// trivial program proven through the whole pipeline), then cached for the next wrap. Errors when
    /// the keys were made for another root or internal-recursion verifier (another OpenVM, or another
    /// program configuration): run setup again.
    pub fn for_keys(vm: &OpenVm, dir: &Path) -> Result<Self, SnarkError> {
        let files = Files(dir.to_path_buf());
        let (circuit, _) = StaticKey::read_head(&files.pk())?;
        let sdk = vm.sdk();
        let agg = sdk.agg_prover();
        if compute_dag_onion_commit(&agg.internal_recursive_prover.get_vk())
            != circuit.internal_recursive_dag_onion_commit
        {
            return Err(stale_keys(dir, "internal-recursion"));
        }
        let pinned = serde_json::to_vec(&circuit.root_vk).map_err(prover_err)?;
        let vk_of = |pk: &RootProvingKey| serde_json::to_vec(&pk.root_pk.get_vk()).map_err(prover_err);
        match openvm_sdk::fs::read_object_from_file::<RootProvingKey, _>(files.root_pk()) {
            Ok(pk) if vk_of(&pk)? == pinned => {
                let config = sdk.app_config().app_vm_config.as_ref();
                let prover = RootProver::from_pk(
                    agg.internal_recursive_prover.get_vk(),
                    agg.internal_recursive_prover
                        .get_self_vk_pcs_data()
                        .ok_or_else(|| prover_err("the internal-recursion key has no commitment"))?
                        .commitment
                        .into(),
                    pk.root_pk,
                    config.memory_config.memory_dimensions(),
                    config.num_public_values,
                    sdk.def_hook_commit(),
                    Some(pk.trace_heights),
                );
                return Ok(Self { prover: Arc::new(prover) });
            }
            Ok(_) => tracing::warn!(path = %files.root_pk().display(), "cached root key is for another root verifier"),
            Err(e) if files.root_pk().exists() => tracing::warn!("unreadable cached root key: {e}"),
            Err(_) => {}
        }
        tracing::info!("deriving the root proving key (OpenVM's dummy pipeline: minutes)");
        let prover = sdk.root_prover();
        if serde_json::to_vec(prover.0.get_vk().as_ref()).map_err(prover_err)? != pinned {
            return Err(stale_keys(dir, "root"));
        }
        Self::write_cache(&prover, &files.root_pk())?;
        Ok(Self { prover })
    }

    fn write_cache(prover: &RootProver, path: &Path) -> Result<(), SnarkError> {
        let key = RootProvingKey {
            root_pk: prover.0.get_pk(),
            trace_heights: prover.0.get_trace_heights().unwrap_or_default(),
        };
        let tmp = path.with_extension("pk.partial");
        openvm_sdk::fs::write_object_to_file(&tmp, key).map_err(prover_err)?;
        std::fs::rename(&tmp, path).map_err(|e| SnarkError::io(path, e))
    }

    /// OpenVM's root STARK of `stark` (a recursive proof of `vm`'s program, OpenVM's codec as in a
    /// Mosaic proof file) and the seconds it took. The proof is verified against the program first
    /// (seconds), so a forged or foreign proof is refused before minutes of proving.
    pub fn prove(&self, vm: &OpenVm, stark: &[u8]) -> Result<(RootProof, f64), SnarkError> {
        verify_recursive(vm, stark)?;
        self.prove_verified(vm, stark)
    }

    fn prove_verified(&self, vm: &OpenVm, stark: &[u8]) -> Result<(RootProof, f64), SnarkError> {
        let stark = VmStarkProof::decode_from_bytes(stark).map_err(prover_err)?;
        let agg = vm.sdk().agg_prover();
        let started = Instant::now();
        let proofs_type = match deferral_setup(vm) {
            DeferralSetup::Disabled => ProofsType::Vm,
            _ => ProofsType::Mix,
        };
        let mut metadata = InternalLayerMetadata { internal_recursive_layer: 0, internal_node_idx: 0, proofs_type };
        let engine = self.prover.create_engine();
        let proof = self
            .prover
            .prove(stark, &engine, MAX_ROOT_RETRIES, |p| agg.wrap_proof(p, &mut metadata))
            .map_err(prover_err)?;
        Ok((proof, started.elapsed().as_secs_f64()))
    }
}

fn stale_keys(dir: &Path, which: &str) -> SnarkError {
    SnarkError::Invalid(format!(
        "the keys in {} were made for another {which} verifier (run `mosaic snark setup` again)",
        dir.display()
    ))
}

/// The halo2 side of one program's keys: the static verifier circuit proven with a Poseidon transcript
/// (`static.pk`, at `2^static_k`), then the single-column wrapper that verifies that proof, proven with
/// the Keccak transcript Ethereum replays (`wrapper.pk`, at `2^k`). Each proving key is loaded only for
/// its own proof, so the two never share the memory.
pub struct SnarkProver {
    dir: PathBuf,
    vk: SnarkVerifyingKey,
}

/// What the static half of a setup was made with (`static.json`): a later setup with the same
/// parameters file and circuit reuses `static.pk` instead of minutes of keygen.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq)]
struct StaticStamp {
    k: u32,
    srs_sha256: B256,
}

impl SnarkProver {
    /// halo2 keygen of the static verifier circuit at `2^params.k()` on `inputs` (skipped when `dir`
    /// already holds it for these parameters and this circuit), then of the wrapper over it at the
    /// smallest `k` where it fits one advice column, with the KZG parameters of that size in `dir`
    /// (generated from `seed` when absent; both sizes must come from one setup). Writes `static.pk`,
    /// `wrapper.pk`, `snark.vk.json` and `Halo2Verifier.sol` to `dir`.
    pub fn setup(
        inputs: KeygenInputs,
        params: Params,
        srs_sha256: B256,
        dev_srs: bool,
        seed: [u8; 32],
        dir: &Path,
    ) -> Result<(Self, SetupReport), SnarkError> {
        let files = Files(dir.to_path_buf());
        let static_k = params.k();
        let KeygenInputs { program, circuit, dummy, seconds } = inputs;
        let stamp = StaticStamp { k: static_k, srs_sha256 };
        let reusable = std::fs::read(files.static_stamp())
            .ok()
            .and_then(|b| serde_json::from_slice::<StaticStamp>(&b).ok())
            .is_some_and(|s| s == stamp)
            && StaticKey::read_head(&files.pk())
                .is_ok_and(|(c, _)| serde_json::to_vec(&c).ok() == serde_json::to_vec(&circuit).ok());
        let started = Instant::now();
        let key = if reusable {
            tracing::info!("reusing the static verifier's keys in {}", files.pk().display());
            drop(dummy);
            StaticKey::read(&files.pk())?
        } else {
            let shape = StaticVerifierShape {
                k: static_k as usize,
                lookup_bits: static_k as usize - 1,
                ..StaticVerifierShape::default()
            };
            tracing::info!(k = static_k, "halo2 keygen of the static verifier circuit");
            let pinning = circuit.keygen(&params, &shape, &dummy);
            drop(dummy);
            let key = StaticKey { circuit, shape, pinning };
            let _ = std::fs::remove_file(files.static_stamp());
            key.write(&files.pk())?;
            write_file(&files.static_stamp(), &serde_json::to_vec(&stamp).map_err(prover_err)?)?;
            key
        };
        let halo2_keygen_s = (!reusable).then(|| started.elapsed().as_secs_f64());
        let config = &key.pinning.metadata.config_params;
        let (advice_columns, lookup_columns, fixed_columns) = (
            config.num_advice_per_phase.iter().sum(),
            config.num_lookup_advice_per_phase.iter().sum(),
            config.num_fixed,
        );

        // The wrapper's keygen runs on a dummy proof of the static circuit's shape (any proof will do:
        // the layout does not depend on the values).
        let dummy = gen_dummy_snark_from_vk::<SHPLONK>(
            &params,
            key.pinning.pk.get_vk(),
            key.pinning.metadata.num_pvs.clone(),
            None,
        );
        let inner = (params.get_g()[1], params.s_g2());
        drop(key);
        drop(params);
        let started = Instant::now();
        let size = crate::wrapper_size(&dummy)?;
        let (wrapper_params, wrapper_srs_sha256, wrapper_dev) = crate::params(dir, size.k, seed)?;
        // The wrapper's verifier checks the inner proof's accumulator with its own `[s]G2`.
        if (wrapper_params.get_g()[1], wrapper_params.s_g2()) != inner {
            return Err(SnarkError::Format(format!(
                "{} and {} are not from one setup (different secrets)",
                srs::path(dir, size.k).display(),
                srs::path(dir, static_k).display()
            )));
        }
        tracing::info!(k = size.k, "halo2 keygen of the wrapper circuit");
        let wrapper = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Halo2WrapperProvingKey::keygen(&wrapper_params, dummy)
        }))
        .map_err(|_| SnarkError::Prover("the wrapper's keygen failed".into()))?;
        let wrapper_keygen_s = started.elapsed().as_secs_f64();
        write_wrapper(&wrapper, &files.wrapper_pk())?;

        let vk = verifying_key(
            &wrapper_params,
            &wrapper.pinning,
            static_k,
            &program,
            [wrapper_srs_sha256, srs_sha256],
            dev_srs || wrapper_dev,
        )?;
        drop(wrapper);
        vk.write(&files.vk())?;
        write_file(&files.solidity(), vk.solidity()?.as_bytes())?;
        let size_of = |p: PathBuf| std::fs::metadata(&p).map(|m| m.len()).map_err(|e| SnarkError::io(&p, e));
        let report = SetupReport {
            vk: vk.clone(),
            stark_keys_s: seconds,
            halo2_keygen_s,
            wrapper_keygen_s,
            pk_bytes: size_of(files.pk())? + size_of(files.wrapper_pk())?,
            solidity: files.solidity(),
            advice_columns,
            lookup_columns,
            fixed_columns,
            wrapper: size,
        };
        Ok((Self { dir: dir.to_path_buf(), vk }, report))
    }

    /// The keys `setup` wrote in `dir` (read now: the verifying key; the proving keys and parameters are
    /// read by each proof).
    pub fn load(dir: &Path) -> Result<Self, SnarkError> {
        let vk = SnarkVerifyingKey::read(&Files(dir.to_path_buf()).vk())?;
        Ok(Self { dir: dir.to_path_buf(), vk })
    }

    /// The verifying key.
    pub fn vk(&self) -> &SnarkVerifyingKey {
        &self.vk
    }

    /// Proves `root` (from [`root_proof`]) for the EVM: the static verifier circuit on it (Poseidon
    /// transcript), then the wrapper on that proof (Keccak transcript).
    pub fn prove(&self, root: &RootProof) -> Result<(SnarkProof, WrapReport), SnarkError> {
        let files = Files(self.dir.clone());
        let started = Instant::now();
        let params = srs::read(&srs::path(&self.dir, self.vk.static_k))?;
        let key = StaticKey::read(&files.pk())?;
        let load_s = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let meta = &key.pinning.metadata;
        let mut builder = BaseCircuitBuilder::prover(meta.config_params.clone(), meta.break_points.clone())
            .use_instance_columns(key.shape.instance_columns);
        let pvs = key.circuit.populate(&mut builder, root).to_vec();
        let stats = builder.statistics();
        let advice_cells = stats.gate.total_advice_per_phase.iter().sum();
        let lookup_cells = stats.total_lookup_advice_per_phase.iter().sum();
        let witness_s = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let protocol = compile(&params, key.pinning.pk.get_vk(), Config::kzg().with_num_instance(meta.num_pvs.clone()));
        // Proves, then verifies the proof (panics if it does not).
        let proof = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gen_proof_shplonk(&params, &key.pinning.pk, builder, vec![pvs.clone()], None)
        }))
        .map_err(|_| SnarkError::Prover("the static verifier's halo2 prover failed".into()))?;
        let static_s = started.elapsed().as_secs_f64();
        drop(key);
        drop(params);
        let inner = Snark::new(protocol, vec![pvs], proof);

        let started = Instant::now();
        let params = srs::read(&srs::path(&self.dir, self.vk.k))?;
        let wrapper = read_wrapper(&files.wrapper_pk())?;
        let load_s = load_s + started.elapsed().as_secs_f64();
        let started = Instant::now();
        let proof = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wrapper.prove_for_evm(&params, inner)))
            .map_err(|_| SnarkError::Prover("the wrapper's halo2 prover failed".into()))?;
        let wrapper_s = started.elapsed().as_secs_f64();
        let snark = SnarkProof::from_parts(&proof.instances, proof.proof);
        Ok((snark, WrapReport { load_s, witness_s, static_s, wrapper_s, advice_cells, lookup_cells }))
    }
}

const WRAPPER_MAGIC: &[u8; 8] = b"MSNKWR01";

fn write_wrapper(key: &Halo2WrapperProvingKey, path: &Path) -> Result<(), SnarkError> {
    write_key_file(path, WRAPPER_MAGIC, |w| key.encode(w))
}

fn read_wrapper(path: &Path) -> Result<Halo2WrapperProvingKey, SnarkError> {
    let mut r = open_key_file(path, WRAPPER_MAGIC, "wrapper proving key")?;
    Halo2WrapperProvingKey::decode(&mut r).map_err(|e| SnarkError::io(path, e))
}

/// Writes a key file (`static.pk`, `wrapper.pk`, `keygen-inputs.bin`): `magic`, then `body`, through a `.partial` file renamed into place, so an
/// interrupted setup never leaves a truncated key under the real name.
fn write_key_file(
    path: &Path,
    magic: &[u8; 8],
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), SnarkError> {
    let io = |e| SnarkError::io(path, e);
    let tmp = path.with_extension("pk.partial");
    {
        let mut w = BufWriter::new(File::create(&tmp).map_err(io)?);
        w.write_all(magic).map_err(io)?;
        body(&mut w).map_err(io)?;
        w.flush().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Opens a file [`write_key_file`] wrote, positioned after its `magic`; another magic is a format error
/// naming `what` the file should have been.
fn open_key_file(path: &Path, magic: &[u8; 8], what: &str) -> Result<BufReader<File>, SnarkError> {
    let io = |e| SnarkError::io(path, e);
    let mut r = BufReader::new(File::open(path).map_err(io)?);
    let mut found = [0u8; 8];
    r.read_exact(&mut found).map_err(io)?;
    if &found != magic {
        return Err(SnarkError::Format(format!("{}: not a Mosaic {what}", path.display())));
    }
    Ok(r)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SnarkError> {
    std::fs::write(path, bytes).map_err(|e| SnarkError::io(path, e))
}

fn write_json<W: Write, T: serde::Serialize>(w: &mut W, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    w.write_all(&(bytes.len() as u64).to_le_bytes())?;
    w.write_all(&bytes)
}

fn read_json<R: Read, T: serde::de::DeserializeOwned>(r: &mut R) -> std::io::Result<T> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let len = usize::try_from(u64::from_le_bytes(len)).unwrap_or(usize::MAX);
    if len > 1 << 30 {
        return Err(std::io::Error::other("corrupt length"));
    }
    let mut bytes = vec![0u8; len];
    r.read_exact(&mut bytes)?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

fn prover_err(e: impl std::fmt::Display) -> SnarkError {
    SnarkError::Prover(e.to_string())
}

/// The KZG parameters for `k` in `dir`: read if present, else generated from `seed` (development) and
/// written, with a `.dev` marker beside them. Returns them, the file's sha256 and whether they are
/// development parameters (generated here now or earlier).
pub fn params(dir: &Path, k: u32, seed: [u8; 32]) -> Result<(Params, B256, bool), SnarkError> {
    let path = srs::path(dir, k);
    let marker = path.with_extension("srs.dev");
    if path.exists() {
        let params = srs::read(&path)?;
        if params.k() != k {
            return Err(SnarkError::Format(format!("{}: parameters of size 2^{}", path.display(), params.k())));
        }
        return Ok((params, srs::file_sha256(&path)?, marker.exists()));
    }
    std::fs::create_dir_all(dir).map_err(|e| SnarkError::io(dir, e))?;
    std::fs::write(&marker, format!("development KZG parameters from seed {}\n", hex::encode(seed)))
        .map_err(|e| SnarkError::io(&marker, e))?;
    let params = srs::dev_setup(k, seed);
    let hash = srs::write(&params, &path)?;
    Ok((params, hash, true))
}

/// The deferral setup of `vm`'s SDK: active for the aggregation program (it verifies batch STARKs by
/// deferral), disabled for the batch program.
fn deferral_setup(vm: &OpenVm) -> DeferralSetup {
    vm.sdk().deferral_agg_prover().map_or(DeferralSetup::Disabled, DeferralSetup::Active)
}

fn verifying_key(
    params: &Params,
    wrapper: &Halo2ProvingPinning,
    static_k: u32,
    program: &ProgramCommit,
    srs_sha256: [B256; 2],
    dev_srs: bool,
) -> Result<SnarkVerifyingKey, SnarkError> {
    let mut vk = Vec::new();
    wrapper.pk.get_vk().write(&mut vk, SerdeFormat::RawBytes).map_err(|e| SnarkError::Format(e.to_string()))?;
    let g1: G1Affine = params.get_g()[0];
    Ok(SnarkVerifyingKey {
        version: crate::KEY_VERSION,
        k: params.k(),
        static_k,
        circuit: wrapper.metadata.config_params.clone(),
        vk,
        g1: point_bytes(&g1),
        g2: point_bytes(&params.g2()),
        s_g2: point_bytes(&params.s_g2()),
        num_instances: wrapper.metadata.num_pvs.iter().sum(),
        app_exe_commit: program.app_exe_commit,
        app_vm_commit: program.app_vm_commit,
        srs_sha256,
        dev_srs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_round_trip_and_refuse_another_magic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("some.pk");
        write_key_file(&path, WRAPPER_MAGIC, |w| w.write_all(b"body")).unwrap();
        assert!(!path.with_extension("pk.partial").exists(), "the partial file is renamed into place");
        let mut body = Vec::new();
        open_key_file(&path, WRAPPER_MAGIC, "wrapper proving key").unwrap().read_to_end(&mut body).unwrap();
        assert_eq!(body, b"body");
        let err = open_key_file(&path, KEY_MAGIC, "SNARK proving key").unwrap_err().to_string();
        assert!(err.contains("not a Mosaic SNARK proving key"), "{err}");
        // A failed body leaves no key under the real name.
        let failed = dir.path().join("failed.pk");
        assert!(write_key_file(&failed, KEY_MAGIC, |_| Err(std::io::Error::other("boom"))).is_err());
        assert!(!failed.exists());
    }
}
