//! The commands run in-process through an [`Io`] of buffers, against the simulator on
//! loopback: what each prints, where, and its exit code, without spawning the binary.

use clap::Parser;
use secrecy::SecretString;

use super::repos::ReposArgs;
use super::*;
use crate::bitbucket::Endpoints;
use crate::settings::Settings;
use crate::sim::{self, SimConfig, SimHandle};
use crate::store::{SecretStoreMode, Store};

struct Env {
    sim: SimHandle,
    _dir: tempfile::TempDir,
    store: Store,
    endpoints: Endpoints,
}

async fn env() -> Env {
    let sim = sim::start(SimConfig {
        port: 0,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts on loopback");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    let endpoints = Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    };
    Env {
        sim,
        _dir: dir,
        store,
        endpoints,
    }
}

impl Env {
    /// A command context on this environment's store directory, printing into buffers.
    fn ctx(&self) -> (Ctx, output::Captured) {
        self.ctx_with(Settings::default())
    }

    /// [`Env::ctx`] with these settings (their endpoints replaced by the simulator's).
    fn ctx_with(&self, settings: Settings) -> (Ctx, output::Captured) {
        let (io, seen) = Io::memory();
        let store = Store::open(Some(self.store.dir().to_path_buf()), SecretStoreMode::File)
            .expect("store");
        let settings = Settings {
            endpoints: self.endpoints.clone(),
            ..settings
        };
        (Ctx::with_store(io, settings, store), seen)
    }
}

fn with_token(token: &str) -> Settings {
    Settings {
        token: Some(SecretString::from(token.to_string())),
        ..Settings::default()
    }
}

fn connect_args(url: &str, extra: &[&str]) -> connect::ConnectArgs {
    let mut argv = vec![
        "bbconnect",
        "connect",
        "--provider",
        "server",
        "--auth",
        "http-token-user",
        "--name",
        "dc",
        "--url",
        url,
        "--username",
        "alice",
    ];
    argv.extend_from_slice(extra);
    match Cli::try_parse_from(argv).expect("flags parse").command {
        Some(Command::Connect(args)) => args,
        other => panic!("not connect: {other:?}"),
    }
}

/// Saves `dc` (alice's Data Center user token) and returns what connect printed.
async fn connect_dc(e: &Env) -> Captured {
    let (mut ctx, seen) = e.ctx_with(with_token("test-token-alice"));
    let args = connect_args(&e.sim.server_url(), &[]);
    connect::run(&mut ctx, args)
        .await
        .unwrap_or_else(|p| panic!("connect failed: {p}\n{}", seen.err()));
    seen
}

use super::output::Captured;

#[tokio::test(flavor = "multi_thread")]
async fn connect_prints_the_checks_on_err_and_the_saved_connection_on_out() {
    let e = env().await;
    let seen = connect_dc(&e).await;
    assert!(seen.err().contains("Checks for dc:"), "{}", seen.err());
    assert!(seen.err().contains("[ok  ]"), "{}", seen.err());
    assert!(
        seen.out().starts_with("Saved connection `dc` in "),
        "{}",
        seen.out()
    );
    assert!(!seen.out().contains("Checks for"), "{}", seen.out());
    assert!(!seen.out().contains("test-token-alice"));
    assert!(e.store.get("dc").expect("reads").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_a_rejected_token_exits_3_prints_json_and_saves_nothing() {
    let e = env().await;
    let (mut ctx, seen) = e.ctx_with(with_token("test-token-wrong"));
    let args = connect_args(&e.sim.server_url(), &["--json"]);
    let failure = connect::run(&mut ctx, args).await.expect_err("rejected");
    assert_eq!(failure.class.exit_code(), 3, "{failure}");
    let doc: serde_json::Value = serde_json::from_str(seen.out().trim()).expect("one JSON");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["name"], "dc");
    assert!(e.store.get("dc").expect("reads").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_without_a_secret_in_the_settings_exits_2() {
    let e = env().await;
    let (mut ctx, seen) = e.ctx();
    let args = connect_args(&e.sim.server_url(), &[]);
    let failure = connect::run(&mut ctx, args).await.expect_err("no secret");
    assert_eq!(failure.class.exit_code(), 2);
    assert!(failure.fix.contains("BBCONNECT_TOKEN"), "{failure}");
    assert_eq!(seen.out(), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_says_where_nothing_is_saved_then_shows_the_table() {
    let e = env().await;
    let (mut ctx, seen) = e.ctx();
    list::run(&mut ctx, list::ListArgs { json: false }).expect("lists");
    assert!(
        seen.out().starts_with("No saved connections in "),
        "{}",
        seen.out()
    );
    connect_dc(&e).await;
    let (mut ctx, seen) = e.ctx();
    list::run(&mut ctx, list::ListArgs { json: false }).expect("lists");
    let out = seen.out();
    let mut lines = out.lines();
    assert!(lines.next().unwrap_or("").starts_with("NAME"), "{out}");
    let row = lines.next().unwrap_or("");
    assert!(
        row.starts_with("dc ") && row.contains("http-token-user"),
        "{out}"
    );
    assert_eq!(seen.err(), "");
    let (mut ctx, seen) = e.ctx();
    list::run(&mut ctx, list::ListArgs { json: true }).expect("lists");
    let doc: serde_json::Value = serde_json::from_str(seen.out().trim()).expect("JSON");
    assert_eq!(doc[0]["name"], "dc");
    assert_eq!(doc[0]["auth"], "http-token-user");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_prints_its_report_on_out_and_an_unknown_name_exits_2() {
    let e = env().await;
    connect_dc(&e).await;
    let (mut ctx, seen) = e.ctx();
    let all = || check::CheckArgs {
        names: Vec::new(),
        json: false,
    };
    check::run(&mut ctx, all())
        .await
        .unwrap_or_else(|p| panic!("{p}"));
    assert!(seen.out().starts_with("Checks for dc:"), "{}", seen.out());
    assert!(!seen.out().contains("[FAIL]"), "{}", seen.out());

    let (mut ctx, seen) = e.ctx();
    let nope = check::CheckArgs {
        names: vec!["nope".into()],
        json: false,
    };
    let failure = check::run(&mut ctx, nope).await.expect_err("unknown");
    assert_eq!(failure.class.exit_code(), 2);
    assert!(failure.what.contains("`nope`"), "{failure}");
    assert_eq!(seen.out(), "");

    // A bad limit in the settings is the user's input error, said before any request.
    let bad = Settings {
        max_repos: Some("lots".into()),
        ..Settings::default()
    };
    let (mut ctx, _) = e.ctx_with(bad);
    let failure = check::run(&mut ctx, all()).await.expect_err("bad limit");
    assert_eq!(failure.class.exit_code(), 2);
    assert!(failure.what.contains("BBCONNECT_MAX_REPOS"), "{failure}");
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_prints_one_line_per_repository_and_says_when_nothing_matches() {
    let e = env().await;
    connect_dc(&e).await;
    let limits = crate::bitbucket::ListLimits::default();
    let args = ReposArgs {
        name: None,
        filter: None,
        json: false,
        concurrency: 4,
        max_repos: limits.max_repos,
        max_pages: limits.max_pages,
    };
    let (mut ctx, seen) = e.ctx();
    repos::run(&mut ctx, args.clone())
        .await
        .unwrap_or_else(|p| panic!("{p}"));
    let out = seen.out();
    assert!(out.lines().count() > 1, "{out}");
    assert!(
        out.lines()
            .all(|l| l.split('\t').count() == 2 && l.contains('/')),
        "{out}"
    );
    let (mut ctx, seen) = e.ctx();
    let none = ReposArgs {
        filter: Some("zzzzqqqq-no-such".into()),
        ..args
    };
    repos::run(&mut ctx, none)
        .await
        .unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(seen.out(), "");
    assert!(
        seen.err()
            .contains("no repository matches `zzzzqqqq-no-such`"),
        "{}",
        seen.err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_says_what_it_removed_or_prints_one_json_document() {
    let e = env().await;
    connect_dc(&e).await;
    let remove_dc = |delete_webhook, json| remove::RemoveArgs {
        name: "dc".into(),
        delete_webhook,
        delete_key: false,
        json,
    };
    let (mut ctx, seen) = e.ctx();
    remove::run(&mut ctx, remove_dc(false, true))
        .await
        .unwrap_or_else(|p| panic!("{p}"));
    let doc: serde_json::Value = serde_json::from_str(seen.out().trim()).expect("one JSON");
    assert_eq!(doc["removed"], true);
    assert_eq!(doc["name"], "dc");
    assert!(e.store.get("dc").expect("reads").is_none());

    connect_dc(&e).await;
    let (mut ctx, seen) = e.ctx();
    remove::run(&mut ctx, remove_dc(true, false))
        .await
        .unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(
        seen.out(),
        "Connection `dc` has no saved webhook: nothing to delete.\n\
         Removed connection `dc` and its secret.\n"
    );

    let (mut ctx, _) = e.ctx();
    let failure = remove::run(&mut ctx, remove_dc(true, false))
        .await
        .expect_err("gone");
    assert_eq!(failure.class.exit_code(), 2, "{failure}");
}

/// `--help` of `name` as a user reads it.
fn long_help(name: &str) -> String {
    let mut cmd = command();
    cmd.find_subcommand_mut(name)
        .unwrap_or_else(|| panic!("no `{name}` command"))
        .render_long_help()
        .to_string()
}

#[test]
fn help_and_the_man_page_show_rotate_expires_and_what_status_exits_with() {
    for name in ["status", "check"] {
        let help = long_help(name);
        for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "5 "] {
            assert!(
                help.contains(&format!("\n  {code} ")),
                "{name} --help lacks exit code {code}:\n{help}"
            );
        }
        assert!(help.contains("BBCONNECT_EXPIRY_WARN_DAYS"), "{help}");
    }
    let rotate = long_help("rotate");
    for said in [
        "--token-stdin",
        "--expires",
        "read access",
        "exit 3",
        "Kept:",
    ] {
        assert!(
            rotate.contains(said),
            "rotate --help lacks {said:?}:\n{rotate}"
        );
    }
    assert!(long_help("connect").contains("--expires <YYYY-MM-DD>"));
    let top = command().render_long_help().to_string();
    for said in [
        "bbconnect rotate NAME",
        "--expires",
        "bbconnect status",
        "Exit codes",
    ] {
        assert!(
            top.contains(said),
            "bbconnect --help lacks {said:?}:\n{top}"
        );
    }

    let mut page = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut page)
        .expect("rendered");
    // roff escapes every hyphen.
    let page = String::from_utf8(page).expect("text").replace("\\-", "-");
    for said in [
        "bbconnect-rotate",
        "bbconnect rotate NAME --token-stdin",
        "--expires YYYY-MM-DD",
        "`check` and `status` exit with the worst code",
        "3 credential rejected, revoked or",
    ] {
        assert!(page.contains(said), "the man page lacks {said:?}:\n{page}");
    }
}
