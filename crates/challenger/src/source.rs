//! Where fraud proofs come from: the seam between the challenger and whatever proves.
use alloy_primitives::B256;
pub use mosaic_snark::ProofDirectory;

/// Why a proof source failed (reported in the game's note; the challenger asks again next round).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Something that makes, or has, SNARKs of batch journals.
pub trait FraudProofSource: Send + Sync + 'static {
    /// The proof bytes `Rollup.proveFraud` takes (the on-chain form of a SNARK, see
    /// [`mosaic_snark::SnarkProof::onchain_proof`]) of `journal` — batch `index`'s true journal, whose
    /// hash is `journal_hash` — once one exists; `Ok(None)` while it is not ready. Called on the
    /// blocking pool.
    fn fraud_proof(&self, index: u64, journal_hash: B256, journal: &[u8]) -> Result<Option<Vec<u8>>, SourceError>;
}

/// A folder of SNARK files named by the journal hash they state (`mosaic_snark::ProofDirectory`).
impl FraudProofSource for ProofDirectory {
    fn fraud_proof(&self, _index: u64, journal_hash: B256, _journal: &[u8]) -> Result<Option<Vec<u8>>, SourceError> {
        let proof = self.get(journal_hash).map_err(|e| SourceError(e.to_string()))?;
        Ok(proof.map(|p| p.onchain_proof()))
    }
}
