//! A slot that runs at most one task of a kind: a newer request supersedes the one still
//! running, so a slow answer to an old question can never land after the new one's.

use std::future::Future;

use tokio::task::JoinHandle;

/// Owns the one running task of its kind, if any. Starting a new one aborts the old one;
/// dropping the slot aborts whatever still runs, so no task outlives the worker that owns it.
#[derive(Default)]
pub struct SingleJob {
    running: Option<JoinHandle<()>>,
}

impl SingleJob {
    pub fn new() -> SingleJob {
        SingleJob::default()
    }

    /// Aborts the task this one supersedes, then starts `task` in its place.
    pub fn spawn<F>(&mut self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.cancel();
        self.running = Some(tokio::spawn(task));
    }

    /// Aborts the running task, if any. Its future is dropped at its next await point, so
    /// whatever it holds (a listener's port, a reply channel) is released.
    pub fn cancel(&mut self) {
        if let Some(handle) = self.running.take() {
            handle.abort();
        }
    }
}

impl Drop for SingleJob {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::SingleJob;

    /// A task that waits for `gate`, then reports through the returned receiver. An aborted
    /// task drops its sender unsent, so the receiver errs instead of getting `()`.
    fn gated(job: &mut SingleJob) -> (oneshot::Sender<()>, oneshot::Receiver<()>) {
        let (open, gate) = oneshot::channel::<()>();
        let (done, report) = oneshot::channel::<()>();
        job.spawn(async move {
            let _ = gate.await;
            let _ = done.send(());
        });
        (open, report)
    }

    async fn outcome(report: oneshot::Receiver<()>) -> Result<(), oneshot::error::RecvError> {
        tokio::time::timeout(Duration::from_secs(5), report)
            .await
            .expect("the task neither finished nor was dropped within 5 s")
    }

    #[tokio::test]
    async fn a_job_left_alone_runs_to_its_end() {
        let mut job = SingleJob::new();
        let (open, report) = gated(&mut job);
        let _ = open.send(());
        assert!(outcome(report).await.is_ok());
    }

    #[tokio::test]
    async fn a_superseded_job_is_aborted_and_never_reports() {
        let mut job = SingleJob::new();
        let (open_first, first) = gated(&mut job);
        let (open_second, second) = gated(&mut job);
        // Even with its gate open, the first task must not get to send.
        let _ = open_first.send(());
        assert!(outcome(first).await.is_err(), "the superseded job reported");
        let _ = open_second.send(());
        assert!(outcome(second).await.is_ok(), "the newer job did not run");
    }

    #[tokio::test]
    async fn cancel_stops_the_running_job() {
        let mut job = SingleJob::new();
        let (open, report) = gated(&mut job);
        job.cancel();
        let _ = open.send(());
        assert!(outcome(report).await.is_err(), "the cancelled job reported");
        // Cancelling an empty slot is harmless.
        job.cancel();
    }

    #[tokio::test]
    async fn dropping_the_owner_stops_the_job() {
        let mut job = SingleJob::new();
        let (open, report) = gated(&mut job);
        drop(job);
        let _ = open.send(());
        assert!(outcome(report).await.is_err(), "the job outlived its owner");
    }
}
