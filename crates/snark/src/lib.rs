//! Mosaic's SNARK wrap: the recursive STARK of a Mosaic program (a batch, or an aggregation of
//! batches) proven again as a BN254 KZG SNARK that an Ethereum contract verifies.
//!
//! Two halo2 circuits, OpenVM's: the *static verifier* (k = 22: seven advice columns, range lookups)
//! verifies OpenVM's root STARK — itself a BN254-Poseidon2 proof that the program's recursive proof
//! verifies — and exposes the program's commitments and public values; the *wrapper* (one advice
//! column, k = 23) verifies that proof up to its final pairing, which it leaves to the L1 verifier as a
//! KZG accumulator beside the same public values. One column keeps the L1 verifier small. All in Rust,
//! on a CPU, from KZG parameters the operator generates ([`srs::dev_setup`]) or loads.
//!
//! Without the `prove` feature this crate is the verifier ([`SnarkVerifyingKey::verify`]).
#![warn(missing_docs)]

mod directory;
mod sizing;
pub mod srs;
mod verify;
#[cfg(feature = "prove")]
mod wrap;

pub use directory::ProofDirectory;
pub use sizing::{verifier_cost, wrapper_size, VerifierCost, WrapperSize};
pub use verify::{
    fr_to_word, point_bytes, word_to_fr, PreparedVerifier, SnarkProof, SnarkVerifyingKey, Statement,
    ACCUMULATOR_INSTANCES, COMMIT_INSTANCES, KEY_VERSION,
};
#[cfg(feature = "prove")]
pub use wrap::{
    keygen_inputs, params, root_proof, KeygenInputs, RootKey, RootProof, SetupReport, SnarkProver, WrapReport,
};

use std::path::Path;

/// log2 of the static verifier circuit's rows (the wrapper's follow from it: the smallest where it
/// fits one advice column, 23 for Mosaic's programs). OpenVM's default is 23; its halo2 keygen needs more than
/// the 24 GB of a two-core development machine (killed at 24.4 GB, measured), while at 22 halo2-base
/// lays the same 27 M cells over seven advice columns and every `2^k`-sized vector halves.
pub const DEFAULT_K: u32 = 22;

/// Errors of setup, wrap and verification.
#[derive(Debug, thiserror::Error)]
pub enum SnarkError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{0}")]
    Format(String),
    /// The proof does not verify, or not for this program.
    #[error("invalid SNARK: {0}")]
    Invalid(String),
    /// The prover failed.
    #[error("prover: {0}")]
    Prover(String),
}

impl SnarkError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.display().to_string(), source }
    }
}
