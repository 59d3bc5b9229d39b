//! The size of OpenVM's second halo2 layer, the single-column "wrapper", on Mosaic's SNARKs: what the
//! L1 verifier's gas would need (docs/architecture.md, "No wrapper layer (yet)"). The wrapper is
//! snark-verifier's aggregation circuit verifying one static-verifier proof; with one advice column
//! the L1 verifier has about a dozen commitments instead of 41. This lays its circuit out (no keys, no
//! proof) to measure how many rows that column needs, the way OpenVM's `select_k` picks its `k`.
use crate::{SnarkError, SnarkProof, SnarkVerifyingKey};
use halo2_base::{
    gates::circuit::CircuitBuilderStage,
    halo2_proofs::{
        halo2curves::{
            bn256::{Fr, G1Affine},
            ff::PrimeField,
            group::GroupEncoding,
        },
        plonk::keygen_pk2,
        poly::commitment::{Params as _, ParamsProver},
        transcript::TranscriptReadBuffer,
    },
};
use snark_verifier_sdk::{
    halo2::aggregation::{AggregationCircuit, AggregationConfigParams, VerifierUniversality},
    snark_verifier::{
        cost::CostEstimation,
        loader::native::NativeLoader,
        system::halo2::{compile, transcript::evm::EvmTranscript, Config},
        util::transcript::{Transcript, TranscriptRead},
        verifier::{plonk::PlonkProtocol, SnarkVerifier},
        Error,
    },
    CircuitExt, PlonkSuccinctVerifier, PlonkVerifier, Snark, SHPLONK,
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

/// Lays out the wrapper over `proof` (a SNARK of `vk`) at growing `k`, as OpenVM's auto-tune does, until
/// one advice column holds it. Only the layout matters here: the wrapper re-derives the challenges
/// with a Poseidon transcript, so on this Keccak-transcript proof its in-circuit checks would not hold,
/// but which cells it uses does not depend on the values.
pub fn wrapper_size(vk: &SnarkVerifyingKey, proof: &SnarkProof) -> Result<WrapperSize, SnarkError> {
    let (params, snark) = wrapper_input(vk, proof)?;
    let mut k = 20u32;
    let mut tried = Vec::new();
    loop {
        let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
        let layout = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut circuit = AggregationCircuit::new::<SHPLONK>(
                CircuitBuilderStage::Keygen,
                config,
                &params,
                [snark.clone()],
                VerifierUniversality::None,
            );
            circuit.expose_previous_instances(false);
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
        if k > 28 {
            return Err(SnarkError::Prover(format!("the wrapper does not fit one column up to k = 28: {tried:?}")));
        }
    }
}

/// The committed SNARK as the wrapper's input: its protocol (from the key) and its proof re-encoded for
/// the wrapper's Poseidon transcript.
fn wrapper_input(vk: &SnarkVerifyingKey, proof: &SnarkProof) -> Result<(crate::srs::Params, Snark), SnarkError> {
    let (params, protocol) = vk.protocol()?;
    let instances = proof.scalars()?;
    // The wrapper reads its input with a Poseidon transcript, which encodes points compressed and
    // scalars little-endian: the same proof items, re-encoded.
    let mut reader = Recoder {
        inner: EvmTranscript::<G1Affine, NativeLoader, &[u8], Vec<u8>>::init(proof.proof.as_slice()),
        out: Vec::new(),
    };
    PlonkSuccinctVerifier::<SHPLONK>::read_proof(
        &params.get_g()[0].into(),
        &protocol,
        std::slice::from_ref(&instances),
        &mut reader,
    )
    .map_err(|e| SnarkError::Invalid(format!("reading the proof: {e:?}")))?;
    Ok((params, Snark::new(protocol, vec![instances], reader.out)))
}

/// What the L1 verifier of a proof of `vk`'s circuit computes, per snark-verifier's cost model: the
/// static verifier's own (today's L1 verifier) when given the committed key.
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

/// The wrapper's halo2 keygen at `params.k()` (its keys are not kept): what setup would add. Returns
/// the seconds it took and the cost of verifying a wrapper proof (its protocol exposes the KZG
/// accumulator of the inner proof as 12 more public inputs, checked by one more pairing).
pub fn wrapper_keygen(
    vk: &SnarkVerifyingKey,
    proof: &SnarkProof,
    params: &crate::srs::Params,
) -> Result<(f64, VerifierCost), SnarkError> {
    let (_, snark) = wrapper_input(vk, proof)?;
    let k = params.k();
    let started = std::time::Instant::now();
    let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    let vk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut circuit = AggregationCircuit::new::<SHPLONK>(
            CircuitBuilderStage::Keygen,
            config,
            params,
            [snark],
            VerifierUniversality::None,
        );
        circuit.expose_previous_instances(false);
        circuit.calculate_params(Some(MIN_ROWS));
        let num_instance = circuit.builder.assigned_instances.iter().map(Vec::len).collect::<Vec<_>>();
        let pk = keygen_pk2(params, &circuit, false).map_err(|e| SnarkError::Prover(format!("keygen: {e:?}")));
        circuit.builder.clear();
        pk.map(|pk| (pk.get_vk().clone(), num_instance))
    }))
    .map_err(|_| SnarkError::Prover("the wrapper keygen failed".into()))??;
    let seconds = started.elapsed().as_secs_f64();
    let (wrapper_vk, num_instance) = vk;
    let protocol = compile(
        params,
        &wrapper_vk,
        Config::kzg()
            .with_num_instance(num_instance)
            .with_accumulator_indices(AggregationCircuit::accumulator_indices()),
    );
    Ok((seconds, cost_of(&protocol)))
}

/// Reads a proof with the EVM transcript and writes each item as the native Poseidon transcript
/// stores it.
struct Recoder<'a> {
    inner: EvmTranscript<G1Affine, NativeLoader, &'a [u8], Vec<u8>>,
    out: Vec<u8>,
}

impl Transcript<G1Affine, NativeLoader> for Recoder<'_> {
    fn loader(&self) -> &NativeLoader {
        self.inner.loader()
    }

    fn squeeze_challenge(&mut self) -> Fr {
        self.inner.squeeze_challenge()
    }

    fn common_ec_point(&mut self, ec_point: &G1Affine) -> Result<(), Error> {
        self.inner.common_ec_point(ec_point)
    }

    fn common_scalar(&mut self, scalar: &Fr) -> Result<(), Error> {
        self.inner.common_scalar(scalar)
    }
}

impl TranscriptRead<G1Affine, NativeLoader> for Recoder<'_> {
    fn read_scalar(&mut self) -> Result<Fr, Error> {
        let scalar = self.inner.read_scalar()?;
        self.out.extend_from_slice(scalar.to_repr().as_ref());
        Ok(scalar)
    }

    fn read_ec_point(&mut self) -> Result<G1Affine, Error> {
        let point = self.inner.read_ec_point()?;
        self.out.extend_from_slice(point.to_bytes().as_ref());
        Ok(point)
    }
}
