//! The OAuth sign-in end to end through the wizard and the worker, against the simulator,
//! with a stand-in browser: the opener follows the authorize redirect with reqwest, landing
//! on the worker's callback listener, exactly as a real browser would. And the SSH case: no
//! browser opens, the user signs in elsewhere and pastes the address the browser ended on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bbconnect::bitbucket::ClientOptions;
use bbconnect::core::browser::{BrowserOutcome, NoBrowser};
use bbconnect::core::model::OAuthGrant;
use bbconnect::sim::{self, SimConfig, SimHandle};
use bbconnect::store::{SecretStoreMode, Store};
use bbconnect::tui::wizard::msg::{EditKey, Effect, Msg};
use bbconnect::tui::wizard::oauth::{OAuthState, PasteState};
use bbconnect::tui::wizard::{Step, Wizard, WizardConfig, update};
use bbconnect::tui::worker::{self, WorkerContext};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use crate::common::creds::endpoints;
use crate::common::wait::free_port;

/// What the stand-in browser saw: the last page it landed on.
type Pages = Arc<Mutex<Vec<String>>>;

fn stand_in_browser(pages: Pages) -> bbconnect::engine::oauth::Opener {
    Arc::new(move |url: &str| {
        let url = url.to_string();
        let pages = pages.clone();
        tokio::spawn(async move {
            // reqwest follows the 302 to the callback by itself, like a browser.
            let body = match reqwest::get(&url).await {
                Ok(resp) => resp.text().await.unwrap_or_default(),
                Err(e) => format!("browser error: {e}"),
            };
            pages.lock().unwrap().push(body);
        });
        BrowserOutcome::Opened
    })
}

/// A browser that never comes back (the user walked away).
fn absent_browser() -> bbconnect::engine::oauth::Opener {
    Arc::new(|_: &str| BrowserOutcome::Opened)
}

/// An SSH session: no browser is tried here.
fn no_browser_here() -> bbconnect::engine::oauth::Opener {
    Arc::new(|_: &str| BrowserOutcome::NotTried(NoBrowser::Ssh))
}

/// What a browser on another machine does with the authorize URL: signs in (the simulator
/// approves at once) and lands on the callback address, which it cannot load. The address.
async fn sign_in_elsewhere(authorize_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(authorize_url).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    resp.headers()["location"].to_str().unwrap().to_string()
}

struct Rig {
    wizard: Wizard,
    worker: worker::WorkerHandle,
    replies: mpsc::UnboundedReceiver<Msg>,
    store: Arc<Store>,
    _dir: tempfile::TempDir,
}

fn rig(sim: &SimHandle, opener: bbconnect::engine::oauth::Opener, wait: Duration) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).unwrap());
    let endpoints = endpoints(sim);
    let (tx, replies) = mpsc::unbounded_channel();
    let mut ctx = WorkerContext::new(endpoints, store.clone(), ClientOptions::default());
    ctx.opener = opener;
    ctx.oauth_wait = wait;
    let worker = worker::spawn(ctx, tx);
    let wizard = Wizard::new(WizardConfig {
        cloud_web_url: sim.cloud_web_url(),
        oauth_key: Some("test-oauth-key".into()),
        oauth_secret: Some(SecretString::from("test-oauth-secret")),
        ..WizardConfig::default()
    });
    Rig {
        wizard,
        worker,
        replies,
        store,
        _dir: dir,
    }
}

impl Rig {
    fn send(&mut self, msg: Msg) {
        for effect in update(&mut self.wizard, msg) {
            if !matches!(effect, Effect::Quit) {
                self.worker.send(effect);
            }
        }
    }

    /// Feeds worker replies to the wizard until `done` holds (or fails after 20 s).
    async fn until(&mut self, what: &str, done: impl Fn(&Wizard) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.wizard) {
            let reply = tokio::time::timeout_at(deadline, self.replies.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("worker alive");
            self.send(reply);
        }
    }

    /// OAuth form with the consumer prefilled; the callback set to `port`; submitted.
    fn submit_oauth(&mut self, name: &str, port: u16) {
        self.send(Msg::Confirm); // Cloud
        self.send(Msg::Home); // OAuth2 is the first Cloud type
        self.send(Msg::Confirm);
        assert_eq!(self.wizard.step, Step::Form);
        for c in name.chars() {
            self.send(Msg::Edit(EditKey::Char(c)));
        }
        for _ in 0..4 {
            self.send(Msg::NextField);
        }
        self.send(Msg::Edit(EditKey::End));
        self.send(Msg::Edit(EditKey::ClearLine));
        for c in format!("http://127.0.0.1:{port}/callback").chars() {
            self.send(Msg::Edit(EditKey::Char(c)));
        }
        self.send(Msg::Confirm);
        assert_eq!(self.wizard.step, Step::Check);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_check_list_and_save_keep_the_refresh_token() {
    let sim = sim::start(SimConfig {
        repos: Some(30),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let pages: Pages = Arc::default();
    let mut rig = rig(
        &sim,
        stand_in_browser(pages.clone()),
        Duration::from_secs(20),
    );
    rig.submit_oauth("cloud-oauth", free_port());
    rig.until("the check report", |w| w.check_report().is_some())
        .await;
    let report = rig.wizard.check_report().unwrap().clone();
    assert!(report.passed(), "{:#?}", report.items);
    assert_eq!(report.identity.unwrap().username, "alice");
    assert!(
        pages.lock().unwrap()[0].contains("close this tab"),
        "the browser is told to close the tab: {:?}",
        pages.lock().unwrap()
    );

    rig.send(Msg::Confirm);
    rig.until("repositories", |w| {
        w.repos.load == bbconnect::tui::wizard::repos::LoadState::Done
    })
    .await;
    rig.send(Msg::Confirm);
    assert_eq!(rig.wizard.step, Step::Webhook);
    rig.send(Msg::Skip);
    rig.until("the save", |w| w.step == Step::Done).await;

    let conn = rig.store.get("cloud-oauth").unwrap().expect("saved");
    assert_eq!(conn.username.as_deref(), Some("test-oauth-key"));
    let secret = rig.store.secret("cloud-oauth").unwrap();
    let grant = OAuthGrant::from_stored(secret.expose_secret()).expect("an OAuth blob");
    assert!(
        grant
            .access_token
            .expose_secret()
            .starts_with("test-token-oauth-access-")
    );
    assert!(
        grant
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .starts_with("test-token-oauth-refresh-")
    );
    assert_eq!(grant.consumer_secret.expose_secret(), "test-oauth-secret");
    assert!(grant.expires_at.is_some());
    rig.worker.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wait_times_out_and_esc_frees_the_callback_port() {
    let sim = sim::start(SimConfig {
        repos: Some(10),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut rig = rig(&sim, absent_browser(), Duration::from_millis(300));
    let port = free_port();
    rig.submit_oauth("late", port);
    rig.until("the timeout", |w| w.oauth.failed().is_some())
        .await;
    assert!(
        rig.wizard
            .oauth
            .failed()
            .unwrap()
            .what
            .contains("time limit")
    );

    // Sign in again, then Esc: the listener must be gone so the port can be bound again.
    rig.send(Msg::Retry);
    rig.until("the URL", |w| {
        matches!(&w.oauth, OAuthState::Waiting { url: Some(_), .. })
    })
    .await;
    rig.send(Msg::Back);
    assert_eq!(rig.wizard.step, Step::Form);
    let mut freed = false;
    for _ in 0..50 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "Esc must stop the callback listener");
    rig.worker.shutdown();
}

impl Rig {
    fn paste(&mut self, text: &str) {
        self.send(Msg::Edit(EditKey::End));
        self.send(Msg::Edit(EditKey::ClearLine));
        for c in text.chars() {
            self.send(Msg::Edit(EditKey::Char(c)));
        }
        self.send(Msg::Confirm);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn over_ssh_the_pasted_redirect_signs_in_and_a_wrong_state_is_refused() {
    let sim = sim::start(SimConfig {
        repos: Some(10),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut rig = rig(&sim, no_browser_here(), Duration::from_secs(20));
    let port = free_port();
    rig.submit_oauth("ssh-oauth", port);
    rig.until("the URL and the browser verdict", |w| {
        matches!(
            &w.oauth,
            OAuthState::Waiting {
                url: Some(_),
                browser: Some(_),
                ..
            }
        )
    })
    .await;
    let OAuthState::Waiting {
        url: Some(url),
        browser: Some(browser),
        ..
    } = &rig.wizard.oauth
    else {
        unreachable!()
    };
    assert_eq!(*browser, BrowserOutcome::NotTried(NoBrowser::Ssh));
    let landed = sign_in_elsewhere(&url.clone()).await;
    assert!(
        landed.starts_with(&format!("http://127.0.0.1:{port}/callback?")),
        "{landed}"
    );

    // Another sign-in's answer (its state differs) is refused, and the sign-in goes on.
    let forged = url::Url::parse(&landed).unwrap();
    let mut wrong = forged.clone();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "0000".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    wrong.query_pairs_mut().clear().extend_pairs(pairs);
    rig.paste(wrong.as_str());
    rig.until("the refusal", |w| {
        matches!(
            &w.oauth,
            OAuthState::Waiting {
                paste_state: PasteState::Refused(_),
                ..
            }
        )
    })
    .await;
    let OAuthState::Waiting {
        paste_state: PasteState::Refused(problem),
        ..
    } = &rig.wizard.oauth
    else {
        unreachable!()
    };
    assert!(problem.what.contains("another sign-in"), "{problem}");

    // The right address: exchanged like a callback, then the check runs with the token.
    rig.paste(&landed);
    rig.until("the check report", |w| w.check_report().is_some())
        .await;
    let report = rig.wizard.check_report().unwrap().clone();
    assert!(report.passed(), "{:#?}", report.items);
    assert_eq!(report.identity.unwrap().username, "alice");
    rig.send(Msg::Confirm);
    rig.until("repositories", |w| {
        w.repos.load == bbconnect::tui::wizard::repos::LoadState::Done
    })
    .await;
    rig.send(Msg::Confirm);
    rig.send(Msg::Skip);
    rig.until("the save", |w| w.step == Step::Done).await;
    let secret = rig.store.secret("ssh-oauth").unwrap();
    let grant = OAuthGrant::from_stored(secret.expose_secret()).expect("an OAuth blob");
    assert!(grant.refresh_token.is_some());
    rig.worker.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listener_still_wins_while_a_paste_is_being_typed() {
    let sim = sim::start(SimConfig {
        repos: Some(10),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut rig = rig(&sim, absent_browser(), Duration::from_secs(20));
    rig.submit_oauth("both", free_port());
    rig.until("the URL", |w| w.oauth.url().is_some()).await;
    for c in "http://127.0.0.1".chars() {
        rig.send(Msg::Edit(EditKey::Char(c)));
    }
    // A browser on this machine (or through the tunnel) reaches the listener meanwhile.
    let url = rig.wizard.oauth.url().unwrap().to_string();
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("close this tab"), "{page}");
    rig.until("the check report", |w| w.check_report().is_some())
        .await;
    assert!(rig.wizard.check_report().unwrap().passed());
    rig.worker.shutdown();
}
