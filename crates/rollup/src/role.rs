//! The role a node plays in the rollup — one type for flags, logs, the RPC and the services.
use serde::{Deserialize, Serialize};

/// What a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// Orders transactions into blocks and posts them to L1 as batches (`mosaic devnet`).
    Sequencer,
    /// Rebuilds the L2 from L1 calldata and serves it over JSON-RPC (read-only).
    Full,
    /// Re-executes every committed batch and reports any whose claimed root is wrong.
    Verifier,
    /// A staked producer's co-signer: derives like a verifier and attests the sequencer's next batch
    /// once it has re-executed it (`mosaic_attestBatch`).
    Producer,
}

impl NodeRole {
    /// The role's name as flags, logs and `mosaic_rollupStatus` spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sequencer => "sequencer",
            Self::Full => "full",
            Self::Verifier => "verifier",
            Self::Producer => "producer",
        }
    }

    /// Whether the node rebuilds its chain from L1 data (and so takes no transactions).
    pub const fn derives(self) -> bool {
        matches!(self, Self::Full | Self::Verifier | Self::Producer)
    }
}

impl std::fmt::Display for NodeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn one_spelling_everywhere() {
        for role in NodeRole::value_variants() {
            let flag = role.to_possible_value().unwrap();
            assert_eq!(flag.get_name(), role.as_str());
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
            assert_eq!(role.to_string(), role.as_str());
        }
        assert!(!NodeRole::Sequencer.derives() && NodeRole::Full.derives() && NodeRole::Verifier.derives());
        assert!(NodeRole::Producer.derives());
    }
}
