//! KZG parameters (the structured reference string) on BN254.
//!
//! [`dev_setup`] makes them from a seed, so the secret is *known*: a development setup only. A
//! production deployment loads the public Perpetual Powers of Tau parameters instead (Axiom's
//! `challenge_0085` transcript, the files OpenVM's `cargo openvm setup --evm` downloads, named
//! `kzg_bn254_{k}.srs` like ours) with [`read`].
//!
//! The result is exactly what halo2's `ParamsKZG::setup(k, ChaCha20Rng::from_seed(seed))` returns
//! (a unit test checks it byte for byte), computed ≈10× faster: halo2 does one full scalar
//! multiplication per point, here each point is 32 additions from a fixed-base table of the generator
//! (k = 23 is 2 × 8.4 M points: ≈14 min on two cores for halo2's loop).
use crate::SnarkError;
use alloy_primitives::B256;
use halo2_base::halo2_proofs::{
    halo2curves::{
        bn256::{Bn256, Fr, G1Affine, G2Affine, G1},
        ff::{Field, PrimeField},
        group::{prime::PrimeCurveAffine, Curve, Group},
    },
    poly::kzg::commitment::ParamsKZG,
    SerdeFormat,
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::{
    fs::File,
    io::{BufReader, BufWriter, Write},
    path::{Path, PathBuf},
};

/// KZG parameters on BN254, as halo2 uses them.
pub type Params = ParamsKZG<Bn256>;

/// The seed `mosaic snark setup` derives development parameters from unless told otherwise.
pub const DEV_SEED: [u8; 32] = *b"mosaic-dev-srs\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Points per parallel chunk (one batch normalization each).
const CHUNK: usize = 1 << 14;

/// `d · 256^j · G` for every byte position `j` and digit `d`: a scalar multiplication of the generator
/// is then one addition per nonzero byte of the scalar.
struct FixedBase(Vec<Vec<G1Affine>>);

impl FixedBase {
    fn generator() -> Self {
        let mut base = G1::generator();
        let tables = (0..32)
            .map(|_| {
                let mut row = vec![G1::identity(); 256];
                let mut acc = G1::identity();
                for slot in row.iter_mut() {
                    *slot = acc;
                    acc += base;
                }
                base = acc;
                let mut affine = vec![G1Affine::identity(); 256];
                G1::batch_normalize(&row, &mut affine);
                affine
            })
            .collect();
        Self(tables)
    }

    fn mul(&self, scalar: &Fr) -> G1 {
        let repr = scalar.to_repr(); // little-endian
        let mut acc = G1::identity();
        for (table, &digit) in self.0.iter().zip(repr.as_ref()) {
            if digit != 0 {
                acc += table[digit as usize];
            }
        }
        acc
    }

    /// `scalars[i] · G` for all `i`, in affine form.
    fn mul_all(&self, scalars: &[Fr]) -> Vec<G1Affine> {
        let mut out = vec![G1Affine::identity(); scalars.len()];
        out.par_chunks_mut(CHUNK).zip(scalars.par_chunks(CHUNK)).for_each(|(out, scalars)| {
            let projective: Vec<G1> = scalars.iter().map(|s| self.mul(s)).collect();
            G1::batch_normalize(&projective, out);
        });
        out
    }
}

/// Development KZG parameters of size `2^k` from `seed` (the secret is derived from it: **not** for
/// production). Equal to `ParamsKZG::setup(k, ChaCha20Rng::from_seed(seed))`.
pub fn dev_setup(k: u32, seed: [u8; 32]) -> Params {
    assert!(k <= Fr::S, "k above the field's two-adicity");
    let n = 1usize << k;
    let s = Fr::random(ChaCha20Rng::from_seed(seed));
    let table = FixedBase::generator();

    // g[i] = s^i · G
    let mut powers = vec![Fr::ZERO; n];
    powers.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let mut cur = s.pow_vartime([(c * CHUNK) as u64]);
        for p in chunk.iter_mut() {
            *p = cur;
            cur *= s;
        }
    });
    let g = table.mul_all(&powers);

    // g_lagrange[i] = L_i(s) · G, with L_i(s) = (s^n - 1)/n · ω^i / (s - ω^i)
    let mut omega = Fr::ROOT_OF_UNITY_INV.invert().expect("nonzero");
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * Fr::from(n as u64).invert().expect("n is nonzero");
    // Reuse `powers` for the Lagrange scalars.
    powers.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let mut root = omega.pow_vartime([(c * CHUNK) as u64]);
        let mut roots = Vec::with_capacity(chunk.len());
        for d in chunk.iter_mut() {
            roots.push(root);
            *d = s - root;
            root *= omega;
        }
        batch_invert(chunk);
        for (d, root) in chunk.iter_mut().zip(roots) {
            *d = multiplier * root * *d;
        }
    });
    let g_lagrange = table.mul_all(&powers);
    drop(powers);

    let g2 = G2Affine::generator();
    let s_g2 = (g2 * s).to_affine();
    Params::setup(1, ChaCha20Rng::from_seed([0; 32])).from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

/// In-place inversion of nonzero elements (Montgomery's trick: one inversion per slice).
fn batch_invert(values: &mut [Fr]) {
    let mut prefix = Vec::with_capacity(values.len());
    let mut acc = Fr::ONE;
    for v in values.iter() {
        prefix.push(acc);
        acc *= v;
    }
    let mut inv = acc.invert().expect("s is not a root of unity");
    for (v, before) in values.iter_mut().zip(prefix).rev() {
        let next = inv * *v;
        *v = inv * before;
        inv = next;
    }
}

/// The file of the size-`2^k` parameters in `dir` (`kzg_bn254_{k}.srs`, the name OpenVM and Axiom use).
pub fn path(dir: &Path, k: u32) -> PathBuf {
    dir.join(format!("kzg_bn254_{k}.srs"))
}

/// Writes `params` to `path` in halo2's raw-bytes format; returns the file's sha256.
pub fn write(params: &Params, path: &Path) -> Result<B256, SnarkError> {
    let io = |e| SnarkError::io(path, e);
    let tmp = path.with_extension("srs.partial");
    {
        let mut w = BufWriter::new(File::create(&tmp).map_err(io)?);
        params.write_custom(&mut w, SerdeFormat::RawBytes).map_err(io)?;
        w.flush().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    file_sha256(path)
}

/// Reads parameters written by [`write`] (or downloaded from the Powers of Tau files).
pub fn read(path: &Path) -> Result<Params, SnarkError> {
    let file = File::open(path).map_err(|e| SnarkError::io(path, e))?;
    Params::read_custom(&mut BufReader::new(file), SerdeFormat::RawBytes).map_err(|e| SnarkError::io(path, e))
}

/// sha256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<B256, SnarkError> {
    let mut file = File::open(path).map_err(|e| SnarkError::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| SnarkError::io(path, e))?;
    Ok(B256::from_slice(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(p: &Params) -> Vec<u8> {
        let mut out = Vec::new();
        p.write_custom(&mut out, SerdeFormat::RawBytes).unwrap();
        out
    }

    #[test]
    fn dev_setup_equals_halo2_setup() {
        for k in [1u32, 4, 9] {
            let seed = [k as u8; 32];
            let ours = dev_setup(k, seed);
            let halo2 = Params::setup(k, ChaCha20Rng::from_seed(seed));
            assert_eq!(bytes(&ours), bytes(&halo2), "k = {k}");
        }
    }

    #[test]
    fn params_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let params = dev_setup(5, [7; 32]);
        let file = path(dir.path(), 5);
        let hash = write(&params, &file).unwrap();
        assert_eq!(hash, file_sha256(&file).unwrap());
        assert_eq!(bytes(&read(&file).unwrap()), bytes(&params));
        // A different seed is a different secret.
        assert_ne!(bytes(&dev_setup(5, [8; 32])), bytes(&params));
    }
}
