//! What a job proves (its payload) and what it made (its result), as the node's planner writes them and
//! workers read them. JSON, so that a worker of another version refuses a job clearly instead of
//! misreading it. Inputs and outputs are artifacts named in the payload; the planner names the outputs,
//! so it can chain jobs (an aggregation's inputs are its batches' outputs) before they run.
use crate::{JobKind, QueueError};
use alloy_primitives::{Bytes, B256};
use serde::{Deserialize, Serialize};

/// The program a STARK is of (and so the SNARK keys that wrap it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Program {
    /// The batch guest: one batch per proof.
    Batch,
    /// The aggregation guest: a range of batch proofs in one.
    Aggregate,
}

impl Program {
    /// Its name in file names, flags and status output.
    pub fn as_str(self) -> &'static str {
        match self {
            Program::Batch => "batch",
            Program::Aggregate => "aggregate",
        }
    }
}

/// A job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Task {
    /// Batch `index`'s recursive STARK, from the witness (RLP) in artifact `witness`; the proof reveals
    /// `journal` (its encoding), whose hash is `journal_hash`. With `segments`, the proof is joined from
    /// the segment groups in those artifacts (the [`Task::Segments`] jobs it waits for) instead.
    Batch {
        /// The batch.
        index: u64,
        /// The artifact holding the batch's witness.
        witness: String,
        /// The journal the proof reveals, encoded.
        journal: Bytes,
        /// Its hash.
        journal_hash: B256,
        /// The artifact to write the proof to.
        out: String,
        /// The artifacts of the batch's segment groups, in order (none: the job proves it all).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        segments: Vec<String>,
    },
    /// Group `group` of `groups` of batch `index`'s execution segments, proven with their leaf
    /// aggregations from the witness in artifact `witness`. Every group of a batch must cut the run
    /// the same way: `segment_memory` (bytes of estimated proving memory per segment), where given,
    /// replaces the worker's own setting.
    Segments {
        /// The batch.
        index: u64,
        /// The artifact holding the batch's witness.
        witness: String,
        /// This group.
        group: u32,
        /// Groups of the batch.
        groups: u32,
        /// The segment budget every group of the batch is cut with.
        segment_memory: Option<u64>,
        /// The artifact to write the group's proofs to.
        out: String,
    },
    /// One STARK aggregating the batch STARKs in `inputs` (batches `from..=to`, in order).
    Aggregate {
        /// First batch.
        from: u64,
        /// Last batch.
        to: u64,
        /// The batch STARKs' artifacts.
        inputs: Vec<String>,
        /// The artifact to write the aggregate to.
        out: String,
    },
    /// The SNARK wrap of the `program` STARK in artifact `input`. `journal_hash`, where the planner
    /// knows it, is checked against what the STARK reveals.
    Wrap {
        /// The program the STARK is of.
        program: Program,
        /// The STARK's artifact.
        input: String,
        /// The journal hash it must reveal.
        journal_hash: Option<B256>,
        /// The artifact to write the SNARK to.
        out: String,
    },
}

impl Task {
    /// The kind of job that runs it.
    pub fn kind(&self) -> JobKind {
        match self {
            Task::Batch { .. } => JobKind::Batch,
            Task::Aggregate { .. } => JobKind::Aggregate,
            Task::Wrap { .. } => JobKind::Wrap,
            Task::Segments { .. } => JobKind::Segment,
        }
    }

    /// The artifact it writes.
    pub fn out(&self) -> &str {
        match self {
            Task::Batch { out, .. }
            | Task::Aggregate { out, .. }
            | Task::Wrap { out, .. }
            | Task::Segments { out, .. } => out,
        }
    }

    /// Its payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Strings, numbers and hex: always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A payload read back.
    pub fn decode(payload: &[u8]) -> Result<Self, QueueError> {
        serde_json::from_slice(payload)
            .map_err(|e| QueueError::Invalid(format!("not a proof task this worker knows: {e}")))
    }
}

/// What a job made: its output artifact and the journal hash the proof in it reveals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The artifact written.
    pub artifact: String,
    /// The journal hash its proof reveals.
    pub journal_hash: B256,
}

impl Output {
    /// Its result bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A job's result read back.
    pub fn decode(result: &[u8]) -> Result<Self, QueueError> {
        serde_json::from_slice(result).map_err(|e| QueueError::Corrupt(format!("a job result that is no output: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_and_outputs_round_trip_and_name_their_kind() {
        let tasks = [
            Task::Batch {
                index: 7,
                witness: "witness-7".into(),
                journal: Bytes::from(vec![1, 2]),
                journal_hash: B256::repeat_byte(3),
                out: "batch-7.stark".into(),
                segments: vec![],
            },
            Task::Aggregate { from: 7, to: 8, inputs: vec!["a".into(), "b".into()], out: "range-7-8.agg".into() },
            Task::Wrap {
                program: Program::Aggregate,
                input: "range-7-8.agg".into(),
                journal_hash: None,
                out: "x".into(),
            },
            Task::Segments {
                index: 7,
                witness: "witness-7".into(),
                group: 1,
                groups: 2,
                segment_memory: Some(1 << 30),
                out: "batch-7-1of2.segments".into(),
            },
        ];
        for (task, kind) in tasks.iter().zip(JobKind::ALL) {
            assert_eq!(Task::decode(&task.encode()).unwrap(), *task);
            assert_eq!(task.kind(), kind);
        }
        let json = String::from_utf8(tasks[0].encode()).unwrap();
        assert!(json.contains(r#""task":"batch""#) && json.contains(r#""journalHash":"0x0303"#), "{json}");
        assert!(!json.contains("segments"), "a batch proven whole says nothing of segments: {json}");
        let joined = Task::Batch {
            index: 7,
            witness: "witness-7".into(),
            journal: Bytes::new(),
            journal_hash: B256::ZERO,
            out: "o".into(),
            segments: vec!["batch-7-0of2.segments".into(), "batch-7-1of2.segments".into()],
        };
        assert_eq!(Task::decode(&joined.encode()).unwrap(), joined);
        let json = String::from_utf8(tasks[3].encode()).unwrap();
        assert!(json.contains(r#""task":"segments""#) && json.contains(r#""segmentMemory":1073741824"#), "{json}");
        assert!(matches!(Task::decode(br#"{"task":"segment"}"#), Err(QueueError::Invalid(_))));
        let out = Output { artifact: "batch-7.stark".into(), journal_hash: B256::repeat_byte(9) };
        assert_eq!(Output::decode(&out.encode()).unwrap(), out);
        assert!(matches!(Output::decode(b"[]"), Err(QueueError::Corrupt(_))));
    }
}
