//! Artifacts in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, Garage…), for a fleet whose
//! workers share no file system. One object per artifact under `s3://bucket/prefix/`: a PUT replaces an
//! object whole, so readers never see half an artifact.
use crate::{
    artifacts::{check_name, ArtifactError, ArtifactStore},
    rt::{off_runtime, BackgroundRuntime},
};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    ObjectStoreExt, RetryConfig,
};
use std::time::Duration;

/// How to reach the store: each field left `None` keeps what the builder had (the environment's).
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// The endpoint of an S3-compatible service (`http://127.0.0.1:9000`); `None` is AWS itself.
    pub endpoint: Option<String>,
    /// The region (AWS's default `us-east-1` when unset anywhere).
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
    /// Whether plain `http://` endpoints are allowed (a store on a private network or loopback).
    pub allow_http: Option<bool>,
    /// Whether the standard AWS environment (see [`S3Options::from_env`]) fills what is left `None`.
    pub environment: bool,
}

impl S3Options {
    /// The standard AWS environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL` (an S3-compatible service),
    /// `AWS_ALLOW_HTTP=true` (a plain-HTTP endpoint), and instance or container credentials. Credentials
    /// never go in the URL, which is printed in logs.
    pub fn from_env() -> Self {
        Self { environment: true, ..Self::default() }
    }

    fn builder(&self) -> AmazonS3Builder {
        let mut b = if self.environment { AmazonS3Builder::from_env() } else { AmazonS3Builder::new() };
        if let Some(v) = &self.endpoint {
            b = b.with_endpoint(v);
        }
        if let Some(v) = &self.region {
            b = b.with_region(v);
        }
        if let Some(v) = &self.access_key_id {
            b = b.with_access_key_id(v);
        }
        if let Some(v) = &self.secret_access_key {
            b = b.with_secret_access_key(v);
        }
        if let Some(v) = self.allow_http {
            b = b.with_allow_http(v);
        }
        b
    }
}

/// Artifacts as objects under `s3://bucket/prefix/`.
#[derive(Debug)]
pub struct S3Store {
    location: String,
    store: AmazonS3,
    prefix: Path,
    // Its own runtime: the store's callers are blocking proving threads.
    rt: BackgroundRuntime,
}

/// Splits `s3://bucket[/prefix]` into the bucket and the prefix.
fn parse_location(location: &str) -> Result<(&str, Path), String> {
    let rest = location.strip_prefix("s3://").ok_or("not an s3://bucket[/prefix] URL")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("no bucket: use s3://bucket[/prefix]".into());
    }
    let prefix = Path::parse(prefix.trim_matches('/')).map_err(|e| format!("prefix: {e}"))?;
    Ok((bucket, prefix))
}

impl S3Store {
    /// The store at `s3://bucket[/prefix]`, reached with `options`. Checks that the bucket takes a write
    /// (a wrong endpoint, credentials or bucket is refused here, not after a proof). Callable from async
    /// code too; the store's methods block, so call those from a blocking thread.
    pub fn open(location: &str, options: S3Options) -> Result<Self, ArtifactError> {
        let bad = |why: String| ArtifactError::Location(location.into(), why);
        let (bucket, prefix) = parse_location(location).map_err(bad)?;
        let builder = options.builder().with_bucket_name(bucket);
        // Requests are retried for up to 3 minutes (a network blip must not lose a proof); the check
        // below gives up sooner.
        let store = builder.clone().build().map_err(|e| bad(e.to_string()))?;
        let check = builder
            .with_retry(RetryConfig { max_retries: 2, retry_timeout: Duration::from_secs(20), ..Default::default() })
            .build()
            .map_err(|e| bad(e.to_string()))?;
        let rt = BackgroundRuntime::new("artifacts-s3").map_err(|e| bad(format!("a runtime for the store: {e}")))?;
        // A write, not a read: the node and every worker write artifacts, and a HEAD's 404 cannot tell a
        // missing object from a missing bucket. The probe's name is one no artifact can have.
        let probe = prefix.clone().join(".mosaic-probe");
        let payload = b"mosaic artifact store probe".to_vec().into();
        let answered =
            off_runtime(|| rt.block_on(check.put(&probe, payload))).ok_or_else(|| bad("the check panicked".into()))?;
        if let Err(e) = answered {
            return Err(bad(format!("the bucket does not take writes: {e}")));
        }
        Ok(Self { location: location.into(), store, prefix, rt })
    }

    /// Its location, `s3://bucket[/prefix]`.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn path(&self, name: &str) -> Result<Path, ArtifactError> {
        check_name(name)?;
        Ok(self.prefix.clone().join(name))
    }
}

impl ArtifactStore for S3Store {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), ArtifactError> {
        let path = self.path(name)?;
        let payload = bytes.to_vec().into();
        self.rt
            .block_on(self.store.put(&path, payload))
            .map(|_| ())
            .map_err(|e| ArtifactError::Store(name.into(), e.to_string()))
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        let path = self.path(name)?;
        let store = |e: object_store::Error| ArtifactError::Store(name.into(), e.to_string());
        self.rt.block_on(async {
            match self.store.get(&path).await {
                Ok(object) => Ok(Some(object.bytes().await.map_err(store)?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(store(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_a_bucket_and_an_optional_prefix() {
        let (bucket, prefix) = parse_location("s3://proofs").unwrap();
        assert_eq!((bucket, prefix.as_ref()), ("proofs", ""));
        let (bucket, prefix) = parse_location("s3://proofs/chain-1/artifacts/").unwrap();
        assert_eq!((bucket, prefix.as_ref()), ("proofs", "chain-1/artifacts"));
        for bad in ["s3://", "s3:///x", "http://host/bucket", "/tmp/artifacts"] {
            assert!(parse_location(bad).is_err(), "{bad}");
        }
    }
}
