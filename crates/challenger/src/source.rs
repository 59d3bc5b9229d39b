//! Where fraud proofs come from: the seam between the challenger and whatever proves.
use alloy_primitives::B256;
use mosaic_snark::SnarkProof;
use std::path::PathBuf;

/// Why a proof source failed (reported in the game's note; the challenger asks again next round).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Something that makes, or has, SNARKs of batch journals.
pub trait FraudProofSource: Send + Sync + 'static {
    /// The proof bytes `Rollup.proveFraud` takes (the on-chain form of a SNARK, see
    /// [`SnarkProof::onchain_proof`]) of `journal` — batch `index`'s true journal, whose hash is
    /// `journal_hash` — once one exists; `Ok(None)` while it is not ready. Called on the blocking pool.
    fn fraud_proof(&self, index: u64, journal_hash: B256, journal: &[u8]) -> Result<Option<Vec<u8>>, SourceError>;
}

/// A folder of SNARK files as `mosaic snark wrap` writes them, named by the journal hash they state:
/// `<dir>/<0x…journal hash>.snark`. A prover anywhere can drop proofs there.
#[derive(Debug, Clone)]
pub struct ProofDirectory {
    dir: PathBuf,
}

impl ProofDirectory {
    /// The folder `dir` (it need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where the proof of the journal with hash `journal_hash` is expected.
    pub fn path_of(&self, journal_hash: B256) -> PathBuf {
        self.dir.join(format!("{journal_hash}.snark"))
    }
}

impl FraudProofSource for ProofDirectory {
    fn fraud_proof(&self, _index: u64, journal_hash: B256, _journal: &[u8]) -> Result<Option<Vec<u8>>, SourceError> {
        let path = self.path_of(journal_hash);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SourceError(format!("{}: {e}", path.display()))),
        };
        let proof = SnarkProof::decode(&bytes).map_err(|e| SourceError(format!("{}: {e}", path.display())))?;
        let stated = proof.statement().map_err(|e| SourceError(format!("{}: {e}", path.display())))?;
        if stated.public_values != journal_hash.as_slice() {
            return Err(SourceError(format!("{} states another journal", path.display())));
        }
        Ok(Some(proof.onchain_proof()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> (Vec<u8>, B256) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../snark/fixtures");
        let proof = std::fs::read(dir.join("batch-1.snark")).unwrap();
        let hash = std::fs::read_to_string(dir.join("batch-1.journal-hash")).unwrap().trim().parse().unwrap();
        (proof, hash)
    }

    #[test]
    fn a_directory_serves_the_proof_that_states_the_journal() {
        let (bytes, hash) = committed();
        let dir = tempfile::tempdir().unwrap();
        let source = ProofDirectory::new(dir.path());
        assert_eq!(source.fraud_proof(1, hash, &[]).unwrap(), None, "not there yet");
        std::fs::write(source.path_of(hash), &bytes).unwrap();
        let served = source.fraud_proof(1, hash, &[]).unwrap().expect("the proof");
        assert_eq!(served, SnarkProof::decode(&bytes).unwrap().onchain_proof());
        // A file under another journal's name is refused, and so is garbage.
        let other = B256::repeat_byte(7);
        std::fs::write(source.path_of(other), &bytes).unwrap();
        assert!(source.fraud_proof(1, other, &[]).unwrap_err().to_string().contains("another journal"));
        std::fs::write(source.path_of(other), b"junk").unwrap();
        assert!(source.fraud_proof(1, other, &[]).is_err());
    }
}
