//! The SNARK wrap of a recursive STARK (`mosaic snark wrap`, and the wrap jobs of the queue): check the
//! STARK under its program, prove the root STARK, then the two halo2 proofs; the new SNARK is verified
//! before it is returned.
use crate::{Elfs, WorkerError};
use alloy_primitives::B256;
use mosaic_prover::{Aggregator, Guest, OpenVm, ProofFile, ProofKind};
use mosaic_prover_queue::Program;
use mosaic_snark::{RootKey, SnarkProof, SnarkProver, SnarkVerifyingKey, WrapReport};
use std::{path::Path, time::Instant};

/// A wrapped proof and what it took.
pub struct Wrapped {
    /// The SNARK.
    pub snark: SnarkProof,
    /// The journal hash it states (checked against the STARK's).
    pub journal_hash: B256,
    /// Seconds of the root STARK.
    pub root_s: f64,
    /// Seconds of the whole wrap.
    pub seconds: f64,
    /// The halo2 side's measurements.
    pub report: WrapReport,
}

/// Runs `f` on the zkVM of `program` (the batch guest, or the aggregation guest over it), with the
/// aggregator when it is the aggregation program and the batch guest.
pub fn with_program<R, E: From<mosaic_prover::ProverError>>(
    program: Program,
    elfs: &Elfs,
    f: impl FnOnce(&OpenVm, Option<&Aggregator>, &Guest) -> Result<R, E>,
) -> Result<R, E> {
    let batch = Guest::load(&elfs.guest)?;
    match program {
        Program::Batch => f(batch.vm(), None, &batch),
        Program::Aggregate => {
            let aggregator = Aggregator::load(&batch, &elfs.aggregate_guest)?;
            f(aggregator.vm(), Some(&aggregator), &batch)
        }
    }
}

/// Wraps `stark` (a recursive proof file of `program`) into a SNARK with the keys in `keys`; `progress`
/// hears of each stage (the fraction done, by the stages' usual share of the time, and its name).
pub fn wrap(
    stark: &[u8],
    program: Program,
    keys: &Path,
    elfs: &Elfs,
    progress: &dyn Fn(f32, &str),
) -> Result<Wrapped, WorkerError> {
    let invalid = WorkerError::Invalid;
    let vk = SnarkVerifyingKey::read(&keys.join("snark.vk.json")).map_err(|e| {
        invalid(format!("no SNARK keys of the {} program in {}: {e}", program.as_str(), keys.display()))
    })?;
    let started = Instant::now();
    progress(0.0, "checking the STARK");
    // The STARK side: check the proof (seconds) rather than fail minutes into the wrap, then the root
    // STARK; the program's SDK is dropped before the halo2 proof, which needs the memory.
    let (root, root_s, journal_hash) =
        with_program(program, elfs, |vm, aggregator, batch| -> Result<_, WorkerError> {
            let (proof, journal_hash) = match (ProofFile::decode(stark)?, aggregator) {
                (ProofFile::Batch(proof), None) => {
                    if proof.kind != ProofKind::Recursive {
                        return Err(invalid("an app proof: wrap a recursive one (`mosaic prove --recursive`)".into()));
                    }
                    let journal =
                        batch.verify(&proof).map_err(|e| invalid(format!("the proof does not verify: {e}")))?;
                    (proof.proof, journal.hash())
                }
                (ProofFile::Aggregate(proof), Some(aggregator)) => {
                    let journal =
                        aggregator.verify(&proof).map_err(|e| invalid(format!("the proof does not verify: {e}")))?;
                    (proof.proof, journal.hash())
                }
                (ProofFile::Batch(_), Some(_)) => {
                    return Err(invalid("a batch proof: wrap it as the batch program".into()))
                }
                (ProofFile::Aggregate(_), None) => {
                    return Err(invalid("an aggregate proof: wrap it as the aggregate program".into()))
                }
            };
            let commit = mosaic_prover::ZkVm::program_commit(vm)?;
            if (commit.app_exe_commit, commit.app_vm_commit) != (vk.app_exe_commit, vk.app_vm_commit) {
                return Err(invalid(format!(
                    "the keys in {} are for another program (run `mosaic snark setup`)",
                    keys.display()
                )));
            }
            // The root proving key the setup cached with the keys (else OpenVM derives it: minutes).
            progress(0.05, "root STARK");
            let root_key = RootKey::for_keys(vm, keys)?;
            let (root, root_s) = root_key.prove(vm, &mosaic_prover::decompress(&proof)?)?;
            Ok((root, root_s, journal_hash))
        })?;
    // Shares measured on this machine: root STARK ≈ 30 %, the two halo2 proofs ≈ 70 % (docs/benchmarks.md).
    progress(0.3, "halo2 proofs (static verifier, then wrapper)");
    let prover = SnarkProver::load(keys)?;
    let (snark, report) = prover.prove(&root)?;
    progress(0.98, "verifying the SNARK");
    drop(root);
    let statement = prover.vk().verify(&snark).map_err(|e| invalid(format!("the new SNARK does not verify: {e}")))?;
    if statement.public_values != journal_hash.as_slice() {
        return Err(invalid("the SNARK proves another journal".into()));
    }
    Ok(Wrapped { snark, journal_hash, root_s, seconds: started.elapsed().as_secs_f64(), report })
}
