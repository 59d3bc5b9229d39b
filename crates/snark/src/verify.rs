//! The SNARK's verifying key and proof files, and their verification in Rust: halo2's KZG/SHPLONK
//! verifier of the wrapper proof with the Keccak transcript the Solidity verifier replays, the KZG
//! decision of the static verifier proof's accumulator the wrapper exposes, then the statement's checks
//! (program pinned, public values well-formed).
use crate::SnarkError;
use alloy_primitives::{B256, U256};
use halo2_base::{
    gates::circuit::{builder::BaseCircuitBuilder, BaseCircuitParams},
    halo2_proofs::{
        halo2curves::{
            bn256::{Bn256, Fr, G1Affine, G2Affine},
            ff::PrimeField,
            group::GroupEncoding,
        },
        plonk::{verify_proof, VerifyingKey},
        poly::{
            commitment::ParamsProver,
            kzg::{
                commitment::{KZGCommitmentScheme, ParamsKZG},
                multiopen::VerifierSHPLONK,
                strategy::AccumulatorStrategy,
            },
            VerificationStrategy,
        },
        transcript::TranscriptReadBuffer,
        SerdeFormat,
    },
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use serde::{Deserialize, Serialize};
use snark_verifier_sdk::{
    evm::gen_evm_verifier_sol_code,
    halo2::aggregation::AggregationCircuit,
    snark_verifier::{
        loader::native::NativeLoader,
        pcs::{
            kzg::{KzgDecidingKey, LimbsEncoding},
            AccumulationDecider, AccumulatorEncoding,
        },
        system::halo2::{compile, transcript::evm::EvmTranscript, Config},
        verifier::plonk::PlonkProtocol,
    },
    CircuitExt, BITS, LIMBS, SHPLONK,
};
use std::path::Path;

/// Leading instances of a wrapper proof: the KZG accumulator of the static verifier proof it verified,
/// `lhs.x ‖ lhs.y ‖ rhs.x ‖ rhs.y` in three 88-bit limbs each. The proof holds only if
/// `e(lhs, [1]G2) = e(rhs, [s]G2)`, which the verifiers (Rust and Solidity) check with its own pairing.
pub const ACCUMULATOR_INSTANCES: usize = 4 * snark_verifier_sdk::LIMBS;

/// Instances after the accumulator and before the public values: the program's executable and VM
/// commitments.
pub const COMMIT_INSTANCES: usize = 2;

/// The verifying key format: 2 since the wrapper layer (version 1 keys verified the static verifier's
/// own proof; they are refused).
pub const KEY_VERSION: u32 = 2;

/// What a verifier needs: the wrapper circuit's verifying key (it pins the static verifier circuit,
/// which pins OpenVM's root verifier), the three points of the KZG parameters a verifier uses, and the
/// program the proofs must be of. Written by `mosaic snark setup` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnarkVerifyingKey {
    /// Format version ([`KEY_VERSION`]).
    pub version: u32,
    /// log2 of the wrapper circuit's rows.
    pub k: u32,
    /// log2 of the static verifier circuit's rows (the inner proof).
    pub static_k: u32,
    /// The wrapper circuit's shape (halo2-base), needed to rebuild its constraint system.
    pub circuit: BaseCircuitParams,
    /// halo2's verifying key of the wrapper, raw bytes.
    #[serde(with = "hex_bytes")]
    pub vk: Vec<u8>,
    /// `[1]G1`, `[1]G2` and `[s]G2` of the KZG parameters (compressed).
    #[serde(with = "hex_bytes")]
    pub g1: Vec<u8>,
    #[serde(with = "hex_bytes")]
    #[allow(missing_docs)]
    pub g2: Vec<u8>,
    #[serde(with = "hex_bytes")]
    #[allow(missing_docs)]
    pub s_g2: Vec<u8>,
    /// Number of public inputs: the accumulator's limbs, the two commitments, then one per public-value
    /// byte.
    pub num_instances: usize,
    /// The pinned program: OpenVM's `app_exe_commit` (big-endian field element).
    pub app_exe_commit: B256,
    /// The pinned program's VM: OpenVM's `app_vm_commit`.
    pub app_vm_commit: B256,
    /// sha256 of the KZG parameters files the keys were made with: the wrapper's (`2^k`), then the
    /// static verifier's (`2^static_k`), from one setup.
    pub srs_sha256: [B256; 2],
    /// Whether the parameters came from [`crate::srs::dev_setup`] (a known secret).
    pub dev_srs: bool,
}

/// A SNARK proof: its public inputs as 32-byte big-endian words, then halo2's proof bytes. The
/// generated Solidity verifier's calldata is exactly `instances ‖ proof`; `SnarkVerifier.sol` takes
/// [`Self::onchain_proof`] and fills in the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnarkProof {
    /// Public inputs, one field element per word.
    pub instances: Vec<B256>,
    /// The proof (Keccak transcript).
    pub proof: Vec<u8>,
}

/// What a valid proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The program's `app_exe_commit`.
    pub app_exe_commit: B256,
    /// The program's `app_vm_commit`.
    pub app_vm_commit: B256,
    /// The program's public values (for Mosaic programs: the 32-byte journal hash).
    pub public_values: Vec<u8>,
}

const MAGIC: &[u8; 8] = b"MSNARK01";

impl SnarkProof {
    /// The public inputs as field elements; a word outside the field is an invalid proof.
    pub(crate) fn scalars(&self) -> Result<Vec<Fr>, SnarkError> {
        self.instances
            .iter()
            .map(|w| word_to_fr(w).ok_or_else(|| SnarkError::Invalid("a public input is not a field element".into())))
            .collect()
    }

    /// The Solidity verifier's calldata (and the proof's body): `instances ‖ proof`.
    pub fn calldata(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.instances.len() * 32 + self.proof.len());
        for word in &self.instances {
            out.extend_from_slice(word.as_slice());
        }
        out.extend_from_slice(&self.proof);
        out
    }

    /// What `SnarkVerifier.verify` and `Rollup.proveBatch` take: the accumulator's words, then the
    /// halo2 proof (the contract supplies the program's commitments and the journal hash itself).
    pub fn onchain_proof(&self) -> Vec<u8> {
        let accumulator = self.instances.iter().take(ACCUMULATOR_INSTANCES);
        let mut out = Vec::with_capacity(ACCUMULATOR_INSTANCES * 32 + self.proof.len());
        for word in accumulator {
            out.extend_from_slice(word.as_slice());
        }
        out.extend_from_slice(&self.proof);
        out
    }

    /// The file form: a magic, the instance count (u32 BE), then [`Self::calldata`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(self.instances.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.calldata());
        out
    }

    /// Parses [`Self::encode`]'s output.
    pub fn decode(bytes: &[u8]) -> Result<Self, SnarkError> {
        let bad = |why: &str| SnarkError::Format(format!("SNARK proof file: {why}"));
        let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| bad("not a Mosaic SNARK proof"))?;
        let (count, rest) = rest.split_first_chunk::<4>().ok_or_else(|| bad("truncated"))?;
        let count = u32::from_be_bytes(*count) as usize;
        if count > 1024 || rest.len() < count * 32 {
            return Err(bad("instance count out of range"));
        }
        let (words, proof) = rest.split_at(count * 32);
        Ok(Self { instances: words.chunks_exact(32).map(B256::from_slice).collect(), proof: proof.to_vec() })
    }

    /// The statement the instances claim (not verified: see [`SnarkVerifyingKey::verify`]).
    pub fn statement(&self) -> Result<Statement, SnarkError> {
        let first = ACCUMULATOR_INSTANCES + COMMIT_INSTANCES;
        if self.instances.len() < first {
            return Err(SnarkError::Invalid("too few public inputs".into()));
        }
        let public_values = self.instances[first..]
            .iter()
            .map(|w| {
                let v = U256::from_be_bytes(w.0);
                u8::try_from(v).map_err(|_| SnarkError::Invalid("a public-value input is not a byte".into()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Statement {
            app_exe_commit: self.instances[ACCUMULATOR_INSTANCES],
            app_vm_commit: self.instances[ACCUMULATOR_INSTANCES + 1],
            public_values,
        })
    }

    /// Builds the proof from halo2's instances and proof bytes.
    pub fn from_parts(instances: &[Fr], proof: Vec<u8>) -> Self {
        Self { instances: instances.iter().map(fr_to_word).collect(), proof }
    }
}

/// A field element as a big-endian word.
pub fn fr_to_word(f: &Fr) -> B256 {
    let mut bytes = f.to_repr();
    bytes.as_mut().reverse();
    B256::from_slice(bytes.as_ref())
}

/// A big-endian word as a field element; `None` when it is not below the BN254 scalar modulus.
pub fn word_to_fr(w: &B256) -> Option<Fr> {
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(w.as_slice());
    repr.as_mut().reverse();
    Option::from(Fr::from_repr(repr))
}

impl SnarkVerifyingKey {
    /// Reads a key written by `mosaic snark setup`.
    pub fn read(path: &Path) -> Result<Self, SnarkError> {
        let bytes = std::fs::read(path).map_err(|e| SnarkError::io(path, e))?;
        Self::from_json(&bytes, &path.display().to_string())
    }

    /// Parses a key's JSON; `origin` names it in errors.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<Self, SnarkError> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let format = |e: serde_json::Error| SnarkError::Format(format!("{origin}: {e}"));
        let Version { version } = serde_json::from_slice(bytes).map_err(format)?;
        if version != KEY_VERSION {
            return Err(SnarkError::Format(format!(
                "{origin}: a version {version} key, made before the wrapper layer (run `mosaic snark setup` again)"
            )));
        }
        serde_json::from_slice(bytes).map_err(format)
    }

    /// Writes the key as JSON.
    pub fn write(&self, path: &Path) -> Result<(), SnarkError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| SnarkError::Format(e.to_string()))?;
        std::fs::write(path, json).map_err(|e| SnarkError::io(path, e))
    }

    fn halo2_vk(&self) -> Result<VerifyingKey<G1Affine>, SnarkError> {
        VerifyingKey::<G1Affine>::read::<_, BaseCircuitBuilder<Fr>>(
            &mut self.vk.as_slice(),
            SerdeFormat::RawBytes,
            self.circuit.clone(),
        )
        .map_err(|e| SnarkError::Format(format!("verifying key: {e}")))
    }

    /// snark-verifier's description of the circuit (what its verifiers, native, in-circuit or Solidity,
    /// run), with the verifier's parameters.
    pub(crate) fn protocol(&self) -> Result<(ParamsKZG<Bn256>, PlonkProtocol<G1Affine>), SnarkError> {
        let vk = self.halo2_vk()?;
        let params = self.verifier_params()?;
        let protocol = compile(
            &params,
            &vk,
            Config::kzg()
                .with_num_instance(vec![self.num_instances])
                .with_accumulator_indices(AggregationCircuit::accumulator_indices()),
        );
        Ok((params, protocol))
    }

    /// The verifier's view of the KZG parameters: `[1]G1`, `[1]G2`, `[s]G2` (all halo2's SHPLONK
    /// verifier reads; public inputs are evaluated, not committed, so no Lagrange bases are needed).
    fn verifier_params(&self) -> Result<ParamsKZG<Bn256>, SnarkError> {
        let g1 = point::<G1Affine>(&self.g1, "g1")?;
        let g2 = point::<G2Affine>(&self.g2, "g2")?;
        let s_g2 = point::<G2Affine>(&self.s_g2, "s_g2")?;
        if g1 != G1Affine::generator() || g2 != G2Affine::generator() {
            return Err(SnarkError::Format("KZG parameters with a non-standard generator".into()));
        }
        Ok(ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([0; 32])).from_parts(
            self.k,
            vec![g1],
            Some(vec![g1]),
            g2,
            s_g2,
        ))
    }

    /// The Solidity verifier of this key (snark-verifier's generator; it needs only the three KZG points
    /// the key holds), with its exact `pragma solidity 0.8.19` relaxed to `^0.8.19` so it builds with the
    /// project's compiler. `Halo2Verifier` takes `instances ‖ proof` as calldata and reverts unless the
    /// proof verifies and the accumulator in its first instances passes the pairing check (both folded
    /// into one `ecPairing`).
    pub fn solidity(&self) -> Result<String, SnarkError> {
        let vk = self.halo2_vk()?;
        let params = self.verifier_params()?;
        let code = gen_evm_verifier_sol_code::<AggregationCircuit, SHPLONK>(&params, &vk, vec![self.num_instances]);
        Ok(code.replacen("pragma solidity 0.8.19;", "pragma solidity ^0.8.19;", 1))
    }

    /// Verifies `proof`: the wrapper's halo2 proof against the key (pairing check included), the
    /// accumulator it exposes (the static verifier proof's pairing check), then that it is of the pinned
    /// program. Returns the statement proven. (Parses the key each time; to verify many proofs,
    /// [`Self::prepare`] once.)
    pub fn verify(&self, proof: &SnarkProof) -> Result<Statement, SnarkError> {
        self.prepare()?.verify(proof)
    }

    /// Parses the key into a [`PreparedVerifier`] (halo2 rebuilds the circuit's evaluation domain: the
    /// bulk of a single verification's time).
    pub fn prepare(&self) -> Result<PreparedVerifier<'_>, SnarkError> {
        let params = self.verifier_params()?;
        let deciding_key = KzgDecidingKey::new(params.get_g()[0], params.g2(), params.s_g2());
        Ok(PreparedVerifier { key: self, vk: self.halo2_vk()?, params, deciding_key })
    }
}

/// A [`SnarkVerifyingKey`] parsed for verification.
pub struct PreparedVerifier<'a> {
    key: &'a SnarkVerifyingKey,
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
    deciding_key: KzgDecidingKey<Bn256>,
}

impl PreparedVerifier<'_> {
    /// See [`SnarkVerifyingKey::verify`].
    pub fn verify(&self, proof: &SnarkProof) -> Result<Statement, SnarkError> {
        let key = self.key;
        if proof.instances.len() != key.num_instances {
            return Err(SnarkError::Invalid(format!(
                "{} public inputs, the key expects {}",
                proof.instances.len(),
                key.num_instances
            )));
        }
        let instances = proof.scalars()?;
        let columns: &[&[Fr]] = &[&instances];
        let mut transcript = EvmTranscript::<G1Affine, NativeLoader, &[u8], Vec<u8>>::init(proof.proof.as_slice());
        let strategy =
            verify_proof::<
                KZGCommitmentScheme<Bn256>,
                VerifierSHPLONK<'_, Bn256>,
                _,
                EvmTranscript<G1Affine, NativeLoader, &[u8], Vec<u8>>,
                AccumulatorStrategy<'_, Bn256>,
            >(&self.params, &self.vk, AccumulatorStrategy::new(&self.params), &[columns], &mut transcript)
            .map_err(|e| SnarkError::Invalid(format!("halo2 verification failed: {e:?}")))?;
        if !VerificationStrategy::<_, VerifierSHPLONK<'_, Bn256>>::finalize(strategy) {
            return Err(SnarkError::Invalid("the KZG pairing check failed".into()));
        }
        // The wrapper proved that the static verifier proof reduces to this accumulator; it is a valid
        // proof only if the accumulator's own pairing holds (same KZG secret: one setup).
        let limbs: Vec<&Fr> = instances[..ACCUMULATOR_INSTANCES].iter().collect();
        let accumulator =
            <LimbsEncoding<LIMBS, BITS> as AccumulatorEncoding<G1Affine, NativeLoader>>::from_repr(&limbs)
                .map_err(|_| SnarkError::Invalid("the accumulator is not a pair of curve points".into()))?;
        <SHPLONK as AccumulationDecider<G1Affine, NativeLoader>>::decide(&self.deciding_key, accumulator)
            .map_err(|_| SnarkError::Invalid("the inner proof's KZG pairing check failed".into()))?;
        let statement = proof.statement()?;
        if statement.app_exe_commit != key.app_exe_commit || statement.app_vm_commit != key.app_vm_commit {
            return Err(SnarkError::Invalid("the proof is of another program".into()));
        }
        Ok(statement)
    }
}

fn point<P: GroupEncoding>(bytes: &[u8], what: &str) -> Result<P, SnarkError> {
    let mut repr = P::Repr::default();
    if repr.as_ref().len() != bytes.len() {
        return Err(SnarkError::Format(format!("{what}: wrong length")));
    }
    repr.as_mut().copy_from_slice(bytes);
    Option::from(P::from_bytes(&repr)).ok_or_else(|| SnarkError::Format(format!("{what}: not a curve point")))
}

/// Compressed encoding of a curve point.
pub fn point_bytes<P: GroupEncoding>(p: &P) -> Vec<u8> {
    p.to_bytes().as_ref().to_vec()
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s.trim_start_matches("0x")).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_field_elements_round_trip() {
        let f = Fr::from(0x1234_5678u64);
        let w = fr_to_word(&f);
        assert_eq!(w.0[28..], [0x12, 0x34, 0x56, 0x78]);
        assert_eq!(word_to_fr(&w), Some(f));
        // The modulus itself is not a field element.
        let r = B256::from(U256::from_str_radix(Fr::MODULUS.trim_start_matches("0x"), 16).unwrap());
        assert_eq!(word_to_fr(&r), None);
        assert_eq!(word_to_fr(&B256::repeat_byte(0xff)), None);
    }

    #[test]
    fn proof_files_round_trip_and_refuse_garbage() {
        let mut instances = vec![B256::with_last_byte(3); ACCUMULATOR_INSTANCES];
        instances.extend([B256::repeat_byte(1), B256::ZERO, B256::with_last_byte(7)]);
        let proof = SnarkProof { instances, proof: vec![9; 70] };
        let bytes = proof.encode();
        assert_eq!(SnarkProof::decode(&bytes).unwrap(), proof);
        assert_eq!(proof.calldata().len(), (ACCUMULATOR_INSTANCES + 3) * 32 + 70);
        let statement = proof.statement().unwrap();
        assert_eq!(statement.public_values, vec![7]);
        assert_eq!((statement.app_exe_commit, statement.app_vm_commit), (B256::repeat_byte(1), B256::ZERO));
        // On L1: the accumulator's words, then the proof.
        let onchain = proof.onchain_proof();
        assert_eq!(onchain.len(), ACCUMULATOR_INSTANCES * 32 + 70);
        assert_eq!(onchain[31], 3);
        assert_eq!(onchain[ACCUMULATOR_INSTANCES * 32..], proof.proof[..]);
        assert!(SnarkProof::decode(b"MSNARK01").is_err());
        assert!(SnarkProof::decode(&bytes[..20]).is_err());
        assert!(SnarkProof::decode(b"not a proof at all").is_err());
        // A public value that is not a byte is refused.
        let mut instances = vec![B256::ZERO; ACCUMULATOR_INSTANCES + COMMIT_INSTANCES];
        instances.push(B256::left_padding_from(&[1, 0]));
        assert!(SnarkProof { instances, proof: vec![] }.statement().is_err());
        // Without the accumulator and both commitments there is no statement.
        let short = SnarkProof { instances: vec![B256::ZERO; ACCUMULATOR_INSTANCES + 1], proof: vec![] };
        assert!(short.statement().is_err());
    }
}
