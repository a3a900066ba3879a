//! The real binary against the in-process simulator: exit codes, --json shapes, and that
//! nothing is half-written when a connection fails.

use std::path::Path;

use std::process::Output;

use bbconnect::sim::{self as sim, Scenario, SimConfig, SimHandle};
use tokio::io::AsyncWriteExt;

use crate::common::bin::{
    against, cloud_api_connect, cloud_connect_as, connect_as, dc_connect_as, dc_user_connect, run,
    save_dc, text,
};
use crate::common::creds::ALICE;
use crate::common::files::files_under;
use crate::common::http::{CLOUD_ALICE, DC_ALICE, get_json};
use crate::common::sim::{first_dc_repo, last_cloud_repo, with_scenario as sim_with};

/// The simulator's usual data set and an empty config dir.
async fn fresh() -> (SimHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    (sim_with(Scenario::Normal).await, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn server_user_token_connects_and_lists_as_json() {
    let (sim, dir) = fresh().await;
    let url = sim.server_url();
    let out = run(
        &sim,
        dir.path(),
        &[dc_user_connect(&url), vec!["--json"]].concat(),
        Some(ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints one JSON document");
    assert_eq!(v["ok"], true);
    assert_eq!(v["name"], "dc");
    assert_eq!(v["provider"], "server");
    assert_eq!(v["auth"], "http-token-user");
    assert_eq!(v["user"], "alice");
    assert!(
        v["checks"]["items"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{v}"
    );

    let out = run(&sim, dir.path(), &["list", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = listed.as_array().expect("an array of connections");
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["name"], "dc");
    assert_eq!(arr[0]["user"], "alice");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("test-token-alice"),
        "list must never print the secret"
    );
    let toml = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    assert!(
        !toml.contains("test-token-alice"),
        "the secret is kept apart from the connections file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_api_token_connects_with_a_repository_from_stdin() {
    let (sim, dir) = fresh().await;
    // Find a repository the demo user can see, through the simulator's own API.
    let api = sim.cloud_api_url();
    let body = get_json(&format!("{api}/user/workspaces?pagelen=100"), CLOUD_ALICE).await;
    let ws = body["values"][0]["workspace"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{api}/repositories/{ws}?role=member&pagelen=10");
    let repos = get_json(&url, CLOUD_ALICE).await;
    let full_name = repos["values"][0]["full_name"]
        .as_str()
        .unwrap()
        .to_string();

    let mut args = cloud_connect_as("cloud-1");
    args.extend(["--repo", &full_name, "--token-stdin", "--json"]);
    let mut child = against(&sim, dir.path(), &args, None)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"test-token-alice\n")
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["repo"], full_name.as_str());
    assert!(
        v["clone_https"]
            .as_str()
            .is_some_and(|u| u.ends_with(".git") && !u.contains('@')),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_exits_2_and_writes_nothing() {
    let (sim, dir) = fresh().await;
    let dead = "http://127.0.0.1:1";
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (dc_connect_as("not a url", "x", "alice"), Some(ALICE)),
        (dc_connect_as(dead, "x", "alice"), None),
        (
            [
                connect_as("server", "no-such-type", "x"),
                vec!["--url", dead],
            ]
            .concat(),
            Some(ALICE),
        ),
        (
            [
                connect_as("cloud", "api-token", "x"),
                vec!["--email", "alice"],
            ]
            .concat(),
            Some(ALICE),
        ),
        (dc_connect_as(dead, "bad name!", "alice"), Some(ALICE)),
        (vec!["connect", "--provider", "server"], Some(ALICE)),
    ];
    for (args, token) in cases {
        let out = run(&sim, dir.path(), &args, token).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", text(&out));
        assert!(
            !out.stderr.is_empty(),
            "a usage error says what is wrong: {args:?}"
        );
    }
    let found: Vec<String> = files_under(dir.path())
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        found
            .iter()
            .all(|f| !f.contains("connections.toml") && !f.contains("secrets")),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_token_exits_3_and_saves_nothing() {
    let (sim, dir) = fresh().await;
    let url = sim.server_url();
    let out = run(
        &sim,
        dir.path(),
        &dc_user_connect(&url),
        Some("test-token-wrong"),
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FAIL"), "the failed check is shown: {err}");
    assert!(
        !err.contains("test-token-wrong"),
        "the secret never appears in output"
    );
    assert!(!dir.path().join("connections.toml").exists());
    assert!(!dir.path().join("secrets").exists(), "no secret saved");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_exits_5() {
    let (sim, dir) = fresh().await;
    // A port that was just free: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{dead}");
    let out = run(&sim, dir.path(), &dc_user_connect(&url), Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(!dir.path().join("connections.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn old_server_version_exits_4() {
    let sim = sim_with(Scenario::OldVersion).await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let out = run(&sim, dir.path(), &dc_user_connect(&url), Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("7.14"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_name_is_refused_and_first_connection_kept() {
    let (sim, dir) = fresh().await;
    let url = sim.server_url();
    let args = dc_user_connect(&url);
    let first = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    let second = run(&sim, dir.path(), &args, Some("test-token-bob")).await;
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("connections.toml")).unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wizard_refuses_without_a_terminal() {
    let (sim, dir) = fresh().await;
    let out = run(&sim, dir.path(), &[], None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bbconnect connect"));
}

/// A simulator with the Data Center connection `dc` saved, and what `repos dc --json` printed.
async fn saved_dc_with_repos() -> (SimHandle, tempfile::TempDir, serde_json::Value) {
    let (sim, dir) = fresh().await;
    save_dc(&sim, dir.path()).await;
    let out = run(&sim, dir.path(), &["repos", "dc", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = serde_json::from_slice(&out.stdout).expect("one JSON document");
    (sim, dir, all)
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_prints_sanitised_lines_json_fields_and_filters_with_the_fuzzy_matcher() {
    let (sim, dir, all) = saved_dc_with_repos().await;
    let all = all.as_array().expect("an array of repositories");
    assert!(all.len() > 10, "{}", all.len());
    for r in all {
        for field in ["full_name", "name", "project", "clone_https", "clone_ssh"] {
            assert!(r[field].is_string(), "{field} in {r}");
        }
        assert!(r["private"].is_boolean(), "{r}");
        assert!(r.get("workspace").is_some(), "{r}");
    }

    // Text: one repository per line, and no server text reaches the terminal raw (the
    // dataset holds a repository named with escape sequences).
    let out = run(&sim, dir.path(), &["repos", "dc"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(lines.lines().count(), all.len());
    assert!(
        !lines
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters printed"
    );

    // A fuzzy query (letters with gaps) that no substring test would match.
    let target = all
        .iter()
        .filter_map(|r| r["full_name"].as_str())
        .find(|n| n.len() > 8 && n.is_ascii() && !n.chars().any(char::is_control))
        .expect("a plain repository name");
    let slug = target.rsplit('/').next().unwrap_or(target).to_lowercase();
    let query: String = slug.chars().step_by(2).take(4).collect();
    assert!(
        !target.to_lowercase().contains(&query),
        "{query} in {target}"
    );
    let out = run(
        &sim,
        dir.path(),
        &["repos", "dc", "--json", "--filter", &query],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = found
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|r| r["full_name"].as_str())
        .collect();
    assert!(
        names.contains(&target),
        "{query:?} finds {target}: {names:?}"
    );
    assert!(names.len() < all.len(), "the filter filters");
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_concurrency_is_configurable_and_checked() {
    let (sim, dir, all) = saved_dc_with_repos().await;

    // One at a time gives the same repositories.
    let out = run(
        &sim,
        dir.path(),
        &["repos", "dc", "--json", "--concurrency", "1"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let one: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one, all);

    for bad in ["0", "33", "many"] {
        let out = run(
            &sim,
            dir.path(),
            &["repos", "dc", "--concurrency", bad],
            None,
        )
        .await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "--concurrency {bad}: {}",
            text(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("concurrency"),
            "{}",
            text(&out)
        );
    }
}

// Round trips: latency makes requests sent together overlap for sure, so the
// simulator's timeline tells waves from chains. Round trips are counted, never timed.

const LATENCY_MS: u64 = 50;

async fn sim_with_latency(repos: Option<usize>) -> SimHandle {
    sim::start(SimConfig {
        repos,
        latency_ms: LATENCY_MS,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts on loopback")
}

/// Listing pages (method and path with query) asked for more than once since the log was
/// last cleared.
fn listing_pages_fetched_twice(sim: &SimHandle) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for s in sim.request_log().into_iter().filter(|s| s.listing) {
        *seen
            .entry(format!("{} {}", s.method, s.target))
            .or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(t, n)| format!("{t} x{n}"))
        .collect()
}

fn log_text(sim: &SimHandle) -> String {
    sim.request_log()
        .iter()
        .map(|s| {
            format!(
                "{:>5}..{:>5} ms {} {}",
                s.start.as_millis(),
                s.end.as_millis(),
                s.method,
                s.target
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one command with the request log cleared first; its output and critical path.
async fn measured(
    sim: &SimHandle,
    dir: &Path,
    args: &[&str],
    token: Option<&str>,
) -> (Output, usize) {
    sim.clear_request_log();
    let out = run(sim, dir, args, token).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (out, sim.critical_path())
}

/// `connect` with `args` (ending in `--repo REPO --json`) saves `repo` within `max` round
/// trips and asks for no listing page twice.
async fn connect_repo_within(sim: &SimHandle, dir: &Path, args: &[&str], repo: &str, max: usize) {
    let (out, trips) = measured(sim, dir, args, Some(ALICE)).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["repo"].as_str(), Some(repo), "{v}");
    assert!(
        trips <= max,
        "connect --repo: {trips} round trips\n{}",
        log_text(sim)
    );
    let twice = listing_pages_fetched_twice(sim);
    assert!(twice.is_empty(), "{twice:?}\n{}", log_text(sim));
}

/// `check NAME --json` in today's concurrent order and in the sequential one: the same
/// report, row for row and word for word, and more round trips when sequential.
async fn check_both_orders(sim: &SimHandle, dir: &Path, name: &str) -> (usize, usize) {
    let args = ["check", name, "--json"];
    let (out, at_once) = measured(sim, dir, &args, None).await;
    let twice = listing_pages_fetched_twice(sim);
    assert!(twice.is_empty(), "{twice:?}\n{}", log_text(sim));
    sim.clear_request_log();
    let seq = against(sim, dir, &args, None)
        .env("BBCONNECT_SEQUENTIAL_CHECK", "1")
        .output()
        .await
        .expect("binary runs");
    assert_eq!(seq.status.code(), Some(0), "{}", text(&seq));
    let sequential = sim.critical_path();
    let report = |o: &Output| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()[0]["checks"].clone()
    };
    assert_eq!(report(&out), report(&seq), "the order changes no row");
    (at_once, sequential)
}

/// `connect` with `args` (saving `name`) plus `--repo REPO --json`, then `check NAME`: within
/// `max` round trips each, and at least `sequential_min` when the check runs in sequence.
async fn connect_and_check_within(
    sim: &SimHandle,
    (name, args): (&str, Vec<&str>),
    repo: &str,
    max: usize,
    sequential_min: usize,
) {
    let dir = tempfile::tempdir().unwrap();
    let args = [args, vec!["--repo", repo, "--json"]].concat();
    connect_repo_within(sim, dir.path(), &args, repo, max).await;
    let (trips, sequential) = check_both_orders(sim, dir.path(), name).await;
    assert!(trips <= max, "check: {trips} round trips");
    assert!(
        sequential >= sequential_min,
        "sequential check: {sequential} round trips"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_connect_repo_and_check_take_three_round_trips_and_list_once() {
    // 2,000 repositories: a first page of 1,000, then the rest in one wave.
    let sim = sim_with_latency(None).await;
    let url = sim.server_url();
    let repo = first_dc_repo(&sim).await;
    // Sequential: anonymous and authenticated properties, profile, two listing waves, admin
    // probe.
    connect_and_check_within(&sim, ("dc", dc_user_connect(&url)), &repo, 3, 6).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_connect_repo_and_check_take_four_round_trips_and_list_once() {
    // 300 repositories in three workspaces: the pages after the first ones fit in one wave.
    let sim = sim_with_latency(Some(300)).await;
    let repo = last_cloud_repo(&sim).await;
    // Sequential: probe, user, workspaces, first pages, the rest, admin probe, hooks.
    connect_and_check_within(&sim, ("cloud", cloud_api_connect()), &repo, 4, 7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_to_a_repository_not_listed_says_how_many_are_without_listing_again() {
    let (sim, dir) = fresh().await;
    let url = sim.server_url();
    let mut args = dc_user_connect(&url).to_vec();
    args.extend(["--repo", "NOPE/not-there"]);
    sim.clear_request_log();
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let listed = sim
        .request_log()
        .iter()
        .filter(|s| s.listing && !s.target.contains("permission="))
        .count();
    assert!(listed >= 2, "the check listed: {}", log_text(&sim));
    let twice = listing_pages_fetched_twice(&sim);
    assert!(twice.is_empty(), "{twice:?}\n{}", log_text(&sim));
    // The count is the check's own: the repositories it reached.
    let mut total = 0;
    let mut start = Some(0);
    while let Some(at) = start {
        let page = format!("{url}/rest/api/1.0/repos?limit=1000&start={at}");
        let v = get_json(&page, DC_ALICE).await;
        total += v["values"].as_array().map_or(0, Vec::len);
        start = (v["isLastPage"] == false).then(|| v["nextPageStart"].as_u64().unwrap());
    }
    assert!(total > 1_000, "{total}");
    assert!(
        err.contains(&format!(
            "Repository `NOPE/not-there` is not visible to this credential ({total} repositories are)."
        )),
        "{err}"
    );
    assert!(!dir.path().join("connections.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_the_store_refuses_is_a_usage_error_before_any_request() {
    let (sim, dir) = fresh().await;
    let url = sim.server_url();
    let before = sim.request_count();
    let mut args = dc_user_connect(&url);
    // `--name -work` would be read by clap as a flag: the `=` form reaches the rule.
    let i = args.iter().position(|a| *a == "--name").unwrap();
    args.splice(i..i + 2, ["--name=-work"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--name"), "{err}");
    assert!(err.contains("letter or digit"), "{err}");
    assert_eq!(sim.request_count(), before, "refused before any request");
    assert!(
        !dir.path().join("connections.toml").exists(),
        "nothing saved"
    );
}
