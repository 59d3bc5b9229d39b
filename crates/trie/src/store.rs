//! Node stores: the trait, an in-memory map, and a recorder for zk witnesses.

use alloc::{boxed::Box, collections::BTreeMap};
use alloy_primitives::B256;
use core::cell::RefCell;

use crate::{Node, TrieError};

/// Source of tree nodes by hash. Returned nodes are hash-checked by the tree itself.
pub trait NodeStore {
    /// Look up the node with this hash; `Ok(None)` if the store does not have it.
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError>;
}

impl<T: NodeStore + ?Sized> NodeStore for &T {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        (**self).get_node(hash)
    }
}

impl<T: NodeStore + ?Sized> NodeStore for Box<T> {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        (**self).get_node(hash)
    }
}

/// In-memory node store keyed by hash (a `BTreeMap`, so it works in `no_std`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryNodeStore {
    nodes: BTreeMap<B256, Node>,
}

impl MemoryNodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Insert a node under its computed hash and return that hash.
    pub fn insert(&mut self, node: Node) -> B256 {
        let hash = node.hash();
        self.nodes.insert(hash, node);
        hash
    }

    /// Insert `(hash, node)` pairs as produced by [`crate::update`]; hashes are taken
    /// as given (not recomputed) since every read verifies them anyway.
    pub fn insert_all<I: IntoIterator<Item = (B256, Node)>>(&mut self, nodes: I) {
        self.nodes.extend(nodes);
    }

    /// Number of stored nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the store holds no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether a node with this hash is stored.
    pub fn contains(&self, hash: &B256) -> bool {
        self.nodes.contains_key(hash)
    }

    /// All stored `(hash, node)` pairs in hash order (e.g. to serialize a witness).
    pub fn iter(&self) -> impl Iterator<Item = (&B256, &Node)> {
        self.nodes.iter()
    }
}

impl NodeStore for MemoryNodeStore {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        Ok(self.nodes.get(hash).cloned())
    }
}

impl FromIterator<(B256, Node)> for MemoryNodeStore {
    fn from_iter<I: IntoIterator<Item = (B256, Node)>>(iter: I) -> Self {
        let mut store = Self::new();
        store.insert_all(iter);
        store
    }
}

/// Wraps a store and records every node it returns, so the exact set of nodes an
/// operation touched can be shipped as a zk witness and the operation replayed.
#[derive(Debug)]
pub struct RecordingStore<S> {
    inner: S,
    // RefCell rather than a lock: `get_node` takes `&self` and the guest has no atomics.
    recorded: RefCell<BTreeMap<B256, Node>>,
}

impl<S> RecordingStore<S> {
    /// Start recording reads served by `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner, recorded: RefCell::new(BTreeMap::new()) }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Number of distinct nodes recorded so far.
    pub fn recorded_len(&self) -> usize {
        self.recorded.borrow().len()
    }

    /// Finish recording and return the touched nodes as a standalone store.
    pub fn into_recorded(self) -> MemoryNodeStore {
        MemoryNodeStore { nodes: self.recorded.into_inner() }
    }
}

impl<S: NodeStore> NodeStore for RecordingStore<S> {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        let node = self.inner.get_node(hash)?;
        if let Some(node) = &node {
            self.recorded.borrow_mut().insert(*hash, node.clone());
        }
        Ok(node)
    }
}
