//! A Mosaic prover worker: the [`JobRunner`] that proves what the node's planner (`mosaic-proving`)
//! queues — a batch's recursive STARK from its witness and an aggregation of batch STARKs on OpenVM, the
//! SNARK wrap of either in halo2 ([`wrap`], also `mosaic snark wrap`). Inputs and outputs are artifacts
//! the task names, so a worker on another machine needs only the queue, the artifact store, the guest
//! ELFs and the SNARK keys. Each job loads the prover it needs and drops it after (a wrap peaks at
//! ≈ 19 GB: nothing else may stay resident beside it).
mod wrap;

use alloy_primitives::B256;
use mosaic_prover::{Aggregator, BatchProof, BatchWitness, Guest, Journal, ProofKind, ProverError, SegmentGroup};
use mosaic_prover_queue::{ArtifactError, ArtifactStore, Claim, JobRunner, Output, Program, QueueError, Task};
use mosaic_snark::SnarkError;
use std::path::PathBuf;
use tracing::info;
pub use wrap::{with_program, wrap, Wrapped};

/// Why a job could not be run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The task is not one this worker can run.
    #[error(transparent)]
    Task(#[from] QueueError),
    /// An input could not be read or the output not written.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// An input artifact is missing.
    #[error("input artifact {0} is missing")]
    MissingInput(String),
    /// OpenVM failed.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// The SNARK side failed.
    #[error(transparent)]
    Snark(#[from] SnarkError),
    /// An input is not what the task says.
    #[error("{0}")]
    Invalid(String),
}

/// The guest programs a worker proves.
#[derive(Debug, Clone)]
pub struct Elfs {
    /// The batch guest (`guest/out/mosaic-guest-batch.elf`).
    pub guest: PathBuf,
    /// The aggregation guest (`guest/out/mosaic-guest-aggregate.elf`).
    pub aggregate_guest: PathBuf,
}

/// What a worker proves with.
#[derive(Debug, Clone)]
pub struct Provers {
    /// The guests.
    pub elfs: Elfs,
    /// SNARK keys of the batch program (`mosaic snark setup --program batch`), for batch wraps.
    pub batch_keys: Option<PathBuf>,
    /// SNARK keys of the aggregation program, for aggregate wraps.
    pub aggregate_keys: Option<PathBuf>,
    /// Proving memory per segment, bytes (OpenVM's segmentation).
    pub segment_memory: usize,
}

impl Provers {
    fn keys(&self, program: Program) -> Result<&PathBuf, WorkerError> {
        match program {
            Program::Batch => self.batch_keys.as_ref(),
            Program::Aggregate => self.aggregate_keys.as_ref(),
        }
        .ok_or_else(|| {
            WorkerError::Invalid(format!("this worker has no SNARK keys of the {} program", program.as_str()))
        })
    }

    fn guest(&self) -> Result<Guest, WorkerError> {
        Ok(Guest::load_with_segment_memory(&self.elfs.guest, self.segment_memory)?)
    }
}

/// Batch `index`'s witness from its artifact's bytes.
fn decode_witness(index: u64, bytes: &[u8]) -> Result<BatchWitness, WorkerError> {
    BatchWitness::decode(bytes).map_err(|e| WorkerError::Invalid(format!("batch {index}'s witness: {e}")))
}

/// Runs proof jobs on this machine's CPUs (OpenVM and halo2).
#[derive(Debug, Clone)]
pub struct OpenVmRunner {
    provers: Provers,
}

impl OpenVmRunner {
    /// A runner proving with `provers`.
    pub fn new(provers: Provers) -> Self {
        Self { provers }
    }

    /// Runs `task`, reading and writing `artifacts`; what it made.
    pub fn run_task(
        &self,
        task: &Task,
        artifacts: &dyn ArtifactStore,
        progress: &dyn Fn(f32),
    ) -> Result<Output, WorkerError> {
        let input = |name: &str| artifacts.get(name)?.ok_or_else(|| WorkerError::MissingInput(name.into()));
        let (bytes, journal_hash) = match task {
            Task::Batch { index, witness, journal, journal_hash, segments, .. } => {
                // Proven whole from the witness, or joined from its segment groups.
                let witness = if segments.is_empty() { Some(decode_witness(*index, &input(witness)?)?) } else { None };
                let journal = Journal::decode(journal)
                    .ok_or_else(|| WorkerError::Invalid(format!("batch {index}'s journal does not decode")))?;
                if journal.hash() != *journal_hash {
                    return Err(WorkerError::Invalid(format!(
                        "batch {index}'s journal does not hash to {journal_hash}"
                    )));
                }
                let proof = if let Some(witness) = witness {
                    info!(batch = index, "prover worker: proving the batch's recursive STARK");
                    let guest = self.provers.guest()?;
                    progress(0.05);
                    guest.prove(&witness, &journal, ProofKind::Recursive)?
                } else {
                    let groups = segments
                        .iter()
                        .map(|name| Ok(SegmentGroup::decode(&input(name)?)?))
                        .collect::<Result<Vec<_>, WorkerError>>()?;
                    info!(batch = index, groups = groups.len(), "prover worker: joining the batch's segment groups");
                    let guest = self.provers.guest()?;
                    progress(0.05);
                    guest.join_segment_groups(&journal, groups)?
                };
                (proof.encode(), *journal_hash)
            }
            Task::Segments { index, witness, group, groups, segment_memory, .. } => {
                let witness = decode_witness(*index, &input(witness)?)?;
                let memory = match segment_memory {
                    Some(bytes) => usize::try_from(*bytes)
                        .map_err(|_| WorkerError::Invalid(format!("a segment budget of {bytes} bytes")))?,
                    None => self.provers.segment_memory,
                };
                info!(batch = index, group, groups, "prover worker: proving a group of the batch's segments");
                let guest = Guest::load_with_segment_memory(&self.provers.elfs.guest, memory)?;
                progress(0.05);
                let part = guest.prove_segment_group(&witness, *group, *groups)?;
                info!(
                    batch = index,
                    group,
                    first = part.first,
                    segments = part.count,
                    of = part.total,
                    "prover worker: segment group proven"
                );
                // A group reveals no journal yet: its batch job's join does.
                (part.encode()?, B256::ZERO)
            }
            Task::Aggregate { from, to, inputs, .. } => {
                let proofs = inputs
                    .iter()
                    .map(|name| Ok(BatchProof::decode(&input(name)?)?))
                    .collect::<Result<Vec<_>, WorkerError>>()?;
                if proofs.len() as u64 != to.saturating_sub(*from) + 1 {
                    return Err(WorkerError::Invalid(format!("{} inputs for batches {from}..={to}", proofs.len())));
                }
                info!(from, to, "prover worker: aggregating");
                let guest = self.provers.guest()?;
                let aggregator = Aggregator::load(&guest, &self.provers.elfs.aggregate_guest)?;
                progress(0.05);
                let proof = aggregator.prove(&proofs)?;
                (proof.encode(), proof.journal.hash())
            }
            Task::Wrap { program, input: name, journal_hash, .. } => {
                let keys = self.provers.keys(*program)?;
                info!(program = program.as_str(), input = %name, "prover worker: wrapping into a SNARK");
                let wrapped = wrap(&input(name)?, *program, keys, &self.provers.elfs, &|f, _| progress(f))?;
                if journal_hash.is_some_and(|h| h != wrapped.journal_hash) {
                    return Err(WorkerError::Invalid(format!(
                        "{name} proves journal {}, the task expects {journal_hash:?}",
                        wrapped.journal_hash
                    )));
                }
                (wrapped.snark.encode(), wrapped.journal_hash)
            }
        };
        artifacts.put(task.out(), &bytes)?;
        progress(1.0);
        Ok(Output { artifact: task.out().into(), journal_hash })
    }
}

impl JobRunner for OpenVmRunner {
    fn run(&mut self, claim: &Claim, artifacts: &dyn ArtifactStore, progress: &dyn Fn(f32)) -> Result<Vec<u8>, String> {
        let task = Task::decode(&claim.payload).map_err(|e| e.to_string())?;
        // OpenVM and halo2 may panic on what they cannot prove: that fails this attempt, not the worker.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_task(&task, artifacts, progress)))
            .map_err(|p| format!("the prover panicked: {}", mosaic_node::blocking::panic_message(p.as_ref())))?
            .map(|out| out.encode())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_prover_queue::DirectoryStore;

    fn runner(dir: &std::path::Path) -> OpenVmRunner {
        OpenVmRunner::new(Provers {
            elfs: Elfs { guest: dir.join("none.elf"), aggregate_guest: dir.join("none-aggregate.elf") },
            batch_keys: None,
            aggregate_keys: None,
            segment_memory: 1 << 30,
        })
    }

    /// Bad tasks fail before any prover is loaded, with what is wrong.
    #[test]
    fn a_task_with_missing_or_inconsistent_inputs_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = DirectoryStore::new(dir.path().join("artifacts"));
        let runner = runner(dir.path());
        let none = |_: f32| {};
        let batch = |journal: Vec<u8>, journal_hash| Task::Batch {
            index: 1,
            witness: "w".into(),
            journal: journal.into(),
            journal_hash,
            out: "o".into(),
            segments: vec![],
        };
        let err = runner.run_task(&batch(vec![], B256::ZERO), &artifacts, &none).unwrap_err();
        assert!(matches!(&err, WorkerError::MissingInput(name) if name == "w"), "{err}");
        artifacts.put("w", b"not rlp").unwrap();
        let err = runner.run_task(&batch(vec![], B256::ZERO), &artifacts, &none).unwrap_err();
        assert!(err.to_string().contains("batch 1's witness"), "{err}");
        let wrap = Task::Wrap { program: Program::Aggregate, input: "w".into(), journal_hash: None, out: "o".into() };
        let err = runner.run_task(&wrap, &artifacts, &none).unwrap_err();
        assert!(err.to_string().contains("no SNARK keys of the aggregate program"), "{err}");
        let aggregate = Task::Aggregate { from: 1, to: 2, inputs: vec!["x".into()], out: "o".into() };
        assert!(matches!(runner.run_task(&aggregate, &artifacts, &none), Err(WorkerError::MissingInput(_))));
        // Segment jobs: a group's witness must be there; a join reads every group, and each must be one.
        let group = |witness: &str| Task::Segments {
            index: 1,
            witness: witness.into(),
            group: 0,
            groups: 2,
            segment_memory: Some(1 << 30),
            out: "o".into(),
        };
        assert!(matches!(runner.run_task(&group("none"), &artifacts, &none), Err(WorkerError::MissingInput(_))));
        assert!(runner.run_task(&group("w"), &artifacts, &none).unwrap_err().to_string().contains("batch 1's witness"));
        let journal = Journal::default();
        let join = |segments: Vec<String>| Task::Batch {
            index: 1,
            witness: "unused".into(),
            journal: journal.encode().into(),
            journal_hash: journal.hash(),
            out: "o".into(),
            segments,
        };
        let err = runner.run_task(&join(vec!["g1".into(), "w".into()]), &artifacts, &none).unwrap_err();
        assert!(matches!(&err, WorkerError::MissingInput(name) if name == "g1"), "{err}");
        let err = runner.run_task(&join(vec!["w".into()]), &artifacts, &none).unwrap_err();
        assert!(err.to_string().contains("not a segment group"), "{err}");
        // Through the queue's interface: an unknown payload is an error, not a panic.
        let claim = mosaic_prover_queue::Claim {
            key: "k".into(),
            kind: mosaic_prover_queue::JobKind::Batch,
            payload: b"{}".to_vec(),
            attempt: 1,
        };
        let mut runner = runner;
        assert!(JobRunner::run(&mut runner, &claim, &artifacts, &none).is_err());
        assert_eq!(artifacts.get("o").unwrap(), None, "nothing written");
    }
}
