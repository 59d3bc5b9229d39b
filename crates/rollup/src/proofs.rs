//! Batch proofs on disk, in `<data dir>/proofs/`: `batch-N.proof` once proven, `batch-N.proving` while a
//! prover works on it, `batch-N.failed` (the error) if proving failed. The files are the proof queue's
//! whole state — a batch with a record and none of them is queued — so the queue survives restarts and
//! `kill -9` (a proof is written to a temporary file and renamed into place).
use crate::record::BatchRecord;
use mosaic_node::{Node, NodeError};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where a batch's proof stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProofState {
    /// Waiting for the prover.
    Queued,
    /// Being proven now (or was when the node stopped; it is proven again after a restart).
    Proving,
    /// Proof written.
    Proven,
    /// Proving failed; `error` says why.
    Failed,
}

/// A batch's proof status, as `mosaic_getBatch` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofStatus {
    /// State.
    pub status: ProofState,
    /// The proof file, once proven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Its size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Why proving failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The proofs folder of a node.
#[derive(Debug, Clone)]
pub struct ProofDir(PathBuf);

impl ProofDir {
    /// `<data dir>/proofs` of `node`.
    pub fn of(node: &Node) -> Self {
        Self(node.config().data_dir.join("proofs"))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Where batch `index`'s proof goes.
    pub fn proof_path(&self, index: u64) -> PathBuf {
        self.0.join(format!("batch-{index}.proof"))
    }

    fn marker(&self, index: u64) -> PathBuf {
        self.0.join(format!("batch-{index}.proving"))
    }

    fn failure(&self, index: u64) -> PathBuf {
        self.0.join(format!("batch-{index}.failed"))
    }

    /// The status of batch `index`'s proof; `None` when there is no proof and no prover (`queued`
    /// needs one).
    pub fn status(&self, index: u64, prover_on: bool) -> Option<ProofStatus> {
        let proof = self.proof_path(index);
        if let Ok(meta) = std::fs::metadata(&proof) {
            return Some(ProofStatus {
                status: ProofState::Proven,
                file: Some(proof),
                bytes: Some(meta.len()),
                error: None,
            });
        }
        if let Ok(error) = std::fs::read_to_string(self.failure(index)) {
            return Some(ProofStatus { status: ProofState::Failed, file: None, bytes: None, error: Some(error) });
        }
        let state = if self.marker(index).exists() {
            ProofState::Proving
        } else if prover_on {
            ProofState::Queued
        } else {
            return None;
        };
        Some(ProofStatus { status: state, file: None, bytes: None, error: None })
    }

    /// The lowest-indexed batch at or above `from` that has a record and neither a proof nor a failure:
    /// the next one to prove.
    pub fn next_unproven(&self, node: &Node, from: u64) -> Result<Option<BatchRecord>, NodeError> {
        let Some(last) = BatchRecord::last(node)? else { return Ok(None) };
        for index in from.max(1)..=last.index {
            if self.proof_path(index).exists() || self.failure(index).exists() {
                continue;
            }
            if let Some(record) = BatchRecord::load(node, index)? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Marks batch `index` as being proven.
    pub fn begin(&self, index: u64) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.0)?;
        std::fs::write(self.marker(index), b"")
    }

    /// Stores batch `index`'s proof atomically and clears its marker.
    pub fn finish(&self, index: u64, proof: &[u8]) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.0)?;
        let path = self.proof_path(index);
        let tmp = self.0.join(format!("batch-{index}.proof.tmp"));
        std::fs::write(&tmp, proof)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        let _ = std::fs::remove_file(self.marker(index));
        Ok(path)
    }

    /// Records why batch `index` could not be proven and clears its marker.
    pub fn fail(&self, index: u64, error: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.0)?;
        std::fs::write(self.failure(index), error)?;
        let _ = std::fs::remove_file(self.marker(index));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let proofs = ProofDir(dir.path().join("proofs"));
        assert_eq!(proofs.status(1, false), None);
        assert_eq!(proofs.status(1, true).unwrap().status, ProofState::Queued);
        proofs.begin(1).unwrap();
        assert_eq!(proofs.status(1, true).unwrap().status, ProofState::Proving);
        let path = proofs.finish(1, b"proof bytes").unwrap();
        let done = proofs.status(1, true).unwrap();
        assert_eq!((done.status, done.file, done.bytes), (ProofState::Proven, Some(path), Some(11)));
        assert!(!proofs.marker(1).exists(), "the marker is cleared");
        proofs.begin(2).unwrap();
        proofs.fail(2, "guest panicked").unwrap();
        let failed = proofs.status(2, false).unwrap();
        assert_eq!((failed.status, failed.error.as_deref()), (ProofState::Failed, Some("guest panicked")));
    }
}
