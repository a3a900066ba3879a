//! The command line as a Unix tool, whatever the other end does:
//! a closed pipe ends a command quietly, a control byte in a token is invalid input refused
//! before any request, and a listing that never ends stops at a cap that says how to raise it.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// bbconnect with a private config dir, Cloud pointed at the simulator, stdin closed.
fn command(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Command {
    let mut cmd = bin::against(sim, config, args, token);
    cmd.kill_on_drop(true);
    cmd
}

async fn run(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Output {
    command(sim, config, args, token)
        .output()
        .await
        .expect("binary runs")
}

/// A saved Data Center connection `dc` (alice) to `sim`.
async fn saved_dc(sim: &SimHandle, dir: &Path) {
    let url = sim.server_url();
    let out = run(sim, dir, &dc_connect(&url), Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[derive(Clone, Copy, Debug)]
enum Closed {
    // Only stdout: a child that fails fast can write its error before the parent closes the
    // read end of stderr, so a closed-stderr case would race.
    Stdout,
}

/// Runs a command whose stdout (or stderr) is a pipe closed before it writes anything, as
/// `| head -0` would leave it; returns the exit code and what the other stream said.
async fn run_closed(
    sim: &SimHandle,
    dir: &Path,
    args: &[&str],
    closed: Closed,
) -> (Option<i32>, String) {
    let mut cmd = command(sim, dir, args, None);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    let (gone, mut kept): (
        Box<dyn std::any::Any>,
        Box<dyn tokio::io::AsyncRead + Unpin>,
    ) = match closed {
        Closed::Stdout => (
            Box::new(child.stdout.take()),
            Box::new(child.stderr.take().expect("stderr piped")),
        ),
    };
    drop(gone);
    let mut said = Vec::new();
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        kept.read_to_end(&mut said)
            .await
            .expect("read the other stream");
        child.wait().await.expect("child ends")
    })
    .await
    .unwrap_or_else(|_| panic!("{args:?} with {closed:?} closed did not end"));
    (status.code(), String::from_utf8_lossy(&said).into_owned())
}

fn assert_quiet_pipe_end(what: &str, (code, said): (Option<i32>, String)) {
    assert_eq!(
        code,
        Some(141),
        "{what}: a closed pipe ends the command with 128+SIGPIPE; it said:\n{said}"
    );
    for crash in ["internal error", "panicked", "Broken pipe"] {
        assert!(
            !said.contains(crash),
            "{what}: no crash report or panic text, got:\n{said}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_printing_command_ends_quietly_on_a_closed_pipe() {
    let sim = sim_with(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Before anything is saved `list` still prints (that nothing is saved).
    assert_quiet_pipe_end(
        "list (empty)",
        run_closed(&sim, d, &["list"], Closed::Stdout).await,
    );
    saved_dc(&sim, d).await;
    let cases: [(&[&str], Closed); 12] = [
        (&["repos", "dc"], Closed::Stdout),
        (&["repos", "dc", "--json"], Closed::Stdout),
        (&["repos", "dc", "--filter", "api"], Closed::Stdout),
        (&["list"], Closed::Stdout),
        (&["list", "--json"], Closed::Stdout),
        // The report is check's output (stdout); errors and progress go to stderr.
        (&["check", "dc"], Closed::Stdout),
        (&["status"], Closed::Stdout),
        (&["env", "dc"], Closed::Stdout),
        (&["token", "dc"], Closed::Stdout),
        (&["check", "dc", "--json"], Closed::Stdout),
        (&["sim", "--port", "0"], Closed::Stdout),
        (&["--help"], Closed::Stdout),
    ];
    for (args, closed) in cases {
        let what = format!("{args:?} with {closed:?} closed");
        if args == ["--help"] {
            // clap prints help itself and ignores a closed pipe: it must at least not crash.
            let (code, said) = run_closed(&sim, d, args, closed).await;
            assert!(
                matches!(code, Some(0) | Some(141)),
                "{what}: {code:?}\n{said}"
            );
            continue;
        }
        assert_quiet_pipe_end(&what, run_closed(&sim, d, args, closed).await);
    }
    // `connect` prints what it saved after saving it: the save stands, the print ends quietly.
    let url = sim.server_url();
    let mut args = dc_connect(&url);
    args.push("--replace");
    let mut cmd = command(&sim, d, &args, Some(ALICE));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    let mut stderr = child.stderr.take().unwrap();
    stderr.read_to_string(&mut err).await.unwrap();
    let status = child.wait().await.unwrap();
    assert_quiet_pipe_end("connect --replace", (status.code(), err));
    // `remove` says what it removed, after removing it.
    assert_quiet_pipe_end(
        "remove",
        run_closed(&sim, d, &["remove", "dc"], Closed::Stdout).await,
    );
    let left = run(&sim, d, &["list", "--json"], None).await;
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "[]",
        "{}",
        text(&left)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_into_a_reader_that_stops_after_two_lines_ends_quietly() {
    // `bbconnect repos dc | head -2`: the reader goes away while the output is still coming.
    let sim = sim_with(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    saved_dc(&sim, dir.path()).await;
    let mut cmd = command(&sim, dir.path(), &["repos", "dc"], None);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; 256];
    let n = stdout.read(&mut first).await.unwrap();
    assert!(n > 0, "repos printed something first");
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    assert_quiet_pipe_end("repos | head -2", (status.code(), err));
}

/// `connect` with `token` arriving on stdin (`--token-stdin`) or in BBCONNECT_TOKEN.
async fn connect_with_token(sim: &SimHandle, dir: &Path, token: &[u8], stdin: bool) -> Output {
    let url = sim.server_url();
    let mut args = dc_connect(&url);
    if stdin {
        args.push("--token-stdin");
        let mut cmd = command(sim, dir, &args, None);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(token).await.unwrap();
        drop(input);
        child.wait_with_output().await.unwrap()
    } else {
        let token = std::str::from_utf8(token).unwrap();
        run(sim, dir, &args, Some(token)).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_a_control_byte_is_invalid_input_refused_before_any_request() {
    let sim = sim_with(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[u8], bool); 6] = [
        (b"test-token-\x01abc\n", true),
        (b"test-token-\x00abc\n", true),
        (b"test-token-\x7fabc", true),
        (b"test-token-a\nbc\n", true),
        (b"test-token-\x01abc", false),
        (b"test-token-\x1b[0mabc", false),
    ];
    for (token, stdin) in cases {
        let before = sim.request_count();
        let out = connect_with_token(&sim, dir.path(), token, stdin).await;
        let shown = String::from_utf8_lossy(token);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{shown:?} (stdin: {stdin}) is invalid input\n{}",
            text(&out)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("control character") || err.contains("line break"),
            "says why: {err}"
        );
        assert!(
            !err.contains("test-token-"),
            "never prints the token: {err}"
        );
        assert_eq!(
            sim.request_count(),
            before,
            "{shown:?}: no request reached the server"
        );
    }
}

// ---- A listing that never ends stops at its cap (item 5) ----

use bbconnect::bitbucket::{Client, ClientOptions, ListLimits};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, ConnectionSpec, Credentials, FailureClass, Problem, Provider,
};
use secrecy::SecretString;

use crate::common::bin::{self, dc_user_connect as dc_connect, text};
use crate::common::creds::{ALICE, endpoints};
use crate::common::sim::with_scenario as sim_with;

fn capped(limits: ListLimits) -> ClientOptions {
    ClientOptions {
        retry_base: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        limits,
        ..ClientOptions::default()
    }
}

fn client_for(sim: &SimHandle, provider: Provider, options: ClientOptions) -> Client {
    let (auth, url, user) = match provider {
        Provider::Server => (AuthKind::HttpTokenUser, sim.server_url(), "alice"),
        Provider::Cloud => (AuthKind::ApiToken, sim.cloud_web_url(), "alice@example.com"),
    };
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "t".into(),
            provider,
            auth,
            url,
            username: Some(user.into()),
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let ep = endpoints(sim);
    Client::new(creds, &ep, options).expect("valid credentials")
}

/// Lists through the client; returns the pages and repositories delivered, and the result.
async fn list_counting(client: &Client) -> (usize, usize, Result<usize, Problem>) {
    let (mut pages, mut repos) = (0, 0);
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        client.for_each_page(|p| {
            pages += 1;
            repos += p.repos.len();
        }),
    )
    .await
    .expect("a capped listing ends");
    (pages, repos, result)
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_that_never_end_stop_at_the_page_cap_on_both_products() {
    let sim = sim_with(Scenario::NeverLastPage).await;
    for provider in [Provider::Server, Provider::Cloud] {
        let limits = ListLimits {
            max_pages: 7,
            ..ListLimits::default()
        };
        let client = client_for(&sim, provider, capped(limits));
        let before = sim.request_count();
        let (pages, _, result) = list_counting(&client).await;
        let p = result.expect_err("an endless listing is an error, not a success");
        assert_eq!(p.class, FailureClass::Other, "{provider:?}: {p}");
        assert!(
            p.what.contains("7 pages") && p.what.contains("BBCONNECT_MAX_PAGES"),
            "{provider:?}: names the cap: {}",
            p.what
        );
        assert!(
            p.fix.contains("BBCONNECT_MAX_PAGES") && p.fix.contains("--max-pages"),
            "{provider:?}: says how to raise it: {}",
            p.fix
        );
        assert!(pages <= 7, "{provider:?}: {pages} pages delivered");
        // Fetch-ahead may have a few pages in flight when the cap is met; never many more.
        let asked = sim.request_count() - before;
        assert!(
            asked <= 7 + 16,
            "{provider:?}: {asked} requests for a cap of 7 pages"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn repositories_past_the_cap_stop_the_listing() {
    let sim = sim_with(Scenario::NeverLastPage).await;
    let limits = ListLimits {
        max_repos: 2_500,
        ..ListLimits::default()
    };
    let client = client_for(&sim, Provider::Server, capped(limits));
    let (_, repos, result) = list_counting(&client).await;
    let p = result.expect_err("capped");
    assert!(p.what.contains("2,500 repositories"), "{}", p.what);
    assert!(p.fix.contains("BBCONNECT_MAX_REPOS") && p.fix.contains("--max-repos"));
    assert!(
        repos <= 2_500,
        "{repos} repositories delivered past a cap of 2,500"
    );
    // The same cap holds in the check engine's count.
    let report = client.check(None).await;
    assert_eq!(report.exit_code(), 1, "{report:?}");
    assert!(
        report
            .items
            .iter()
            .any(|i| i.id == CheckId::ReachCount && i.detail.contains("2,500 repositories")),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cloud_size_past_the_cap_is_refused_before_its_pages_are_asked() {
    let sim = sim_with(Scenario::Normal).await;
    let limits = ListLimits {
        max_repos: 10,
        ..ListLimits::default()
    };
    let client = client_for(&sim, Provider::Cloud, capped(limits));
    let (_, repos, result) = list_counting(&client).await;
    let p = result.expect_err("the workspaces hold more than 10");
    assert!(p.what.contains("10 repositories"), "{}", p.what);
    assert_eq!(
        repos, 0,
        "nothing delivered once the claimed size is past the cap"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_stops_an_endless_listing_with_exit_1_naming_the_cap() {
    // Saved against a normal server, which then starts paging forever on the same port.
    let normal = sim_with(Scenario::Normal).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    saved_dc(&normal, d).await;
    let port: u16 = normal
        .server_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap();
    normal.shutdown().await;
    let sim = sim::start(SimConfig {
        port,
        scenario: Scenario::NeverLastPage,
        ..SimConfig::default()
    })
    .await
    .expect("the same port again");
    type Run<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let runs: [Run; 5] = [
        (&["repos", "dc", "--max-pages", "5"], &[], "5 pages"),
        (
            &["repos", "dc", "--json"],
            &[("BBCONNECT_MAX_REPOS", "3000")],
            "3,000 repositories",
        ),
        (&["check", "dc"], &[("BBCONNECT_MAX_PAGES", "4")], "4 pages"),
        (
            &["check", "dc", "--json"],
            &[("BBCONNECT_MAX_REPOS", "2000")],
            "2,000 repositories",
        ),
        (&["repos", "dc", "--max-repos", "0"], &[], "--max-repos"),
    ];
    for (args, env, needle) in runs {
        let mut cmd = command(&sim, d, args, None);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("a capped listing ends")
            .unwrap();
        let all = text(&out);
        let expected = if args.contains(&"0") { 2 } else { 1 };
        assert_eq!(out.status.code(), Some(expected), "{args:?} {env:?}\n{all}");
        assert!(
            all.contains(needle),
            "{args:?}: names the cap ({needle})\n{all}"
        );
        if expected == 1 && !args.contains(&"--json") {
            assert!(
                all.contains("BBCONNECT_MAX_"),
                "{args:?}: says how to raise it\n{all}"
            );
        }
        if args[0] == "repos" {
            assert!(
                out.stdout.is_empty(),
                "a failed listing prints no partial list"
            );
        }
    }
    // `connect` itself: its check counts with the same cap.
    let url = sim.server_url();
    let mut cmd = command(&sim, d, &dc_connect(&url), Some(ALICE));
    cmd.arg("--replace").env("BBCONNECT_MAX_PAGES", "3");
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("3 pages"), "{}", text(&out));
    let bad = command(&sim, d, &dc_connect(&url), Some(ALICE))
        .arg("--replace")
        .env("BBCONNECT_MAX_REPOS", "lots")
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("BBCONNECT_MAX_REPOS"));
}

// ---- The HTTP layer: a header it cannot build is not the network (item 8) ----

#[tokio::test(flavor = "multi_thread")]
async fn a_header_that_cannot_be_built_is_input_never_retried_never_sent() {
    use bbconnect::bitbucket::http::{Auth, Http, HttpError, RetryPolicy};
    let sim = sim_with(Scenario::Normal).await;
    let http = Http::new(
        Duration::from_secs(5),
        Duration::from_secs(5),
        4,
        RetryPolicy {
            max_retries: 4,
            base: Duration::from_millis(10),
        },
    )
    .unwrap();
    let url = format!("{}/rest/api/1.0/application-properties", sim.server_url());
    let (tx, mut retries) = tokio::sync::mpsc::unbounded_channel();
    for secret in ["test-token-\u{1}", "test-token-\u{0}", "test-token-\u{7f}"] {
        let auth = Auth::Bearer(SecretString::from(secret.to_string()));
        let err = http.get_json(&url, &auth, Some(&tx)).await.unwrap_err();
        assert!(matches!(err, HttpError::BadRequest { .. }), "{err:?}");
        let p = bbconnect::bitbucket::explain::problem(&err, AuthKind::HttpTokenUser, &url);
        assert_eq!(p.class, FailureClass::Input, "{p}");
        assert!(!format!("{err} {p}").contains("test-token"), "{p}");
    }
    assert!(retries.try_recv().is_err(), "no retry was announced");
    assert_eq!(sim.request_count(), 0, "nothing reached the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wizard_listing_stops_at_the_cap_too() {
    use bbconnect::store::{SecretStoreMode, Store};
    use bbconnect::tui::wizard::msg::{Effect, Msg};
    use bbconnect::tui::worker::{self, WorkerContext};
    let sim = sim_with(Scenario::NeverLastPage).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).unwrap();
    let limits = ListLimits {
        max_pages: 4,
        ..ListLimits::default()
    };
    let ep = endpoints(&sim);
    let (tx, mut replies) = tokio::sync::mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(ep, std::sync::Arc::new(store), capped(limits)),
        tx,
    );
    let creds = client_for(&sim, Provider::Server, capped(limits))
        .spec()
        .clone();
    handle.send(Effect::LoadRepos {
        id: 7,
        creds: Credentials {
            spec: creds,
            secret: SecretString::from("test-token-alice".to_string()),
        },
        allow_http: false,
    });
    let mut rows = 0;
    let result = loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), replies.recv())
            .await
            .expect("the capped listing ends")
            .expect("worker alive");
        match msg {
            Msg::ReposPage { id: 7, page } => rows += page.repos.len(),
            Msg::ReposDone { id: 7, result } => break result,
            _ => {}
        }
    };
    let p = result.expect_err("the wizard's listing is capped as well");
    assert!(p.what.contains("4 pages"), "{}", p.what);
    assert!(rows <= 4_000, "{rows} rows past a cap of 4 pages of 1,000");
}
