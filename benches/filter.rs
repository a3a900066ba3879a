//! Filter 100,000 repositories in the wizard's list model, one keystroke at a time.
//! Target (issue 4): p99 per keystroke <= 5 ms.
//!
//! `cargo bench --bench filter`: criterion's figures per kind of keystroke, then a p99 over
//! every keystroke of many typed queries (criterion reports means and medians, not p99).

mod common;

use std::time::{Duration, Instant};

use bbconnect::wizard::msg::EditKey;
use bbconnect::wizard::repos::RepoList;
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

fn type_str(list: &mut RepoList, text: &str) {
    for c in text.chars() {
        list.edit_filter(EditKey::Char(c));
    }
}

/// Times `key` applied in state `before`, `iters` times; state is restored untimed.
fn timed_key(list: &mut RepoList, before: &str, key: EditKey, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        list.edit_filter(EditKey::ClearLine);
        type_str(list, before);
        let t = Instant::now();
        list.edit_filter(key);
        total += t.elapsed();
        std::hint::black_box(list.visible.len());
    }
    total
}

fn keystrokes(c: &mut Criterion) {
    let mut list = loaded(common::ROWS);
    let mut g = c.benchmark_group("filter_100k");
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

/// Every keystroke of typing each query, correcting it and clearing it, timed one by one.
fn p99_report(rounds: usize) {
    let mut list = loaded(common::ROWS);
    let queries = [
        "payments",
        "core-api",
        "acme/shop",
        "Ledger",
        "zzz",
        "wk sch",
        "etl-9",
    ];
    let mut samples = Vec::new();
    let mut time = |list: &mut RepoList, key: EditKey| {
        let t = Instant::now();
        list.edit_filter(key);
        samples.push(t.elapsed());
        std::hint::black_box(list.visible.len());
    };
    for _ in 0..rounds {
        for q in queries {
            for c in q.chars() {
                time(&mut list, EditKey::Char(c));
            }
            time(&mut list, EditKey::Backspace);
            time(&mut list, EditKey::Backspace);
            time(&mut list, EditKey::ClearLine);
        }
    }
    let n = samples.len();
    let p50 = common::quantile(&mut samples, 0.50);
    let p99 = common::quantile(&mut samples, 0.99);
    let max = common::quantile(&mut samples, 1.0);
    println!(
        "filter_100k p99 over {n} keystrokes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 5 ms)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
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
        p99_report(20);
        Criterion::default().configure_from_args().final_summary();
    } else {
        // Test mode: prove the bench runs and the model filters, on a small list.
        let mut list = loaded(2_000);
        type_str(&mut list, "pay");
        assert!(!list.visible.is_empty() && list.visible.len() < 2_000);
        list.edit_filter(EditKey::ClearLine);
        assert_eq!(list.visible.len(), 2_000);
    }
}
