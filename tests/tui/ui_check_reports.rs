//! Snapshots of the Check screen with reports the real check engine produced against the
//! simulator (all passed, with warnings, with failures), and of the OAuth sign-in screens.
//! The simulator's random port is rewritten to 7990 in the report before drawing, so the
//! snapshots are stable while every line is the engine's own.

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::browser::{BrowserOutcome, NoBrowser};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, CheckReport, CheckStatus, ConnectionSpec, Credentials, FailureClass, Problem,
    Provider,
};
use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use bbconnect::tui::ui;
use bbconnect::tui::wizard::msg::{Effect, Msg};
use bbconnect::tui::wizard::{CheckState, Step, Wizard, WizardConfig, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

use crate::common::creds::endpoints;
use crate::common::screen::draw as screen;

const SHOWN_BASE: &str = "http://127.0.0.1:7990";

async fn start(scenario: Scenario) -> SimHandle {
    sim::start(SimConfig {
        scenario,
        repos: Some(120),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn spec(auth: AuthKind, url: &str, user: Option<&str>, repo: Option<&str>) -> ConnectionSpec {
    ConnectionSpec {
        name: "work".into(),
        provider: auth.provider(),
        auth,
        url: url.into(),
        username: user.map(Into::into),
        repo: repo.map(Into::into),
    }
}

/// The engine's report for this credential, with the simulator's address made stable.
async fn report(sim: &SimHandle, spec: &ConnectionSpec, secret: &str) -> CheckReport {
    let endpoints = endpoints(sim);
    let creds = Credentials {
        spec: ConnectionSpec {
            url: sim.base_url(),
            ..spec.clone()
        },
        secret: SecretString::from(secret.to_string()),
    };
    let report = Client::new(creds, &endpoints, ClientOptions::default())
        .unwrap()
        .check(None)
        .await;
    let text = serde_json::to_string(&report)
        .unwrap()
        .replace(&sim.base_url(), SHOWN_BASE)
        .replace(&sim.base_url().replace("http://", ""), "127.0.0.1:7990");
    serde_json::from_str(&text).unwrap()
}

/// The wizard on the Check screen for `spec`, with `report` as the finished check.
fn on_check(spec: &ConnectionSpec, report: CheckReport) -> Wizard {
    on_check_at(spec, report, SHOWN_BASE)
}

/// `on_check` with the URL typed in the form.
fn on_check_at(spec: &ConnectionSpec, report: CheckReport, shown: &str) -> Wizard {
    let mut w = Wizard::new(WizardConfig {
        cloud_web_url: shown.into(),
        server_url: Some(shown.into()),
        ..WizardConfig::default()
    });
    w.provider = spec.provider;
    w.auth = spec.auth;
    w.step = Step::Form;
    w.history = vec![Step::Provider, Step::AuthType];
    w.form.name = spec.name.as_str().into();
    w.form.url = shown.into();
    w.form.username = spec.username.as_deref().unwrap_or_default().into();
    w.form.email = spec.username.as_deref().unwrap_or_default().into();
    w.form.repo = spec.repo.as_deref().unwrap_or_default().into();
    for c in "test-token-x".chars() {
        w.form
            .secret
            .handle(bbconnect::tui::wizard::msg::EditKey::Char(c));
    }
    w.form.focus = 3;
    let mut effects = update(&mut w, Msg::Confirm);
    if effects.is_empty() && shown.starts_with("http://bitbucket.test") {
        // Plain http to a host that is not loopback: the form asks to press Enter again.
        effects = update(&mut w, Msg::Confirm);
    }
    let Some(Effect::CheckCredentials { id, .. }) = effects.first() else {
        panic!("no check started: {effects:?} notice={:?}", w.notice)
    };
    update(&mut w, Msg::CheckDone { id: *id, report });
    assert!(matches!(w.check, CheckState::Finished { .. }));
    w
}

fn status_of(report: &CheckReport, id: CheckId) -> CheckStatus {
    report
        .items
        .iter()
        .find(|i| i.id == id)
        .map(|i| i.status)
        .unwrap_or_else(|| panic!("no {id} row: {:#?}", report.items))
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_all_passed_server_user_token() {
    let sim = start(Scenario::Normal).await;
    let s = spec(AuthKind::HttpTokenUser, SHOWN_BASE, Some("alice"), None);
    let r = report(&sim, &s, "test-token-alice").await;
    assert!(r.passed(), "{:#?}", r.items);
    let shown = screen(&on_check(&s, r), 100, 30);
    assert!(shown.contains("Signed in as alice"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_warnings_app_password() {
    let sim = sim::start(SimConfig {
        repos: Some(120),
        app_passwords_accepted: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let s = spec(AuthKind::AppPassword, SHOWN_BASE, Some("alice"), None);
    let r = report(&sim, &s, "test-token-app-password").await;
    assert!(r.passed(), "{:#?}", r.items);
    assert_eq!(status_of(&r, CheckId::Credential), CheckStatus::Warning);
    let shown = screen(&on_check(&s, r), 100, 30);
    assert!(shown.contains("2026-07-28"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_warnings_bob_without_admin() {
    let sim = start(Scenario::Normal).await;
    let s = spec(AuthKind::HttpTokenUser, SHOWN_BASE, Some("bob"), None);
    let r = report(&sim, &s, "test-token-bob").await;
    assert!(r.passed(), "{:#?}", r.items);
    assert!(
        r.items
            .iter()
            .any(|i| i.status == CheckStatus::Warning && i.detail.contains("admin")),
        "{:#?}",
        r.items
    );
    let shown = screen(&on_check(&s, r), 100, 30);
    insta::assert_snapshot!(shown);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_failed_missing_scope() {
    let sim = start(Scenario::Normal).await;
    let s = spec(
        AuthKind::ApiToken,
        SHOWN_BASE,
        Some("carol@example.com"),
        None,
    );
    let r = report(&sim, &s, "test-token-noscope").await;
    assert!(!r.passed(), "{:#?}", r.items);
    assert_eq!(r.exit_code(), FailureClass::Permission.exit_code());
    let shown = screen(&on_check(&s, r), 100, 30);
    assert!(shown.contains("read:user:bitbucket"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_failed_localhost_links() {
    let sim = start(Scenario::LocalhostLinks).await;
    // Links at localhost are wrong only for a server reached elsewhere: the
    // simulator is reached as bitbucket.test, and shown on port 7990.
    let (addr, named) = crate::common::sim::as_bitbucket_test(&sim);
    let shown_named = "http://bitbucket.test:7990";
    let s = spec(AuthKind::HttpTokenUser, shown_named, Some("alice"), None);
    let creds = Credentials {
        spec: ConnectionSpec {
            url: named.clone(),
            ..s.clone()
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let options = ClientOptions {
        allow_http: true,
        resolve: vec![("bitbucket.test".into(), addr)],
        ..ClientOptions::default()
    };
    let r = Client::new(creds, &Endpoints::default(), options)
        .unwrap()
        .check(None)
        .await;
    let text = serde_json::to_string(&r)
        .unwrap()
        .replace(&named, shown_named)
        .replace(&named.replace("http://", ""), "bitbucket.test:7990");
    let r: CheckReport = serde_json::from_str(&text).unwrap();
    assert!(!r.passed(), "{:#?}", r.items);
    let shown = screen(&on_check_at(&s, r, shown_named), 100, 30);
    assert!(shown.contains("localhost"), "{shown}");
    assert!(shown.contains("base URL"), "{shown}");
    insta::assert_snapshot!(shown);
}

fn oauth_waiting() -> (Wizard, u64) {
    let mut w = Wizard::new(WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        oauth_key: Some("test-oauth-key".into()),
        oauth_secret: Some(SecretString::from("test-oauth-secret")),
        ..WizardConfig::default()
    });
    w.provider = Provider::Cloud;
    w.auth = AuthKind::OAuth;
    w.step = Step::Form;
    w.history = vec![Step::Provider, Step::AuthType];
    w.form.name = "cloud-oauth".into();
    w.form.focus = 4;
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::OAuthSignIn { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    (w, *id)
}

const AUTHORIZE: &str = "https://bitbucket.org/site/oauth2/authorize?client_id=test-oauth-key&response_type=code&state=0123456789abcdef&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback";

/// The sign-in screen with the URL shown and, if given, the browser's verdict.
fn oauth_with_url(browser: Option<BrowserOutcome>) -> Wizard {
    let (mut w, id) = oauth_waiting();
    update(
        &mut w,
        Msg::OAuthUrl {
            id,
            url: AUTHORIZE.into(),
        },
    );
    if let Some(outcome) = browser {
        update(&mut w, Msg::OAuthBrowser { id, outcome });
    }
    w
}

/// Every cell of the frame, row after row, with nothing between rows: what a terminal's
/// selection gives for rows it soft-wrapped.
fn cells_row_major(w: &Wizard, width: u16, height: u16) -> String {
    cells_vec(w, width, height).concat()
}

fn cells_vec(w: &Wizard, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| ui::draw(f, w)).unwrap();
    let buf = terminal.backend().buffer().clone();
    buf.content()
        .iter()
        .map(|c| c.symbol().to_string())
        .collect()
}

#[test]
fn oauth_waiting_shows_the_url_for_ssh_sessions() {
    let w = oauth_with_url(Some(BrowserOutcome::NotTried(NoBrowser::Ssh)));
    let shown = screen(&w, 100, 24);
    assert!(shown.contains("Esc"), "{shown}");
    assert!(!shown.contains("test-oauth-secret"));
    assert!(shown.contains("this is an SSH session"), "{shown}");
    assert!(!shown.contains("A browser was opened"), "{shown}");
    assert!(shown.contains("ssh -L 8976:127.0.0.1:8976 HOST"), "{shown}");
    assert!(shown.contains("Paste"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn oauth_waiting_at_80_columns_keeps_every_part_on_screen() {
    let w = oauth_with_url(Some(BrowserOutcome::Failed(
        "xdg-open exited with exit status: 3".into(),
    )));
    let shown = screen(&w, 80, 24);
    assert!(shown.contains("No browser could be opened"), "{shown}");
    assert!(shown.contains("ssh -L 8976:127.0.0.1:8976 HOST"), "{shown}");
    assert!(shown.contains("Waiting for the browser"), "{shown}");
    assert!(shown.contains("y copy address"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn the_authorize_url_is_contiguous_in_the_buffer_with_no_padding() {
    let w = oauth_with_url(None);
    for (width, height) in [(80, 24), (100, 30), (57, 30), (200, 50), (40, 30)] {
        let cells = cells_row_major(&w, width, height);
        assert!(
            cells.contains(AUTHORIZE),
            "{width}x{height}: the URL is broken by padding:\n{}",
            screen(&w, width, height)
        );
        // And the app is told to write it once more exactly where it was drawn.
        let at = ui::copyable_url(ratatui::layout::Rect::new(0, 0, width, height), &w)
            .expect("the URL fits");
        assert_eq!(at.text, AUTHORIZE);
        assert_eq!((at.x, at.width), (0, width));
        let start = usize::from(at.y) * usize::from(width);
        let from_there: String =
            cells_vec(&w, width, height)[start..start + AUTHORIZE.len()].concat();
        assert_eq!(from_there, AUTHORIZE, "{width}x{height}");
    }
}

#[test]
fn no_url_to_rewrite_where_it_would_not_fit_or_is_covered() {
    let w = oauth_with_url(None);
    assert!(ui::copyable_url(ratatui::layout::Rect::new(0, 0, 40, 5), &w).is_none());
    let mut help = oauth_with_url(None);
    update(&mut help, Msg::ToggleHelp);
    assert!(ui::copyable_url(ratatui::layout::Rect::new(0, 0, 80, 24), &help).is_none());
}

#[test]
fn the_screen_never_claims_a_browser_it_did_not_open() {
    let opening = screen(&oauth_with_url(None), 80, 24);
    assert!(opening.contains("Opening a browser"), "{opening}");
    for outcome in [
        BrowserOutcome::NotTried(NoBrowser::NoDisplay),
        BrowserOutcome::NotTried(NoBrowser::Ssh),
        BrowserOutcome::Failed("gio exited with 2".into()),
    ] {
        let shown = screen(&oauth_with_url(Some(outcome.clone())), 80, 24);
        assert!(!shown.contains("was opened at"), "{outcome:?}: {shown}");
        assert!(shown.contains("No browser"), "{outcome:?}: {shown}");
    }
    let opened = screen(&oauth_with_url(Some(BrowserOutcome::Opened)), 80, 24);
    assert!(
        opened.contains("A browser was opened at this address"),
        "{opened}"
    );
}

#[test]
fn oauth_failed_offers_retry_and_edit() {
    let (mut w, id) = oauth_waiting();
    let timed_out = Problem::new(
        FailureClass::Other,
        "No sign-in arrived before the time limit.",
        "Open the sign-in link again and approve the consumer in the browser.",
    );
    update(
        &mut w,
        Msg::OAuthDone {
            id,
            result: Err(timed_out),
        },
    );
    let shown = screen(&w, 80, 24);
    assert!(shown.contains("time limit"), "{shown}");
    assert!(shown.contains("r sign in again"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn oauth_waiting_at_40x12_keeps_the_verdict_and_the_paste_field() {
    let w = oauth_with_url(Some(BrowserOutcome::NotTried(NoBrowser::Ssh)));
    let shown = screen(&w, 40, 12);
    assert!(
        shown.contains("No browser opened (SSH session)."),
        "{shown}"
    );
    assert!(shown.contains("▸ Paste:"), "{shown}");
    assert!(cells_row_major(&w, 40, 12).contains(AUTHORIZE), "{shown}");
    insta::assert_snapshot!(shown);
}
