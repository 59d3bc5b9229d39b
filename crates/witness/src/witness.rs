//! The witness: what the guest reads besides the batch. Built natively by recording one execution
//! ([`Recorder`]), checked inside the guest ([`WitnessSources`]).
use crate::exec::{execute_batch, BatchInput, Executed, Sources, WitnessError};
use alloc::{collections::BTreeMap, format, vec::Vec};
use alloy_consensus::Header;
use alloy_primitives::{keccak256, Bytes, Signature, B256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use core::cell::RefCell;
use mosaic_primitives::{BaseFeeParams, ChainConfig, CycleSchedule, L1Message, ProvingCost, WasmGasSchedule};
use mosaic_stf::StateError;
use mosaic_trie::{MemoryNodeStore, Node, NodeStore, RecordingStore, TrieError};

/// Everything the guest needs to re-execute one batch; encodes to RLP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchWitness {
    /// Consensus parameters.
    pub config: ChainConfig,
    /// Header of the block before the batch.
    pub parent: Header,
    /// Headers below the parent, newest first, as deep as `BLOCKHASH` reached (each the parent of the one
    /// before).
    pub ancestors: Vec<Header>,
    /// The batch data exactly as posted on L1.
    pub data: Bytes,
    /// L1 messages the batch consumes, in queue order.
    pub l1_messages: Vec<L1Message>,
    /// Signatures of the transactions, for data posted without them.
    pub signatures: Vec<Signature>,
    /// Every state-tree node the execution read (encoded).
    pub nodes: Vec<Bytes>,
    /// Every contract code it read.
    pub codes: Vec<Bytes>,
}

#[derive(RlpEncodable, RlpDecodable)]
struct ConfigRlp {
    chain_id: u64,
    block_gas_limit: u64,
    initial_base_fee: u64,
    min_base_fee: u64,
    max_change_denominator: u128,
    elasticity_multiplier: u128,
    block_cycle_budget: u64,
    cycle_schedule: Vec<u64>,
    wasm_gas: Vec<u64>,
}

#[derive(RlpEncodable, RlpDecodable)]
struct WitnessRlp {
    config: ConfigRlp,
    parent: Header,
    ancestors: Vec<Header>,
    data: Bytes,
    l1_messages: Vec<L1Message>,
    signatures: Vec<Bytes>,
    nodes: Vec<Bytes>,
    codes: Vec<Bytes>,
}

impl BatchWitness {
    /// RLP encoding (what the prover feeds the guest).
    pub fn encode(&self) -> Vec<u8> {
        let c = &self.config;
        let rlp = WitnessRlp {
            config: ConfigRlp {
                chain_id: c.chain_id,
                block_gas_limit: c.block_gas_limit,
                initial_base_fee: c.initial_base_fee,
                min_base_fee: c.min_base_fee,
                max_change_denominator: c.base_fee_params.max_change_denominator,
                elasticity_multiplier: c.base_fee_params.elasticity_multiplier,
                block_cycle_budget: c.proving.block_cycle_budget,
                cycle_schedule: c.proving.cycles.to_words(),
                wasm_gas: c.proving.wasm_gas.to_words(),
            },
            parent: self.parent.clone(),
            ancestors: self.ancestors.clone(),
            data: self.data.clone(),
            l1_messages: self.l1_messages.clone(),
            signatures: self.signatures.iter().map(|s| Bytes::from(s.as_bytes().to_vec())).collect(),
            nodes: self.nodes.clone(),
            codes: self.codes.clone(),
        };
        let mut out = Vec::new();
        rlp.encode(&mut out);
        out
    }

    /// Parses [`BatchWitness::encode`]'s output.
    pub fn decode(mut bytes: &[u8]) -> Result<Self, WitnessError> {
        let rlp = WitnessRlp::decode(&mut bytes).map_err(|e| WitnessError::Witness(format!("{e}")))?;
        if !bytes.is_empty() {
            return Err(WitnessError::Witness("trailing bytes".into()));
        }
        let c = rlp.config;
        // Every field is read from the witness: a default filled in here would be proven silently.
        let proving = ProvingCost {
            block_cycle_budget: c.block_cycle_budget,
            cycles: CycleSchedule::from_words(&c.cycle_schedule)
                .ok_or_else(|| WitnessError::Witness("cycle schedule: wrong length".into()))?,
            wasm_gas: WasmGasSchedule::from_words(&c.wasm_gas)
                .ok_or_else(|| WitnessError::Witness("wasm gas schedule: malformed".into()))?,
        };
        let config = ChainConfig {
            chain_id: c.chain_id,
            block_gas_limit: c.block_gas_limit,
            initial_base_fee: c.initial_base_fee,
            min_base_fee: c.min_base_fee,
            base_fee_params: BaseFeeParams::new(c.max_change_denominator, c.elasticity_multiplier),
            proving,
        };
        let signatures = rlp
            .signatures
            .iter()
            .map(|s| Signature::from_raw(s).map_err(|e| WitnessError::Witness(format!("signature: {e}"))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            config,
            parent: rlp.parent,
            ancestors: rlp.ancestors,
            data: rlp.data,
            l1_messages: rlp.l1_messages,
            signatures,
            nodes: rlp.nodes,
            codes: rlp.codes,
        })
    }

    /// Re-executes the batch on this witness (what the guest does).
    pub fn execute(&self) -> Result<Executed, WitnessError> {
        let sources = WitnessSources::new(self)?;
        execute_batch(&self.input(), &sources)
    }

    fn input(&self) -> BatchInput<'_> {
        BatchInput {
            config: &self.config,
            parent: &self.parent,
            data: &self.data,
            l1_messages: &self.l1_messages,
            signatures: &self.signatures,
        }
    }
}

/// [`Sources`] over a witness, trusting none of it: nodes are hash-checked by the tree on every fetch,
/// codes are keyed by their own hash, ancestors must chain from the parent by hash.
pub struct WitnessSources {
    nodes: MemoryNodeStore,
    codes: BTreeMap<B256, Bytes>,
    ancestors: BTreeMap<u64, B256>,
}

impl WitnessSources {
    /// Indexes a witness, checking the ancestor chain.
    pub fn new(w: &BatchWitness) -> Result<Self, WitnessError> {
        let mut nodes = MemoryNodeStore::new();
        for n in &w.nodes {
            nodes.insert(Node::decode(n).map_err(|e| WitnessError::Witness(format!("tree node: {e}")))?);
        }
        let codes = w.codes.iter().map(|c| (keccak256(c), c.clone())).collect();
        let mut ancestors = BTreeMap::new();
        let (mut expected, mut number) = (w.parent.parent_hash, w.parent.number);
        for h in &w.ancestors {
            number = number.checked_sub(1).ok_or_else(|| WitnessError::Witness("ancestor below genesis".into()))?;
            let hash = h.hash_slow();
            if h.number != number || hash != expected {
                return Err(WitnessError::Witness(format!(
                    "ancestor header {} does not chain to the parent",
                    h.number
                )));
            }
            ancestors.insert(number, hash);
            expected = h.parent_hash;
        }
        Ok(Self { nodes, codes, ancestors })
    }
}

impl Sources for WitnessSources {
    fn node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        self.nodes.get_node(hash)
    }

    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        // Absent code is an error, not "no code": the account's code hash says code exists.
        self.codes.get(hash).cloned().map(Some).ok_or_else(|| StateError(format!("witness lacks code {hash}")))
    }

    fn ancestor_hash(&self, number: u64) -> Result<B256, StateError> {
        // Never zero for a missing header: that would let a witness change what BLOCKHASH returns.
        self.ancestors.get(&number).copied().ok_or_else(|| StateError(format!("witness lacks header {number}")))
    }
}

/// What a node offers to build a witness from: its tree nodes (as a [`NodeStore`]), codes and headers.
pub trait ChainSource: NodeStore {
    /// Contract code by keccak256 hash.
    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError>;
    /// The header of block `number`.
    fn header(&self, number: u64) -> Result<Option<Header>, StateError>;
}

/// [`Sources`] over a [`ChainSource`] that remembers everything the execution read (tree nodes through
/// the trie's own [`RecordingStore`]).
pub struct Recorder<C> {
    chain: RecordingStore<C>,
    codes: RefCell<BTreeMap<B256, Bytes>>,
    deepest: RefCell<Option<u64>>,
}

impl<C: ChainSource> Recorder<C> {
    /// Records reads from `chain`.
    pub fn new(chain: C) -> Self {
        Self { chain: RecordingStore::new(chain), codes: RefCell::default(), deepest: RefCell::default() }
    }

    /// Executes the batch natively over the chain and returns its witness with the result.
    pub fn build(
        self,
        config: &ChainConfig,
        parent: &Header,
        data: &[u8],
        l1_messages: &[L1Message],
        signatures: &[Signature],
    ) -> Result<(BatchWitness, Executed), WitnessError> {
        let input = BatchInput { config, parent, data, l1_messages, signatures };
        let executed = execute_batch(&input, &self)?;
        let mut ancestors = Vec::new();
        if let Some(deepest) = *self.deepest.borrow() {
            for n in (deepest..parent.number).rev() {
                let h =
                    self.chain.inner().header(n)?.ok_or_else(|| WitnessError::State(format!("missing header {n}")))?;
                ancestors.push(h);
            }
        }
        let witness = BatchWitness {
            config: config.clone(),
            parent: parent.clone(),
            ancestors,
            data: Bytes::copy_from_slice(data),
            l1_messages: l1_messages.to_vec(),
            signatures: signatures.to_vec(),
            nodes: self.chain.into_recorded().iter().map(|(_, n)| Bytes::from(n.encode())).collect(),
            codes: self.codes.into_inner().into_values().collect(),
        };
        Ok((witness, executed))
    }
}

impl<C: ChainSource> Sources for Recorder<C> {
    fn node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        self.chain.get_node(hash)
    }

    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        let code = self.chain.inner().code(hash)?;
        if let Some(c) = &code {
            self.codes.borrow_mut().insert(*hash, c.clone());
        }
        Ok(code)
    }

    fn ancestor_hash(&self, number: u64) -> Result<B256, StateError> {
        let h = self.chain.inner().header(number)?.ok_or_else(|| StateError(format!("missing header {number}")))?;
        let mut deepest = self.deepest.borrow_mut();
        *deepest = Some(deepest.map_or(number, |d| d.min(number)));
        Ok(h.hash_slow())
    }
}
