//! The background prover of a node: proves every batch the node committed or derived, in index order,
//! one at a time, and keeps the results in the node's proof folder ([`ProofDir`]), whose files are the
//! queue — a restart or `kill -9` resumes where it stopped. It holds its own thread (OpenVM's SDK is
//! not `Send`, and proving is blocking work for minutes).
use crate::{posted_batch_witness, Guest, ProofKind};
use mosaic_node::Node;
use mosaic_rollup::{BatchRecord, ProofDir};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Proves batches forever on the calling thread; an OpenVM panic fails that batch (recorded), not the
/// loop.
pub fn run_background_prover(node: &Node, guest: &Guest, kind: ProofKind) -> ! {
    let dir = ProofDir::of(node);
    let mut from = 1;
    loop {
        let record = match dir.next_unproven(node, from) {
            Ok(Some(record)) => record,
            Ok(None) => {
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
            Err(e) => {
                warn!(error = %e, "prover: reading batch records");
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
        };
        from = record.index;
        prove_one(node, guest, kind, &dir, &record);
    }
}

fn prove_one(node: &Node, guest: &Guest, kind: ProofKind, dir: &ProofDir, record: &BatchRecord) {
    let index = record.index;
    info!(batch = index, first = record.first_block, last = record.last_block, txs = record.tx_count, "proving batch");
    if let Err(e) = dir.begin(index) {
        warn!(error = %e, "prover: cannot write to {}", dir.path().display());
        std::thread::sleep(Duration::from_secs(5));
        return;
    }
    let started = Instant::now();
    // OpenVM may panic on what it cannot prove; that fails this batch, not the node.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<Vec<u8>, crate::ProverError> {
        let (witness, executed) = posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)?;
        Ok(guest.prove(&witness, &executed.journal, kind)?.encode())
    }))
    .unwrap_or_else(|p| {
        Err(crate::ProverError::ZkVm(format!(
            "the prover panicked: {}",
            mosaic_node::blocking::panic_message(p.as_ref())
        )))
    });
    let seconds = started.elapsed().as_secs_f64();
    let stored = match result {
        Ok(bytes) => dir.finish(index, &bytes).map(|path| {
            info!(batch = index, bytes = bytes.len(), seconds, file = %path.display(), "batch proven");
        }),
        Err(e) => {
            warn!(batch = index, seconds, error = %e, "batch could not be proven");
            dir.fail(index, &e.to_string())
        }
    };
    if let Err(e) = stored {
        warn!(batch = index, error = %e, "prover: cannot store the result");
    }
}
