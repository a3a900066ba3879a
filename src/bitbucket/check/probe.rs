//! One request (or short chain of requests) of the check, asked either at once or only when
//! its row is judged. Asked at once, the independent probes travel together and the check
//! costs a few round trips; asked when judged (`ClientOptions::sequential_check`), they go
//! one after another in the report's order, as before issue 12, for comparison.

use std::future::Future;
use std::pin::Pin;

use tokio::task::JoinHandle;

pub(super) struct Probe<T>(State<T>);

enum State<T> {
    /// Running on its own task since the check started.
    Asked(JoinHandle<T>),
    /// Not sent yet: it runs when its answer is wanted, and never if the check stops before.
    Waiting(Pin<Box<dyn Future<Output = T> + Send>>),
}

impl<T: Send + 'static> Probe<T> {
    pub(super) fn new(at_once: bool, fut: impl Future<Output = T> + Send + 'static) -> Probe<T> {
        if at_once {
            Probe(State::Asked(tokio::spawn(fut)))
        } else {
            Probe(State::Waiting(Box::pin(fut)))
        }
    }

    pub(super) async fn answer(mut self) -> T {
        match &mut self.0 {
            State::Waiting(fut) => fut.await,
            State::Asked(task) => match task.await {
                Ok(answer) => answer,
                // A probe that panicked panics here, as it would have run inline; the task is
                // aborted only by our own Drop, so it cannot have been cancelled.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => std::panic::resume_unwind(Box::new(format!("a check probe stopped: {e}"))),
            },
        }
    }
}

impl<T> Drop for Probe<T> {
    /// A check that stops early (a failed row) leaves nothing in flight.
    fn drop(&mut self) {
        if let State::Asked(task) = &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn asked_at_once_runs_before_its_answer_is_wanted_and_waiting_never_runs_unasked() {
        let ran = Arc::new(AtomicUsize::new(0));
        let count = |ran: &Arc<AtomicUsize>| {
            let ran = ran.clone();
            async move {
                ran.fetch_add(1, Ordering::SeqCst);
                7
            }
        };
        let at_once = Probe::new(true, count(&ran));
        tokio::task::yield_now().await;
        for _ in 0..100 {
            if ran.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(ran.load(Ordering::SeqCst), 1, "started without being awaited");
        assert_eq!(at_once.answer().await, 7);

        let later = Probe::new(false, count(&ran));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 1, "not sent before it is wanted");
        assert_eq!(later.answer().await, 7);
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        drop(Probe::new(false, count(&ran)));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 2, "dropped unasked: never sent");
    }
}
