//! `MosaicCodec`: the bytes of every message the engine sends, logs to its write-ahead log, or syncs,
//! for Mosaic's context. A small explicit format (no Borsh: `K256` signatures have no Borsh encoding):
//! integers big-endian, byte strings and lists behind a 4-byte length or count, enums behind a 1-byte
//! tag, signatures as their 64 bytes. Decoding reads untrusted peers' bytes: it never panics, never
//! allocates more than the input could hold, and refuses trailing bytes.
use super::context::{BftAddress, BftHeight, BlockId, BlockValue, MosaicContext, Proposal, ProposalPart, Vote};
use alloy_primitives::{bytes::Bytes as RawBytes, Address, Bytes, B256};
use malachitebft_app_channel::app::{
    consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg},
    streaming::{StreamContent, StreamId, StreamMessage},
    types::{
        codec::{Codec, HasEncodedLen},
        core::{
            ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate, PolkaSignature, Round,
            RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage, ValidatorProof, Validity, VoteType,
        },
        sync::{RawDecidedValue, Request, Response, Status},
        PeerId,
    },
};
use malachitebft_signing_ecdsa::{K256Config, Signature};
use malachitebft_sync::{ValueRequest, ValueResponse};

type Ctx = MosaicContext;

/// Bytes that are not a message of the expected type.
#[derive(Debug, thiserror::Error)]
#[error("bft codec: {0}")]
pub struct CodecError(String);

fn bad(what: &str) -> CodecError {
    CodecError(what.to_string())
}

/// The encoder and decoder of every message type the engine needs (`ConsensusCodec`, `SyncCodec`,
/// `WalCodec`).
#[derive(Clone, Copy, Debug, Default)]
pub struct MosaicCodec;

#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.raw(b);
    }
    fn count(&mut self, n: usize) {
        self.u32(n as u32);
    }
    fn height(&mut self, h: BftHeight) {
        self.u64(h.0);
    }
    fn round(&mut self, r: Round) {
        match r.as_u32() {
            None => self.u8(0),
            Some(r) => {
                self.u8(1);
                self.u32(r);
            }
        }
    }
    fn address(&mut self, a: &BftAddress) {
        self.raw(a.0.as_slice());
    }
    fn hash(&mut self, h: &B256) {
        self.raw(h.as_slice());
    }
    fn sig(&mut self, s: &Signature<K256Config>) {
        self.raw(&s.to_vec());
    }
    fn vote_type(&mut self, t: VoteType) {
        self.u8(match t {
            VoteType::Prevote => 0,
            VoteType::Precommit => 1,
        });
    }
    fn nil_or_val(&mut self, v: &NilOrVal<BlockId>) {
        match v {
            NilOrVal::Nil => self.u8(0),
            NilOrVal::Val(id) => {
                self.u8(1);
                self.hash(&id.0);
            }
        }
    }
    fn part(&mut self, p: &ProposalPart) {
        match p {
            ProposalPart::Init { height, round, pol_round, proposer, parent_hash } => {
                self.u8(0);
                self.height(*height);
                self.round(*round);
                self.round(*pol_round);
                self.address(proposer);
                self.hash(parent_hash);
            }
            ProposalPart::Data(data) => {
                self.u8(1);
                self.bytes(data);
            }
            ProposalPart::Fin { signature } => {
                self.u8(2);
                self.bytes(signature);
            }
        }
    }
    fn vote(&mut self, v: &SignedMessage<Ctx, Vote>) {
        let m = &v.message;
        self.vote_type(m.kind);
        self.height(m.height);
        self.round(m.round);
        self.nil_or_val(&m.value);
        self.address(&m.voter);
        self.sig(&v.signature);
    }
    fn proposal(&mut self, p: &SignedMessage<Ctx, Proposal>) {
        let m = &p.message;
        self.height(m.height);
        self.round(m.round);
        self.hash(&m.value.hash);
        self.round(m.pol_round);
        self.address(&m.proposer);
        self.sig(&p.signature);
    }
    fn polka(&mut self, c: &PolkaCertificate<Ctx>) {
        self.height(c.height);
        self.round(c.round);
        self.hash(&c.value_id.0);
        self.count(c.polka_signatures.len());
        for s in &c.polka_signatures {
            self.address(&s.address);
            self.sig(&s.signature);
        }
    }
    fn round_cert(&mut self, c: &RoundCertificate<Ctx>) {
        self.height(c.height);
        self.round(c.round);
        self.u8(match c.cert_type {
            RoundCertificateType::Skip => 0,
            RoundCertificateType::Precommit => 1,
        });
        self.count(c.round_signatures.len());
        for s in &c.round_signatures {
            self.vote_type(s.vote_type);
            self.nil_or_val(&s.value_id);
            self.address(&s.address);
            self.sig(&s.signature);
        }
    }
    fn commit(&mut self, c: &ExtendedCommitCertificate<Ctx>) {
        self.height(c.height);
        self.round(c.round);
        self.hash(&c.value_id.0);
        self.count(c.commit_signatures.len());
        for s in &c.commit_signatures {
            self.address(&s.address);
            self.sig(&s.signature);
            match &s.extension {
                None => self.u8(0),
                Some(ext) => {
                    self.u8(1);
                    self.sig(&ext.signature);
                }
            }
        }
    }
}

struct R<'a>(&'a [u8]);

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn end(&self) -> Result<(), CodecError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad("trailing bytes"))
        }
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(b))
    }
    fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// A list's length, refused if the rest of the input could not hold that many `min`-byte items.
    fn count(&mut self, min: usize) -> Result<usize, CodecError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.0.len() {
            return Err(bad("list longer than its bytes"));
        }
        Ok(n)
    }
    fn height(&mut self) -> Result<BftHeight, CodecError> {
        Ok(BftHeight(self.u64()?))
    }
    fn round(&mut self) -> Result<Round, CodecError> {
        match self.u8()? {
            0 => Ok(Round::Nil),
            1 => Ok(Round::new(self.u32()?)),
            _ => Err(bad("round tag")),
        }
    }
    fn address(&mut self) -> Result<BftAddress, CodecError> {
        Ok(BftAddress(Address::from_slice(self.take(20)?)))
    }
    fn hash(&mut self) -> Result<B256, CodecError> {
        Ok(B256::from_slice(self.take(32)?))
    }
    fn sig(&mut self) -> Result<Signature<K256Config>, CodecError> {
        Signature::from_slice(self.take(64)?).map_err(|_| bad("signature"))
    }
    fn vote_type(&mut self) -> Result<VoteType, CodecError> {
        match self.u8()? {
            0 => Ok(VoteType::Prevote),
            1 => Ok(VoteType::Precommit),
            _ => Err(bad("vote type tag")),
        }
    }
    fn nil_or_val(&mut self) -> Result<NilOrVal<BlockId>, CodecError> {
        match self.u8()? {
            0 => Ok(NilOrVal::Nil),
            1 => Ok(NilOrVal::Val(BlockId(self.hash()?))),
            _ => Err(bad("nil-or-value tag")),
        }
    }
    fn part(&mut self) -> Result<ProposalPart, CodecError> {
        Ok(match self.u8()? {
            0 => ProposalPart::Init {
                height: self.height()?,
                round: self.round()?,
                pol_round: self.round()?,
                proposer: self.address()?,
                parent_hash: self.hash()?,
            },
            1 => ProposalPart::Data(Bytes::copy_from_slice(self.bytes()?)),
            2 => ProposalPart::Fin { signature: Bytes::copy_from_slice(self.bytes()?) },
            _ => return Err(bad("proposal part tag")),
        })
    }
    fn vote(&mut self) -> Result<SignedMessage<Ctx, Vote>, CodecError> {
        let vote = Vote {
            kind: self.vote_type()?,
            height: self.height()?,
            round: self.round()?,
            value: self.nil_or_val()?,
            voter: self.address()?,
        };
        Ok(SignedMessage::new(vote, self.sig()?))
    }
    fn proposal(&mut self) -> Result<SignedMessage<Ctx, Proposal>, CodecError> {
        let proposal = Proposal {
            height: self.height()?,
            round: self.round()?,
            value: BlockValue { hash: self.hash()? },
            pol_round: self.round()?,
            proposer: self.address()?,
        };
        Ok(SignedMessage::new(proposal, self.sig()?))
    }
    fn polka(&mut self) -> Result<PolkaCertificate<Ctx>, CodecError> {
        let (height, round, value_id) = (self.height()?, self.round()?, BlockId(self.hash()?));
        let n = self.count(20 + 64)?;
        let mut polka_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            polka_signatures.push(PolkaSignature { address: self.address()?, signature: self.sig()? });
        }
        Ok(PolkaCertificate { height, round, value_id, polka_signatures })
    }
    fn round_cert(&mut self) -> Result<RoundCertificate<Ctx>, CodecError> {
        let (height, round) = (self.height()?, self.round()?);
        let cert_type = match self.u8()? {
            0 => RoundCertificateType::Skip,
            1 => RoundCertificateType::Precommit,
            _ => return Err(bad("round certificate tag")),
        };
        let n = self.count(1 + 1 + 20 + 64)?;
        let mut round_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            round_signatures.push(RoundSignature {
                vote_type: self.vote_type()?,
                value_id: self.nil_or_val()?,
                address: self.address()?,
                signature: self.sig()?,
            });
        }
        Ok(RoundCertificate { height, round, cert_type, round_signatures })
    }
    fn commit(&mut self) -> Result<ExtendedCommitCertificate<Ctx>, CodecError> {
        let (height, round, value_id) = (self.height()?, self.round()?, BlockId(self.hash()?));
        let n = self.count(20 + 64 + 1)?;
        let mut commit_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            let (address, signature) = (self.address()?, self.sig()?);
            let extension = match self.u8()? {
                0 => None,
                1 => Some(SignedMessage::new((), self.sig()?)),
                _ => return Err(bad("extension tag")),
            };
            commit_signatures.push(ExtendedCommitSignature { address, signature, extension });
        }
        Ok(ExtendedCommitCertificate { height, round, value_id, commit_signatures })
    }
}

fn encode_with(f: impl FnOnce(&mut W)) -> RawBytes {
    let mut w = W::default();
    f(&mut w);
    RawBytes::from(w.0)
}

fn decode_with<T>(bytes: &[u8], f: impl FnOnce(&mut R<'_>) -> Result<T, CodecError>) -> Result<T, CodecError> {
    let mut r = R(bytes);
    let value = f(&mut r)?;
    r.end()?;
    Ok(value)
}

macro_rules! codec {
    ($t:ty, |$w:ident, $m:ident| $enc:expr, |$r:ident| $dec:expr) => {
        impl Codec<$t> for MosaicCodec {
            type Error = CodecError;

            fn decode(&self, bytes: RawBytes) -> Result<$t, CodecError> {
                decode_with(&bytes, |$r| $dec)
            }

            fn encode(&self, $m: &$t) -> Result<RawBytes, CodecError> {
                Ok(encode_with(|$w| $enc))
            }
        }
    };
}

codec!(ProposalPart, |w, m| w.part(m), |r| r.part());

codec!(
    SignedConsensusMsg<Ctx>,
    |w, m| match m {
        SignedConsensusMsg::Vote(v) => {
            w.u8(0);
            w.vote(v)
        }
        SignedConsensusMsg::Proposal(p) => {
            w.u8(1);
            w.proposal(p)
        }
    },
    |r| match r.u8()? {
        0 => Ok(SignedConsensusMsg::Vote(r.vote()?)),
        1 => Ok(SignedConsensusMsg::Proposal(r.proposal()?)),
        _ => Err(bad("consensus message tag")),
    }
);

codec!(
    LivenessMsg<Ctx>,
    |w, m| match m {
        LivenessMsg::Vote(v) => {
            w.u8(0);
            w.vote(v)
        }
        LivenessMsg::PolkaCertificate(c) => {
            w.u8(1);
            w.polka(c)
        }
        LivenessMsg::SkipRoundCertificate(c) => {
            w.u8(2);
            w.round_cert(c)
        }
    },
    |r| match r.u8()? {
        0 => Ok(LivenessMsg::Vote(r.vote()?)),
        1 => Ok(LivenessMsg::PolkaCertificate(r.polka()?)),
        2 => Ok(LivenessMsg::SkipRoundCertificate(r.round_cert()?)),
        _ => Err(bad("liveness message tag")),
    }
);

codec!(PolkaCertificate<Ctx>, |w, m| w.polka(m), |r| r.polka());
// What a member stores with each decided block (`app::CERTIFICATES`).
codec!(ExtendedCommitCertificate<Ctx>, |w, m| w.commit(m), |r| r.commit());

codec!(
    StreamMessage<ProposalPart>,
    |w, m| {
        w.bytes(&m.stream_id.to_bytes());
        w.u64(m.sequence);
        match &m.content {
            StreamContent::Data(part) => {
                w.u8(0);
                w.part(part)
            }
            StreamContent::Fin => w.u8(1),
        }
    },
    |r| {
        let stream_id = StreamId::new(RawBytes::copy_from_slice(r.bytes()?));
        let sequence = r.u64()?;
        let content = match r.u8()? {
            0 => StreamContent::Data(r.part()?),
            1 => StreamContent::Fin,
            _ => return Err(bad("stream content tag")),
        };
        Ok(StreamMessage::new(stream_id, sequence, content))
    }
);

codec!(
    ValidatorProof<Ctx>,
    |w, m| {
        w.bytes(&m.public_key);
        w.bytes(&m.peer_id);
        w.sig(&m.signature)
    },
    |r| {
        let (public_key, peer_id) = (r.bytes()?.to_vec(), r.bytes()?.to_vec());
        Ok(ValidatorProof::new(public_key, peer_id, r.sig()?))
    }
);

codec!(
    ProposedValue<Ctx>,
    |w, m| {
        w.height(m.height);
        w.round(m.round);
        w.round(m.valid_round);
        w.address(&m.proposer);
        w.hash(&m.value.hash);
        w.u8(u8::from(m.validity.is_valid()))
    },
    |r| {
        Ok(ProposedValue {
            height: r.height()?,
            round: r.round()?,
            valid_round: r.round()?,
            proposer: r.address()?,
            value: BlockValue { hash: r.hash()? },
            validity: match r.u8()? {
                0 => Validity::Invalid,
                1 => Validity::Valid,
                _ => return Err(bad("validity tag")),
            },
        })
    }
);

codec!(
    Status<Ctx>,
    |w, m| {
        w.bytes(&m.peer_id.to_bytes());
        w.height(m.tip_height);
        w.height(m.history_min_height)
    },
    |r| {
        Ok(Status {
            peer_id: PeerId::from_bytes(r.bytes()?).map_err(|_| bad("peer id"))?,
            tip_height: r.height()?,
            history_min_height: r.height()?,
        })
    }
);

codec!(
    Request<Ctx>,
    |w, m| match m {
        Request::ValueRequest(req) => {
            w.u8(0);
            w.height(*req.range.start());
            w.height(*req.range.end())
        }
    },
    |r| match r.u8()? {
        0 => Ok(Request::ValueRequest(ValueRequest::new(r.height()?..=r.height()?))),
        _ => Err(bad("request tag")),
    }
);

codec!(
    Response<Ctx>,
    |w, m| match m {
        Response::ValueResponse(res) => {
            w.u8(0);
            w.height(res.start_height);
            w.count(res.values.len());
            for v in &res.values {
                w.bytes(&v.value_bytes);
                w.commit(&v.certificate);
            }
        }
    },
    |r| match r.u8()? {
        0 => {
            let start_height = r.height()?;
            let n = r.count(4 + 8 + 1 + 32 + 4)?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                let value_bytes = RawBytes::copy_from_slice(r.bytes()?);
                values.push(RawDecidedValue::new(value_bytes, r.commit()?));
            }
            Ok(Response::ValueResponse(ValueResponse::new(start_height, values)))
        }
        _ => Err(bad("response tag")),
    }
);

impl HasEncodedLen<Response<Ctx>> for MosaicCodec {
    fn encoded_len(&self, msg: &Response<Ctx>) -> Result<usize, CodecError> {
        Ok(Codec::<Response<Ctx>>::encode(self, msg)?.len())
    }
}
