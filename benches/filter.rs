//! Filter 100,000 repositories in the wizard's list model, one keystroke at a time.
//! Target: p99 per keystroke <= 5 ms, without blocking the loop.
//!
//! `cargo bench --bench filter`. The app handles a keystroke in one loop turn
//! (`RepoList::edit_filter`, which scores the first slice) and finishes the filter in later
//! turns (`RepoList::work_slice`, one `Msg::Work` each, sized by a `SliceBudget` learnt from
//! the measured turns) while keys still come first. The bench drives the list the same way.
//! Printed:
//! - p99 of every loop turn spent on filtering (keystroke turns and slice turns): how long
//!   the loop is held, the target;
//! - p99 from a keystroke to its complete result (all slices, no drawing in between): how
//!   soon the list shows the answer.
//!
//! Criterion's figures follow, per kind of keystroke, to completion.

mod common;

use std::time::{Duration, Instant};

use bbconnect::tui::wizard::msg::EditKey;
use bbconnect::tui::wizard::repos::{RepoList, SliceBudget};
use criterion::{Criterion, criterion_group};

/// Loaded as the wizard does: pages of 100 merged in as they arrive.
fn loaded(n: usize) -> RepoList {
    let mut list = RepoList::default();
    list.restart(1);
    let mut all = common::repos(n);
    while !all.is_empty() {
        let rest = all.split_off(all.len().min(100));
        list.push(all);
        all = rest;
    }
    list
}

/// A key as the app applies it: the keystroke turn, then slice turns to completion.
fn apply(list: &mut RepoList, key: EditKey) {
    list.edit_filter(key);
    list.finish_filter();
}

fn type_str(list: &mut RepoList, text: &str) {
    for c in text.chars() {
        apply(list, EditKey::Char(c));
    }
}

/// Times `key` applied in state `before` to its complete result, `iters` times.
fn timed_key(list: &mut RepoList, before: &str, key: EditKey, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        apply(list, EditKey::ClearLine);
        type_str(list, before);
        let t = Instant::now();
        apply(list, key);
        total += t.elapsed();
        std::hint::black_box(list.visible.len());
    }
    total
}

fn keystrokes(c: &mut Criterion) {
    let mut list = loaded(common::ROWS);
    let mut g = c.benchmark_group("filter_100k_complete");
    g.bench_function("first_key_p", |b| {
        b.iter_custom(|iters| timed_key(&mut list, "", EditKey::Char('p'), iters))
    });
    g.bench_function("narrowing_key_pay_to_paym", |b| {
        b.iter_custom(|iters| timed_key(&mut list, "pay", EditKey::Char('m'), iters))
    });
    g.bench_function("backspace_paym_to_pay", |b| {
        b.iter_custom(|iters| timed_key(&mut list, "paym", EditKey::Backspace, iters))
    });
    g.bench_function("clear_query", |b| {
        b.iter_custom(|iters| timed_key(&mut list, "paym", EditKey::ClearLine, iters))
    });
    g.finish();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Every keystroke of typing each query, correcting it and clearing it, timed one by one.
fn p99_report(rows: usize, rounds: usize) {
    let mut list = loaded(rows);
    // As the app runs it: slices sized from the measured time of earlier slices.
    let mut budget = SliceBudget::default();
    let queries = [
        "payments",
        "core-api",
        "acme/shop",
        "Ledger",
        "zzz",
        "wk sch",
        "etl-9",
    ];
    let mut turns = Vec::new();
    let mut complete = Vec::new();
    let mut slices_max = 0;
    let mut key = |list: &mut RepoList, key: EditKey| {
        let t = Instant::now();
        list.slice_rows = budget.rows();
        list.edit_filter(key);
        turns.push(t.elapsed());
        let mut slices = 1;
        while list.filtering() {
            let rows = budget.rows();
            let s = Instant::now();
            list.slice_rows = rows;
            list.work_slice();
            let took = s.elapsed();
            turns.push(took);
            budget.observe(rows, took, !list.filtering());
            slices += 1;
        }
        complete.push(t.elapsed());
        slices_max = slices_max.max(slices);
        std::hint::black_box(list.visible.len());
    };
    for _ in 0..rounds {
        for q in queries {
            for c in q.chars() {
                key(&mut list, EditKey::Char(c));
            }
            key(&mut list, EditKey::Backspace);
            key(&mut list, EditKey::Backspace);
            key(&mut list, EditKey::ClearLine);
        }
    }
    let keys = complete.len();
    let n = turns.len();
    let t50 = common::quantile(&mut turns, 0.50);
    let t99 = common::quantile(&mut turns, 0.99);
    let tmax = common::quantile(&mut turns, 1.0);
    let c50 = common::quantile(&mut complete, 0.50);
    let c99 = common::quantile(&mut complete, 0.99);
    let cmax = common::quantile(&mut complete, 1.0);
    println!(
        "filter {rows} rows, loop turns ({n} turns for {keys} keystrokes): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 5 ms)",
        ms(t50),
        ms(t99),
        ms(tmax)
    );
    println!(
        "filter {rows} rows, keystroke to complete result: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({slices_max} turns at most)",
        ms(c50),
        ms(c99),
        ms(cmax)
    );
}

/// What loading costs the loop: one page pushed into a list that already holds `before`
/// rows (the wizard does this once per page, between keys). Pages of 100 (Cloud) and
/// 1,000 (Data Center), unfiltered and with a query applied.
fn push_report(rows: usize) {
    let all = common::repos(rows);
    for (page, query) in [(100, ""), (1_000, ""), (100, "pay"), (1_000, "pay")] {
        let mut list = RepoList::default();
        list.restart(1);
        type_str(&mut list, query);
        let mut samples = Vec::new();
        for chunk in all.chunks(page) {
            let chunk = chunk.to_vec();
            let t = Instant::now();
            list.push(chunk);
            samples.push(t.elapsed());
        }
        let n = samples.len();
        let p99 = common::quantile(&mut samples, 0.99);
        let max = common::quantile(&mut samples, 1.0);
        println!(
            "push while loading {rows} rows in pages of {page}{}: p99 {:.2} ms, max {:.2} ms over {n} pages",
            if query.is_empty() {
                String::new()
            } else {
                format!(", filter {query:?}")
            },
            ms(p99),
            ms(max)
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = keystrokes
}

fn main() {
    if common::benchmarking() {
        benches();
        p99_report(common::ROWS, 20);
        push_report(common::ROWS);
        Criterion::default().configure_from_args().final_summary();
    } else {
        // Test mode: prove the bench runs and the model filters, on a small list.
        let mut list = loaded(2_000);
        type_str(&mut list, "pay");
        assert!(!list.visible.is_empty() && list.visible.len() < 2_000);
        apply(&mut list, EditKey::ClearLine);
        assert_eq!(list.visible.len(), 2_000);
        p99_report(2_000, 1);
        push_report(2_000);
    }
}
