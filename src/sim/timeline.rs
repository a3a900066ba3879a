//! When each request started and was answered, so a test or a bench can count round trips on
//! the critical path (what injected latency multiplies) rather than time anything.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Enough for any command a test or the bench runs; a long-running `bbconnect sim` stops
/// recording there instead of growing with every request.
const MAX_SPANS: usize = 1 << 16;

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpan {
    pub method: String,
    /// Path and query, as asked.
    pub target: String,
    /// A repository listing page (Cloud `/2.0/repositories/{ws}`, DC `.../repos`).
    pub listing: bool,
    /// Since the simulator started.
    pub start: Duration,
    /// When the answer was ready to leave (its headers; a streamed body may follow).
    pub end: Duration,
}

pub(crate) struct Timeline {
    origin: Instant,
    spans: Mutex<Vec<RequestSpan>>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            origin: Instant::now(),
            spans: Mutex::new(Vec::new()),
        }
    }
}

impl Timeline {
    pub(crate) fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    pub(crate) fn record(&self, span: RequestSpan) {
        let mut spans = self.spans.lock().unwrap_or_else(|p| p.into_inner());
        if spans.len() < MAX_SPANS {
            spans.push(span);
        }
    }

    /// In the order the requests started.
    pub(crate) fn spans(&self) -> Vec<RequestSpan> {
        let mut spans = self.spans.lock().unwrap_or_else(|p| p.into_inner()).clone();
        spans.sort_by_key(|s| s.start);
        spans
    }

    pub(crate) fn clear(&self) {
        self.spans.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The longest chain of requests each started after the previous one ended. Requests that
/// overlap cannot be in one chain, so a wave sent together counts once.
pub(crate) fn critical_path(spans: &[RequestSpan]) -> usize {
    let mut by_end: Vec<&RequestSpan> = spans.iter().collect();
    by_end.sort_by_key(|s| (s.end, s.start));
    // depth[i]: the longest chain ending with by_end[i]. Quadratic, and a command makes at
    // most a few thousand requests.
    let mut depth: Vec<usize> = Vec::with_capacity(by_end.len());
    for (i, s) in by_end.iter().enumerate() {
        let before = by_end[..i]
            .iter()
            .zip(&depth)
            .filter(|(p, _)| p.end <= s.start)
            .map(|(_, d)| *d)
            .max()
            .unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64) -> RequestSpan {
        RequestSpan {
            method: "GET".into(),
            target: "/".into(),
            listing: false,
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
        }
    }

    #[test]
    fn overlapping_requests_count_once_and_a_chain_counts_each() {
        assert_eq!(critical_path(&[]), 0);
        assert_eq!(critical_path(&[span(0, 50)]), 1);
        // One wave of three.
        assert_eq!(critical_path(&[span(0, 50), span(1, 51), span(2, 52)]), 1);
        // Three in a row, whatever order they are given in.
        assert_eq!(
            critical_path(&[span(120, 170), span(0, 50), span(60, 110)]),
            3
        );
        // Two waves, the second started by the first wave's slowest answer; a request that
        // ends inside the second wave starts no third.
        assert_eq!(
            critical_path(&[
                span(0, 50),
                span(0, 80),
                span(81, 130),
                span(82, 131),
                span(51, 101),
            ]),
            2
        );
        // Back to back (starts the instant the previous ended) is a chain.
        assert_eq!(critical_path(&[span(0, 50), span(50, 100)]), 2);
    }
}
