//! The header's step numbers follow the order the steps are walked in: each credential type
//! is driven through `update` from the first screen to the last, and the numbers it shows
//! must count 1, 2, ... up to the total, none skipped, none out of order.

use secrecy::SecretString;

use super::*;
use crate::core::fields::{FieldId, fields};
use crate::core::model::OAuthGrant;

/// Every screen, so a screen added to `Step` fails to compile here until it is placed.
fn every_step() -> Vec<Step> {
    let all = [
        Step::Saved,
        Step::Provider,
        Step::AuthType,
        Step::Form,
        Step::Check,
        Step::Repos,
        Step::GitAccess,
        Step::Webhook,
        Step::Save,
        Step::Done,
    ];
    for step in all {
        match step {
            Step::Saved
            | Step::Provider
            | Step::AuthType
            | Step::Form
            | Step::Check
            | Step::Repos
            | Step::GitAccess
            | Step::Webhook
            | Step::Save
            | Step::Done => {}
        }
    }
    all.to_vec()
}

#[test]
fn every_screen_but_the_saved_list_is_numbered_1_to_total_in_order() {
    let steps = every_step();
    let numbered: Vec<(usize, usize)> = steps.iter().filter_map(|s| s.number()).collect();
    assert_eq!(Step::Saved.number(), None);
    assert_eq!(numbered.len(), steps.len() - 1, "a screen has no number");
    let total = numbered[0].1;
    assert!(numbered.iter().all(|(_, t)| *t == total), "{numbered:?}");
    let mut used: Vec<usize> = numbered.iter().map(|(n, _)| *n).collect();
    used.dedup();
    assert_eq!(used, (1..=total).collect::<Vec<_>>(), "{numbered:?}");
}

const SECRET: &str = "test-token-s3cr3t-value";

fn grant() -> OAuthGrant {
    OAuthGrant {
        access_token: SecretString::from("test-token-oauth-access"),
        refresh_token: None,
        expires_at: None,
        consumer_secret: SecretString::from("test-oauth-secret"),
    }
}

/// A value each field accepts.
fn fill(w: &mut Wizard) {
    let repo = match w.provider {
        Provider::Cloud => "acme/api",
        Provider::Server => "PRJ/api",
    };
    for field in fields(w.auth) {
        match field {
            FieldId::Name => w.form.name = "work".into(),
            FieldId::Username => w.form.username = "ana".into(),
            FieldId::Email => w.form.email = "ana@example.com".into(),
            FieldId::Secret => form::fill_secret(w, &SecretString::from(SECRET)),
            FieldId::Repo => w.form.repo = repo.into(),
            FieldId::OAuthKey => w.form.oauth_key = "test-oauth-key".into(),
            FieldId::OAuthSecret => {
                for c in "test-oauth-secret".chars() {
                    w.form.oauth_secret.handle(EditKey::Char(c));
                }
            }
            // Prefilled: the product's address (the test config's is loopback) and callback.
            FieldId::Url | FieldId::Callback | FieldId::Expires => {}
        }
    }
}

/// A wizard driven as the app drives it, the worker's part played by `answer`, with every
/// screen it shows written down.
struct Walk {
    w: Wizard,
    seen: Vec<Step>,
    /// The repositories the credential sees.
    repos: &'static [&'static str],
}

impl Walk {
    fn new(repos: &'static [&'static str]) -> Walk {
        let w = Wizard::new(config());
        Walk {
            seen: vec![w.step],
            w,
            repos,
        }
    }

    /// One message, the worker's answers to it, and each screen it leads to.
    fn press(&mut self, msg: Msg) {
        let effects = update(&mut self.w, msg);
        if self.seen.last() != Some(&self.w.step) {
            self.seen.push(self.w.step);
        }
        for effect in effects {
            self.answer(effect);
        }
    }

    /// What the worker would answer, every job succeeding.
    fn answer(&mut self, effect: Effect) {
        let reply = match effect {
            Effect::OAuthSignIn { id, .. } => Msg::OAuthDone {
                id,
                result: Ok(grant()),
            },
            Effect::CheckCredentials { id, .. } => Msg::CheckDone {
                id,
                report: report(true),
            },
            Effect::LoadRepos { id, .. } => {
                self.press(page(id, self.repos, None));
                Msg::ReposDone { id, result: Ok(()) }
            }
            Effect::GenerateWebhookSecret => Msg::WebhookSecret {
                secret: SecretString::from("test-token-hook-secret"),
            },
            Effect::Save { id, .. } => Msg::Saved {
                id,
                result: Ok(saved()),
            },
            _ => return,
        };
        self.press(reply);
    }

    /// A new connection of this type from the first screen to the summary: each key moves on
    /// from the screen it is pressed on (Enter down the form's fields, on the check, on the
    /// repository); the webhook is skipped.
    fn through(mut self, provider: Provider, auth: AuthKind) -> Vec<Step> {
        if provider == Provider::Server {
            self.press(Msg::Down);
        }
        self.press(Msg::Confirm);
        self.press(Msg::Home);
        let at = provider.auth_kinds().iter().position(|k| *k == auth);
        for _ in 0..at.unwrap_or_default() {
            self.press(Msg::Down);
        }
        for _ in 0..40 {
            let key = match self.w.step {
                Step::Form => {
                    fill(&mut self.w);
                    Msg::Confirm
                }
                Step::Webhook => Msg::Skip,
                Step::Done => break,
                _ => Msg::Confirm,
            };
            self.press(key);
        }
        assert_eq!(self.w.auth, auth);
        assert_eq!(self.w.step, Step::Done, "{auth:?} stopped: {:?}", self.seen);
        self.seen
    }
}

/// The numbers shown along the way, a screen shown twice in a row counted once.
fn numbers(seen: &[Step]) -> Vec<(usize, usize)> {
    let mut shown: Vec<(usize, usize)> = seen
        .iter()
        .map(|s| {
            s.number()
                .unwrap_or_else(|| panic!("{s:?} has no number: {seen:?}"))
        })
        .collect();
    shown.dedup();
    shown
}

fn assert_counts_up(provider: Provider, auth: AuthKind) {
    let seen = Walk::new(&["api"]).through(provider, auth);
    let shown = numbers(&seen);
    let total = shown[0].1;
    let expected: Vec<(usize, usize)> = (1..=total).map(|n| (n, total)).collect();
    assert_eq!(shown, expected, "{auth:?} walked {seen:?}");
}

#[test]
fn cloud_api_token_counts_each_step_once_in_order() {
    assert_counts_up(Provider::Cloud, AuthKind::ApiToken);
}

#[test]
fn data_center_tokens_count_each_step_once_in_order() {
    assert_counts_up(Provider::Server, AuthKind::HttpTokenUser);
    assert_counts_up(Provider::Server, AuthKind::HttpTokenRepo);
}

/// The sign-in is drawn on the check step (before the check runs): it is not a step of its
/// own, so it has no number of its own.
#[test]
fn oauth_signs_in_on_the_check_step() {
    assert_counts_up(Provider::Cloud, AuthKind::OAuth);
    let seen = Walk::new(&["api"]).through(Provider::Cloud, AuthKind::OAuth);
    // Every screen in `Step`'s order, but the saved list that comes before a new connection.
    let expected: Vec<Step> = every_step()
        .into_iter()
        .filter(|s| *s != Step::Saved)
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn every_credential_type_counts_each_step_once_in_order() {
    for provider in Provider::ALL {
        for &auth in provider.auth_kinds() {
            assert_counts_up(provider, auth);
        }
    }
}

/// A credential that sees no repository saves at once: the webhook's number is skipped, the
/// last is still the total.
#[test]
fn no_repository_skips_the_webhook_number_only() {
    let seen = Walk::new(&[]).through(Provider::Cloud, AuthKind::ApiToken);
    assert!(!seen.contains(&Step::Webhook), "{seen:?}");
    let shown = numbers(&seen);
    assert_eq!(shown, [1, 2, 3, 4, 5, 7].map(|n| (n, 7)), "{seen:?}");
}
