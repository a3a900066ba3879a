//! The webhook step's transitions: create, refusal with Retry / Skip, events, stale replies,
//! and the hook flowing into the Save effect.

use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::core::model::{Webhook, WebhookChange};
use crate::tui::wizard::webhook::{HookFocus, HookState};

const HOOK_SECRET: &str = "test-token-generated-hook-secret";

/// Through the repository list onto the webhook step, with a generated secret in place.
fn to_webhook() -> Wizard {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a-repo"], None));
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    update(&mut w, Msg::Confirm);
    // Git over HTTPS, the default.
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::GenerateWebhookSecret))
    );
    update(
        &mut w,
        Msg::WebhookSecret {
            secret: SecretString::from(HOOK_SECRET.to_string()),
        },
    );
    w
}

fn hook(id: &str) -> Webhook {
    Webhook {
        id: id.into(),
        url: "https://ci.example.com/hook".into(),
        events: vec!["repo:push".into()],
        active: true,
    }
}

fn create(w: &mut Wizard) -> RequestId {
    let effects = update(w, Msg::Confirm);
    match effects.as_slice() {
        [Effect::EnsureWebhook { id, repo, spec, .. }] => {
            assert_eq!(repo, "acme/a-repo");
            assert_eq!(spec.url, "https://ci.example.com/hook");
            *id
        }
        other => panic!("expected EnsureWebhook, got {other:?}"),
    }
}

/// On the webhook step, a hook asked for and `result` as the worker's answer.
fn answered(result: Result<(Webhook, WebhookChange), Problem>) -> (Wizard, RequestId) {
    let mut w = to_webhook();
    typed(&mut w, "https://ci.example.com/hook");
    let id = create(&mut w);
    update(&mut w, Msg::WebhookDone { id, result });
    (w, id)
}

#[test]
fn step_numbers_count_the_webhook_step() {
    assert_eq!(Step::Repos.number(), Some((5, 7)));
    assert_eq!(Step::Webhook.number(), Some((6, 7)));
    assert_eq!(Step::Webhook.title(), "Webhook");
    assert_eq!(Step::Save.number(), Some((7, 7)));
    assert_eq!(Step::Done.number(), Some((7, 7)));
}

#[test]
fn invalid_url_runs_nothing_and_says_why() {
    let mut w = to_webhook();
    assert_eq!(w.webhook.focus, HookFocus::Url);
    assert!(w.typing(), "letters go to the URL field");
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert!(w.notice.is_some());
    assert!(w.webhook.shown_url_error().is_some());
    // Plain http to another host is a warning now; another scheme is an error.
    typed(&mut w, "ftp://ci.example.com/hook");
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert!(
        w.webhook
            .shown_url_error()
            .is_some_and(|e| e.contains("https"))
    );
}

#[test]
fn create_then_save_with_the_hook() {
    let mut w = to_webhook();
    typed(&mut w, "https://ci.example.com/hook");
    let effects = update(&mut w, Msg::Confirm);
    let id = match effects.as_slice() {
        [Effect::EnsureWebhook { id, spec, .. }] => {
            assert_eq!(
                spec.events,
                vec![
                    "repo:push",
                    "pullrequest:created",
                    "pullrequest:updated",
                    "pullrequest:fulfilled"
                ]
            );
            assert_eq!(
                spec.secret.as_ref().map(|s| s.expose_secret().to_string()),
                Some(HOOK_SECRET.to_string())
            );
            assert!(spec.name.contains("work"));
            *id
        }
        other => panic!("{other:?}"),
    };
    assert!(w.busy());
    assert!(
        update(&mut w, Msg::Confirm).is_empty(),
        "no second request while one is in flight"
    );
    // A reply for another request changes nothing.
    update(
        &mut w,
        Msg::WebhookDone {
            id: id + 100,
            result: Ok((hook("stale"), WebhookChange::Created)),
        },
    );
    assert!(w.busy());
    update(
        &mut w,
        Msg::WebhookDone {
            id,
            result: Ok((hook("{h-1}"), WebhookChange::Kept)),
        },
    );
    assert!(matches!(
        w.webhook.state,
        HookState::Done {
            change: WebhookChange::Kept,
            ..
        }
    ));
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Save);
    match effects.as_slice() {
        [
            Effect::Save {
                webhook: Some(h), ..
            },
        ] => {
            assert_eq!(h.id, "{h-1}");
            assert_eq!(h.url, "https://ci.example.com/hook");
            assert_eq!(
                h.secret.as_ref().map(|s| s.expose_secret().to_string()),
                Some(HOOK_SECRET.to_string())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refusal_offers_retry_and_skip() {
    let (mut w, id) = answered(Err(Problem::new(
        FailureClass::Permission,
        "Creating a webhook needs repository admin rights, which this credential lacks.",
        "the token can be lowered to read access once the hook exists.",
    )));
    assert!(matches!(w.webhook.state, HookState::Failed(_)));
    assert_eq!(w.step, Step::Webhook, "stays on the step that can fix it");
    let again = create(&mut w);
    assert_ne!(again, id, "Retry is a new request");
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
    assert!(
        matches!(w.webhook.state, HookState::Idle),
        "the abandoned request is forgotten"
    );
    update(
        &mut w,
        Msg::WebhookDone {
            id: again,
            result: Ok((hook("late"), WebhookChange::Created)),
        },
    );
    assert!(w.webhook.done().is_none(), "a late reply is ignored");
    let effects = update(&mut w, Msg::Skip);
    assert_eq!(w.step, Step::Save);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Save { webhook: None, .. }]
    ));
    assert_eq!(
        w.webhook.url.value(),
        "https://ci.example.com/hook",
        "values kept"
    );
}

#[test]
fn events_toggle_and_none_is_refused() {
    let mut w = to_webhook();
    typed(&mut w, "https://ci.example.com/hook");
    update(&mut w, Msg::NextField);
    assert_eq!(w.webhook.focus, HookFocus::Events);
    assert!(!w.typing(), "Space and letters are commands on the list");
    update(&mut w, Msg::ToggleEvent);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::ToggleEvent);
    assert_eq!(
        w.webhook.chosen_events(),
        vec!["pullrequest:created", "pullrequest:fulfilled"]
    );
    update(&mut w, Msg::Up);
    update(&mut w, Msg::Up);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::ToggleEvent);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::ToggleEvent);
    assert!(w.webhook.chosen_events().is_empty());
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert!(w.webhook.events_error().is_some());
}

#[test]
fn secret_regenerates_and_never_prints() {
    let mut w = to_webhook();
    assert!(w.webhook.secret_generated);
    assert_eq!(w.webhook.secret.expose(), HOOK_SECRET);
    w.webhook.focus = HookFocus::Events;
    assert!(matches!(
        update(&mut w, Msg::RegenerateSecret).as_slice(),
        [Effect::GenerateWebhookSecret]
    ));
    let shown = format!("{w:?}");
    assert!(!shown.contains(HOOK_SECRET), "Debug leaks the hook secret");
}

#[test]
fn editing_after_creation_asks_again() {
    let (mut w, _) = answered(Ok((hook("1"), WebhookChange::Created)));
    typed(&mut w, "2");
    assert!(w.webhook.done().is_none());
    assert!(matches!(
        update(&mut w, Msg::Confirm).as_slice(),
        [Effect::EnsureWebhook { .. }]
    ));
}

#[test]
fn another_repository_starts_the_hook_over() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a-repo", "b-repo"], None));
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    typed(&mut w, "https://ci.example.com/hook");
    let hid = create(&mut w);
    update(
        &mut w,
        Msg::WebhookDone {
            id: hid,
            result: Ok((hook("on-a"), WebhookChange::Created)),
        },
    );
    assert!(w.webhook.done().is_some());
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(
        w.chosen_repo.as_ref().map(|r| r.name.as_str()),
        Some("b-repo")
    );
    assert!(
        w.webhook.done().is_none(),
        "the hook on a-repo is not the hook of b-repo"
    );
    assert_eq!(w.webhook.url.value(), "https://ci.example.com/hook");
    let effects = update(&mut w, Msg::Skip);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Save { webhook: None, .. }]
    ));
}
