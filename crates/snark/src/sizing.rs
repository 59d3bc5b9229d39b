//! The wrapper circuit's size, and what a verifier of a SNARK computes.
//!
//! The wrapper is snark-verifier's aggregation circuit verifying one static-verifier proof. It is laid
//! out in a single advice column, so that its own verifier on L1 has about a dozen commitments instead
//! of the static verifier's 41; [`wrapper_size`] finds the smallest `k` where that column fits, the way
//! OpenVM's `select_k` does.
use crate::{SnarkError, SnarkVerifyingKey};
use halo2_base::{gates::circuit::CircuitBuilderStage, halo2_proofs::halo2curves::bn256::G1Affine};
use rand_chacha::rand_core::SeedableRng;
use snark_verifier_sdk::{
    halo2::aggregation::{AggregationCircuit, AggregationConfigParams, VerifierUniversality},
    snark_verifier::{cost::CostEstimation, verifier::plonk::PlonkProtocol},
    PlonkVerifier, Snark, SHPLONK,
};

/// Rows halo2 keeps free at the bottom of every column (OpenVM's `MIN_ROWS`).
const MIN_ROWS: usize = 20;

/// The wrapper circuit's layout at the smallest `k` where it fits one advice column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperSize {
    /// log2 of its rows.
    pub k: u32,
    /// Advice cells (at that `k`: its range checks use `k - 1` lookup bits).
    pub advice_cells: usize,
    /// Cells range-checked through the lookup table.
    pub lookup_cells: usize,
    /// Fixed columns (constants).
    pub fixed_columns: usize,
    /// The `k` tried, in order, with the advice columns each needed.
    pub tried: Vec<(u32, usize)>,
}

/// The wrapper circuit over `snark` at size `2^k` (OpenVM's wrapper: no universality, the inner
/// proof's instances re-exposed after the accumulator).
fn wrapper_circuit(stage: CircuitBuilderStage, k: u32, snark: Snark) -> AggregationCircuit {
    let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    // The circuit reads only `[1]G1` of the parameters (the inner proof's verifying key).
    let params = crate::srs::Params::setup(1, rand_chacha::ChaCha20Rng::from_seed([0; 32]));
    let mut circuit = AggregationCircuit::new::<SHPLONK>(stage, config, &params, [snark], VerifierUniversality::None);
    circuit.expose_previous_instances(false);
    circuit
}

/// Lays out the wrapper over `snark` (a static verifier proof, or a dummy of its shape: the layout does
/// not depend on the values) at growing `k`, until one advice column holds it.
pub fn wrapper_size(snark: &Snark) -> Result<WrapperSize, SnarkError> {
    let mut k = 20u32;
    let mut tried = Vec::new();
    loop {
        let layout = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut circuit = wrapper_circuit(CircuitBuilderStage::Keygen, k, snark.clone());
            let config = circuit.calculate_params(Some(MIN_ROWS));
            let stats = circuit.builder.statistics();
            circuit.builder.clear();
            (config, stats)
        }))
        .map_err(|_| SnarkError::Prover("laying out the wrapper circuit failed".into()))?;
        let (config, stats) = layout;
        let advice_cells: usize = stats.gate.total_advice_per_phase.iter().sum();
        tried.push((k, config.num_advice));
        if config.num_advice == 1 {
            return Ok(WrapperSize {
                k,
                advice_cells,
                lookup_cells: stats.total_lookup_advice_per_phase.iter().sum(),
                fixed_columns: config.num_fixed,
                tried,
            });
        }
        // The first layout tells how many rows one column needs; after that, one more bit at a time
        // (a larger k also means fewer, wider range-check limbs).
        let needed = (advice_cells + MIN_ROWS).next_power_of_two().trailing_zeros();
        k = if tried.len() == 1 { needed.max(k + 1) } else { k + 1 };
        if k > 26 {
            return Err(SnarkError::Prover(format!("the wrapper does not fit one column up to k = 26: {tried:?}")));
        }
    }
}

/// What the L1 verifier of `vk`'s proofs computes, per snark-verifier's cost model.
pub fn verifier_cost(vk: &SnarkVerifyingKey) -> Result<VerifierCost, SnarkError> {
    Ok(cost_of(&vk.protocol()?.1))
}

fn cost_of(protocol: &PlonkProtocol<G1Affine>) -> VerifierCost {
    let cost = PlonkVerifier::<SHPLONK>::estimate_cost(protocol);
    VerifierCost {
        commitments: cost.num_commitment,
        evaluations: cost.num_evaluation,
        msm: cost.num_msm,
        pairings: cost.num_pairing,
    }
}

/// snark-verifier's cost estimate of one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierCost {
    /// Commitments in the proof.
    pub commitments: usize,
    /// Evaluations in the proof.
    pub evaluations: usize,
    /// Scalar multiplications (each an `ecMul` precompile call on L1, 6,000 gas).
    pub msm: usize,
    /// Pairings (the L1 verifier batches them into one `ecPairing` call).
    pub pairings: usize,
}
