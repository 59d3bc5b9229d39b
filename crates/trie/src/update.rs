//! Batched insert/update/delete.

use alloc::vec::Vec;
use alloy_primitives::B256;

use crate::{bit, fetch, internal_hash, leaf_hash, shares_prefix, Node, NodeStore, TrieError};
use crate::{EMPTY_ROOT, KEY_BITS};

/// One pending write: key and new value (`None` = delete).
type Entry<'a> = (&'a B256, Option<&'a [u8]>);

/// What a rewritten subtree turned into; the kind matters because a leaf next to an
/// empty sibling must move up instead of getting an internal parent.
#[derive(Clone, Copy)]
enum Sub {
    Empty,
    Leaf(B256),
    Internal(B256),
    /// Untouched non-empty child whose kind is only looked up if a collapse needs it.
    Unknown(B256),
}

impl Sub {
    fn known(hash: B256) -> Self {
        if hash == EMPTY_ROOT {
            Sub::Empty
        } else {
            Sub::Unknown(hash)
        }
    }

    fn hash(self) -> B256 {
        match self {
            Sub::Empty => EMPTY_ROOT,
            Sub::Leaf(h) | Sub::Internal(h) | Sub::Unknown(h) => h,
        }
    }
}

/// An existing leaf that survives into the rebuilt subtree; reused without rehashing.
#[derive(Clone, Copy)]
struct Existing {
    key: B256,
    hash: B256,
}

struct Updater<'s, S: ?Sized> {
    store: &'s S,
    new_nodes: Vec<(B256, Node)>,
}

/// Apply a batch of updates (`None` = delete) to the tree at `root`.
///
/// Keys may be unsorted and repeated (the last occurrence wins). Returns the new root
/// and the newly created `(hash, node)` pairs, which the caller must persist. Each
/// existing node is fetched at most once and each new node hashed exactly once.
pub fn update<S: NodeStore + ?Sized>(
    store: &S,
    root: B256,
    updates: &[(B256, Option<Vec<u8>>)],
) -> Result<(B256, Vec<(B256, Node)>), TrieError> {
    let mut entries: Vec<Entry<'_>> = updates.iter().map(|(k, v)| (k, v.as_deref())).collect();
    // Stable sort keeps duplicates in input order; dedup then copies the later one
    // over the earlier so the last write wins.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            *kept = *later;
        }
        same
    });
    if entries.is_empty() {
        return Ok((root, Vec::new()));
    }
    let mut updater = Updater { store, new_nodes: Vec::new() };
    let sub = updater.rewrite(root, 0, &entries)?;
    Ok((sub.hash(), updater.new_nodes))
}

/// Index of the first entry whose key has bit `depth` set; valid because entries are
/// sorted and share their first `depth` bits.
fn split(entries: &[Entry<'_>], depth: usize) -> usize {
    entries.partition_point(|e| bit(e.0, depth) == 0)
}

impl<S: NodeStore + ?Sized> Updater<'_, S> {
    /// Apply the non-empty, sorted `entries` to the existing subtree `hash` at `depth`.
    fn rewrite(&mut self, hash: B256, depth: usize, entries: &[Entry<'_>]) -> Result<Sub, TrieError> {
        if hash == EMPTY_ROOT {
            return self.build(depth, entries, None);
        }
        match fetch(self.store, &hash)? {
            Node::Leaf { key, value } => {
                if let Some(first) = entries.first() {
                    if !shares_prefix(&key, first.0, depth) {
                        return Err(TrieError::Decode("leaf key does not match its position"));
                    }
                }
                let existing = Existing { key, hash };
                // The old leaf survives unless the batch deletes or changes it; an
                // identical rewrite keeps the old node so nothing new is emitted.
                let keep = match entries.binary_search_by(|e| e.0.cmp(&key)) {
                    Err(_) => Some(existing),
                    Ok(i) => match entries[i].1 {
                        Some(v) if v == value.as_slice() => Some(existing),
                        _ => None,
                    },
                };
                self.build(depth, entries, keep)
            }
            Node::Internal { left, right } => {
                if depth >= KEY_BITS {
                    return Err(TrieError::Decode("trie deeper than 256 levels"));
                }
                let mid = split(entries, depth);
                let (lo, hi) = entries.split_at(mid);
                let l = if lo.is_empty() { Sub::known(left) } else { self.rewrite(left, depth + 1, lo)? };
                let r = if hi.is_empty() { Sub::known(right) } else { self.rewrite(right, depth + 1, hi)? };
                if l.hash() == left && r.hash() == right {
                    return Ok(Sub::Internal(hash));
                }
                self.combine(l, r)
            }
        }
    }

    /// Build a fresh subtree at `depth` from the live entries (set values, minus any
    /// key equal to `keep`'s) plus the surviving old leaf `keep`.
    fn build(&mut self, depth: usize, entries: &[Entry<'_>], keep: Option<Existing>) -> Result<Sub, TrieError> {
        let mut live = entries.iter().filter(|e| e.1.is_some() && keep.is_none_or(|k| k.key != *e.0));
        let first = live.next();
        // Only 0, 1 or "more" matters, so stop counting at two.
        let count = usize::from(first.is_some()) + usize::from(live.next().is_some()) + usize::from(keep.is_some());
        match (count, first, keep) {
            (0, _, _) => return Ok(Sub::Empty),
            (1, None, Some(k)) => return Ok(Sub::Leaf(k.hash)),
            (1, Some(&(key, Some(value))), None) => return Ok(self.new_leaf(key, value)),
            _ => {}
        }
        if depth >= KEY_BITS {
            return Err(TrieError::Decode("trie deeper than 256 levels"));
        }
        let mid = split(entries, depth);
        let (keep_lo, keep_hi) = match keep {
            Some(k) if bit(&k.key, depth) == 1 => (None, Some(k)),
            other => (other, None),
        };
        let l = self.build(depth + 1, &entries[..mid], keep_lo)?;
        let r = self.build(depth + 1, &entries[mid..], keep_hi)?;
        self.combine(l, r)
    }

    /// Join two sibling subtrees, collapsing a leaf (or nothing) next to an empty side.
    fn combine(&mut self, l: Sub, r: Sub) -> Result<Sub, TrieError> {
        match (l, r) {
            (Sub::Empty, Sub::Empty) => Ok(Sub::Empty),
            (Sub::Empty, Sub::Leaf(h)) | (Sub::Leaf(h), Sub::Empty) => Ok(Sub::Leaf(h)),
            // The untouched sibling must be fetched to learn whether it moves up; this
            // read is what puts it into a recorded witness.
            (Sub::Empty, Sub::Unknown(h)) => {
                let r = self.resolve(h)?;
                self.combine(Sub::Empty, r)
            }
            (Sub::Unknown(h), Sub::Empty) => {
                let l = self.resolve(h)?;
                self.combine(l, Sub::Empty)
            }
            _ => Ok(self.new_internal(l.hash(), r.hash())),
        }
    }

    fn resolve(&self, hash: B256) -> Result<Sub, TrieError> {
        Ok(match fetch(self.store, &hash)? {
            Node::Leaf { .. } => Sub::Leaf(hash),
            Node::Internal { .. } => Sub::Internal(hash),
        })
    }

    fn new_leaf(&mut self, key: &B256, value: &[u8]) -> Sub {
        let hash = leaf_hash(key, value);
        self.new_nodes.push((hash, Node::Leaf { key: *key, value: value.to_vec() }));
        Sub::Leaf(hash)
    }

    fn new_internal(&mut self, left: B256, right: B256) -> Sub {
        let hash = internal_hash(&left, &right);
        self.new_nodes.push((hash, Node::Internal { left, right }));
        Sub::Internal(hash)
    }
}
