//! The sequencer set under Malachite BFT (feature `bft`, `arc-malachitebft-*` `=0.8.2`): Mosaic's types
//! under the engine's `Context` traits, what members sign and how it is checked, the bytes of every
//! message the engine exchanges or logs (`MosaicCodec`), the engine's configuration of a member, and
//! the application loop that answers the engine with Mosaic's node ([`Bft`], `docs/design/bft-sequencer.md` §3.5).
mod app;
mod codec;
mod config;
mod context;
mod signing;
mod view;

pub use app::{run, Bft, BftConfig, Faults, CERTIFICATES, PROPOSALS, SET};
pub use codec::{CodecError, MosaicCodec};
pub use config::{node_config, BftNodeConfig};
pub use context::{
    timeouts, BftAddress, BftHeight, BlockId, BlockValue, MosaicContext, Proposal, ProposalPart, Validator,
    ValidatorSet, Vote,
};
pub use signing::{extension_bytes, part_stream_bytes, proposal_bytes, vote_bytes, MosaicSigner, MosaicVerifier};
pub use view::EVIDENCE;

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
