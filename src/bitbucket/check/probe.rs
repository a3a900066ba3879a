//! One request (or short chain of requests) of the check, asked either at once or only when
//! its row is judged. Asked at once, the independent probes travel together and the check
//! costs a few round trips; asked when judged (`ClientOptions::sequential_check`), they go
//! one after another in the report's order, as the check once did, for comparison.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

pub(super) struct Probe<T> {
    state: State<T>,
    /// The progress lines (retry waits) of a probe asked at once, held until its row is
    /// judged: shown live, they would interleave with the rows before it.
    lines: Option<UnboundedReceiver<String>>,
}

enum State<T> {
    /// Running on its own task since the check started.
    Asked(JoinHandle<T>),
    /// Not sent yet: it runs when its answer is wanted, and never if the check stops before.
    Waiting(Pin<Box<dyn Future<Output = T> + Send>>),
}

impl<T: Send + 'static> Probe<T> {
    /// `ask` gets where to write its progress lines: `progress` itself when it runs as it is
    /// judged, a line buffer when it is asked at once.
    pub(super) fn new<F>(
        at_once: bool,
        progress: Option<&UnboundedSender<String>>,
        ask: impl FnOnce(Option<UnboundedSender<String>>) -> F,
    ) -> Probe<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        if at_once {
            let (tx, rx) = progress
                .map(|_| tokio::sync::mpsc::unbounded_channel())
                .unzip();
            Probe {
                state: State::Asked(tokio::spawn(ask(tx))),
                lines: rx,
            }
        } else {
            Probe {
                state: State::Waiting(Box::pin(ask(progress.cloned()))),
                lines: None,
            }
        }
    }

    /// Its answer, passing on its progress lines meanwhile (those held first).
    pub(super) async fn answer(mut self, progress: Option<&UnboundedSender<String>>) -> T {
        let lines = self.lines.take();
        let answer = async {
            match &mut self.state {
                State::Waiting(fut) => fut.await,
                State::Asked(task) => match task.await {
                    Ok(answer) => answer,
                    // A probe that panicked panics here, as it would have run inline; the task
                    // is aborted only by our own Drop, so it cannot have been cancelled.
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => {
                        std::panic::resume_unwind(Box::new(format!("a check probe stopped: {e}")))
                    }
                },
            }
        };
        let (Some(mut lines), Some(out)) = (lines, progress) else {
            return answer.await;
        };
        tokio::pin!(answer);
        loop {
            tokio::select! {
                biased;
                Some(line) = lines.recv() => {
                    let _ = out.send(line);
                }
                done = &mut answer => {
                    while let Ok(line) = lines.try_recv() {
                        let _ = out.send(line);
                    }
                    return done;
                }
            }
        }
    }
}

impl<T> Drop for Probe<T> {
    /// A check that stops early (a failed row) leaves nothing in flight.
    fn drop(&mut self) {
        if let State::Asked(task) = &self.state {
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
            move |_| async move {
                ran.fetch_add(1, Ordering::SeqCst);
                7
            }
        };
        let at_once = Probe::new(true, None, count(&ran));
        tokio::task::yield_now().await;
        for _ in 0..100 {
            if ran.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "started without being awaited"
        );
        assert_eq!(at_once.answer(None).await, 7);

        let later = Probe::new(false, None, count(&ran));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "not sent before it is wanted"
        );
        assert_eq!(later.answer(None).await, 7);
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        drop(Probe::new(false, None, count(&ran)));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 2, "dropped unasked: never sent");
    }

    #[tokio::test]
    async fn lines_of_a_probe_asked_at_once_wait_until_it_is_judged() {
        let (out, mut shown) = tokio::sync::mpsc::unbounded_channel();
        let (go, gate) = tokio::sync::oneshot::channel::<()>();
        let probe = Probe::new(
            true,
            Some(&out),
            |tx: Option<UnboundedSender<String>>| async move {
                if let Some(tx) = &tx {
                    let _ = tx.send("early".to_string());
                }
                let _ = gate.await;
                if let Some(tx) = &tx {
                    let _ = tx.send("late".to_string());
                }
                1
            },
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(
            shown.try_recv().is_err(),
            "held while the rows before it are judged"
        );
        let _ = go.send(());
        assert_eq!(probe.answer(Some(&out)).await, 1);
        assert_eq!(shown.try_recv().ok().as_deref(), Some("early"));
        assert_eq!(shown.try_recv().ok().as_deref(), Some("late"));
    }
}
