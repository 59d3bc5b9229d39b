//! The sequencer set under Malachite BFT (feature `bft`, `arc-malachitebft-*` `=0.8.2`): Mosaic's types
//! under the engine's `Context` traits, what members sign and how it is checked, the bytes of every
//! message the engine exchanges or logs (`MosaicCodec`), and the engine's configuration of a member. The application loop that answers the engine (`GetValue`, `Decided`, …)
//! is the next step (`docs/design/bft-sequencer.md` §3.5, §7).
mod codec;
mod config;
mod context;
mod signing;

pub use codec::{CodecError, MosaicCodec};
pub use config::{node_config, BftNodeConfig};
pub use context::{
    timeouts, BftAddress, BftHeight, BlockId, BlockValue, MosaicContext, Proposal, ProposalPart, Validator,
    ValidatorSet, Vote,
};
pub use signing::{extension_bytes, part_stream_bytes, proposal_bytes, vote_bytes, MosaicSigner, MosaicVerifier};

#[cfg(test)]
mod tests;
