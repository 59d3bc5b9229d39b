//! A private tokio runtime for a blocking client of an async library (sqlx, object_store): the queue's
//! and the artifact store's callers are proving threads, never async tasks.
use std::future::Future;

/// A runtime owned by one client, let go in the background when the client is dropped.
#[derive(Debug)]
pub(crate) struct BackgroundRuntime {
    /// `None` only while dropping.
    rt: Option<tokio::runtime::Runtime>,
}

impl BackgroundRuntime {
    /// A one-thread runtime whose thread is named `name`.
    pub(crate) fn new(name: &str) -> std::io::Result<Self> {
        let rt =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name(name).enable_all().build()?;
        Ok(Self { rt: Some(rt) })
    }

    /// Runs `f` to completion on this runtime; call it from a thread that drives no runtime.
    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        // `rt` is taken only by `drop`.
        self.rt.as_ref().expect("the runtime lives as long as its owner").block_on(f)
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside async code (a node shutting down): it is let go
        // in the background instead.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Runs `f` here, or, when this thread drives a runtime (in which another runtime cannot block), on a
/// thread of its own: so that clients can be opened from async code too (a node opens them as it starts).
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Some(f());
    }
    std::thread::scope(|s| s.spawn(f).join()).ok()
}
