//! Shared by the benches: 100,000 repositories with realistic, varied names.

#![allow(dead_code)]

use bbconnect::core::model::Repo;

pub const ROWS: usize = 100_000;

const WORDS: [&str; 32] = [
    "payments",
    "billing",
    "search",
    "indexer",
    "gateway",
    "api",
    "web",
    "shop",
    "mobile",
    "app",
    "infra",
    "terraform",
    "docs",
    "core",
    "auth",
    "ledger",
    "reports",
    "etl",
    "pipeline",
    "notifications",
    "inventory",
    "catalog",
    "checkout",
    "analytics",
    "frontend",
    "backend",
    "worker",
    "scheduler",
    "config",
    "metrics",
    "alerts",
    "sdk",
];
const WORKSPACES: [&str; 10] = [
    "acme-platform",
    "acme-mobile",
    "open-source-lab",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
];

/// A deterministic generator, so every run filters the same rows.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

/// `n` repositories spread over ten workspaces and 40 projects, names of two or three words
/// plus a number, as a large organisation's list looks.
pub fn repos(n: usize) -> Vec<Repo> {
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let a = WORDS[rng.next() % WORDS.len()];
            let b = WORDS[rng.next() % WORDS.len()];
            let name = if rng.next().is_multiple_of(3) {
                let c = WORDS[rng.next() % WORDS.len()];
                format!("{a}-{b}-{c}-{i}")
            } else {
                format!("{a}-{b}-{i}")
            };
            let ws = WORKSPACES[i % WORKSPACES.len()];
            let project = format!("P{}", rng.next() % 40);
            Repo {
                full_name: format!("{ws}/{name}"),
                slug: name.clone(),
                project_key: Some(project.clone()),
                project_name: Some(format!("Project {project}")),
                workspace: Some(ws.to_string()),
                private: !rng.next().is_multiple_of(5),
                archived: rng.next().is_multiple_of(30),
                default_branch: Some("main".into()),
                clone_https: Some(format!("https://bitbucket.org/{ws}/{name}.git")),
                clone_ssh: Some(format!("git@bitbucket.org:{ws}/{name}.git")),
                updated_on: Some(format!(
                    "2026-{:02}-{:02}T10:00:00.000000+00:00",
                    1 + rng.next() % 12,
                    1 + rng.next() % 28
                )),
                description: Some(format!("The {a} {b} service")),
                web_url: Some(format!("https://bitbucket.org/{ws}/{name}")),
                name,
            }
        })
        .collect()
}

/// Whether cargo runs this as a benchmark (`cargo bench`) rather than as a quick test
/// (`cargo test --all-targets` runs bench targets once without `--bench`).
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The value at quantile `q` (0..=1) of `samples`, sorted in place.
pub fn quantile(samples: &mut [std::time::Duration], q: f64) -> std::time::Duration {
    samples.sort_unstable();
    if samples.is_empty() {
        return std::time::Duration::ZERO;
    }
    let idx = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[idx.min(samples.len() - 1)]
}
