//! A challenge game as this node plays it, stored in the node's `games` record table by batch index.
use alloy_primitives::{Address, Bytes, B256};
use mosaic_node::{Node, NodeError};
use serde::{Deserialize, Serialize};

/// The node's record table of games.
pub const GAMES_TABLE: &str = "games";

/// Where a game stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GameStatus {
    /// Challenged on L1; the fraud proof is awaited or on its way.
    Challenged,
    /// Our fraud proof was accepted: the batch and every later one were reverted.
    Won,
    /// The batch left the L1 without our proof (someone else proved the fraud first).
    Reverted,
    /// The challenge ended without a fraud proof (the proof window passed, or a validity proof).
    Lost,
    /// The batch's challenge window had closed before this node saw the fault.
    Missed,
}

/// What the batch's data really produces: the outputs of its true journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outputs {
    /// State root after the batch.
    pub post_state_root: B256,
    /// Withdrawals root.
    pub withdrawals_root: B256,
    /// Hash of the last block.
    pub last_block_hash: B256,
    /// Number of the last block.
    pub last_block: u64,
    /// L1 messages consumed after the batch.
    pub l1_message_cursor: u64,
}

/// One game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Game {
    /// The challenged batch.
    pub index: u64,
    /// Where it stands.
    pub status: GameStatus,
    /// The batch's data hash.
    pub data_hash: B256,
    /// The L1 transaction that committed the challenged batch (a batch committed again at the same
    /// index after a revert is another game).
    pub commit_tx: B256,
    /// Hash of the true journal the fraud proof must state.
    pub journal_hash: B256,
    /// The true journal (its 280-byte encoding), what a prover proves.
    pub journal: Bytes,
    /// Its outputs, as `proveFraud` takes them.
    pub truth: Outputs,
    /// Who holds the challenge on L1 (this node, or whoever challenged first).
    pub challenger: Address,
    /// This node's `challenge` transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_tx: Option<B256>,
    /// Last L1 second a fraud proof is accepted.
    pub deadline: u64,
    /// This node's accepted `proveFraud` transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_tx: Option<B256>,
    /// Why the game is waiting or how it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Game {
    /// Persists the game (durably). Blocking.
    pub fn store(&self, node: &Node) -> Result<(), NodeError> {
        // A struct of hashes, numbers and strings always serializes.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        node.records(GAMES_TABLE).put(self.index, &bytes)
    }

    /// The game about batch `index`, if one was played. Blocking.
    pub fn load(node: &Node, index: u64) -> Result<Option<Self>, NodeError> {
        Ok(node.records(GAMES_TABLE).get(index)?.and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Every game still open, oldest first. Blocking.
    pub fn open_games(node: &Node) -> Result<Vec<Self>, NodeError> {
        Ok(Self::recent(node, u64::MAX)?.into_iter().filter(|g| g.status == GameStatus::Challenged).collect())
    }

    /// The games of the last `count` batch indices that have one, oldest first. Blocking.
    pub fn recent(node: &Node, count: u64) -> Result<Vec<Self>, NodeError> {
        let records = node.records(GAMES_TABLE);
        let Some((last, _)) = records.last()? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for index in last.saturating_sub(count.saturating_sub(1)).max(1)..=last {
            if let Some(g) = Self::load(node, index)? {
                out.push(g);
            }
        }
        Ok(out)
    }
}
