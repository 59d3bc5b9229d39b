//! Ethereum's state tests through Mosaic's state transition function.
//!
//! Each case is run the way the node runs a transaction: its signed bytes are decoded (EIP-2718), the
//! signer recovered, and the transaction executed by [`mosaic_stf::BlockBuilder`] — the code the
//! sequencer and the zkVM guest run, MultiVM dispatch included — on a pre-state committed into Mosaic's
//! sparse Merkle tree. The block is then committed and the tree read back: every account (nonce, balance,
//! code) and storage slot the fixture expects must be there, nothing else may be, and the receipt's logs
//! must hash to the fixture's `logs`. A case that expects an exception passes only if Mosaic refuses the
//! transaction and leaves the state untouched.
//!
//! Two things differ from Mosaic's own blocks, because the fixtures fix them: the fork (each case runs
//! under the rules it was filled for, not only Osaka) and the block environment (`DIFFICULTY`,
//! `PREVRANDAO`, the blob gas price come from the fixture instead of Mosaic's parent-hash rule).
//! Where Mosaic deliberately differs from L1, a case is skipped with a [`SkipReason`].
use std::{
    io::Read,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

pub mod fixture;
mod run;

pub use run::{fork_spec, precompile_calls, run_test, CaseResult, SkipReason, Verdict};

/// The state tests the project carries: execution-spec-tests v4.1.0 (see `testdata/README.md`).
pub const BUNDLED: &[u8] = include_bytes!("../testdata/eest-v4.1.0-state-tests.tar.zst");

/// A set of fixtures could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A file or the archive could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What was being read.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// Fixture files by name (path inside the folder or archive), contents not parsed yet.
#[derive(Debug, Default)]
pub struct Suite {
    files: Vec<(String, Vec<u8>)>,
}

impl Suite {
    /// The bundled release.
    pub fn bundled() -> Result<Self, SuiteError> {
        Self::from_archive(BUNDLED, "bundled fixtures")
    }

    /// A folder of `*.json` fixtures (searched recursively) or a `.tar.zst` archive of one.
    pub fn open(path: &Path) -> Result<Self, SuiteError> {
        let io = |source| SuiteError::Io { path: path.display().to_string(), source };
        if path.is_dir() {
            let mut files = Vec::new();
            collect(path, path, &mut files).map_err(io)?;
            files.sort();
            Ok(Self { files })
        } else {
            let bytes = std::fs::read(path).map_err(io)?;
            Self::from_archive(&bytes, &path.display().to_string())
        }
    }

    /// A zstd-compressed tar of fixture files.
    pub fn from_archive(bytes: &[u8], label: &str) -> Result<Self, SuiteError> {
        let io = |source| SuiteError::Io { path: label.to_string(), source };
        let mut archive = tar::Archive::new(zstd::Decoder::new(bytes).map_err(io)?);
        let mut files = Vec::new();
        for entry in archive.entries().map_err(io)? {
            let mut entry = entry.map_err(io)?;
            let name = entry.path().map_err(io)?.to_string_lossy().trim_start_matches("./").to_string();
            if name.ends_with(".json") {
                let mut contents = Vec::new();
                entry.read_to_end(&mut contents).map_err(io)?;
                files.push((name, contents));
            }
        }
        files.sort();
        Ok(Self { files })
    }

    /// The contents of the fixture file `name`.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes.as_slice())
    }

    /// Number of fixture files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is no fixture file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The distinct precompile calls (address, input) of every case in the files whose names contain one
    /// of `files`, sorted.
    pub fn precompile_calls(&self, files: &[&str]) -> Vec<(alloy_primitives::Address, alloy_primitives::Bytes)> {
        let mut calls = std::collections::BTreeSet::new();
        for (_, bytes) in self.files.iter().filter(|(name, _)| files.iter().any(|f| name.contains(f))) {
            let Ok(tests) = serde_json::from_slice::<std::collections::BTreeMap<String, fixture::StateTest>>(bytes)
            else {
                continue;
            };
            for test in tests.values() {
                calls.extend(precompile_calls(test));
            }
        }
        calls.into_iter().collect()
    }

    /// Runs every test whose name contains `filter` (all when empty) on `threads` threads.
    pub fn run(&self, filter: &str, threads: usize) -> Report {
        let start = Instant::now();
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, bytes)) = self.files.get(i) else { break };
                    let mut out = run_file(name, bytes, filter);
                    results.lock().unwrap_or_else(|e| e.into_inner()).append(&mut out);
                });
            }
        });
        let mut cases = results.into_inner().unwrap_or_else(|e| e.into_inner());
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        Report { cases, elapsed: start.elapsed() }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path: PathBuf = entry?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let name = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            files.push((name, std::fs::read(&path)?));
        }
    }
    Ok(())
}

/// Runs the tests of one fixture file; a file that does not parse is one failed case.
pub fn run_file(name: &str, bytes: &[u8], filter: &str) -> Vec<CaseResult> {
    let tests: std::collections::BTreeMap<String, fixture::StateTest> = match serde_json::from_slice(bytes) {
        Ok(tests) => tests,
        Err(e) => return vec![CaseResult { name: name.to_string(), verdict: Verdict::Failed(format!("parse: {e}")) }],
    };
    tests
        .iter()
        .filter(|(test, _)| filter.is_empty() || test.contains(filter) || name.contains(filter))
        .flat_map(|(test, t)| run_test(&format!("{name}::{}", short_name(test)), t))
        .collect()
}

/// The part of an execution-spec-tests name after its source path (`tests/.../x.py::test_y[...]`).
fn short_name(test: &str) -> &str {
    test.rsplit_once("::").map_or(test, |(_, t)| t)
}

/// The results of a run.
#[derive(Debug)]
pub struct Report {
    /// Every case, sorted by name.
    pub cases: Vec<CaseResult>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.verdict == Verdict::Passed).count()
    }

    /// Cases that failed, with the first difference found.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cases.iter().filter_map(|c| match &c.verdict {
            Verdict::Failed(why) => Some((c.name.as_str(), why.as_str())),
            _ => None,
        })
    }

    /// Skipped cases per reason.
    pub fn skipped(&self) -> std::collections::BTreeMap<SkipReason, usize> {
        let mut by_reason = std::collections::BTreeMap::new();
        for c in &self.cases {
            if let Verdict::Skipped(reason) = c.verdict {
                *by_reason.entry(reason).or_insert(0) += 1;
            }
        }
        by_reason
    }

    /// `N passed, N failed, N skipped (reasons)`.
    pub fn summary(&self) -> String {
        let skipped = self.skipped();
        let reasons: Vec<String> = skipped.iter().map(|(r, n)| format!("{n}: {}", r.name())).collect();
        format!(
            "{} passed, {} failed, {} skipped ({}) in {:.1} s",
            self.passed(),
            self.failures().count(),
            skipped.values().sum::<usize>(),
            if reasons.is_empty() { "none".to_string() } else { reasons.join("; ") },
            self.elapsed.as_secs_f64()
        )
    }
}
