//! Prometheus metrics of the node.
use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder};

/// A new counter registered in `registry` (the node's, for the services above it: exported at
/// `/metrics`); registering one name twice is an error.
pub fn register_counter(registry: &Registry, name: &str, help: &str) -> Result<IntCounter, prometheus::Error> {
    let c = IntCounter::new(name, help)?;
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

/// Counters and timings exported at `/metrics`.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Blocks produced or imported.
    pub blocks: IntCounter,
    /// Transactions included in blocks.
    pub txs: IntCounter,
    /// Transactions accepted into the pool.
    pub txs_received: IntCounter,
    /// Transactions waiting in the pool.
    pub mempool_size: IntGauge,
    /// Latest block number.
    pub head: IntGauge,
    /// Last block in a batch committed on L1 (the `safe` tag).
    pub safe: IntGauge,
    /// Last block in a finalized batch (the `finalized` tag).
    pub finalized: IntGauge,
    /// Time to execute a block's transactions.
    pub execution_seconds: Histogram,
    /// Time to update the state tree (new state root) of a block.
    pub state_root_seconds: Histogram,
    /// Time to write a block and its state to the database (durably).
    pub commit_seconds: Histogram,
    /// Estimated zkVM cycles of each block this node built or committed (against its cycle budget).
    pub block_cycles: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("mosaic".into()), None).expect("valid prefix");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique metric");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry.register(Box::new(g.clone())).expect("unique metric");
            g
        };
        let histogram_with = |name: &str, help: &str, buckets: Vec<f64>| {
            let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("valid metric");
            registry.register(Box::new(h.clone())).expect("unique metric");
            h
        };
        let seconds = || vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
        let histogram = |name: &str, help: &str| histogram_with(name, help, seconds());
        Self {
            blocks: counter("blocks_total", "L2 blocks produced"),
            txs: counter("transactions_total", "Transactions included in blocks"),
            txs_received: counter("transactions_received_total", "Transactions accepted into the mempool"),
            mempool_size: gauge("mempool_size", "Transactions waiting in the mempool"),
            head: gauge("head_block", "Latest block number"),
            safe: gauge("safe_block", "Last block in a batch committed on L1"),
            finalized: gauge("finalized_block", "Last block in a finalized batch"),
            execution_seconds: histogram("block_execution_seconds", "Time to execute a block's transactions"),
            state_root_seconds: histogram("block_state_root_seconds", "Time to update the state tree of a block"),
            commit_seconds: histogram("block_commit_seconds", "Time to write a block and its state durably"),
            block_cycles: histogram_with(
                "block_proving_cycles",
                "Estimated zkVM cycles of a built block",
                prometheus::exponential_buckets(1e5, 4.0, 9).expect("valid buckets"),
            ),
            registry,
        }
    }

    /// The registry, where the services above the node register their own metrics (all exported at
    /// `/metrics` under the `mosaic_` prefix).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
