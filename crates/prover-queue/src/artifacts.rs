//! Where jobs' inputs and outputs (witnesses, STARKs, aggregates, SNARKs) live, by name, so that a worker
//! on another machine can read what the node or another worker wrote: a directory (the default; a shared
//! mount serves a fleet) or any S3-compatible object store ([`S3Store`]). [`open_artifacts`] picks one
//! from a location.
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

pub use crate::s3::{S3Options, S3Store};

/// An artifact could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// An I/O error on `0`.
    #[error("artifact {0}: {1}")]
    Io(String, std::io::Error),
    /// A name that is not a plain file name.
    #[error("artifact name {0:?}: only letters, digits, '-', '_' and '.' (not leading)")]
    BadName(String),
    /// The object store refused or failed a request about `0`.
    #[error("artifact {0}: {1}")]
    Store(String, String),
    /// An artifact location that names no usable store.
    #[error("artifact store {0}: {1}")]
    Location(String, String),
}

/// Refuses a name that is not a plain file name (so that no name reaches outside the store).
pub(crate) fn check_name(name: &str) -> Result<(), ArtifactError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if plain {
        Ok(())
    } else {
        Err(ArtifactError::BadName(name.into()))
    }
}

/// The store at `location`: `s3://bucket[/prefix]` is an S3-compatible object store configured by the
/// standard `AWS_*` environment variables (see [`S3Options::from_env`]); anything else is a directory.
pub fn open_artifacts(location: &str) -> Result<Arc<dyn ArtifactStore>, ArtifactError> {
    if location.starts_with("s3://") {
        Ok(Arc::new(S3Store::open(location, S3Options::from_env())?))
    } else {
        Ok(Arc::new(DirectoryStore::new(location)))
    }
}

/// A store of named blobs shared by the node and its workers.
pub trait ArtifactStore: Send + Sync {
    /// Stores `bytes` as `name`, atomically (a reader sees all of it or nothing), replacing any.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), ArtifactError>;
    /// The bytes stored as `name`, if any.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, ArtifactError>;
}

/// Artifacts as files in one directory (the default; a shared mount serves a fleet).
#[derive(Debug, Clone)]
pub struct DirectoryStore {
    dir: PathBuf,
}

impl DirectoryStore {
    /// The store in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Result<PathBuf, ArtifactError> {
        check_name(name)?;
        Ok(self.dir.join(name))
    }
}

impl ArtifactStore for DirectoryStore {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), ArtifactError> {
        let path = self.path(name)?;
        let io = |e| ArtifactError::Io(name.into(), e);
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        // Unique per writer: two workers may finish the same job after a lease expiry.
        let tmp = self.dir.join(format!(".{name}.{}.{:?}.tmp", std::process::id(), std::thread::current().id()));
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        match std::fs::read(self.path(name)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ArtifactError::Io(name.into(), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The store's contract (replace, missing, bad names) is tested on both stores in tests/artifacts.rs.
    #[test]
    fn a_put_leaves_no_temporary_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path().join("artifacts"));
        store.put("batch-1.stark", b"one").unwrap();
        store.put("batch-1.stark", b"two").unwrap();
        assert!(store.put("../x", b"x").is_err());
        let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["batch-1.stark"], "no temporary file is left behind");
    }
}
