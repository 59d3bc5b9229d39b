//! A folder of SNARK files named by the statement they prove: how provers hand proofs to the services
//! that post them (the challenger's fraud proofs, the finalizer's validity and range proofs).
use crate::{SnarkError, SnarkProof};
use alloy_primitives::B256;
use std::path::{Path, PathBuf};

/// SNARK files as `mosaic snark wrap` writes them, named by the journal hash (a batch's, or an
/// aggregate's) they state: `<dir>/<0x…hash>.snark`. A prover anywhere can drop proofs there.
#[derive(Debug, Clone)]
pub struct ProofDirectory {
    dir: PathBuf,
}

impl ProofDirectory {
    /// The folder `dir` (it need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where the proof of the statement with hash `hash` is expected.
    pub fn path_of(&self, hash: B256) -> PathBuf {
        self.dir.join(format!("{hash}.snark"))
    }

    /// The proof of `hash` once it is there (`None` before); a file that does not state `hash` is an
    /// error, not a proof.
    pub fn get(&self, hash: B256) -> Result<Option<SnarkProof>, SnarkError> {
        let path = self.path_of(hash);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SnarkError::io(&path, e)),
        };
        let at = |e: SnarkError| SnarkError::Format(format!("{}: {e}", path.display()));
        let proof = SnarkProof::decode(&bytes).map_err(at)?;
        if proof.statement().map_err(at)?.public_values != hash.as_slice() {
            return Err(SnarkError::Format(format!("{} states another journal", path.display())));
        }
        Ok(Some(proof))
    }

    /// Writes `proof` under the hash it states (atomically: a reader never sees half a file); returns
    /// the path.
    pub fn put(&self, proof: &SnarkProof) -> Result<PathBuf, SnarkError> {
        let stated = proof.statement()?.public_values;
        let hash = B256::try_from(stated.as_slice())
            .map_err(|_| SnarkError::Format("the proof's public values are not one hash".into()))?;
        std::fs::create_dir_all(&self.dir).map_err(|e| SnarkError::io(&self.dir, e))?;
        let path = self.path_of(hash);
        let tmp = path.with_extension("snark.tmp");
        std::fs::write(&tmp, proof.encode()).map_err(|e| SnarkError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| SnarkError::io(&path, e))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> (Vec<u8>, B256) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let proof = std::fs::read(dir.join("batch-1.snark")).unwrap();
        let hash = std::fs::read_to_string(dir.join("batch-1.journal-hash")).unwrap().trim().parse().unwrap();
        (proof, hash)
    }

    #[test]
    fn a_directory_serves_the_proof_that_states_the_journal() {
        let (bytes, hash) = committed();
        let dir = tempfile::tempdir().unwrap();
        let proofs = ProofDirectory::new(dir.path().join("proofs"));
        assert!(proofs.get(hash).unwrap().is_none(), "not there yet");
        let written = proofs.put(&SnarkProof::decode(&bytes).unwrap()).unwrap();
        assert_eq!(written, proofs.path_of(hash), "filed under the journal it states");
        assert_eq!(proofs.get(hash).unwrap().expect("the proof").encode(), bytes);
        // A file under another journal's name is refused, and so is garbage.
        let other = B256::repeat_byte(7);
        std::fs::write(proofs.path_of(other), &bytes).unwrap();
        assert!(proofs.get(other).unwrap_err().to_string().contains("another journal"));
        std::fs::write(proofs.path_of(other), b"junk").unwrap();
        assert!(proofs.get(other).is_err());
    }
}
