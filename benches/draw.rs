//! One frame of the Repository screen at 200x50 through ratatui's TestBackend with 100,000
//! rows loaded. Target: <= 2 ms.
//!
//! `cargo bench --bench draw`

mod common;

use std::time::Duration;

use bbconnect::tui::ui;
use bbconnect::tui::wizard::msg::EditKey;
use bbconnect::tui::wizard::{Step, Wizard, WizardConfig};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn wizard_with(n: usize) -> Wizard {
    let mut w = Wizard::new(WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        ..WizardConfig::default()
    });
    w.step = Step::Repos;
    w.repos.restart(1);
    let mut all = common::repos(n);
    while !all.is_empty() {
        let rest = all.split_off(all.len().min(1_000));
        w.repos.push(all);
        all = rest;
    }
    w
}

fn terminal() -> Terminal<TestBackend> {
    // TestBackend cannot fail to build; a failure here is a bug in the bench itself.
    Terminal::new(TestBackend::new(200, 50)).expect("TestBackend terminal")
}

fn frames(c: &mut Criterion) {
    let mut w = wizard_with(common::ROWS);
    let mut term = terminal();
    let mut g = c.benchmark_group("draw_200x50_100k");
    g.bench_function("unfiltered", |b| {
        b.iter(|| term.draw(|f| ui::draw(f, &w)).map(|_| ()))
    });
    // Scrolled to the middle so the visible slice is not the start of the list.
    w.repos.move_by(50_000);
    g.bench_function("scrolled_to_middle", |b| {
        b.iter(|| term.draw(|f| ui::draw(f, &w)).map(|_| ()))
    });
    w.repos.home();
    for c in "pay".chars() {
        w.repos.edit_filter(EditKey::Char(c));
    }
    g.bench_function("filtered_with_highlights", |b| {
        b.iter(|| term.draw(|f| ui::draw(f, &w)).map(|_| ()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = frames
}

fn main() {
    if common::benchmarking() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    } else {
        // Test mode: one frame of a small list draws its rows.
        let w = wizard_with(500);
        let mut term = terminal();
        term.draw(|f| ui::draw(f, &w)).expect("draw");
        let buf = term.backend().buffer().clone();
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(text.contains("500"), "the count of rows is on screen");
    }
}
