//! OAuth2 sign-in as a wizard state: the Check step first waits for the browser to come back,
//! then checks with the access token it got. Pure like the rest of the wizard: the worker does
//! the listening, the browser and the exchange.

use super::msg::{Effect, RequestId};
use super::{CheckState, Step, Wizard};
use crate::bitbucket::model::{AuthKind, FailureClass, OAuthGrant, Problem};

#[derive(Debug, Clone, Default)]
pub enum OAuthState {
    #[default]
    Idle,
    /// The worker listens on the callback; `url` arrives once the listener is up.
    Waiting {
        id: RequestId,
        url: Option<String>,
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
    w.oauth = OAuthState::Waiting { id, url: None };
    vec![Effect::OAuthSignIn {
        id,
        web_url: w.form.url.value().trim().trim_end_matches('/').to_string(),
        key: w.form.oauth_key.value().trim().to_string(),
        secret: w.form.oauth_secret.to_secret(),
        callback: w.form.callback.value().trim().to_string(),
        allow_http: w.allow_http,
    }]
}

pub(super) fn on_url(w: &mut Wizard, id: RequestId, url: String) {
    if let OAuthState::Waiting {
        id: current,
        url: shown,
    } = &mut w.oauth
        && *current == id
    {
        *shown = Some(url);
    }
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
                return super::start_check(w);
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
