//! Durable record tables that services own: the node keeps numbered byte records per table name, the
//! service (the producer's batch records, a challenger's games) defines what a record means.
use crate::{chain::Node, NodeError};

/// One named table of numbered records, borrowed from a node.
#[derive(Clone, Copy)]
pub struct Records<'a> {
    node: &'a Node,
    table: &'static str,
}

impl<'a> Records<'a> {
    /// Stores (or replaces) record `index`, durably.
    pub fn put(&self, index: u64, record: &[u8]) -> Result<(), NodeError> {
        Ok(self.node.inner.db.put_record(self.table, index, record)?)
    }

    /// Record `index`.
    pub fn get(&self, index: u64) -> Result<Option<Vec<u8>>, NodeError> {
        Ok(self.node.inner.db.record(self.table, index)?)
    }

    /// The highest-numbered record.
    pub fn last(&self) -> Result<Option<(u64, Vec<u8>)>, NodeError> {
        Ok(self.node.inner.db.last_record(self.table)?)
    }

    /// Forgets every record above `index`.
    pub fn drop_after(&self, index: u64) -> Result<(), NodeError> {
        Ok(self.node.inner.db.drop_records_after(self.table, index)?)
    }
}

impl Node {
    /// The record table `table` (created on first write). Blocking: call from the blocking pool.
    pub fn records(&self, table: &'static str) -> Records<'_> {
        Records { node: self, table }
    }
}

#[cfg(test)]
mod tests {
    use crate::Node;

    // A node starts its admission task on open, so it needs a runtime.
    #[tokio::test]
    async fn records_survive_a_reopen_and_tables_are_separate() {
        let dir = tempfile::tempdir().unwrap();
        let config = || crate::chain::tests::config(dir.path());
        {
            let node = Node::open(config()).unwrap();
            let batches = node.records("batches");
            for i in 1..=3 {
                batches.put(i, &[i as u8]).unwrap();
            }
            batches.drop_after(2).unwrap();
            node.records("games").put(7, b"open").unwrap();
        }
        let node = Node::open(config()).unwrap();
        assert_eq!(node.records("batches").last().unwrap(), Some((2, vec![2])));
        assert_eq!(node.records("batches").get(3).unwrap(), None);
        assert_eq!(node.records("games").get(7).unwrap().as_deref(), Some(&b"open"[..]));
        assert_eq!(node.records("games").get(2).unwrap(), None);
    }
}
