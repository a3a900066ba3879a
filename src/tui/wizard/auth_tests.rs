//! `update` tests of the wizard's credential types: every credential type's form, the OAuth
//! sign-in state, and the plain-http confirmation reaching the effects.

use crate::core::model::CheckId;
use secrecy::{ExposeSecret, SecretString};

use super::form::label;
use super::msg::{EditKey, Effect, Msg, RequestId};
use super::oauth::OAuthState;
use super::*;
use crate::core::fields::{DEFAULT_CALLBACK, FieldId, fields};
use crate::core::model::{CheckItem, CheckReport, FailureClass, OAuthGrant, Problem};

fn config() -> WizardConfig {
    WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        server_url: Some("http://127.0.0.1:7990".into()),
        ..WizardConfig::default()
    }
}

fn typed(w: &mut Wizard, text: &str) {
    for c in text.chars() {
        update(w, Msg::Edit(EditKey::Char(c)));
    }
}

fn clear(w: &mut Wizard) {
    update(w, Msg::Edit(EditKey::End));
    update(w, Msg::Edit(EditKey::ClearLine));
}

/// From the provider list with its first row focused: `provider` and `auth` chosen, the form.
fn to_form(w: &mut Wizard, provider: Provider, auth: AuthKind) {
    if provider == Provider::Server {
        update(w, Msg::Down);
    }
    update(w, Msg::Confirm);
    let at = provider
        .auth_kinds()
        .iter()
        .position(|k| *k == auth)
        .unwrap();
    update(w, Msg::Home);
    for _ in 0..at {
        update(w, Msg::Down);
    }
    update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Form, "{auth:?}");
    assert_eq!(w.auth, auth);
}

fn grant() -> OAuthGrant {
    OAuthGrant {
        access_token: SecretString::from("test-token-oauth-access"),
        refresh_token: Some(SecretString::from("test-token-oauth-refresh")),
        expires_at: Some(9_999_999_999),
        consumer_secret: SecretString::from("test-oauth-secret"),
    }
}

fn passed() -> CheckReport {
    CheckReport {
        items: vec![CheckItem::passed(CheckId::Credential, "alice")],
        ..CheckReport::default()
    }
}

/// The listing `id` finds just `full_name`, and the user picks it: the webhook step is next.
fn pick_the_only_repo(w: &mut Wizard, id: RequestId, full_name: &str) {
    let repo = crate::core::model::Repo {
        full_name: full_name.into(),
        ..Default::default()
    };
    let page = crate::core::model::RepoPage {
        repos: vec![repo],
        total_hint: Some(1),
    };
    update(w, Msg::ReposPage { id, page });
    update(w, Msg::ReposDone { id, result: Ok(()) });
    update(w, Msg::Confirm);
    // Git over HTTPS, the default.
    update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
}

/// OAuth form filled (name, key, secret; URL and callback as prefilled), submitted.
fn submit_oauth(w: &mut Wizard) -> (RequestId, Vec<Effect>) {
    to_form(w, Provider::Cloud, AuthKind::OAuth);
    typed(w, "oa");
    update(w, Msg::NextField);
    update(w, Msg::NextField);
    typed(w, "test-oauth-key");
    update(w, Msg::NextField);
    typed(w, "test-oauth-secret");
    update(w, Msg::NextField);
    assert_eq!(w.form.focused(AuthKind::OAuth), FieldId::Callback);
    let effects = update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Check);
    let id = match effects.as_slice() {
        [Effect::OAuthSignIn { id, form }] => {
            assert_eq!(form.web_url, "https://bitbucket.org");
            assert_eq!(form.key, "test-oauth-key");
            assert_eq!(form.secret.expose_secret(), "test-oauth-secret");
            assert_eq!(form.callback, DEFAULT_CALLBACK);
            assert!(!form.allow_http);
            *id
        }
        other => panic!("{other:?}"),
    };
    (id, effects)
}

#[test]
fn the_recommended_type_is_preselected_though_all_are_available() {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::Confirm);
    assert_eq!(w.provider.auth_kinds()[w.auth_cursor], AuthKind::ApiToken);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    assert_eq!(
        w.provider.auth_kinds()[w.auth_cursor],
        AuthKind::HttpTokenUser
    );
    for kind in AuthKind::ALL {
        let mut w = Wizard::new(config());
        to_form(&mut w, kind.provider(), kind);
        assert!(w.notice.is_none());
    }
}

#[test]
fn each_type_asks_its_own_fields() {
    use FieldId::*;
    assert_eq!(
        fields(AuthKind::RepoToken),
        &[Name, Url, Repo, Secret, Expires]
    );
    assert_eq!(
        fields(AuthKind::HttpTokenRepo),
        &[Name, Url, Repo, Secret, Expires]
    );
    assert_eq!(
        fields(AuthKind::AppPassword),
        &[Name, Url, Username, Secret, Expires]
    );
    assert_eq!(
        fields(AuthKind::OAuth),
        &[Name, Url, OAuthKey, OAuthSecret, Callback]
    );
    assert_eq!(
        label(Repo, AuthKind::HttpTokenRepo),
        "Project key / repository slug"
    );
    assert_eq!(label(Repo, AuthKind::RepoToken), "Workspace / repository");
    assert_eq!(label(Secret, AuthKind::AppPassword), "App password");
}

#[test]
fn server_repo_token_sends_key_slug_and_no_username() {
    let mut w = Wizard::new(config());
    to_form(&mut w, Provider::Server, AuthKind::HttpTokenRepo);
    typed(&mut w, "dc-repo");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "plat/x y");
    assert!(
        w.form
            .error(FieldId::Repo, AuthKind::HttpTokenRepo, &[])
            .unwrap()
            .contains("PROJECT/repo-slug")
    );
    clear(&mut w);
    typed(&mut w, "PLAT/platform-api");
    update(&mut w, Msg::NextField);
    typed(&mut w, "test-token-repo");
    let effects = update(&mut w, Msg::Confirm);
    match effects.as_slice() {
        [Effect::CheckCredentials { creds, .. }] => {
            assert_eq!(creds.spec.repo.as_deref(), Some("PLAT/platform-api"));
            assert_eq!(creds.spec.username, None);
            assert_eq!(creds.spec.auth, AuthKind::HttpTokenRepo);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn app_password_sends_username_and_password() {
    let mut w = Wizard::new(config());
    to_form(&mut w, Provider::Cloud, AuthKind::AppPassword);
    typed(&mut w, "ap");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "alice");
    update(&mut w, Msg::NextField);
    typed(&mut w, "test-token-app-password");
    let effects = update(&mut w, Msg::Confirm);
    match effects.as_slice() {
        [Effect::CheckCredentials { creds, .. }] => {
            assert_eq!(creds.spec.username.as_deref(), Some("alice"));
            assert_eq!(creds.secret.expose_secret(), "test-token-app-password");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oauth_consumer_is_prefilled_from_the_config() {
    let mut w = Wizard::new(WizardConfig {
        oauth_key: Some("test-oauth-key".into()),
        oauth_secret: Some(SecretString::from("test-oauth-secret")),
        ..config()
    });
    to_form(&mut w, Provider::Cloud, AuthKind::OAuth);
    assert_eq!(w.form.oauth_key.value(), "test-oauth-key");
    assert_eq!(w.form.oauth_secret.expose(), "test-oauth-secret");
    assert_eq!(w.form.callback.value(), DEFAULT_CALLBACK);
    assert!(!format!("{w:?}").contains("test-oauth-secret"));
}

#[test]
fn the_callback_is_editable_and_validated() {
    let mut w = Wizard::new(config());
    to_form(&mut w, Provider::Cloud, AuthKind::OAuth);
    w.form.focus = 4;
    clear(&mut w);
    typed(&mut w, "https://ci.example.com/callback");
    assert!(
        w.form
            .shown_error(FieldId::Callback, AuthKind::OAuth, &[])
            .is_some()
    );
    clear(&mut w);
    typed(&mut w, "http://127.0.0.1:9100/callback");
    assert!(
        w.form
            .error(FieldId::Callback, AuthKind::OAuth, &[])
            .is_none()
    );
}

#[test]
fn oauth_sign_in_then_check_with_the_access_token_then_save_the_grant() {
    let mut w = Wizard::new(config());
    let (id, _) = submit_oauth(&mut w);
    assert!(w.busy(), "the spinner runs while waiting");
    assert!(w.checked.is_none());

    // A stale URL is ignored, the current one shown.
    update(
        &mut w,
        Msg::OAuthUrl {
            id: id + 100,
            url: "http://stale".into(),
        },
    );
    update(
        &mut w,
        Msg::OAuthUrl {
            id,
            url: "https://bitbucket.org/site/oauth2/authorize?x".into(),
        },
    );
    assert!(matches!(&w.oauth, OAuthState::Waiting { url: Some(u), .. } if u.ends_with("?x")));

    let effects = update(
        &mut w,
        Msg::OAuthDone {
            id,
            result: Ok(grant()),
        },
    );
    let check_id = match effects.as_slice() {
        [Effect::CheckCredentials { id, creds, .. }] => {
            assert_eq!(creds.secret.expose_secret(), "test-token-oauth-access");
            assert_eq!(creds.spec.username.as_deref(), Some("test-oauth-key"));
            *id
        }
        other => panic!("{other:?}"),
    };
    update(
        &mut w,
        Msg::CheckDone {
            id: check_id,
            report: passed(),
        },
    );
    let effects = update(&mut w, Msg::Confirm);
    let list_id = match effects.as_slice() {
        [Effect::LoadRepos { id, creds, .. }] => {
            assert_eq!(creds.secret.expose_secret(), "test-token-oauth-access");
            *id
        }
        other => panic!("{other:?}"),
    };
    pick_the_only_repo(&mut w, list_id, "acme/api");
    let effects = update(&mut w, Msg::Skip);
    let saved = effects.iter().find_map(|e| match e {
        Effect::Save { oauth, .. } => Some(oauth.clone()),
        _ => None,
    });
    let grant = saved.flatten().expect("the grant goes to the save");
    assert_eq!(
        grant.refresh_token.unwrap().expose_secret(),
        "test-token-oauth-refresh"
    );
}

#[test]
fn esc_while_waiting_cancels_and_a_late_answer_is_ignored() {
    let mut w = Wizard::new(config());
    let (id, _) = submit_oauth(&mut w);
    let effects = update(&mut w, Msg::Back);
    assert!(matches!(effects.as_slice(), [Effect::CancelOAuth]));
    assert_eq!(w.step, Step::Form);
    assert!(!w.busy());
    let effects = update(
        &mut w,
        Msg::OAuthDone {
            id,
            result: Ok(grant()),
        },
    );
    assert!(effects.is_empty());
    assert!(matches!(w.oauth, OAuthState::Idle));
    // The form kept its values: Enter signs in again with a new id.
    let effects = update(&mut w, Msg::Confirm);
    assert!(matches!(effects.as_slice(), [Effect::OAuthSignIn { id: again, .. }] if *again != id));
}

#[test]
fn a_failed_sign_in_offers_retry_and_edit() {
    let mut w = Wizard::new(config());
    let (id, _) = submit_oauth(&mut w);
    update(
        &mut w,
        Msg::OAuthDone {
            id,
            result: Err(Problem::new(
                FailureClass::Other,
                "No sign-in arrived before the time limit.",
                "Open the sign-in link again.",
            )),
        },
    );
    assert!(w.oauth.failed().is_some());
    assert!(!w.busy());
    let keys: Vec<_> = crate::tui::keys::hints(&w)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys.contains(&"r") && keys.contains(&"e"), "{keys:?}");
    let effects = update(&mut w, Msg::Retry);
    assert!(matches!(effects.as_slice(), [Effect::OAuthSignIn { id: again, .. }] if *again != id));
    update(&mut w, Msg::EditForm);
    assert_eq!(w.step, Step::Form);
}

#[test]
fn retry_after_a_rejected_token_signs_in_again_but_other_failures_reuse_it() {
    let failed = |class: FailureClass| CheckReport {
        items: vec![CheckItem::failed(CheckId::Credential, class, "x", "y")],
        ..CheckReport::default()
    };
    for (class, signs_in_again) in [
        (FailureClass::Rejected, true),
        (FailureClass::Unreachable, false),
    ] {
        let mut w = Wizard::new(config());
        let (id, _) = submit_oauth(&mut w);
        let effects = update(
            &mut w,
            Msg::OAuthDone {
                id,
                result: Ok(grant()),
            },
        );
        let Some(Effect::CheckCredentials { id: check, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        update(
            &mut w,
            Msg::CheckDone {
                id: *check,
                report: failed(class),
            },
        );
        let effects = update(&mut w, Msg::Retry);
        assert_eq!(
            matches!(effects.as_slice(), [Effect::OAuthSignIn { .. }]),
            signs_in_again,
            "{class:?}: {effects:?}"
        );
    }
}

#[test]
fn quitting_while_waiting_cancels_the_sign_in() {
    let mut w = Wizard::new(config());
    submit_oauth(&mut w);
    let effects = update(&mut w, Msg::Quit);
    assert!(effects.iter().any(|e| matches!(e, Effect::CancelOAuth)));
    assert!(matches!(effects.last(), Some(Effect::Quit)));
}

/// Server form with this URL, filled and submitted once.
fn submit_server(w: &mut Wizard, url: &str) -> Vec<Effect> {
    to_form(w, Provider::Server, AuthKind::HttpTokenUser);
    typed(w, "dc");
    update(w, Msg::NextField);
    clear(w);
    typed(w, url);
    update(w, Msg::NextField);
    typed(w, "alice");
    update(w, Msg::NextField);
    typed(w, "test-token-alice");
    update(w, Msg::Confirm)
}

#[test]
fn confirmed_plain_http_reaches_the_check_and_the_listing() {
    let mut w = Wizard::new(config());
    let first = submit_server(&mut w, "http://bitbucket.example.com");
    assert!(first.is_empty(), "the first Enter only warns");
    assert!(w.notice.as_deref().unwrap_or("").contains("unencrypted"));
    let effects = update(&mut w, Msg::Confirm);
    let id = match effects.as_slice() {
        [Effect::CheckCredentials { id, allow_http, .. }] => {
            assert!(*allow_http);
            *id
        }
        other => panic!("{other:?}"),
    };
    update(
        &mut w,
        Msg::CheckDone {
            id,
            report: passed(),
        },
    );
    let effects = update(&mut w, Msg::Confirm);
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadRepos {
            allow_http: true,
            ..
        }]
    ));
}

#[test]
fn confirmed_plain_http_reaches_the_webhook_step_too() {
    let mut w = Wizard::new(config());
    submit_server(&mut w, "http://bitbucket.example.com");
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::CheckCredentials { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    update(
        &mut w,
        Msg::CheckDone {
            id: *id,
            report: passed(),
        },
    );
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::LoadRepos { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let list = *id;
    pick_the_only_repo(&mut w, list, "PLAT/api");
    w.webhook.url = "https://ci.example.com/hook".into();
    let mut effects = Vec::new();
    for _ in 0..8 {
        effects = update(&mut w, Msg::Confirm);
        if !effects.is_empty() {
            break;
        }
    }
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::EnsureWebhook {
                allow_http: true,
                ..
            }
        )),
        "{effects:?} notice={:?}",
        w.notice
    );
}

#[test]
fn loopback_and_https_never_set_allow_http() {
    for url in ["http://127.0.0.1:7990", "https://bitbucket.example.com"] {
        let mut w = Wizard::new(config());
        let effects = submit_server(&mut w, url);
        assert!(
            matches!(
                effects.as_slice(),
                [Effect::CheckCredentials {
                    allow_http: false,
                    ..
                }]
            ),
            "{url}: {effects:?}"
        );
    }
}

// --- the values typed for one (provider, auth type) stay with it

/// Back from the form to the provider list, then `provider` and `auth` chosen again.
fn rechoose(w: &mut Wizard, provider: Provider, auth: AuthKind) {
    update(w, Msg::Back);
    update(w, Msg::Back);
    assert_eq!(w.step, Step::Provider);
    update(w, Msg::Home);
    to_form(w, provider, auth);
}

/// Server / DC user token form filled with a URL, a user and a token.
fn fill_dc(w: &mut Wizard) {
    to_form(w, Provider::Server, AuthKind::HttpTokenUser);
    typed(w, "work");
    update(w, Msg::NextField);
    clear(w);
    typed(w, "https://bitbucket.example.com");
    update(w, Msg::NextField);
    typed(w, "alice");
    update(w, Msg::NextField);
    typed(w, "test-token-dc-only");
}

#[test]
fn a_server_token_never_shows_up_in_the_cloud_api_token_form() {
    let mut w = Wizard::new(config());
    fill_dc(&mut w);
    rechoose(&mut w, Provider::Cloud, AuthKind::ApiToken);
    assert_eq!(
        w.form.url.value(),
        "https://bitbucket.org",
        "Cloud's default"
    );
    assert!(w.form.secret.is_empty(), "the DC token is not carried over");
    assert_eq!(w.form.username.value(), "");
    assert_eq!(w.form.email.value(), "");
    assert_eq!(w.form.name.value(), "work", "the connection name may stay");
    assert!(!w.form.show_all_errors && w.form.touched.iter().all(|f| *f == FieldId::Name));

    // And what is sent after filling the Cloud form holds nothing of the DC one.
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, "test-token-cloud");
    let effects = update(&mut w, Msg::Confirm);
    let [Effect::CheckCredentials { creds, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(creds.spec.url, "https://bitbucket.org");
    assert_eq!(creds.secret.expose_secret(), "test-token-cloud");
}

#[test]
fn an_app_password_is_not_prefilled_as_a_repository_token() {
    let mut w = Wizard::new(config());
    to_form(&mut w, Provider::Cloud, AuthKind::AppPassword);
    typed(&mut w, "old");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana");
    update(&mut w, Msg::NextField);
    typed(&mut w, "test-token-app-password");
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::AuthType);
    let at = Provider::Cloud
        .auth_kinds()
        .iter()
        .position(|k| *k == AuthKind::RepoToken)
        .unwrap();
    w.auth_cursor = at;
    update(&mut w, Msg::Confirm);
    assert_eq!(w.auth, AuthKind::RepoToken);
    assert!(w.form.secret.is_empty());
    assert_eq!(w.form.username.value(), "");
    assert_eq!(w.form.repo.value(), "");
    assert_eq!(w.form.focus, 0);
}

#[test]
fn each_credential_field_is_cleared_by_a_type_change() {
    let mut w = Wizard::new(WizardConfig {
        oauth_key: Some("test-oauth-key-env".into()),
        ..config()
    });
    to_form(&mut w, Provider::Cloud, AuthKind::OAuth);
    // Every field a Cloud type can have, typed over.
    w.form.url = "https://elsewhere.example.com".into();
    w.form.oauth_key = "test-oauth-key-typed".into();
    w.form.callback = "http://127.0.0.1:9999/callback".into();
    for c in "test-oauth-secret-typed".chars() {
        w.form.oauth_secret.handle(EditKey::Char(c));
    }
    w.form.repo = "ws/repo".into();
    w.allow_http = true;
    w.form.http_warned = true;
    rechoose(&mut w, Provider::Cloud, AuthKind::RepoToken);
    assert_eq!(w.form.url.value(), "https://bitbucket.org");
    assert_eq!(w.form.repo.value(), "");
    assert!(!w.allow_http && !w.form.http_warned);
    // Back to OAuth: the prefills from the environment return, nothing typed does.
    rechoose(&mut w, Provider::Cloud, AuthKind::OAuth);
    assert_eq!(w.form.oauth_key.value(), "test-oauth-key-env");
    assert!(w.form.oauth_secret.is_empty());
    assert_eq!(w.form.callback.value(), DEFAULT_CALLBACK);
}

#[test]
fn back_and_the_same_type_again_keeps_everything() {
    let mut w = Wizard::new(config());
    fill_dc(&mut w);
    // Through the provider list, even via a look at the other product's types.
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Up);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.provider, Provider::Cloud);
    update(&mut w, Msg::Back);
    rechoose(&mut w, Provider::Server, AuthKind::HttpTokenUser);
    assert_eq!(w.form.url.value(), "https://bitbucket.example.com");
    assert_eq!(w.form.username.value(), "alice");
    assert_eq!(w.form.secret.expose(), "test-token-dc-only");
    // From the check screen back to the form and to the type list, same type: kept too.
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Check);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.form.secret.expose(), "test-token-dc-only");
}

// --- OAuth from a remote machine (the paste field, the copy key, saying whether a
// browser opened)

const AUTHORIZE: &str = "https://bitbucket.org/site/oauth2/authorize?client_id=k&state=s1";

/// Signed in to the waiting screen with the URL shown.
fn waiting_with_url(w: &mut Wizard) -> RequestId {
    let (id, _) = submit_oauth(w);
    update(
        w,
        Msg::OAuthUrl {
            id,
            url: AUTHORIZE.into(),
        },
    );
    id
}

fn paste_state(w: &Wizard) -> &PasteState {
    match &w.oauth {
        OAuthState::Waiting { paste_state, .. } => paste_state,
        other => panic!("{other:?}"),
    }
}

fn pasted(w: &Wizard) -> String {
    match &w.oauth {
        OAuthState::Waiting { paste, .. } => paste.value().to_string(),
        other => panic!("{other:?}"),
    }
}

use super::oauth::PasteState;
use crate::core::browser::{BrowserOutcome, NoBrowser};

#[test]
fn the_pasted_address_is_typed_into_the_field_and_sent_with_the_sign_ins_id() {
    let mut w = Wizard::new(config());
    let id = waiting_with_url(&mut w);
    assert!(w.typing(), "letters go to the paste field");
    let redirect = "http://127.0.0.1:8976/callback?code=test-code&state=s1";
    typed(&mut w, redirect);
    assert_eq!(pasted(&w), redirect);
    assert_eq!(
        w.step,
        Step::Check,
        "no letter of the address acted as a command"
    );
    let effects = update(&mut w, Msg::Confirm);
    assert!(
        matches!(effects.as_slice(), [Effect::OAuthPaste { id: i, redirect: r }] if *i == id && r == redirect),
        "{effects:?}"
    );
    assert!(matches!(paste_state(&w), PasteState::Sent));
    // Sent once: Enter again while it is checked does not send it twice.
    assert!(update(&mut w, Msg::Confirm).is_empty());
}

#[test]
fn an_empty_paste_says_what_to_paste_and_sends_nothing() {
    let mut w = Wizard::new(config());
    waiting_with_url(&mut w);
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert!(
        w.notice
            .as_deref()
            .unwrap_or_default()
            .contains("Paste the address"),
        "{:?}",
        w.notice
    );
}

#[test]
fn a_refused_paste_is_shown_and_editing_it_clears_the_refusal() {
    let mut w = Wizard::new(config());
    let id = waiting_with_url(&mut w);
    typed(&mut w, "http://127.0.0.1:8976/callback?code=c&state=old");
    update(&mut w, Msg::Confirm);
    let refusal = Problem::new(FailureClass::Input, "another sign-in", "paste the new one");
    // A refusal for an older sign-in does not count.
    update(
        &mut w,
        Msg::PasteRefused {
            id: id + 7,
            problem: refusal.clone(),
        },
    );
    assert!(matches!(paste_state(&w), PasteState::Sent));
    update(
        &mut w,
        Msg::PasteRefused {
            id,
            problem: refusal,
        },
    );
    assert!(matches!(paste_state(&w), PasteState::Refused(p) if p.what == "another sign-in"));
    assert!(
        w.oauth.waiting(),
        "the sign-in goes on: the listener still waits"
    );
    clear(&mut w);
    assert!(matches!(paste_state(&w), PasteState::Idle));
    assert_eq!(pasted(&w), "");
}

#[test]
fn y_copies_the_url_through_an_effect_for_the_app() {
    let mut w = Wizard::new(config());
    waiting_with_url(&mut w);
    let effects = update(&mut w, Msg::CopyUrl);
    assert!(
        matches!(effects.as_slice(), [Effect::CopyToClipboard(u)] if u == AUTHORIZE),
        "{effects:?}"
    );
    assert!(w.notice.as_deref().unwrap_or_default().contains("OSC 52"));
    // Before the URL is known there is nothing to copy.
    let mut early = Wizard::new(config());
    submit_oauth(&mut early);
    assert!(update(&mut early, Msg::CopyUrl).is_empty());
}

#[test]
fn the_browser_verdict_is_kept_for_the_screen_and_stale_ones_are_ignored() {
    let mut w = Wizard::new(config());
    let id = waiting_with_url(&mut w);
    update(
        &mut w,
        Msg::OAuthBrowser {
            id: id + 1,
            outcome: BrowserOutcome::Opened,
        },
    );
    assert!(matches!(
        &w.oauth,
        OAuthState::Waiting { browser: None, .. }
    ));
    update(
        &mut w,
        Msg::OAuthBrowser {
            id,
            outcome: BrowserOutcome::NotTried(NoBrowser::Ssh),
        },
    );
    assert!(matches!(
        &w.oauth,
        OAuthState::Waiting {
            browser: Some(BrowserOutcome::NotTried(NoBrowser::Ssh)),
            ..
        }
    ));
}

#[test]
fn ctrl_o_says_whether_a_browser_opened_the_token_page() {
    let mut w = Wizard::new(config());
    to_form(&mut w, Provider::Cloud, AuthKind::ApiToken);
    let page = w.token_page().unwrap();
    let effects = update(&mut w, Msg::OpenTokenPage);
    assert!(matches!(effects.as_slice(), [Effect::OpenUrl(u)] if *u == page));
    update(
        &mut w,
        Msg::Opened {
            url: page.clone(),
            outcome: BrowserOutcome::NotTried(NoBrowser::NoDisplay),
        },
    );
    let notice = w.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("No browser opened (no display here)"),
        "{notice}"
    );
    assert!(notice.contains("token page"), "{notice}");
    assert!(
        notice.chars().count() <= 78,
        "one line at 80 columns: {notice}"
    );
    update(
        &mut w,
        Msg::Opened {
            url: page,
            outcome: BrowserOutcome::Opened,
        },
    );
    assert!(
        w.notice
            .as_deref()
            .unwrap_or_default()
            .contains("was opened"),
        "{:?}",
        w.notice
    );
}
