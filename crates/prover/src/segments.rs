//! One batch's recursive STARK proven by several jobs (issue #20, "independent segments of one batch";
//! the research is `docs/design/segment-jobs.md`). OpenVM proves a run as one STARK per execution
//! segment, then aggregates them by leaf and internal recursion; each segment's proof depends only on
//! the VM state where the segment starts, so groups of consecutive segments can be proven apart:
//!
//! - a **group** job ([`OpenVm::prove_segment_group`]) plans the run (OpenVM's metered execution: the
//!   same cut for every job, since every job runs the same program, input and VM configuration),
//!   re-executes the run up to its first segment with the plain interpreter (cheap next to proving:
//!   OpenVM cannot serialize a VM state), proves its segments and their leaf aggregations, and writes
//!   a [`SegmentGroup`];
//! - the **join** ([`OpenVm::join_segment_groups`]) takes every group's leaves in order and runs the
//!   internal recursion and the final wrap layer, exactly as OpenVM's own recursive prover does, into
//!   the same proof [`crate::ProofKind::Recursive`] verifies.
//!
//! Groups are cut on leaf boundaries (`num_children_leaf` segments, 4), so the leaves are those OpenVM
//! itself would make and the tree has the same shape. Nothing here is trusted: a group from another
//! program or another cut fails the join's checks by name, and anything that slips past them breaks
//! the recursion circuits' pc and memory-root continuity checks, so no proof comes out.
use crate::{
    zkvm::{field_bytes, Engine, OpenVm, VmBuilder},
    zkvm_err, ProverError,
};
use openvm_circuit::{
    arch::{
        execution_mode::metered::segment_ctx::Segment, hasher::poseidon2::vm_poseidon2_hasher, PreflightExecutionOutput,
    },
    system::memory::merkle::public_values::UserPublicValuesProof,
};
use openvm_continuations::{circuit::inner::ProofsType, prover::ChildVkKind};
use openvm_sdk::{prover::InternalLayerMetadata, SC};
use openvm_stark_backend::{codec::Encode, proof::Proof, StarkEngine};
use openvm_verify_stark_host::VmStarkProof;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The proofs one group job made: the leaf aggregations of segments `first..first + count` of a run cut
/// into `total` segments, and, from the group holding the last segment, the proof of the run's public
/// values.
#[derive(Serialize, Deserialize)]
pub struct SegmentGroup {
    /// keccak256 of the guest ELF proven (the join refuses groups of another program).
    pub elf_hash: [u8; 32],
    /// Segments the whole run is cut into.
    pub total: u32,
    /// The group's first segment.
    pub first: u32,
    /// Its segments.
    pub count: u32,
    /// The instruction count where the group starts and where it ends (the join checks that groups
    /// meet: a group cut with another segment budget does not).
    pub instret: (u64, u64),
    /// Leaf proofs, each of up to `num_children_leaf` consecutive segments.
    pub leaves: Vec<Proof<SC>>,
    /// The user public values' proof against the final memory, in the group with the last segment.
    pub public_values: Option<UserPublicValuesProof<{ openvm_circuit::system::memory::CHUNK }, openvm_sdk::F>>,
}

/// Leading bytes of an encoded [`SegmentGroup`], then a format version.
const GROUP_MAGIC: &[u8; 8] = b"MOSAICSG";
const GROUP_VERSION: u8 = 1;

impl SegmentGroup {
    /// Its bytes (an artifact between a group job and the join).
    pub fn encode(&self) -> Result<Vec<u8>, ProverError> {
        let body = bitcode::serialize(self).map_err(zkvm_err)?;
        let mut out = Vec::with_capacity(9 + body.len());
        out.extend_from_slice(GROUP_MAGIC);
        out.push(GROUP_VERSION);
        out.extend_from_slice(&zstd::encode_all(body.as_slice(), 3).map_err(zkvm_err)?);
        Ok(out)
    }

    /// Reads [`SegmentGroup::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProverError> {
        let bad = |why: String| ProverError::ZkVm(format!("not a segment group: {why}"));
        let rest = bytes.strip_prefix(GROUP_MAGIC.as_slice()).ok_or_else(|| bad("wrong magic".into()))?;
        match rest.split_first() {
            Some((&GROUP_VERSION, body)) => {
                let body = zstd::decode_all(body).map_err(|e| bad(e.to_string()))?;
                bitcode::deserialize(&body).map_err(|e| bad(e.to_string()))
            }
            Some((v, _)) => Err(bad(format!("format version {v}, this build reads {GROUP_VERSION}"))),
            None => Err(bad("truncated".into())),
        }
    }
}

/// The segments group `group` of `groups` proves, of a run cut into `total` segments whose leaves
/// take `per_leaf` segments each: consecutive whole leaves, as evenly as they go, the earlier groups
/// taking one more where they do not divide; groups past the last leaf are empty.
pub fn group_segments(total: usize, per_leaf: usize, group: usize, groups: usize) -> Range<usize> {
    let (per_leaf, groups) = (per_leaf.max(1), groups.max(1));
    let leaves = total.div_ceil(per_leaf);
    let (base, extra) = (leaves / groups, leaves % groups);
    let first_leaf = group * base + group.min(extra);
    let leaves_here = if group < groups { base + usize::from(group < extra) } else { 0 };
    let start = (first_leaf * per_leaf).min(total);
    start..((first_leaf + leaves_here) * per_leaf).min(total)
}

impl OpenVm {
    /// Proves group `group` (of `groups`) of the segments of a run on `input`, with their leaf
    /// aggregations ([`group_segments`] says which). Generates the app and aggregation proving keys on
    /// first use. Blocking: minutes.
    pub fn prove_segment_group(&self, input: &[u8], group: u32, groups: u32) -> Result<SegmentGroup, ProverError> {
        if group >= groups {
            return Err(ProverError::ZkVm(format!("segment group {group} of {groups}")));
        }
        let exe = self.sdk.convert_to_exe(self.elf.clone()).map_err(zkvm_err)?;
        let mut instance = openvm_sdk::prover::vm::new_local_prover::<Engine, VmBuilder>(
            VmBuilder::default(),
            &self.sdk.app_pk().app_vm_pk,
            exe.clone(),
        )
        .map_err(zkvm_err)?;
        let stdin = || -> openvm_circuit::arch::Streams<openvm_sdk::F> { Self::stdin(input).into() };
        // The plan: OpenVM's own cut (what `AppProver::prove` would prove).
        let plan: Vec<Segment> = {
            let vm = &instance.vm;
            let interpreter = vm.metered_interpreter(&exe).map_err(zkvm_err)?;
            interpreter.execute_metered(stdin(), vm.build_metered_ctx(&exe)).map_err(zkvm_err)?.0
        };
        let agg = self.sdk.agg_prover();
        let per_leaf = agg.agg_tree_config.num_children_leaf;
        let range = group_segments(plan.len(), per_leaf, group as usize, groups as usize);
        let instret = |i: usize| plan.get(i).map_or_else(|| end_of(&plan), |s| s.instret_start);
        let mut out = SegmentGroup {
            elf_hash: self.elf_hash.0,
            total: plan.len() as u32,
            first: range.start as u32,
            count: range.len() as u32,
            instret: (instret(range.start), instret(range.end)),
            leaves: Vec::new(),
            public_values: None,
        };
        if range.is_empty() {
            return Ok(out);
        }
        let vm = &mut instance.vm;
        let mut state = vm.create_initial_state(&exe, stdin());
        if out.instret.0 > 0 {
            // The segment's starting state: the run re-executed up to it (pure execution counts
            // instructions as metered execution and preflight do, so it stops at the same boundary).
            state = vm
                .interpreter(&exe)
                .map_err(zkvm_err)?
                .execute_from_state(state, Some(out.instret.0))
                .map_err(zkvm_err)?;
        }
        let mut proofs = Vec::with_capacity(range.len());
        for i in range.clone() {
            let segment = &plan[i];
            tracing::info!(segment = i, of = plan.len(), "prover: proving a segment");
            vm.transport_init_memory_to_device(&state.memory);
            let PreflightExecutionOutput { system_records, record_arenas, to_state } = vm
                .execute_preflight(&mut instance.interpreter, state, Some(segment.num_insns), &segment.trace_heights)
                .map_err(zkvm_err)?;
            let ctx = vm.generate_proving_ctx(system_records, record_arenas).map_err(zkvm_err)?;
            proofs.push(vm.engine.prove(vm.pk(), ctx).map_err(|e| zkvm_err(format!("{e:?}")))?);
            state = to_state;
        }
        if range.end == plan.len() {
            let config = vm.config().as_ref();
            let top = vm.memory_top_tree().ok_or_else(|| ProverError::ZkVm("no memory tree after proving".into()))?;
            out.public_values = Some(UserPublicValuesProof::compute(
                config.memory_config.memory_dimensions(),
                config.num_public_values,
                &vm_poseidon2_hasher(),
                &state.memory.memory,
                top,
            ));
        }
        for chunk in proofs.chunks(per_leaf) {
            out.leaves.push(agg.leaf_prover.agg_prove_no_def::<Engine>(chunk, ChildVkKind::App).map_err(zkvm_err)?);
        }
        Ok(out)
    }

    /// Joins the groups of one run, in order, into its recursive STARK (OpenVM's codec, as
    /// [`crate::ProofKind::Recursive`] proofs are) and the public output it reveals: the internal
    /// recursion over the groups' leaves and the final wrap layer of OpenVM's `StarkProver::prove`.
    /// Refuses groups that are not one run's, whole and in order. Blocking: minutes.
    pub fn join_segment_groups(&self, groups: Vec<SegmentGroup>) -> Result<(Vec<u8>, Vec<u8>), ProverError> {
        let bad = |why: String| Err(ProverError::ZkVm(format!("segment groups do not join: {why}")));
        let Some(total) = groups.first().map(|g| g.total) else { return bad("none given".into()) };
        let (mut next, mut at, mut public_values, mut leaves) = (0u32, 0u64, None, Vec::new());
        for (n, group) in groups.into_iter().enumerate() {
            if group.elf_hash != self.elf_hash.0 {
                return bad(format!("group {n} is of another program"));
            }
            if group.total != total {
                return bad(format!("group {n} cut the run into {} segments, group 0 into {total}", group.total));
            }
            if group.first != next || group.instret.0 != at {
                return bad(format!(
                    "group {n} starts at segment {} (instruction {}), the groups before end at {next} ({at}): \
                     a group is missing, out of order, or cut with another segment budget",
                    group.first, group.instret.0
                ));
            }
            if group.public_values.is_some() != (group.count > 0 && group.first + group.count == total) {
                return bad(format!("group {n} holds the public values only if it ends the run"));
            }
            (next, at) = (group.first + group.count, group.instret.1);
            public_values = public_values.or(group.public_values);
            leaves.extend(group.leaves);
        }
        if next != total {
            return bad(format!("the groups end at segment {next} of {total}"));
        }
        let Some(user_pvs_proof) = public_values else { return bad("no group ends the run".into()) };
        let agg = self.sdk.agg_prover();
        // `AggProver::prove_vm` after its leaf layer (openvm-sdk 2.0.2, prover/agg.rs), then the one
        // extra `wrap_proof` layer of `StarkProver::prove`.
        let fan_in = agg.agg_tree_config.num_children_internal;
        let mut node = 0u32;
        // One layer: each chunk of `fan_in` proofs into one (the provers differ in type, hence a macro).
        macro_rules! layer {
            ($proofs:expr, $prover:expr, $kind:expr) => {
                $proofs
                    .chunks(fan_in)
                    .map(|chunk| {
                        node += 1;
                        $prover.agg_prove_no_def::<Engine>(chunk, $kind).map_err(zkvm_err)
                    })
                    .collect::<Result<Vec<_>, ProverError>>()?
            };
        }
        let internal = layer!(leaves, agg.internal_for_leaf_prover, ChildVkKind::Standard);
        let mut internal = layer!(internal, agg.internal_recursive_prover, ChildVkKind::Standard);
        let mut recursive_layers = 1u32;
        while internal.len() > 1 {
            internal = layer!(internal, agg.internal_recursive_prover, ChildVkKind::RecursiveSelf);
            recursive_layers += 1;
        }
        let Some(inner) = internal.pop() else { return bad("no leaves".into()) };
        let proof = VmStarkProof { inner, user_pvs_proof, deferral_merkle_proofs: None };
        let mut metadata = InternalLayerMetadata {
            internal_recursive_layer: recursive_layers,
            internal_node_idx: node.saturating_sub(1),
            proofs_type: ProofsType::Vm,
        };
        let proof = agg.wrap_proof(proof, &mut metadata).map_err(zkvm_err)?;
        let bytes = proof.encode_to_vec().map_err(zkvm_err)?;
        Ok((field_bytes(&proof.user_pvs_proof.public_values), bytes))
    }
}

/// The instruction count where a run planned as `plan` ends.
fn end_of(plan: &[Segment]) -> u64 {
    plan.last().map_or(0, |s| s.instret_start + s.num_insns)
}

#[cfg(test)]
mod tests {
    use super::group_segments;

    /// Groups cover the run once, in order, on leaf boundaries, as evenly as whole leaves allow.
    #[test]
    fn groups_cover_every_segment_once_on_leaf_boundaries() {
        for total in 0..40 {
            for groups in 1..7 {
                let ranges: Vec<_> = (0..groups).map(|g| group_segments(total, 4, g, groups)).collect();
                let mut next = 0;
                for r in &ranges {
                    assert_eq!(r.start, next, "{total} segments in {groups} groups: {ranges:?}");
                    assert!(r.start % 4 == 0 || r.is_empty(), "{ranges:?}");
                    next = r.end;
                }
                assert_eq!(next, total, "{ranges:?}");
                let leaves: Vec<_> = ranges.iter().map(|r| r.len().div_ceil(4)).collect();
                let (most, least) = (leaves.iter().max().unwrap(), leaves.iter().min().unwrap());
                assert!(most - least <= 1, "{total} segments in {groups} groups: {leaves:?} leaves");
            }
        }
        assert_eq!(group_segments(9, 4, 0, 2), 0..8);
        assert_eq!(group_segments(9, 4, 1, 2), 8..9);
        assert_eq!(group_segments(3, 4, 1, 2), 3..3, "a run shorter than a leaf: one group does it all");
        assert_eq!(group_segments(10, 4, 5, 2), 10..10, "a group past the last is empty");
    }
}
