//! What a member signs, and the engine's `Signer`/`Verifier` over a member's secp256k1 key.
//!
//! Every preimage starts with a domain of its own and the chain id, so a signature of one kind, or of
//! another chain, never verifies as another. `K256` signs ECDSA over SHA-256 of the preimage (RFC 6979,
//! low `s`) and refuses a high `s` when verifying. The validator proof is the one exception: Malachite
//! fixes its bytes (`ValidatorProof::signing_bytes`), so it is signed as they are.
use super::context::{BftAddress, BftHeight, BlockId, MosaicContext, Proposal, Vote};
use async_trait::async_trait;
use malachitebft_core_types::{NilOrVal, Round, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType};
use malachitebft_signing::{Error, Signer, VerificationResult, Verifier};
use malachitebft_signing_ecdsa::{K256Config, PrivateKey, PublicKey, Signature};

fn round_bytes(round: Round) -> [u8; 8] {
    round.as_i64().to_be_bytes()
}

fn head(domain: &[u8], chain_id: u64, height: BftHeight, round: Round) -> Vec<u8> {
    let mut b = Vec::with_capacity(domain.len() + 8 + 8 + 8 + 64);
    b.extend_from_slice(domain);
    b.extend_from_slice(&chain_id.to_be_bytes());
    b.extend_from_slice(&height.0.to_be_bytes());
    b.extend_from_slice(&round_bytes(round));
    b
}

/// The bytes a vote's signature covers. Certificates are checked by rebuilding the vote from
/// `(height, round, value, voter)`, so nothing else may enter (no extension).
pub fn vote_bytes(chain_id: u64, vote: &Vote) -> Vec<u8> {
    let domain: &[u8] = match vote.kind {
        VoteType::Prevote => b"mosaic-prevote",
        VoteType::Precommit => b"mosaic-precommit",
    };
    let mut b = head(domain, chain_id, vote.height, vote.round);
    match &vote.value {
        NilOrVal::Nil => b.push(0),
        NilOrVal::Val(BlockId(hash)) => {
            b.push(1);
            b.extend_from_slice(hash.as_slice());
        }
    }
    b.extend_from_slice(vote.voter.0.as_slice());
    b
}

/// The bytes a proposal's signature covers.
pub fn proposal_bytes(chain_id: u64, p: &Proposal) -> Vec<u8> {
    let mut b = head(b"mosaic-proposal", chain_id, p.height, p.round);
    b.extend_from_slice(&round_bytes(p.pol_round));
    b.extend_from_slice(p.value.hash.as_slice());
    b.extend_from_slice(p.proposer.0.as_slice());
    b
}

/// The bytes a vote extension's signature would cover (Mosaic enables none; the engine's traits ask).
pub fn extension_bytes(chain_id: u64, scope: &VoteExtensionScope<MosaicContext>) -> Vec<u8> {
    let mut b = head(b"mosaic-vote-extension", chain_id, scope.height, scope.round);
    b.extend_from_slice(scope.value_id.0.as_slice());
    b.extend_from_slice(scope.validator_address.0.as_slice());
    b
}

/// The bytes the `Fin` part of a proposal stream signs: the proposal's identity and a hash of the
/// streamed block bytes, so that a relaying peer cannot splice parts of two streams.
pub fn part_stream_bytes(
    chain_id: u64,
    height: BftHeight,
    round: Round,
    proposer: &BftAddress,
    data_hash: &alloy_primitives::B256,
) -> Vec<u8> {
    let mut b = head(b"mosaic-proposal-parts", chain_id, height, round);
    b.extend_from_slice(proposer.0.as_slice());
    b.extend_from_slice(data_hash.as_slice());
    b
}

fn check(key: &PublicKey<K256Config>, msg: &[u8], sig: &Signature<K256Config>) -> Result<VerificationResult, Error> {
    Ok(VerificationResult::from_bool(key.verify(msg, sig).is_ok()))
}

/// A member's signer: its consensus key on this chain.
#[derive(Clone)]
pub struct MosaicSigner {
    key: PrivateKey<K256Config>,
    chain_id: u64,
}

impl std::fmt::Debug for MosaicSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("MosaicSigner").field("public_key", &self.key.public_key()).finish()
    }
}

impl MosaicSigner {
    /// A signer for the 32-byte secp256k1 secret `secret` on chain `chain_id`.
    pub fn new(secret: &[u8; 32], chain_id: u64) -> Result<Self, Error> {
        let key = PrivateKey::from_slice(secret).map_err(Error::from_source)?;
        Ok(Self { key, chain_id })
    }

    /// The public key members verify this signer's messages with.
    pub fn public_key(&self) -> PublicKey<K256Config> {
        self.key.public_key()
    }

    /// Signs arbitrary `bytes` (proposal streams' `Fin`).
    pub fn sign_bytes(&self, bytes: &[u8]) -> Signature<K256Config> {
        self.key.sign(bytes)
    }
}

#[async_trait]
impl Signer<MosaicContext> for MosaicSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<MosaicContext, Vote>, Error> {
        let signature = self.key.sign(&vote_bytes(self.chain_id, &vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(&self, proposal: Proposal) -> Result<SignedMessage<MosaicContext, Proposal>, Error> {
        let signature = self.key.sign(&proposal_bytes(self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<MosaicContext>,
        extension: (),
    ) -> Result<SignedMessage<MosaicContext, ()>, Error> {
        let signature = self.key.sign(&extension_bytes(self.chain_id, &scope));
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<MosaicContext>, Error> {
        let signature = self.key.sign(&ValidatorProof::<MosaicContext>::signing_bytes(&public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Checks members' signatures on this chain.
#[derive(Clone, Copy, Debug)]
pub struct MosaicVerifier {
    /// The L2 chain id.
    pub chain_id: u64,
}

#[async_trait]
impl Verifier<MosaicContext> for MosaicVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature<K256Config>,
        public_key: &PublicKey<K256Config>,
    ) -> Result<VerificationResult, Error> {
        check(public_key, &vote_bytes(self.chain_id, vote), signature)
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature<K256Config>,
        public_key: &PublicKey<K256Config>,
    ) -> Result<VerificationResult, Error> {
        check(public_key, &proposal_bytes(self.chain_id, proposal), signature)
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<MosaicContext>,
        _extension: &(),
        signature: &Signature<K256Config>,
        public_key: &PublicKey<K256Config>,
    ) -> Result<VerificationResult, Error> {
        check(public_key, &extension_bytes(self.chain_id, scope), signature)
    }

    async fn verify_validator_proof(&self, proof: &ValidatorProof<MosaicContext>) -> Result<VerificationResult, Error> {
        let Ok(key) = PublicKey::<K256Config>::from_sec1_bytes(&proof.public_key) else {
            return Ok(VerificationResult::Invalid);
        };
        check(&key, &proof.preimage(), &proof.signature)
    }
}
