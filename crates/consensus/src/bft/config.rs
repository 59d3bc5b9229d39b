//! Malachite's node configuration for one member of a sequencer set.
use crate::{SequencerSet, SetError};
use alloy_primitives::Address;
use malachitebft_app_channel::app::{
    config::{ConsensusConfig, NodeConfig, ValueSyncConfig},
    net::Multiaddr,
};

/// What Malachite's engine reads of a member's configuration.
#[derive(Clone, Debug)]
pub struct BftNodeConfig {
    /// The member's name in logs and metrics (unique per member: one process may run several).
    pub moniker: String,
    /// Consensus and networking.
    pub consensus: ConsensusConfig,
    /// Catching up on decided blocks from peers.
    pub value_sync: ValueSyncConfig,
}

impl NodeConfig for BftNodeConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// A member's p2p address, refused unless it names a transport Malachite can listen on (the engine
/// panics at start-up on one it cannot).
fn p2p_address(text: &str) -> Result<Multiaddr, SetError> {
    let addr: Multiaddr = text.parse().map_err(|e| SetError::Invalid(format!("p2p address {text:?}: {e}")))?;
    if !addr.protocol_stack().any(|p| matches!(p, "tcp" | "quic" | "quic-v1")) {
        return Err(SetError::Invalid(format!("p2p address {text:?} names no tcp or quic transport")));
    }
    Ok(addr)
}

/// The configuration of member `me`: it listens on its own `p2p` address and keeps a connection to
/// every other member's and to nobody else (a full mesh; the set is small and fixed).
pub fn node_config(set: &SequencerSet, me: &Address) -> Result<BftNodeConfig, SetError> {
    let member = set.member(me).ok_or_else(|| SetError::Invalid(format!("{me} is not a member of the set")))?;
    let mut consensus = ConsensusConfig::default();
    consensus.p2p.listen_addr = p2p_address(&member.p2p)?;
    consensus.p2p.persistent_peers =
        set.members.iter().filter(|m| m.address != *me).map(|m| p2p_address(&m.p2p)).collect::<Result<_, _>>()?;
    // Not `persistent_peers_only`: the set file cannot name members' peer ids (they derive from private
    // keys), and a member's inbound connection comes from an ephemeral port that matches no listed
    // address, so that mode refuses the members themselves. Discovery stays off, so only members are
    // dialled; anyone else who connects is heard only as far as the set's keys sign what it relays.
    consensus.p2p.persistent_peers_only = false;
    // A devnet runs every member on one host, so all inbound connections come from one IP address.
    consensus.p2p.discovery.max_connections_per_ip =
        consensus.p2p.discovery.max_connections_per_ip.max(4 * set.members.len());
    Ok(BftNodeConfig { moniker: format!("mosaic-{me}"), consensus, value_sync: ValueSyncConfig::default() })
}
