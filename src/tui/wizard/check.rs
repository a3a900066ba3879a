//! The check step: its state, the keys on its report (retry, trust a certificate, edit),
//! and the worker's progress and report. OAuth's sign-in before it is in `oauth.rs`.

use super::msg::{Effect, Msg, RequestId};
use super::repos::PAGE;
use super::{Step, Wizard, back, go, oauth};
use crate::core::fields::fields;
use crate::core::model::{AuthKind, CheckId, CheckReport, CheckStatus};

#[derive(Debug, Clone, Default)]
pub enum CheckState {
    #[default]
    Idle,
    Running {
        id: RequestId,
        notes: Vec<String>,
    },
    Finished {
        id: RequestId,
        report: CheckReport,
    },
}

impl Wizard {
    pub fn check_report(&self) -> Option<&CheckReport> {
        match &self.check {
            CheckState::Finished { report, .. } => Some(report),
            _ => None,
        }
    }

    pub fn check_passed(&self) -> bool {
        self.check_report().is_some_and(CheckReport::passed)
    }

    pub fn check_failed(&self) -> bool {
        self.check_report().is_some_and(|r| !r.passed())
    }

    /// The chain of a certificate the finished check refused, which `t` may trust.
    pub fn refused_cert(&self) -> Option<&crate::core::cert::PeerChain> {
        self.check_report()?
            .items
            .iter()
            .find_map(|i| i.cert.as_deref())
            .filter(|c| c.leaf().is_some())
    }
}

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if w.oauth.pasting() {
        return match msg {
            Msg::Edit(key) => {
                oauth::edit_paste(w, key);
                Vec::new()
            }
            Msg::Confirm => oauth::submit_paste(w),
            Msg::CopyUrl => oauth::copy_url(w),
            Msg::Back => back(w),
            _ => Vec::new(),
        };
    }
    match msg {
        Msg::Up | Msg::PageUp | Msg::Home => {
            let by = if matches!(msg, Msg::Up) { 1 } else { PAGE };
            w.check_scroll = if matches!(msg, Msg::Home) {
                0
            } else {
                w.check_scroll.saturating_sub(by)
            };
            Vec::new()
        }
        Msg::Down | Msg::PageDown => {
            // Bounded loosely here; the view clamps to the real report length.
            let by = if matches!(msg, Msg::Down) { 1 } else { PAGE };
            w.check_scroll = (w.check_scroll + by).min(200);
            Vec::new()
        }
        Msg::Retry if w.check_failed() || w.oauth.failed().is_some() => {
            oauth::forget_rejected(w);
            start_check(w)
        }
        // Trusting is the user's act after comparing the fingerprint on screen: exactly the
        // end-entity shown is pinned, and the check runs again with it.
        Msg::TrustCert => match w.refused_cert() {
            Some(chain) if chain.leaf().is_some() => {
                let fingerprint = chain
                    .leaf()
                    .map(|l| l.fingerprint.clone())
                    .unwrap_or_default();
                let der = chain.ders.first().cloned();
                w.trusted_cert = Some(fingerprint.clone());
                let mut effects = vec![Effect::TrustCert { fingerprint, der }];
                effects.extend(start_check(w));
                effects
            }
            _ => Vec::new(),
        },
        Msg::EditForm if !matches!(w.check, CheckState::Running { .. }) => {
            let about = w
                .check_report()
                .and_then(|r| r.items.iter().find(|i| i.status == CheckStatus::Failed))
                .and_then(|item| field_of_check(item.id, w.auth));
            let effects = back(w);
            if let Some(i) = about.and_then(|f| fields(w.auth).iter().position(|x| *x == f)) {
                w.form.focus = i;
            }
            effects
        }
        Msg::Confirm if w.check_passed() => go(w, Step::Repos),
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

/// The form field a failed check is about, so `e` puts the cursor where the fix is typed.
fn field_of_check(check_id: CheckId, auth: AuthKind) -> Option<crate::core::fields::FieldId> {
    use crate::core::fields::FieldId;
    match check_id {
        CheckId::Setup
        | CheckId::Reach
        | CheckId::ReachCount
        | CheckId::Tls
        | CheckId::Http
        | CheckId::Version
        | CheckId::HtmlLogin
        | CheckId::Gone
        | CheckId::LocalhostLinks => Some(FieldId::Url),
        CheckId::Credential | CheckId::Permissions if auth == AuthKind::OAuth => {
            Some(FieldId::OAuthKey)
        }
        CheckId::Credential | CheckId::Permissions => Some(FieldId::Secret),
        // The rows of a saved connection's repository, webhook and SSH route come after the
        // form is done with: nothing there to edit.
        CheckId::Webhooks
        | CheckId::Repository
        | CheckId::Webhook
        | CheckId::WebhookDelivery
        | CheckId::SshKey
        | CheckId::SshHostKey => None,
        CheckId::Expiry => Some(FieldId::Expires),
    }
}

pub(super) fn start_check(w: &mut Wizard) -> Vec<Effect> {
    if oauth::needs_sign_in(w) {
        return oauth::begin(w);
    }
    let id = w.fresh_id();
    w.check_scroll = 0;
    let mut creds = w.form.credentials(w.auth);
    if let Some(grant) = w.oauth.grant().filter(|_| w.auth == AuthKind::OAuth) {
        // Bitbucket is called with the access token; the consumer secret stays for refreshes.
        creds.secret = grant.access_token.clone();
    }
    w.checked = Some(creds.clone());
    w.check = CheckState::Running {
        id,
        notes: Vec::new(),
    };
    vec![Effect::CheckCredentials {
        id,
        creds,
        allow_http: w.allow_http,
    }]
}

pub(super) fn on_progress(w: &mut Wizard, id: RequestId, note: String) {
    if let CheckState::Running { id: current, notes } = &mut w.check
        && *current == id
    {
        notes.push(note);
    }
}

pub(super) fn on_done(w: &mut Wizard, id: RequestId, report: CheckReport) {
    if matches!(w.check, CheckState::Running { id: current, .. } if current == id) {
        w.check = CheckState::Finished { id, report };
    }
}
