//! The artifact store's contract, on a directory and on an S3-compatible object store: a real S3 server
//! (s3s-fs: the S3 REST protocol with SigV4 authentication, objects kept as files) on a loopback port,
//! reached over HTTP by the same client a fleet uses against AWS S3 or MinIO.
use mosaic_prover_queue::{
    ArtifactError, ArtifactStore, DirectoryStore, EmbeddedQueue, JobKind, JobQueue, NewJob, S3Options, S3Store, Worker,
};
use std::sync::Arc;

const KEY: &str = "mosaic-test-key";
const SECRET: &str = "mosaic-test-secret";

/// An S3 server on 127.0.0.1 serving the buckets `buckets` (directories under a temporary root).
struct S3Server {
    endpoint: String,
    rt: Option<tokio::runtime::Runtime>,
    _root: tempfile::TempDir,
}

impl S3Server {
    fn start(buckets: &[&str]) -> Self {
        use hyper_util::{
            rt::{TokioExecutor, TokioIo},
            server::conn::auto::Builder,
        };
        let root = tempfile::tempdir().unwrap();
        for bucket in buckets {
            std::fs::create_dir(root.path().join(bucket)).unwrap();
        }
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let mut service = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root.path()).unwrap());
        service.set_auth(s3s::auth::SimpleAuth::from_single(KEY, SECRET));
        let service = service.build();
        // Bound here, served on the server's runtime: tests may start it from async code.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(socket), service).await;
                });
            }
        });
        Self { endpoint, rt: Some(rt), _root: root }
    }

    fn options(&self, secret: &str) -> S3Options {
        S3Options {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some(KEY.into()),
            secret_access_key: Some(secret.into()),
            allow_http: Some(true),
            ..S3Options::default()
        }
    }

    fn store(&self, location: &str) -> S3Store {
        S3Store::open(location, self.options(SECRET)).unwrap()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // Tests may end inside async code, where dropping a runtime would panic.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// What every store must do: missing is `None`, a put replaces the whole artifact (also when two
/// workers finish the same job at once), names stay inside the store, and proof-sized blobs round-trip.
fn contract(store: &dyn ArtifactStore) {
    assert_eq!(store.get("batch-1.stark").unwrap(), None);
    store.put("batch-1.stark", b"one").unwrap();
    store.put("batch-1.stark", b"two").unwrap();
    assert_eq!(store.get("batch-1.stark").unwrap().as_deref(), Some(&b"two"[..]));
    for bad in ["", "../x", "a/b", ".hidden", "a b"] {
        assert!(matches!(store.put(bad, b"x"), Err(ArtifactError::BadName(_))), "{bad:?}");
        assert!(matches!(store.get(bad), Err(ArtifactError::BadName(_))), "{bad:?}");
    }
    // A recursive STARK is a few MiB.
    let proof: Vec<u8> = (0..6u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    store.put("batch-2.stark", &proof).unwrap();
    assert!(store.get("batch-2.stark").unwrap().unwrap() == proof, "6 MiB round-trip");
    let (a, b) = (vec![b'a'; 1 << 20], vec![b'b'; 1 << 20]);
    std::thread::scope(|s| {
        s.spawn(|| store.put("batch-3.stark", &a).unwrap());
        s.spawn(|| store.put("batch-3.stark", &b).unwrap());
    });
    let won = store.get("batch-3.stark").unwrap().unwrap();
    assert!(won == a || won == b, "one writer's artifact, whole");
}

#[test]
fn a_directory_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(&DirectoryStore::new(dir.path().join("artifacts")));
}

#[test]
fn an_s3_bucket_keeps_the_contract_with_and_without_a_prefix() {
    let server = S3Server::start(&["proofs"]);
    contract(&server.store("s3://proofs"));
    let chain = server.store("s3://proofs/chain-7/artifacts/");
    contract(&chain);
    chain.put("only-here", b"x").unwrap();
    assert_eq!(server.store("s3://proofs").get("only-here").unwrap(), None, "prefixes keep chains apart");
    assert_eq!(chain.location(), "s3://proofs/chain-7/artifacts/");
}

#[test]
fn a_store_that_cannot_serve_is_refused_when_opened() {
    let server = S3Server::start(&["proofs"]);
    let refused = |location: &str, options: S3Options| match S3Store::open(location, options) {
        Err(ArtifactError::Location(l, why)) => {
            assert_eq!(l, location);
            why
        }
        other => panic!("{location}: {other:?}"),
    };
    let why = refused("s3://proofs", server.options("not-the-secret"));
    assert!(why.contains("does not take writes"), "{why}");
    // (A missing bucket fails the same probe on S3 and MinIO; s3s-fs makes the bucket's folder on the
    // first write instead, so it is not a case here.)
    let why = refused("s3://", server.options(SECRET));
    assert!(why.contains("bucket"), "{why}");
    let dead = S3Options { endpoint: Some("http://127.0.0.1:1".into()), ..server.options(SECRET) };
    refused("s3://proofs", dead);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_opens_inside_async_code_and_serves_blocking_threads() {
    let server = S3Server::start(&["proofs"]);
    let store = Arc::new(server.store("s3://proofs/async"));
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.put("wrap-1-1.snark", b"snark").unwrap()).await.unwrap();
    let s = store.clone();
    let got = tokio::task::spawn_blocking(move || s.get("wrap-1-1.snark").unwrap()).await.unwrap();
    assert_eq!(got.as_deref(), Some(&b"snark"[..]));
    drop(store);
}

/// A job's input written by the planner on one machine and its output written by a worker on another
/// meet in the bucket: the worker reads the witness the job names and stores the proof the planner reads.
#[test]
fn a_worker_and_the_planner_meet_in_the_bucket() {
    use mosaic_prover_queue::{Claim, JobRunner, WorkerLoop};
    struct MockProver;
    impl JobRunner for MockProver {
        fn run(&mut self, claim: &Claim, artifacts: &dyn ArtifactStore, _: &dyn Fn(f32)) -> Result<Vec<u8>, String> {
            let witness = artifacts.get(&format!("{}.witness", claim.key)).map_err(|e| e.to_string())?;
            let witness = witness.ok_or("no witness")?;
            let proof = [&b"proof of "[..], &witness[..]].concat();
            artifacts.put(&format!("{}.proof", claim.key), &proof).map_err(|e| e.to_string())?;
            Ok(b"done".to_vec())
        }
    }
    let server = S3Server::start(&["proofs"]);
    let dir = tempfile::tempdir().unwrap();
    let queue: Arc<dyn JobQueue> = Arc::new(EmbeddedQueue::open(&dir.path().join("queue.redb")).unwrap());
    let planner = server.store("s3://proofs/fleet");
    planner.put("batch-9.witness", b"batch 9").unwrap();
    queue.enqueue(NewJob::new("batch-9", JobKind::Batch, Vec::new())).unwrap();
    let lp = WorkerLoop::new(queue.clone(), Arc::new(server.store("s3://proofs/fleet")), Worker::new("remote"));
    lp.run_one(&mut MockProver).unwrap().unwrap();
    assert_eq!(planner.get("batch-9.proof").unwrap().as_deref(), Some(&b"proof of batch 9"[..]));
    assert_eq!(queue.job("batch-9").unwrap().unwrap().result.as_deref(), Some(&b"done"[..]));
}
