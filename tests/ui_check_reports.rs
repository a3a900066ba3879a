//! Snapshots of the Check screen with reports the real check engine produced against the
//! simulator (all passed, with warnings, with failures), and of the OAuth sign-in screens.
//! The simulator's random port is rewritten to 7990 in the report before drawing, so the
//! snapshots are stable while every line is the engine's own.

use bbconnect::bitbucket::model::{
    AuthKind, CheckReport, CheckStatus, ConnectionSpec, Credentials, FailureClass, Problem,
    Provider,
};
use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use bbconnect::ui;
use bbconnect::wizard::msg::{Effect, Msg};
use bbconnect::wizard::{CheckState, Step, Wizard, WizardConfig, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use unicode_width::UnicodeWidthStr;

const SHOWN_BASE: &str = "http://127.0.0.1:7990";

fn screen(w: &Wizard, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| ui::draw(f, w)).unwrap();
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = sym.width().saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

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
    let endpoints = Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    };
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
            .handle(bbconnect::wizard::msg::EditKey::Char(c));
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

fn status_of(report: &CheckReport, id: &str) -> CheckStatus {
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
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_warnings_app_password() {
    let sim = start(Scenario::Normal).await;
    let s = spec(AuthKind::AppPassword, SHOWN_BASE, Some("alice"), None);
    let r = report(&sim, &s, "test-token-app-password").await;
    assert!(r.passed(), "{:#?}", r.items);
    assert_eq!(status_of(&r, "credential"), CheckStatus::Warning);
    let shown = screen(&on_check(&s, r), 100, 30);
    assert!(shown.contains("2026-07-28"), "{shown}");
    insta::assert_snapshot!(shown);
    sim.shutdown().await;
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
    sim.shutdown().await;
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
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn check_screen_failed_localhost_links() {
    let sim = start(Scenario::LocalhostLinks).await;
    // Links at localhost are wrong only for a server reached elsewhere (issue 13): the
    // simulator is reached as bitbucket.test, and shown on port 7990.
    let addr: std::net::SocketAddr = sim
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let named = format!("http://bitbucket.test:{}", addr.port());
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
    sim.shutdown().await;
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

#[test]
fn oauth_waiting_shows_the_url_for_ssh_sessions() {
    let (mut w, id) = oauth_waiting();
    let url = "https://bitbucket.org/site/oauth2/authorize?client_id=test-oauth-key&response_type=code&state=0123456789abcdef&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback";
    update(
        &mut w,
        Msg::OAuthUrl {
            id,
            url: url.into(),
        },
    );
    let shown = screen(&w, 100, 24);
    // The URL is on screen in full (wrapped), so it can be copied to another machine.
    let joined: String = shown.lines().map(str::trim).collect();
    assert!(joined.contains(url), "{shown}");
    assert!(shown.contains("Esc"), "{shown}");
    assert!(!shown.contains("test-oauth-secret"));
    insta::assert_snapshot!(shown);
}

#[test]
fn oauth_failed_offers_retry_and_edit() {
    let (mut w, id) = oauth_waiting();
    update(
        &mut w,
        Msg::OAuthDone {
            id,
            result: Err(Problem::new(
                FailureClass::Other,
                "No sign-in arrived before the time limit.",
                "Open the sign-in link again and approve the consumer in the browser.",
            )),
        },
    );
    let shown = screen(&w, 80, 24);
    assert!(shown.contains("time limit"), "{shown}");
    assert!(shown.contains("r sign in again"), "{shown}");
    insta::assert_snapshot!(shown);
}
