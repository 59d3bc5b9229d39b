//! The settlement services' own metrics, registered in the node's registry (exported at `/metrics`).
use prometheus::{IntCounter, Registry};

/// Counters of the rollup services; cheap to clone (every clone counts into the same metrics).
#[derive(Debug, Clone)]
pub struct RollupMetrics {
    /// Batches this node committed to L1 (confirmed).
    pub batches_posted: IntCounter,
    /// Batches this node re-executed from L1 data.
    pub batches_derived: IntCounter,
    /// Batches on L1 that are malformed or claim a state other than their data produces.
    pub batch_faults: IntCounter,
    /// L1 deposits handed to the sequencer.
    pub l1_deposits: IntCounter,
    /// Failed L1 requests (each is retried with backoff).
    pub l1_errors: IntCounter,
}

impl RollupMetrics {
    /// Registers the counters in `registry` (once per node: a second registration is an error).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| mosaic_node::register_counter(registry, name, help);
        Ok(Self {
            batches_posted: counter("rollup_batches_posted_total", "Batches committed to L1 and confirmed")?,
            batches_derived: counter("rollup_batches_derived_total", "Batches re-executed from L1 data")?,
            batch_faults: counter("rollup_batch_faults_total", "Malformed batches or wrong claimed roots seen on L1")?,
            l1_deposits: counter("rollup_l1_deposits_total", "L1 deposits handed to the sequencer")?,
            l1_errors: counter("rollup_l1_errors_total", "Failed L1 requests (retried with backoff)")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_under_the_nodes_prefix_once() {
        let node_metrics = mosaic_node::Metrics::new();
        let m = RollupMetrics::register(node_metrics.registry()).unwrap();
        m.batch_faults.inc();
        assert!(node_metrics.render().contains("mosaic_rollup_batch_faults_total 1"));
        assert!(RollupMetrics::register(node_metrics.registry()).is_err(), "registered twice");
    }
}
