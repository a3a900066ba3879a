//! How many requests one client keeps in flight: up to the configured concurrency, halved by
//! each 429 and grown back by one after a run of successes (additive increase,
//! multiplicative decrease). The Retry-After pause in `http` stops sending for a while; this
//! makes sure the client does not come back at full width and trip the limit again.

use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};

pub struct Throttle {
    permits: Semaphore,
    max: usize,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    /// Requests allowed in flight now.
    width: usize,
    /// Permits to retire as in-flight requests finish (narrowing cannot take back a permit
    /// a request holds).
    debt: usize,
    /// Successes since the width last changed.
    streak: usize,
}

/// A place in flight; given back (or retired, after a narrowing) on drop.
pub struct Slot<'a> {
    permit: Option<SemaphorePermit<'a>>,
    throttle: &'a Throttle,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut s = self.throttle.lock();
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        }
    }
}

impl Throttle {
    pub fn new(max: usize) -> Throttle {
        let max = max.max(1);
        Throttle {
            permits: Semaphore::new(max),
            max,
            state: Mutex::new(State {
                width: max,
                debt: 0,
                streak: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent at every step, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub async fn acquire(&self) -> Slot<'_> {
        Slot {
            // The semaphore is never closed.
            permit: self.permits.acquire().await.ok(),
            throttle: self,
        }
    }

    /// Requests allowed in flight now.
    pub fn width(&self) -> usize {
        self.lock().width
    }

    /// A 429: half as many in flight from now on (at least one).
    pub fn narrow(&self) {
        let mut s = self.lock();
        let keep = (s.width / 2).max(1);
        let retire = s.width - keep;
        // Free permits go at once; the rest as their requests finish.
        let forgotten = self.permits.forget_permits(retire);
        s.debt += retire - forgotten;
        s.width = keep;
        s.streak = 0;
    }

    /// A success: after as many successes in a row as the current width, one more in flight.
    pub fn widen(&self) {
        let mut s = self.lock();
        if s.width >= self.max {
            return;
        }
        s.streak += 1;
        if s.streak < s.width {
            return;
        }
        s.streak = 0;
        s.width += 1;
        if s.debt > 0 {
            s.debt -= 1;
        } else {
            self.permits.add_permits(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_429_halves_the_width_and_retires_permits_as_requests_finish() {
        let t = Throttle::new(8);
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(t.acquire().await);
        }
        t.narrow();
        assert_eq!(t.width(), 4);
        assert_eq!(t.permits.available_permits(), 0);
        held.clear();
        assert_eq!(
            t.permits.available_permits(),
            4,
            "four of the eight returned permits were retired"
        );
        t.narrow();
        t.narrow();
        t.narrow();
        assert_eq!(t.width(), 1, "never below one");
        assert_eq!(t.permits.available_permits(), 1);
    }

    #[tokio::test]
    async fn successes_grow_it_back_one_at_a_time_up_to_the_maximum() {
        let t = Throttle::new(4);
        t.narrow(); // 2
        t.widen();
        assert_eq!(t.width(), 2, "one success is not a run of two");
        t.widen();
        assert_eq!(t.width(), 3);
        for _ in 0..3 {
            t.widen();
        }
        assert_eq!(t.width(), 4);
        for _ in 0..20 {
            t.widen();
        }
        assert_eq!(t.width(), 4, "capped at the configured concurrency");
        assert_eq!(t.permits.available_permits(), 4);
    }

    #[tokio::test]
    async fn widening_while_permits_are_owed_cancels_the_debt_instead() {
        let t = Throttle::new(4);
        let held: Vec<_> = futures::future::join_all((0..4).map(|_| t.acquire())).await;
        t.narrow(); // width 2, two permits owed
        t.widen();
        t.widen(); // width 3: one owed permit forgiven
        drop(held);
        assert_eq!(t.width(), 3);
        assert_eq!(t.permits.available_permits(), 3);
    }
}
