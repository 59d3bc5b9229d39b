//! A member's transactions reach the others: every transaction a member accepts is copied to every
//! other member's JSON-RPC (`mosaic_relayTransactions`), so whichever member proposes next can include
//! it, and the client's acknowledgement waits until `⌊(N−1)/3⌋` of them hold it too: as many members as
//! may fail, so a transaction a client was told about survives any tolerated set of crashes.
use crate::{SequencerSet, SetError};
use alloy_primitives::{hex, Address};
use mosaic_node::TxRelay;
use std::{future::Future, pin::Pin, time::Duration};
use tokio::sync::mpsc;

/// JSON-RPC method a member serves to admit another member's transactions.
pub const RELAY_METHOD: &str = "mosaic_relayTransactions";

/// How long an acknowledgement waits for the other members' copies by default.
pub const DEFAULT_RELAY_TIMEOUT: Duration = Duration::from_secs(2);

/// Relays over the other members' JSON-RPC endpoints (the set file's `rpc` URLs).
#[derive(Clone, Debug)]
pub struct RpcRelay {
    peers: Vec<String>,
    needed: usize,
    timeout: Duration,
    client: reqwest::Client,
}

impl RpcRelay {
    /// Copies to `peers`; a transaction is acknowledged once `needed` of them hold it, or refused after
    /// `timeout`.
    pub fn new(peers: Vec<String>, needed: usize, timeout: Duration) -> Self {
        Self { peers, needed, timeout, client: reqwest::Client::new() }
    }

    /// The relay of member `me` of `set`: to every other member with an `rpc` URL, acknowledged once
    /// as many as may fail (`⌊(N−1)/3⌋`) hold the transaction. Refused if fewer members have a URL.
    pub fn for_member(set: &SequencerSet, me: &Address, timeout: Duration) -> Result<Self, SetError> {
        let peers: Vec<String> =
            set.members.iter().filter(|m| m.address != *me).filter_map(|m| m.rpc.clone()).collect();
        let needed = set.tolerated_faults();
        if peers.len() < needed {
            return Err(SetError::Invalid(format!(
                "{} other members have an rpc URL; acknowledging a transaction needs {needed} copies",
                peers.len()
            )));
        }
        Ok(Self::new(peers, needed, timeout))
    }
}

/// Sends `raw` to `url`; `Ok` once that member holds it.
async fn relay_one(client: &reqwest::Client, url: &str, raw: &[u8]) -> Result<(), String> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": RELAY_METHOD,
        "params": [[format!("0x{}", hex::encode(raw))]],
    });
    let reply: serde_json::Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    match reply.get("result").and_then(|r| r.get(0)) {
        Some(serde_json::Value::Null) => Ok(()),
        Some(refused) => Err(format!("{url} refused it: {refused}")),
        None => Err(format!("{url}: {}", reply.get("error").unwrap_or(&reply))),
    }
}

impl TxRelay for RpcRelay {
    fn relay(&self, raw: Vec<u8>) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
        let this = self.clone();
        Box::pin(async move {
            let (tx, mut rx) = mpsc::channel(this.peers.len().max(1));
            let raw = std::sync::Arc::new(raw);
            for url in this.peers.clone() {
                // Every member gets it, even after enough have answered: any of them may propose next.
                let (client, raw, tx) = (this.client.clone(), raw.clone(), tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(relay_one(&client, &url, &raw).await).await;
                });
            }
            drop(tx);
            if this.needed == 0 {
                return Ok(());
            }
            let (mut held, mut errors) = (0, Vec::new());
            let waited = tokio::time::timeout(this.timeout, async {
                while let Some(result) = rx.recv().await {
                    match result {
                        Ok(()) => held += 1,
                        Err(e) => errors.push(e),
                    }
                    if held >= this.needed {
                        return;
                    }
                }
            })
            .await;
            if held >= this.needed {
                return Ok(());
            }
            let why = if waited.is_err() { format!("no answer within {:?}", this.timeout) } else { errors.join("; ") };
            Err(format!("{held} of the {} copies on other members ({why})", this.needed))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use alloy_signer_local::PrivateKeySigner;

    fn set_with_rpcs(rpcs: &[Option<&str>]) -> SequencerSet {
        let mut s = "block_time = \"1s\"\nfee_recipient = \"0x00000000000000000000000000000000000000fe\"\n".to_string();
        for (i, rpc) in rpcs.iter().enumerate() {
            let k = PrivateKeySigner::from_bytes(&B256::repeat_byte(i as u8 + 1)).unwrap();
            let public = k.credential().verifying_key().to_encoded_point(true);
            s.push_str(&format!(
                "[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{}\"\n",
                k.address(),
                hex::encode(public.as_bytes()),
                27000 + i
            ));
            if let Some(url) = rpc {
                s.push_str(&format!("rpc = \"{url}\"\n"));
            }
        }
        SequencerSet::from_toml(&s).unwrap()
    }

    #[test]
    fn a_member_relays_to_the_others_and_needs_as_many_copies_as_may_fail() {
        let url = Some("http://127.0.0.1:1");
        let set = set_with_rpcs(&[url, url, url, url]);
        let me = set.members[0].address;
        let relay = RpcRelay::for_member(&set, &me, DEFAULT_RELAY_TIMEOUT).unwrap();
        assert_eq!((relay.peers.len(), relay.needed), (3, 1), "three others; one copy acknowledges");
        let refused = RpcRelay::for_member(&set_with_rpcs(&[url, None, None, None]), &me, DEFAULT_RELAY_TIMEOUT);
        assert!(refused.unwrap_err().to_string().contains("0 other members have an rpc URL"));
        let small = RpcRelay::for_member(&set_with_rpcs(&[None, None]), &me, DEFAULT_RELAY_TIMEOUT).unwrap();
        assert_eq!(small.needed, 0, "two members tolerate no failure: the local copy acknowledges");
    }

    #[tokio::test]
    async fn an_acknowledgement_waits_for_a_copy_and_says_why_there_is_none() {
        // Nothing listens on a freshly closed port: the one copy needed cannot be made.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let relay = RpcRelay::new(vec![format!("http://127.0.0.1:{port}")], 1, Duration::from_secs(5));
        let err = relay.relay(vec![1, 2, 3]).await.unwrap_err();
        assert!(err.starts_with("0 of the 1 copies on other members"), "{err}");
        // Needing none, it acknowledges at once (and still sends in the background).
        let relay = RpcRelay::new(vec![format!("http://127.0.0.1:{port}")], 0, Duration::from_secs(5));
        assert_eq!(relay.relay(vec![1]).await, Ok(()));
    }
}
