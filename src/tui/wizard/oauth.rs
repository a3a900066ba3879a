//! OAuth2 sign-in as a wizard state: the Check step first waits for the browser to come back,
//! then checks with the access token it got. Pure like the rest of the wizard: the worker does
//! the listening, the browser and the exchange.
//!
//! Over SSH the browser runs on another machine and cannot reach our loopback callback, so
//! the address it lands on can be pasted back here instead; whichever arrives first (the
//! listener or a paste) completes the sign-in.

use tui_input::Input;

use super::form::edit_input;
use super::msg::{EditKey, Effect, RequestId, SignInForm};
use super::{CheckState, Step, Wizard};
use crate::core::browser::BrowserOutcome;
use crate::core::model::{AuthKind, FailureClass, OAuthGrant, Problem};

/// The pasted redirect's progress.
#[derive(Debug, Clone, Default)]
pub enum PasteState {
    #[default]
    Idle,
    /// Sent to the worker, which checks the state and exchanges the code.
    Sent,
    /// Refused (another sign-in's address, no code...): the message says why.
    Refused(Problem),
}

#[derive(Debug, Clone, Default)]
pub enum OAuthState {
    #[default]
    Idle,
    /// The worker listens on the callback; `url` arrives once the listener is up, `browser`
    /// once the opener has answered.
    Waiting {
        id: RequestId,
        url: Option<String>,
        browser: Option<BrowserOutcome>,
        /// The address the browser ended on, pasted by the user.
        paste: Input,
        paste_state: PasteState,
    },
    Failed(Problem),
    /// Signed in: checks, listing and save use these tokens.
    Granted(OAuthGrant),
}

impl OAuthState {
    pub fn waiting(&self) -> bool {
        matches!(self, OAuthState::Waiting { .. })
    }

    pub fn failed(&self) -> Option<&Problem> {
        match self {
            OAuthState::Failed(p) => Some(p),
            _ => None,
        }
    }

    pub fn grant(&self) -> Option<&OAuthGrant> {
        match self {
            OAuthState::Granted(g) => Some(g),
            _ => None,
        }
    }

    /// The authorize URL on screen, while waiting.
    pub fn url(&self) -> Option<&str> {
        match self {
            OAuthState::Waiting { url, .. } => url.as_deref(),
            _ => None,
        }
    }

    /// Whether the paste field takes keys (the URL is shown, so a sign-in can come back).
    pub fn pasting(&self) -> bool {
        self.url().is_some()
    }
}

/// Whether the check must wait for a sign-in first (OAuth without tokens yet).
pub(super) fn needs_sign_in(w: &Wizard) -> bool {
    w.auth == AuthKind::OAuth && w.oauth.grant().is_none()
}

/// Starts a sign-in with the consumer typed in the form.
pub(super) fn begin(w: &mut Wizard) -> Vec<Effect> {
    let id = w.fresh_id();
    w.check = CheckState::Idle;
    w.checked = None;
    w.oauth = OAuthState::Waiting {
        id,
        url: None,
        browser: None,
        paste: Input::default(),
        paste_state: PasteState::Idle,
    };
    vec![Effect::OAuthSignIn {
        id,
        form: SignInForm {
            web_url: w.form.url.value().trim().trim_end_matches('/').to_string(),
            key: w.form.oauth_key.value().trim().to_string(),
            secret: w.form.oauth_secret.to_secret(),
            callback: w.form.callback.value().trim().to_string(),
            allow_http: w.allow_http,
        },
    }]
}

pub(super) fn on_url(w: &mut Wizard, id: RequestId, url: String) {
    if let OAuthState::Waiting {
        id: current,
        url: shown,
        ..
    } = &mut w.oauth
        && *current == id
    {
        *shown = Some(url);
    }
}

pub(super) fn on_browser(w: &mut Wizard, id: RequestId, outcome: BrowserOutcome) {
    if let OAuthState::Waiting {
        id: current,
        browser,
        ..
    } = &mut w.oauth
        && *current == id
    {
        *browser = Some(outcome);
    }
}

pub(super) fn on_paste_refused(w: &mut Wizard, id: RequestId, problem: Problem) {
    if let OAuthState::Waiting {
        id: current,
        paste_state,
        ..
    } = &mut w.oauth
        && *current == id
        && matches!(paste_state, PasteState::Sent)
    {
        *paste_state = PasteState::Refused(problem);
    }
}

/// A key for the paste field; what was refused no longer stands once it is edited.
pub(super) fn edit_paste(w: &mut Wizard, key: EditKey) {
    if let OAuthState::Waiting {
        url: Some(_),
        paste,
        paste_state,
        ..
    } = &mut w.oauth
    {
        if matches!(paste_state, PasteState::Sent) {
            return;
        }
        edit_input(paste, key);
        *paste_state = PasteState::Idle;
    }
}

/// Enter on the sign-in screen: the pasted address goes to the worker to be checked.
pub(super) fn submit_paste(w: &mut Wizard) -> Vec<Effect> {
    let OAuthState::Waiting {
        id,
        url: Some(_),
        paste,
        paste_state,
        ..
    } = &mut w.oauth
    else {
        return Vec::new();
    };
    let redirect = paste.value().trim().to_string();
    if matches!(paste_state, PasteState::Sent) {
        return Vec::new();
    }
    if redirect.is_empty() {
        w.notice = Some(
            "Paste the address the browser ended on (http://127.0.0.1:…/callback?code=…), then Enter."
                .into(),
        );
        return Vec::new();
    }
    *paste_state = PasteState::Sent;
    vec![Effect::OAuthPaste { id: *id, redirect }]
}

/// `y`: the authorize URL to the terminal's clipboard (OSC 52, written by the app).
pub(super) fn copy_url(w: &mut Wizard) -> Vec<Effect> {
    let Some(url) = w.oauth.url().map(str::to_string) else {
        return Vec::new();
    };
    w.notice = Some(
        "Copied to the clipboard through the terminal (OSC 52). Nothing to paste? Your terminal \
         refuses OSC 52: select the address with the mouse."
            .into(),
    );
    vec![Effect::CopyToClipboard(url)]
}

/// The sign-in's end: on success the check starts at once with the new access token.
pub(super) fn on_done(
    w: &mut Wizard,
    id: RequestId,
    result: Result<OAuthGrant, Problem>,
) -> Vec<Effect> {
    if !matches!(w.oauth, OAuthState::Waiting { id: current, .. } if current == id) {
        return Vec::new();
    }
    match result {
        Ok(grant) => {
            w.oauth = OAuthState::Granted(grant);
            if w.step == Step::Check {
                return super::check::start_check(w);
            }
        }
        Err(problem) => w.oauth = OAuthState::Failed(problem),
    }
    Vec::new()
}

/// Retrying a check whose OAuth token was refused (expired, revoked) with the same token
/// would fail the same way: forget it, so the retry signs in afresh.
pub(super) fn forget_rejected(w: &mut Wizard) {
    let rejected = w
        .check_report()
        .is_some_and(|r| r.exit_code() == FailureClass::Rejected.exit_code());
    if w.auth == AuthKind::OAuth && rejected && w.oauth.grant().is_some() {
        w.oauth = OAuthState::Idle;
    }
}

/// Leaving the Check step: a wait in flight is cancelled, and tokens are dropped because the
/// form (consumer, URL) may change before the next check.
pub(super) fn leave(w: &mut Wizard) -> Vec<Effect> {
    let was_waiting = w.oauth.waiting();
    w.oauth = OAuthState::Idle;
    if was_waiting {
        vec![Effect::CancelOAuth]
    } else {
        Vec::new()
    }
}
