//! One way to run blocking work from async code. Database writes, block execution and proving must not
//! run on a tokio worker thread: a worker stuck in an fsync or a block stalls every connection and timer
//! scheduled on it. In the manner of reth's `SpawnBlocking`, services hand such work to tokio's blocking
//! pool through [`spawn_blocking`], and a panic inside comes back as an error the caller reports.

/// Blocking work that did not return a value.
#[derive(Debug, thiserror::Error)]
pub enum BlockingError {
    /// The closure panicked; the message is the panic's payload when it was a string.
    #[error("blocking task panicked: {0}")]
    Panicked(String),
    /// The runtime shut down before the closure ran to completion.
    #[error("blocking task cancelled: the runtime is shutting down")]
    Cancelled,
}

/// Runs `f` on tokio's blocking thread pool and waits for it without occupying an async worker.
pub async fn spawn_blocking<T, F>(f: F) -> Result<T, BlockingError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        if e.is_panic() {
            BlockingError::Panicked(panic_message(e.into_panic().as_ref()))
        } else {
            BlockingError::Cancelled
        }
    })
}

impl crate::Node {
    /// Runs `f` with this node on the blocking pool: the form every service uses for database writes
    /// and block execution.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, BlockingError>
    where
        F: FnOnce(&crate::Node) -> T + Send + 'static,
        T: Send + 'static,
    {
        let node = self.clone();
        spawn_blocking(move || f(&node)).await
    }
}

/// The text of a panic payload (`panic!("…")` carries a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_value_and_runs_off_the_worker() {
        let worker = std::thread::current().id();
        let (value, thread) = spawn_blocking(|| (7, std::thread::current().id())).await.unwrap();
        assert_eq!(value, 7);
        assert_ne!(thread, worker, "blocking work ran on the async worker");
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let err = spawn_blocking(|| -> u8 { panic!("disk on fire") }).await.unwrap_err();
        assert!(matches!(&err, BlockingError::Panicked(m) if m == "disk on fire"), "{err}");
        let err = spawn_blocking(|| -> u8 { panic!("{} left", 3) }).await.unwrap_err();
        assert!(err.to_string().contains("3 left"), "{err}");
    }
}
