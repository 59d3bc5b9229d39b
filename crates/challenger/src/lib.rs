//! The challenger: what makes a hybrid rollup's verifier more than a witness. It watches the batches
//! its node derived from L1 data; for each one whose claimed outputs differ from what its data produces
//! (a [`BatchStatus::Mismatch`] record) it locks a bond in `Rollup.challenge` at once, then waits for a
//! SNARK of the batch's true journal from a [`FraudProofSource`] and submits it with `proveFraud` before
//! the proof window ends. Games live in the node's `games` record table, so a restart in the middle of
//! one picks it up where it stood; they are reported in `mosaic_rollupStatus` and at `/metrics`.
//!
//! It only ever challenges a batch its own re-execution contradicts, and it does not challenge a
//! malformed batch (undecodable data has no journal, so no fraud proof could win: the bond would be lost).
mod game;
mod source;

pub use game::{Game, GameStatus, Outputs, GAMES_TABLE};
pub use source::{FraudProofSource, ProofDirectory, SourceError};

use alloy::primitives::U256;
use mosaic_node::{ChainReader, Node, NodeError};
use mosaic_rollup::{
    contracts::Rollup, l1::Backoff, rpc::StatusSection, BatchRecord, BatchStatus, L1Client, L1Contracts, L1Error,
};
use mosaic_witness::Journal;
use parking_lot::Mutex;
use prometheus::{IntCounter, IntGauge, Registry};
use std::{sync::Arc, time::Duration};
use tracing::{info, warn};

type RollupInstance = Rollup::RollupInstance<alloy::providers::DynProvider>;

/// Why a challenger round failed.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// L1 trouble (retried).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The node's database failed (the service stops: the supervisor reports it).
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl From<alloy::contract::Error> for ChallengerError {
    fn from(e: alloy::contract::Error) -> Self {
        Self::L1(e.into())
    }
}

impl From<alloy::transports::TransportError> for ChallengerError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::L1(e.into())
    }
}

impl From<mosaic_node::BlockingError> for ChallengerError {
    fn from(e: mosaic_node::BlockingError) -> Self {
        Self::Node(e.into())
    }
}

/// The challenger's counters, in the node's registry.
#[derive(Debug, Clone)]
pub struct ChallengerMetrics {
    /// Challenges this node posted.
    pub challenges: IntCounter,
    /// Fraud proofs this node got accepted.
    pub fraud_proofs: IntCounter,
    /// Games that ended without a fraud proof of ours (the proposer won, or the window closed).
    pub games_lost: IntCounter,
    /// Games still open.
    pub games_open: IntGauge,
}

impl ChallengerMetrics {
    /// Registers the counters in `registry` (once per node).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| mosaic_node::register_counter(registry, name, help);
        let games_open = IntGauge::new("challenger_games_open", "Challenges this node plays that are not over")?;
        registry.register(Box::new(games_open.clone()))?;
        Ok(Self {
            challenges: counter("challenger_challenges_total", "Challenges posted on L1")?,
            fraud_proofs: counter("challenger_fraud_proofs_total", "Fraud proofs accepted on L1")?,
            games_lost: counter("challenger_games_lost_total", "Games that ended without our fraud proof")?,
            games_open,
        })
    }
}

/// The challenger service of one verifier node.
pub struct Challenger {
    node: Node,
    l1: L1Client,
    rollup: RollupInstance,
    source: Arc<dyn FraudProofSource>,
    metrics: ChallengerMetrics,
    poll: Duration,
    last_error: Arc<Mutex<Option<String>>>,
}

impl Challenger {
    /// A challenger for the contracts `c`, sending from `l1`'s account, proving with `source`.
    pub fn new(
        node: Node,
        l1: L1Client,
        c: &L1Contracts,
        source: Arc<dyn FraudProofSource>,
        metrics: ChallengerMetrics,
    ) -> Self {
        let rollup = Rollup::new(c.rollup, l1.provider().clone());
        let poll = l1.poll;
        Self { node, l1, rollup, source, metrics, poll, last_error: Default::default() }
    }

    /// Its section of `mosaic_rollupStatus`.
    pub fn status_section(&self) -> Arc<dyn StatusSection> {
        Arc::new(Status { node: self.node.clone(), address: self.l1.address(), last_error: self.last_error.clone() })
    }

    /// Plays forever; L1 failures are retried with backoff. Returns only when the node's database fails.
    pub async fn run(self) -> Result<(), ChallengerError> {
        let mut backoff = Backoff::default();
        info!(address = %self.l1.address(), "challenger on: false batches will be challenged");
        loop {
            match self.round().await {
                Ok(()) => {
                    backoff.reset();
                    *self.last_error.lock() = None;
                    tokio::time::sleep(self.poll).await;
                }
                Err(ChallengerError::Node(e)) => return Err(ChallengerError::Node(e)),
                Err(e) => {
                    *self.last_error.lock() = Some(e.to_string());
                    backoff.fail("challenger", e.to_string()).await;
                }
            }
        }
    }

    /// One pass: open a game for every new false batch, then move every open game on.
    pub async fn round(&self) -> Result<(), ChallengerError> {
        let finalized = self.rollup.lastFinalizedBatch().call().await?;
        let (false_batches, open) = self
            .node
            .blocking(move |n| -> Result<_, NodeError> {
                let mut false_batches = Vec::new();
                let last = BatchRecord::last(n)?.map_or(0, |r| r.index);
                for index in finalized + 1..=last {
                    let Some(r) = BatchRecord::load(n, index)? else { continue };
                    let played = Game::load(n, index)?.is_some_and(|g| g.commit_tx == r.l1_tx);
                    if r.status == BatchStatus::Mismatch && !played {
                        false_batches.push(r);
                    }
                }
                Ok((false_batches, Game::open_games(n)?))
            })
            .await??;
        for record in false_batches {
            self.open_game(record).await?;
        }
        let mut still_open = 0;
        for game in open {
            if self.advance(game).await?.status == GameStatus::Challenged {
                still_open += 1;
            }
        }
        self.metrics.games_open.set(still_open);
        Ok(())
    }

    async fn open_game(&self, record: BatchRecord) -> Result<(), ChallengerError> {
        let index = record.index;
        let claimed = self.rollup.batch(index).call().await?;
        if claimed.dataHash != record.data_hash || index > self.rollup.lastCommittedBatch().call().await? {
            // The L1 no longer holds the batch this node derived (reverted or replaced): nothing to dispute.
            return Ok(());
        }
        let (Some(post_state_root), Some(withdrawals_root)) =
            (record.computed_state_root, record.computed_withdrawals_root)
        else {
            return Ok(());
        };
        let node = self.node.clone();
        let last = record.last_block;
        let last_block_hash = match record.computed_last_block_hash {
            Some(h) => h,
            None => node
                .blocking(move |n| n.header(last))
                .await??
                .map(|h| h.hash_slow())
                .ok_or_else(|| NodeError::Inconsistent(format!("missing block {last}")))?,
        };
        let truth = Outputs {
            post_state_root,
            withdrawals_root,
            last_block_hash,
            last_block: record.last_block,
            l1_message_cursor: record.l1_message_cursor,
        };
        let prev = self.rollup.batch(index - 1).call().await?;
        let chain = self.node.chain_config().clone();
        let journal = Journal {
            chain_id: chain.chain_id,
            config_hash: mosaic_rollup::config_hash(&chain),
            prev_state_root: claimed.prevStateRoot,
            post_state_root: truth.post_state_root,
            prev_block_hash: prev.lastBlockHash,
            last_block_hash: truth.last_block_hash,
            last_block: truth.last_block,
            batch_data_hash: claimed.dataHash,
            l1_message_cursor: truth.l1_message_cursor,
            l1_messages_hash: claimed.l1MessagesHash,
            withdrawals_root: truth.withdrawals_root,
        };
        let mut game = Game {
            index,
            status: GameStatus::Challenged,
            data_hash: claimed.dataHash,
            commit_tx: record.l1_tx,
            journal_hash: journal.hash(),
            journal: journal.encode().into(),
            truth,
            challenger: self.l1.address(),
            challenge_tx: None,
            deadline: 0,
            fraud_tx: None,
            note: None,
        };
        let open = self.rollup.challenges(index).call().await?;
        if open.challenger.is_zero() {
            let window = self.rollup.challengeWindow().call().await?;
            let now = self.l1.latest_timestamp().await?;
            if now >= claimed.committedAt + window {
                game.status = GameStatus::Missed;
                game.note = Some(format!("challenge window closed at {}", claimed.committedAt + window));
                warn!(index, "FAULT left unchallenged: the batch's challenge window had closed");
                return self.store(game).await;
            }
            let bond = U256::from(self.rollup.challengerBond().call().await?);
            let sent = self.rollup.challenge(index).value(bond).send().await?;
            let receipt = self.l1.confirm(sent).await?;
            game.challenge_tx = Some(receipt.transaction_hash);
            self.metrics.challenges.inc();
            let open = self.rollup.challenges(index).call().await?;
            game.deadline = open.deadline;
            info!(index, tx = %receipt.transaction_hash, l1_block = ?receipt.block_number, deadline = open.deadline,
                "challenged a false batch; proving the fraud");
        } else {
            // Someone else challenged first: anyone may bring the fraud proof, so play on.
            game.challenger = open.challenger;
            game.deadline = open.deadline;
            info!(index, challenger = %open.challenger, "false batch already challenged; proving the fraud");
        }
        self.store(game).await
    }

    /// Moves an open game on: detects how it ended, or submits the fraud proof once the source has it.
    async fn advance(&self, mut game: Game) -> Result<Game, ChallengerError> {
        let index = game.index;
        let committed = self.rollup.lastCommittedBatch().call().await?;
        let on_l1 = self.rollup.batch(index).call().await?;
        if index > committed || on_l1.dataHash != game.data_hash {
            game.status = if game.fraud_tx.is_some() { GameStatus::Won } else { GameStatus::Reverted };
            self.store(game.clone()).await?;
            return Ok(game);
        }
        let open = self.rollup.challenges(index).call().await?;
        let now = self.l1.latest_timestamp().await?;
        if open.challenger.is_zero() || now > open.deadline {
            game.status = GameStatus::Lost;
            game.note = Some(if open.challenger.is_zero() {
                "the challenge ended without a fraud proof (a validity proof or the window)".into()
            } else {
                format!("no fraud proof before the deadline {}", open.deadline)
            });
            self.metrics.games_lost.inc();
            warn!(index, "challenge lost: {}", game.note.as_deref().unwrap_or_default());
            self.store(game.clone()).await?;
            return Ok(game);
        }
        let source = self.source.clone();
        let (journal_hash, journal) = (game.journal_hash, game.journal.clone());
        let proof = mosaic_node::spawn_blocking(move || source.fraud_proof(index, journal_hash, &journal)).await?;
        let proof = match proof {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(game),
            Err(e) => {
                game.note = Some(e.to_string());
                self.store(game.clone()).await?;
                return Ok(game);
            }
        };
        let t = &game.truth;
        let truth = Rollup::BatchOutputs {
            postStateRoot: t.post_state_root,
            withdrawalsRoot: t.withdrawals_root,
            lastBlockHash: t.last_block_hash,
            lastBlock: t.last_block,
            l1MessageCursor: t.l1_message_cursor,
        };
        // A dry run first: a proof the contract refuses must not cost gas, and its reason is the note.
        if let Err(e) = self.rollup.proveFraud(index, truth.clone(), proof.clone().into()).call().await {
            game.note = Some(format!("fraud proof refused by the Rollup: {e}"));
            warn!(index, "fraud proof refused: {e}");
            self.store(game.clone()).await?;
            return Ok(game);
        }
        let sent = self.rollup.proveFraud(index, truth, proof.into()).send().await?;
        let receipt = self.l1.confirm(sent).await?;
        game.fraud_tx = Some(receipt.transaction_hash);
        game.status = GameStatus::Won;
        game.note = None;
        self.metrics.fraud_proofs.inc();
        info!(index, tx = %receipt.transaction_hash, "fraud proven: the batch and every later one are reverted");
        self.store(game.clone()).await?;
        Ok(game)
    }

    async fn store(&self, game: Game) -> Result<(), ChallengerError> {
        self.node.blocking(move |n| game.store(n)).await??;
        Ok(())
    }
}

/// The challenger's section of `mosaic_rollupStatus`.
struct Status {
    node: Node,
    address: alloy_primitives::Address,
    last_error: Arc<Mutex<Option<String>>>,
}

impl StatusSection for Status {
    fn key(&self) -> &'static str {
        "challenger"
    }

    fn status(&self) -> serde_json::Value {
        let games = Game::recent(&self.node, 32).unwrap_or_default();
        serde_json::json!({
            "address": self.address,
            "games": games,
            "lastError": *self.last_error.lock(),
        })
    }
}
