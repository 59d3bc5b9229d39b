//! Settlement RPC methods, merged into the node's JSON-RPC server.
use crate::{
    contracts::L1Contracts,
    derive::DeriveStatus,
    proofs::ProofDir,
    record::{withdrawal_leaves, BatchRecord},
};
use alloy::primitives::U64;
use alloy_primitives::{Address, B256, U256};
use jsonrpsee::{types::ErrorObjectOwned, Methods, RpcModule};
use mosaic_node::{ChainReader, Node};
use mosaic_primitives::{merkle_proof, withdrawals_in};
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::Arc;

/// Which services this node runs, for `mosaic_rollupStatus`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleInfo {
    /// What the node does.
    pub role: crate::NodeRole,
    /// L1 endpoint.
    pub l1_rpc: String,
    /// Whether this node proves its batches in the background (`--prover cpu`).
    pub prover: bool,
}

/// A service's section of `mosaic_rollupStatus` (the challenger's games, …): services outside this
/// crate report through it without the RPC knowing their types.
pub trait StatusSection: Send + Sync {
    /// The section's key in the status object.
    fn key(&self) -> &'static str;
    /// The section's current value (called on the blocking pool; it may read the database).
    fn status(&self) -> serde_json::Value;
}

struct Ctx {
    node: Node,
    contracts: L1Contracts,
    role: RoleInfo,
    derive: Option<Arc<Mutex<DeriveStatus>>>,
    sections: Vec<Arc<dyn StatusSection>>,
}

/// A withdrawal with everything `Bridge.claimWithdrawal` needs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalProof {
    /// Batch whose withdrawals root holds it.
    pub batch_index: U64,
    /// Whether that batch is finalized (claimable) as far as this node knows.
    pub finalized: bool,
    /// Withdrawal nonce.
    pub nonce: U256,
    /// L2 sender.
    pub from: Address,
    /// L1 recipient.
    pub l1_recipient: Address,
    /// L1 token (zero for ETH).
    pub token: Address,
    /// Amount.
    pub amount: U256,
    /// The leaf.
    pub withdrawal_hash: B256,
    /// Position in the batch's withdrawals tree.
    pub leaf_index: U64,
    /// Merkle siblings, leaf to root.
    pub proof: Vec<B256>,
}

fn err(code: i32, msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, msg.into(), None::<()>)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    err(-32603, e.to_string())
}

/// The settlement methods: `mosaic_l1Contracts`, `mosaic_getBatch`, `mosaic_rollupStatus` (with each
/// of `sections`), `mosaic_getWithdrawalProof`.
pub fn methods(
    node: Node,
    contracts: L1Contracts,
    role: RoleInfo,
    derive: Option<Arc<Mutex<DeriveStatus>>>,
    sections: Vec<Arc<dyn StatusSection>>,
) -> Methods {
    let mut m = RpcModule::new(Ctx { node, contracts, role, derive, sections });
    let reg = m.register_method("mosaic_l1Contracts", |_p, ctx, _| Ok::<_, ErrorObjectOwned>(ctx.contracts.clone()));
    reg.expect("unique method");
    m.register_blocking_method("mosaic_getBatch", |p, ctx, _| -> Result<_, ErrorObjectOwned> {
        let (index,): (U64,) = p.parse()?;
        let Some(record) = BatchRecord::load(&ctx.node, index.to()).map_err(internal)? else {
            return Ok(serde_json::Value::Null);
        };
        let mut json = serde_json::to_value(&record).map_err(internal)?;
        if let Some(proof) = ProofDir::of(&ctx.node).status(record.index, ctx.role.prover) {
            json["proof"] = serde_json::to_value(proof).map_err(internal)?;
        }
        Ok(json)
    })
    .expect("unique method");
    m.register_blocking_method("mosaic_rollupStatus", |_p, ctx, _| {
        let last = BatchRecord::last(&ctx.node).map_err(internal)?;
        let derive = ctx.derive.as_ref().map(|d| d.lock().clone());
        let mut status = serde_json::json!({
            "role": ctx.role.role,
            "l1Rpc": ctx.role.l1_rpc,
            "contracts": ctx.contracts,
            "lastBatch": last,
            "derivation": derive,
        });
        for section in &ctx.sections {
            status[section.key()] = section.status();
        }
        Ok::<_, ErrorObjectOwned>(status)
    })
    .expect("unique method");
    m.register_blocking_method("mosaic_getWithdrawalProof", |p, ctx, _| -> Result<_, ErrorObjectOwned> {
        let (tx_hash,): (B256,) = p.parse()?;
        withdrawal_proofs(&ctx.node, tx_hash)
    })
    .expect("unique method");
    m.into()
}

fn withdrawal_proofs(node: &Node, tx_hash: B256) -> Result<Vec<WithdrawalProof>, ErrorObjectOwned> {
    let loc = node.tx_location(&tx_hash).map_err(internal)?.ok_or_else(|| err(-32000, "transaction not found"))?;
    let receipts = node.receipts(loc.block).map_err(internal)?.unwrap_or_default();
    let Some(receipt) = receipts.get(loc.index as usize) else { return Err(err(-32000, "receipt not found")) };
    let mine = withdrawals_in(std::slice::from_ref(receipt));
    if mine.is_empty() {
        return Err(err(-32000, "transaction started no withdrawal"));
    }
    let batch = BatchRecord::containing(node, loc.block)
        .map_err(internal)?
        .ok_or_else(|| err(-32000, format!("block {} is not in a committed batch yet", loc.block)))?;
    let leaves = withdrawal_leaves(node, batch.first_block, batch.last_block).map_err(internal)?;
    let finalized = batch.status == crate::record::BatchStatus::Finalized;
    mine.into_iter()
        .map(|w| {
            let h = w.hash();
            let i = leaves.iter().position(|l| *l == h).ok_or_else(|| internal("withdrawal missing from its batch"))?;
            Ok(WithdrawalProof {
                batch_index: U64::from(batch.index),
                finalized,
                nonce: w.nonce,
                from: w.from,
                l1_recipient: w.l1_recipient,
                token: w.token,
                amount: w.amount,
                withdrawal_hash: h,
                leaf_index: U64::from(i),
                proof: merkle_proof(&leaves, i),
            })
        })
        .collect()
}
