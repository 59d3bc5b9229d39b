//! `mosaic snark setup | wrap | verify`: a recursive proof of a Mosaic program wrapped into a BN254
//! SNARK that Ethereum verifies (crate `mosaic-snark`). Setup and wrap need the `prover` feature;
//! verify does not.
use crate::prove::GuestElfs;
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use mosaic_snark::{SnarkProof, SnarkVerifyingKey};
use std::{path::PathBuf, time::Instant};

/// Which program's proofs the keys wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Program {
    /// The batch guest: one batch per proof (what `Rollup.sol` finalizes today).
    Batch,
    /// The aggregation guest: K consecutive batches per proof.
    Aggregate,
}

impl Program {
    fn name(self) -> &'static str {
        self.of_queue().as_str()
    }

    /// The same program as proof jobs name it.
    pub(crate) fn of_queue(self) -> mosaic_prover_queue::Program {
        match self {
            Self::Batch => mosaic_prover_queue::Program::Batch,
            Self::Aggregate => mosaic_prover_queue::Program::Aggregate,
        }
    }
}

/// Where the keys live: `--dir`, else `<data dir>/snark/<program>`.
#[derive(Args, Debug, Clone)]
pub(crate) struct KeyDir {
    /// The folder of the keys (`static.pk`, `wrapper.pk`, `snark.vk.json`, the KZG parameters
    /// `kzg_bn254_<k>.srs`, the generated `Halo2Verifier.sol`). Default: `<data dir>/snark/<program>`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The program whose proofs the keys wrap.
    #[arg(long, value_enum, default_value = "batch")]
    pub program: Program,
}

impl KeyDir {
    /// The folder.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| crate::config::default_data_dir().join("snark").join(self.program.name()))
    }
}

/// `mosaic snark …`.
#[derive(Subcommand, Debug)]
pub(crate) enum SnarkCommand {
    /// Generate the SNARK keys for a program: KZG parameters (development: from a seed, or loaded from
    /// files in the folder), the proving keys of the static verifier circuit and of the wrapper over it,
    /// the verifying key and the Solidity verifier. Tens of minutes and ≈19 GB (feature `prover`).
    Setup(SetupArgs),
    /// Wrap a recursive proof (`mosaic prove --recursive`, `mosaic aggregate`) into a SNARK (feature
    /// `prover`).
    Wrap(WrapArgs),
    /// Verify a SNARK in Rust and print what it proves.
    Verify(VerifyArgs),
}

/// Flags of `mosaic snark setup`.
#[derive(Args, Debug)]
pub(crate) struct SetupArgs {
    #[command(flatten)]
    pub keys: KeyDir,
    /// log2 of the static verifier circuit's rows (the wrapper's follow: the smallest that fits it in
    /// one column).
    #[arg(long, default_value_t = mosaic_snark::DEFAULT_K)]
    pub k: u32,
    /// Seed of the development KZG parameters, 32 bytes hex (used only for the sizes whose
    /// `kzg_bn254_<k>.srs` is not already in the folder; all sizes must come from one setup). Default:
    /// `mosaic_snark::srs::DEV_SEED`. Its secret is known: never for production, where the folder holds
    /// the Powers of Tau files instead.
    #[arg(long)]
    pub seed: Option<String>,
    #[command(flatten)]
    pub elfs: GuestElfs,
}

/// Flags of `mosaic snark wrap`.
#[derive(Args, Debug)]
pub(crate) struct WrapArgs {
    /// The recursive proof file.
    pub proof: PathBuf,
    #[command(flatten)]
    pub keys: KeyDir,
    /// Where to write the SNARK. Default: the proof's path with extension `.snark`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub elfs: GuestElfs,
}

/// Flags of `mosaic snark verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The SNARK file `mosaic snark wrap` wrote.
    pub file: PathBuf,
    /// The verifying key. Default: `<keys folder>/snark.vk.json`.
    #[arg(long)]
    pub vk: Option<PathBuf>,
    #[command(flatten)]
    pub keys: KeyDir,
    /// The journal hash (0x…) the SNARK must prove, e.g. `Rollup.publicInputsHash(index)`.
    #[arg(long)]
    pub journal_hash: Option<alloy_primitives::B256>,
    /// Print only the proof bytes `SnarkVerifier` and `Rollup.proveBatch` take (0x…: the inner proof's
    /// accumulator, then the halo2 proof), once verified.
    #[arg(long)]
    pub l1_proof: bool,
}

/// Runs a `mosaic snark` command.
pub(crate) fn run(cmd: SnarkCommand) -> anyhow::Result<()> {
    match cmd {
        SnarkCommand::Setup(args) => imp::setup(args),
        SnarkCommand::Wrap(args) => imp::wrap(args),
        SnarkCommand::Verify(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let vk_path = args.vk.unwrap_or_else(|| args.keys.path().join("snark.vk.json"));
    let vk = SnarkVerifyingKey::read(&vk_path)?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let proof = SnarkProof::decode(&bytes)?;
    let started = Instant::now();
    let statement = vk.verify(&proof).context("the SNARK does not verify")?;
    let elapsed = started.elapsed();
    let public = alloy_primitives::hex::encode_prefixed(&statement.public_values);
    if let Some(expected) = args.journal_hash {
        anyhow::ensure!(
            statement.public_values == expected.as_slice(),
            "the SNARK proves journal hash {public}, not {expected}"
        );
    }
    if args.l1_proof {
        println!("{}", alloy_primitives::hex::encode_prefixed(proof.onchain_proof()));
        return Ok(());
    }
    println!("valid SNARK ({:.1} ms, {} bytes of proof)", elapsed.as_secs_f64() * 1e3, proof.proof.len());
    println!("  appExeCommit   {}", statement.app_exe_commit);
    println!("  appVmCommit    {}", statement.app_vm_commit);
    println!("  public values  {public}");
    if vk.dev_srs {
        println!("  note: the keys use development KZG parameters (known secret), not a ceremony's");
    }
    Ok(())
}

#[cfg(not(feature = "prover"))]
mod imp {
    use super::*;
    use crate::prove::missing;

    pub(super) fn setup(_: SetupArgs) -> anyhow::Result<()> {
        missing()
    }

    pub(super) fn wrap(_: WrapArgs) -> anyhow::Result<()> {
        missing()
    }
}

#[cfg(feature = "prover")]
mod imp {
    use super::*;
    use mosaic_prover_worker::with_program;
    use mosaic_snark::{KeygenInputs, SnarkProver, DEFAULT_K};

    fn elfs(elfs: &GuestElfs) -> mosaic_prover_worker::Elfs {
        mosaic_prover_worker::Elfs { guest: elfs.guest.clone(), aggregate_guest: elfs.aggregate_guest.clone() }
    }

    pub(crate) fn setup(args: SetupArgs) -> anyhow::Result<()> {
        anyhow::ensure!((20..=24).contains(&args.k), "--k must be in 20..=24");
        let seed: [u8; 32] = match &args.seed {
            None => mosaic_snark::srs::DEV_SEED,
            Some(hex) => alloy_primitives::hex::decode(hex)
                .ok()
                .and_then(|b| b.try_into().ok())
                .context("--seed must be 32 bytes of hex")?,
        };
        let dir = args.keys.path();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let progress = crate::progress::Progress::new("snark setup");
        progress.set(0.0, "STARK side: root keys and a dummy root proof");
        // The STARK side first (the program's SDK: ≈4 GB), cached in the folder; the SDK is dropped
        // before the halo2 keygen, which needs the memory.
        let inputs =
            with_program(args.keys.program.of_queue(), &elfs(&args.elfs), |vm, aggregator, _| -> anyhow::Result<_> {
                if let Some(aggregator) = aggregator {
                    // What `deploy-l1 --aggregate-batch-program` needs: the batch program these aggregate.
                    let file = dir.join("batch-program");
                    std::fs::write(&file, format!("{}\n", aggregator.batch_program))
                        .with_context(|| format!("writing {}", file.display()))?;
                    println!(
                        "aggregates proofs of batch program {} (also in {})",
                        aggregator.batch_program,
                        file.display()
                    );
                }
                let program = mosaic_prover::ZkVm::program_commit(vm)?;
                if let Some(inputs) = KeygenInputs::read(&dir, &program)? {
                    println!("STARK side: reusing {}", dir.join("keygen-inputs.bin").display());
                    return Ok(inputs);
                }
                let inputs = mosaic_snark::keygen_inputs(vm, &dir)?;
                println!("STARK side: root keys (cached in root.pk) and a dummy root proof in {:.1} s", inputs.seconds);
                Ok(inputs)
            })?;
        let started = Instant::now();
        progress.set(0.5, "KZG parameters");
        let (params, srs_sha256, generated) = mosaic_snark::params(&dir, args.k, seed)?;
        println!(
            "KZG parameters 2^{}: {} ({:.1} s), sha256 {srs_sha256}",
            args.k,
            if generated { "development parameters (the secret is known)" } else { "loaded" },
            started.elapsed().as_secs_f64()
        );
        if args.k != DEFAULT_K {
            println!("note: k = {} differs from the default {DEFAULT_K}", args.k);
        }
        progress.set(0.55, "halo2 keygen: static verifier, then wrapper");
        let (_, report) = SnarkProver::setup(inputs, params, srs_sha256, generated, seed, &dir)?;
        progress.finish();
        let static_keygen = match report.halo2_keygen_s {
            Some(seconds) => format!("{seconds:.1} s"),
            None => "reused from static.pk".into(),
        };
        println!(
            "keys for the {} program in {}:\n  static verifier keygen {static_keygen} (k = {}: {} advice, {} lookup, \
             {} fixed columns)\n  wrapper keygen {:.1} s (k = {}: 1 advice column, {} cells, {} fixed columns)\n  \
             proving keys {} bytes\n  public inputs {} (accumulator, commitments, public values)\n  \
             appExeCommit {}\n  appVmCommit  {}\n  Solidity verifier {}",
            args.keys.program.name(),
            dir.display(),
            report.vk.static_k,
            report.advice_columns,
            report.lookup_columns,
            report.fixed_columns,
            report.wrapper_keygen_s,
            report.wrapper.k,
            report.wrapper.advice_cells,
            report.wrapper.fixed_columns,
            report.pk_bytes,
            report.vk.num_instances,
            report.vk.app_exe_commit,
            report.vk.app_vm_commit,
            report.solidity.display()
        );
        Ok(())
    }

    pub(crate) fn wrap(args: WrapArgs) -> anyhow::Result<()> {
        let bytes = std::fs::read(&args.proof).with_context(|| format!("reading {}", args.proof.display()))?;
        let progress = crate::progress::Progress::new("snark wrap");
        let w = mosaic_prover_worker::wrap(
            &bytes,
            args.keys.program.of_queue(),
            &args.keys.path(),
            &elfs(&args.elfs),
            &|f, stage| progress.set(f, stage),
        )?;
        progress.finish();
        let out = args.out.unwrap_or_else(|| args.proof.with_extension("snark"));
        std::fs::write(&out, w.snark.encode()).with_context(|| format!("writing {}", out.display()))?;
        let r = &w.report;
        println!(
            "wrote {} ({} bytes of proof) in {:.1} s: root STARK {:.1} s, keys {:.1} s, static verifier \
             witness {:.1} s + proof {:.1} s, wrapper {:.1} s; {} advice cells, {} lookups; journal hash {}",
            out.display(),
            w.snark.proof.len(),
            w.seconds,
            w.root_s,
            r.load_s,
            r.witness_s,
            r.static_s,
            r.wrapper_s,
            r.advice_cells,
            r.lookup_cells,
            w.journal_hash
        );
        Ok(())
    }
}
