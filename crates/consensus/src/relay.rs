//! A member's transactions reach the others: every transaction a member accepts is copied to every
//! other member's JSON-RPC (`mosaic_relayTransactions`), so whichever member proposes next can include
//! it, and the client's acknowledgement waits until `⌊(N−1)/3⌋` of them hold it too: as many members as
//! may fail, so a transaction a client was told about survives any tolerated set of crashes. N is the
//! set in force when the transaction arrives, as the Rollup on L1 schedules it (a set that grew needs
//! more copies), and only its members' copies count (a candidate or a departed member never proposes).
//!
//! One task per peer sends the copies, in order: a request carries every transaction that arrived while
//! the previous one was in flight (up to [`MAX_RELAY_BATCH`]), so an idle member relays at once and a
//! busy one in few requests.
use crate::{SequencerSet, SetError, SetSchedule};
use alloy_primitives::{hex, Address};
use mosaic_node::TxRelay;
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, watch};

/// JSON-RPC method a member serves to admit another member's transactions.
pub const RELAY_METHOD: &str = "mosaic_relayTransactions";

/// How long an acknowledgement waits for the other members' copies by default.
pub const DEFAULT_RELAY_TIMEOUT: Duration = Duration::from_secs(2);

/// Most transactions one relay request carries (what `mosaic_relayTransactions` accepts).
pub(crate) const MAX_RELAY_BATCH: usize = 1_024;
/// Most transaction bytes one relay request carries (hex doubles them; the RPC takes 5 MiB bodies).
const MAX_RELAY_BYTES: usize = 1 << 20;
/// Transactions waiting for a peer's task before `relay` waits for room.
const PEER_QUEUE: usize = 16_384;

/// One copy to make: the transaction, and where to report whether the peer (by its index) holds it.
struct Job {
    raw: Arc<Vec<u8>>,
    done: mpsc::Sender<(usize, Result<(), String>)>,
}

/// Whose copies an acknowledgement counts, and how many it needs.
#[derive(Clone)]
enum Copies {
    /// This many, from any peer.
    Fixed(usize),
    /// As many as the set in force now tolerates failing, from its members only: the set file's
    /// members active now by the Rollup's schedule (the genesis members while L1 is not read that far).
    Set { file: SequencerSet, schedule: watch::Receiver<SetSchedule> },
}

/// Relays over the other members' JSON-RPC endpoints (the set file's `rpc` URLs).
#[derive(Clone)]
pub struct RpcRelay {
    peers: Vec<String>,
    /// Each peer's member address (`None` for a peer given by URL alone).
    addresses: Vec<Option<Address>>,
    copies: Copies,
    timeout: Duration,
    client: reqwest::Client,
    /// Each peer's sending task, started on the first relay (that runs inside the runtime).
    queues: Arc<OnceLock<Vec<mpsc::Sender<Job>>>>,
}

impl std::fmt::Debug for RpcRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (needed, _) = self.needed_now();
        f.debug_struct("RpcRelay")
            .field("peers", &self.peers)
            .field("needed", &needed)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RpcRelay {
    /// Copies to `peers`; a transaction is acknowledged once `needed` of them hold it, or refused after
    /// `timeout`.
    pub fn new(peers: Vec<String>, needed: usize, timeout: Duration) -> Self {
        // A peer that hangs holds its own queue up for at most this long, never the others'.
        let client = reqwest::Client::builder()
            .timeout(timeout.max(Duration::from_secs(1)) * 2)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let addresses = vec![None; peers.len()];
        Self { peers, addresses, copies: Copies::Fixed(needed), timeout, client, queues: Arc::default() }
    }

    /// How many copies an acknowledgement needs now, and from which peers (by index).
    fn needed_now(&self) -> (usize, Vec<bool>) {
        match &self.copies {
            Copies::Fixed(needed) => (*needed, vec![true; self.peers.len()]),
            Copies::Set { file, schedule } => {
                // Heights follow the wall clock, so the set deciding the next height is the set now.
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let active: Vec<Address> = schedule
                    .borrow()
                    .members_at(file, now)
                    .filter(|members| !members.is_empty())
                    .map(|members| members.iter().map(|m| m.address).collect())
                    .unwrap_or_else(|| file.initial().map(|m| m.address).collect());
                let counts = self.addresses.iter().map(|a| a.is_some_and(|a| active.contains(&a))).collect();
                (active.len().saturating_sub(1) / 3, counts)
            }
        }
    }

    /// The peers' queues, their tasks started on first use.
    fn queues(&self) -> &[mpsc::Sender<Job>] {
        self.queues.get_or_init(|| {
            self.peers
                .iter()
                .enumerate()
                .map(|(peer, url)| {
                    let (tx, rx) = mpsc::channel(PEER_QUEUE);
                    tokio::spawn(peer_task(self.client.clone(), peer, url.clone(), rx));
                    tx
                })
                .collect()
        })
    }

    /// The relay of member `me` of `set`: to every other member with an `rpc` URL (candidates too: they
    /// may join), acknowledged once as many members of the set in force as may fail (`⌊(N−1)/3⌋`) hold
    /// the transaction. That set follows `schedule` (the Rollup's, as the L1 watch fills it in) or, with
    /// none, is the file's genesis members. Refused if fewer genesis members have a URL.
    pub fn for_member(
        set: &SequencerSet,
        me: &Address,
        schedule: Option<watch::Receiver<SetSchedule>>,
        timeout: Duration,
    ) -> Result<Self, SetError> {
        let others = set.peers(me);
        let needed = set.tolerated_faults();
        let reachable = others.iter().filter(|(a, _)| set.initial().any(|m| m.address == *a)).count();
        if reachable < needed {
            return Err(SetError::Invalid(format!(
                "{reachable} other members have an rpc URL; acknowledging a transaction needs {needed} copies"
            )));
        }
        let (addresses, peers) = others.into_iter().map(|(a, url)| (Some(a), url)).unzip();
        let mut relay = Self::new(peers, needed, timeout);
        relay.addresses = addresses;
        if let Some(schedule) = schedule {
            relay.copies = Copies::Set { file: set.clone(), schedule };
        }
        Ok(relay)
    }
}

/// Sends `raws` to `url` in one request; one outcome per transaction (`Ok` once that member holds it).
async fn relay_batch(client: &reqwest::Client, url: &str, raws: &[&[u8]]) -> Vec<Result<(), String>> {
    let params: Vec<String> = raws.iter().map(|raw| format!("0x{}", hex::encode(raw))).collect();
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": RELAY_METHOD, "params": [params]});
    let reply: Result<serde_json::Value, String> = async {
        client.post(url).json(&body).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
    }
    .await;
    let all = |why: String| vec![Err(why); raws.len()];
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => return all(format!("{url}: {e}")),
    };
    match reply.get("result").and_then(|r| r.as_array()).filter(|r| r.len() == raws.len()) {
        Some(verdicts) => verdicts
            .iter()
            .map(|v| match v {
                serde_json::Value::Null => Ok(()),
                refused => Err(format!("{url} refused it: {refused}")),
            })
            .collect(),
        None => all(format!("{url}: {}", reply.get("error").unwrap_or(&reply))),
    }
}

/// Copies the transactions queued for the peer at `url`, in order, each request carrying all that
/// arrived while the previous one was in flight.
async fn peer_task(client: reqwest::Client, peer: usize, url: String, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut bytes = first.raw.len();
        let mut batch = vec![first];
        while batch.len() < MAX_RELAY_BATCH && bytes < MAX_RELAY_BYTES {
            match jobs.try_recv() {
                Ok(job) => {
                    bytes += job.raw.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let raws: Vec<&[u8]> = batch.iter().map(|j| j.raw.as_slice()).collect();
        let outcomes = relay_batch(&client, &url, &raws).await;
        for (job, outcome) in batch.iter().zip(outcomes) {
            // The acknowledgement may have stopped waiting (enough copies, or its timeout).
            let _ = job.done.try_send((peer, outcome));
        }
    }
}

impl TxRelay for RpcRelay {
    fn relay(&self, raw: Vec<u8>) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
        let this = self.clone();
        Box::pin(async move {
            let (tx, mut rx) = mpsc::channel(this.peers.len().max(1));
            let raw = Arc::new(raw);
            let (needed, counts) = this.needed_now();
            // Every member gets it, even after enough have answered: any of them may propose next.
            for (peer, queue) in this.queues().iter().enumerate() {
                let job = Job { raw: raw.clone(), done: tx.clone() };
                // A peer that fell this far behind gets no copy of this one; the others may suffice.
                if let Err(e) = queue.try_send(job) {
                    let _ = tx.try_send((peer, Err(format!("relay queue: {e}"))));
                }
            }
            drop(tx);
            if needed == 0 {
                return Ok(());
            }
            let (mut held, mut errors) = (0, Vec::new());
            let waited = tokio::time::timeout(this.timeout, async {
                while let Some((peer, result)) = rx.recv().await {
                    match result {
                        Ok(()) if counts[peer] => held += 1,
                        Ok(()) => {} // not in the set now: it will not propose
                        Err(e) => errors.push(e),
                    }
                    if held >= needed {
                        return;
                    }
                }
            })
            .await;
            if held >= needed {
                return Ok(());
            }
            let why = if waited.is_err() { format!("no answer within {:?}", this.timeout) } else { errors.join("; ") };
            Err(format!("{held} of the {needed} copies on other members of the set ({why})"))
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
        let relay = RpcRelay::for_member(&set, &me, None, DEFAULT_RELAY_TIMEOUT).unwrap();
        assert_eq!((relay.peers.len(), relay.needed_now().0), (3, 1), "three others; one copy acknowledges");
        let refused = RpcRelay::for_member(&set_with_rpcs(&[url, None, None, None]), &me, None, DEFAULT_RELAY_TIMEOUT);
        assert!(refused.unwrap_err().to_string().contains("0 other members have an rpc URL"));
        let small = RpcRelay::for_member(&set_with_rpcs(&[None, None]), &me, None, DEFAULT_RELAY_TIMEOUT).unwrap();
        assert_eq!(small.needed_now().0, 0, "two members tolerate no failure: the local copy acknowledges");
    }

    /// The set of 4 genesis members and 3 candidates grows to 7 on L1 (2 may fail: 2 copies), then
    /// loses two genesis members (5 in force: 1 copy), whose copies stop counting.
    #[tokio::test]
    async fn the_copies_needed_follow_the_set_that_l1_schedules() {
        use crate::MemberChange;
        let (url, _seen) = mock_peer().await;
        let mut set = set_with_rpcs(&[Some(url.as_str()); 7]);
        for m in &mut set.members[4..] {
            m.active = false;
        }
        let a: Vec<Address> = set.members.iter().map(|m| m.address).collect();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let genesis: Vec<MemberChange> =
            a[..4].iter().map(|&member| MemberChange { member, active: true, effective_at: 0 }).collect();
        let (tx, rx) = watch::channel(SetSchedule::unknown());
        let relay = RpcRelay::for_member(&set, &a[0], Some(rx), Duration::from_secs(5)).unwrap();
        assert_eq!(relay.peers.len(), 6, "every other member, candidates too");
        assert_eq!(relay.needed_now(), (1, vec![true, true, true, false, false, false]), "L1 not read: genesis");
        // The three candidates scheduled in, effective a minute ago.
        let mut changes = genesis;
        changes.extend(a[4..].iter().map(|&member| MemberChange { member, active: true, effective_at: now - 60 }));
        tx.send(SetSchedule::from_l1(changes.clone(), now, 30)).unwrap();
        assert_eq!(relay.needed_now(), (2, vec![true; 6]), "seven in force: two copies");
        // Members 1 and 2 scheduled out.
        changes.extend(a[1..3].iter().map(|&member| MemberChange { member, active: false, effective_at: now - 10 }));
        tx.send(SetSchedule::from_l1(changes, now, 30)).unwrap();
        assert_eq!(relay.needed_now(), (1, vec![false, false, true, true, true, true]), "five in force: one copy");
        // Every peer is the same mock that holds every copy: acknowledged (by a member in force).
        assert_eq!(relay.relay(vec![7]).await, Ok(()));
    }

    /// Copies held by members out of the set do not acknowledge: with the members in force
    /// unreachable, the acknowledgement fails although the others hold the transaction.
    #[tokio::test]
    async fn only_copies_on_members_in_force_count() {
        use crate::MemberChange;
        let (live, seen) = mock_peer().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dead = format!("http://127.0.0.1:{port}");
        // Members 0 (this one), 1, 4 and 5 in force by L1, 1, 4 and 5 unreachable; 2, 3 and 6, which
        // hold every copy, out of the set (2 and 3 left it, 6 never joined).
        let urls = [&live, &dead, &live, &live, &dead, &dead, &live];
        let mut set = set_with_rpcs(&urls.map(|u| Some(u.as_str())));
        for m in &mut set.members[4..] {
            m.active = false;
        }
        let a: Vec<Address> = set.members.iter().map(|m| m.address).collect();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let change = |i: usize, active, effective_at| MemberChange { member: a[i], active, effective_at };
        let changes = vec![
            change(0, true, 0),
            change(1, true, 0),
            change(2, true, 0),
            change(3, true, 0),
            change(4, true, now - 60),
            change(5, true, now - 60),
            change(2, false, now - 60),
            change(3, false, now - 60),
        ];
        let (_tx, rx) = watch::channel(SetSchedule::from_l1(changes, now, 30));
        let relay = RpcRelay::for_member(&set, &a[0], Some(rx), Duration::from_secs(5)).unwrap();
        assert_eq!(relay.needed_now(), (1, vec![true, false, false, true, true, false]));
        let err = relay.relay(vec![9]).await.unwrap_err();
        assert!(err.starts_with("0 of the 1 copies on other members of the set"), "{err}");
        assert_eq!(seen.lock().unwrap().iter().flatten().count(), 3, "the members out of the set got it all the same");
    }

    /// A mock peer (unit test only): an HTTP/1.1 server on loopback that admits every relayed
    /// transaction and records each request's transactions, in arrival order.
    async fn mock_peer() -> (String, Arc<std::sync::Mutex<Vec<Vec<String>>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // Headers, then `content-length` bytes of body.
                        let end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match conn.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map(|v| v.trim().parse().unwrap())
                            .unwrap();
                        while buf.len() < end + length {
                            let mut chunk = [0u8; 65536];
                            let n = conn.read(&mut chunk).await.unwrap();
                            buf.extend_from_slice(&chunk[..n]);
                        }
                        let body: serde_json::Value = serde_json::from_slice(&buf[end..end + length]).unwrap();
                        buf.drain(..end + length);
                        let txs: Vec<String> = serde_json::from_value(body["params"][0].clone()).unwrap();
                        let reply = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": vec![serde_json::Value::Null; txs.len()]})
                            .to_string();
                        log.lock().unwrap().push(txs);
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
                            reply.len()
                        );
                        conn.write_all(response.as_bytes()).await.unwrap();
                    }
                });
            }
        });
        (url, seen)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn copies_to_a_peer_go_in_order_and_in_few_requests_under_load() {
        let (url, seen) = mock_peer().await;
        let relay = RpcRelay::new(vec![url], 1, Duration::from_secs(5));
        // One at a time: each copy is made at once, one request each.
        for i in 0..3u16 {
            relay.relay(i.to_be_bytes().to_vec()).await.unwrap();
        }
        assert_eq!(seen.lock().unwrap().len(), 3);
        // A burst: every acknowledgement waits for its copy, and the copies share requests.
        let burst: Vec<_> = (3..1003u16)
            .map(|i| {
                let relay = relay.clone();
                tokio::spawn(async move { relay.relay(i.to_be_bytes().to_vec()).await })
            })
            .collect();
        for ack in burst {
            assert_eq!(ack.await.unwrap(), Ok(()));
        }
        let requests = seen.lock().unwrap().clone();
        let copies: Vec<String> = requests.iter().flatten().cloned().collect();
        assert_eq!(copies.len(), 1003, "every transaction copied once");
        assert!(requests.len() < 500, "{} requests for 1,003 copies", requests.len());
        assert!(requests.iter().all(|r| r.len() <= MAX_RELAY_BATCH));
        // In the order they were handed over (the first three, one by one, before the burst).
        assert_eq!(copies[..3], ["0x0000", "0x0001", "0x0002"]);
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
