//! One place where a node's long-running services live. Every service (sequencer, deposit watcher,
//! batch producer, deriver, prover) is meant to run for the node's whole life, so a service that
//! returns — with an error, a panic, or even successfully — is a failure of the node: the supervisor
//! reports which service stopped and why, and the binary shuts down with a non-zero exit instead of
//! serving a chain whose services vanished silently.
use std::{fmt::Display, future::Future};
use tokio::task::{JoinError, JoinSet};
use tracing::{error, warn};

/// How long a shutdown waits for services to finish. A blocking service (a prover loop) cannot be
/// cancelled: after this it is left to the process's exit instead of holding the shutdown forever.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a supervised service stopped.
#[derive(Debug, thiserror::Error)]
#[error("service `{name}` stopped: {cause}")]
pub struct ServiceExit {
    /// The service's name as it was spawned.
    pub name: &'static str,
    /// What ended it.
    pub cause: ExitCause,
}

/// What ended a service.
#[derive(Debug, thiserror::Error)]
pub enum ExitCause {
    /// It returned an error.
    #[error("{0}")]
    Failed(String),
    /// It panicked.
    #[error("panicked: {0}")]
    Panicked(String),
    /// It returned although it should run forever.
    #[error("returned unexpectedly")]
    Returned,
    /// It was cancelled (the runtime is shutting down).
    #[error("cancelled")]
    Cancelled,
}

/// The set of a node's services.
#[derive(Default)]
pub struct Supervisor {
    set: JoinSet<(&'static str, Result<(), String>)>,
    names: Vec<(tokio::task::Id, &'static str)>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").field("services", &self.names).finish()
    }
}

impl Supervisor {
    /// An empty supervisor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the async service `name`.
    pub fn spawn<F, E>(&mut self, name: &'static str, service: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Display,
    {
        let handle = self.set.spawn(async move { (name, service.await.map_err(|e| e.to_string())) });
        self.names.push((handle.id(), name));
    }

    /// Starts the blocking service `name` on a thread of its own (proving, which holds its thread).
    pub fn spawn_blocking<F, E>(&mut self, name: &'static str, service: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
        E: Display,
    {
        let handle = self.set.spawn_blocking(move || (name, service().map_err(|e| e.to_string())));
        self.names.push((handle.id(), name));
    }

    /// Names of the services started, in order.
    pub fn services(&self) -> Vec<&'static str> {
        self.names.iter().map(|(_, n)| *n).collect()
    }

    /// Waits until the first service stops and returns why (logged too). With no services it waits
    /// forever, so it can sit in a `select!` beside a shutdown signal.
    pub async fn wait(&mut self) -> ServiceExit {
        let Some(joined) = self.set.join_next_with_id().await else {
            return std::future::pending().await;
        };
        let exit = match joined {
            Ok((_, (name, Ok(())))) => ServiceExit { name, cause: ExitCause::Returned },
            Ok((_, (name, Err(e)))) => ServiceExit { name, cause: ExitCause::Failed(e) },
            Err(e) => ServiceExit { name: self.name_of(&e), cause: join_cause(e) },
        };
        error!(service = exit.name, cause = %exit.cause, "service stopped; shutting the node down");
        exit
    }

    /// Stops every service still running.
    pub async fn shutdown(mut self) {
        self.set.abort_all();
        let drained =
            tokio::time::timeout(SHUTDOWN_GRACE, async { while self.set.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(
                left = self.set.len(),
                "services still running after {SHUTDOWN_GRACE:?} (blocking loops): the process exits without them"
            );
        }
    }

    fn name_of(&self, e: &JoinError) -> &'static str {
        self.names.iter().find(|(id, _)| *id == e.id()).map_or("unknown", |(_, n)| *n)
    }
}

fn join_cause(e: JoinError) -> ExitCause {
    if e.is_panic() {
        ExitCause::Panicked(crate::blocking::panic_message(e.into_panic().as_ref()))
    } else {
        ExitCause::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn forever() -> Result<(), String> {
        std::future::pending().await
    }

    #[tokio::test]
    async fn reports_the_service_that_failed_with_its_cause() {
        let mut s = Supervisor::new();
        s.spawn("sequencer", forever());
        s.spawn("producer", async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err::<(), _>("local chain diverges from L1")
        });
        let exit = tokio::time::timeout(Duration::from_secs(5), s.wait()).await.expect("a service stopped");
        assert_eq!(exit.name, "producer");
        assert!(matches!(&exit.cause, ExitCause::Failed(m) if m == "local chain diverges from L1"), "{exit}");
        assert_eq!(s.services(), ["sequencer", "producer"]);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn a_panic_and_an_early_return_are_failures_too() {
        let mut s = Supervisor::new();
        s.spawn("deriver", async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            panic!("index out of bounds");
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        });
        let exit = s.wait().await;
        assert_eq!(exit.name, "deriver");
        assert!(matches!(&exit.cause, ExitCause::Panicked(m) if m.contains("index out of bounds")), "{exit}");

        s.spawn("watcher", async { Ok::<(), String>(()) });
        let exit = s.wait().await;
        assert_eq!(
            (exit.name, exit.to_string().as_str()),
            ("watcher", "service `watcher` stopped: returned unexpectedly")
        );

        s.spawn_blocking("prover", || -> Result<(), String> { panic!("prover thread died") });
        let exit = s.wait().await;
        assert_eq!(exit.name, "prover");
        assert!(matches!(&exit.cause, ExitCause::Panicked(m) if m == "prover thread died"), "{exit}");
    }

    #[tokio::test]
    async fn a_blocking_loop_does_not_hold_the_shutdown_forever() {
        use std::sync::atomic::{AtomicBool, Ordering};
        static STOP: AtomicBool = AtomicBool::new(false);
        static RUNNING: AtomicBool = AtomicBool::new(false);
        let mut s = Supervisor::new();
        s.spawn_blocking("prover", || -> Result<(), String> {
            RUNNING.store(true, Ordering::Relaxed);
            while !STOP.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(())
        });
        // Once it runs, nothing can cancel it (one not yet started is simply dropped).
        while !RUNNING.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = std::time::Instant::now();
        tokio::time::timeout(SHUTDOWN_GRACE * 2, s.shutdown()).await.expect("the shutdown returned");
        assert!(started.elapsed() >= SHUTDOWN_GRACE, "it gave the loop its grace");
        // Let the loop end, so that the test's runtime can drop.
        STOP.store(true, Ordering::Relaxed);
    }

    #[tokio::test]
    async fn with_no_services_it_waits() {
        let mut s = Supervisor::new();
        assert!(tokio::time::timeout(Duration::from_millis(50), s.wait()).await.is_err());
    }
}
