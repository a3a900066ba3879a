//! `update` tests: every transition, Back keeping values, stale replies ignored.

use crate::core::model::CheckId;
use secrecy::ExposeSecret;

use super::msg::{EditKey, Effect, Msg, RequestId};
use super::*;
use crate::core::fields::FieldId;
use crate::core::model::{
    CheckItem, CheckReport, FailureClass, Identity, Problem, Repo, RepoPage, SavedInfo,
};

const SECRET: &str = "test-token-s3cr3t-value";

fn config() -> WizardConfig {
    WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        server_url: Some("http://127.0.0.1:7990".into()),
        existing_names: vec!["taken".into()],
        demo_notes: vec![],
        no_color: true,
        ..WizardConfig::default()
    }
}

fn typed(w: &mut Wizard, text: &str) {
    for c in text.chars() {
        assert!(update(w, Msg::Edit(EditKey::Char(c))).is_empty());
    }
}

fn clear(w: &mut Wizard) {
    update(w, Msg::Edit(EditKey::End));
    update(w, Msg::Edit(EditKey::ClearLine));
}

fn to_form_cloud() -> Wizard {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::Confirm); // Cloud
    assert_eq!(w.step, Step::AuthType);
    update(&mut w, Msg::Confirm); // API token, the first available
    assert_eq!(w.step, Step::Form);
    assert_eq!(w.auth, AuthKind::ApiToken);
    w
}

/// Picks Data Center with a user token and fills the form without submitting it: name, `url`
/// (`None` keeps the prefilled one), user and secret.
fn fill_dc(w: &mut Wizard, url: Option<&str>) {
    update(w, Msg::Down);
    update(w, Msg::Confirm);
    update(w, Msg::Confirm);
    typed(w, "dc");
    update(w, Msg::NextField);
    if let Some(url) = url {
        clear(w);
        typed(w, url);
    }
    update(w, Msg::NextField);
    typed(w, "ana");
    update(w, Msg::NextField);
    typed(w, SECRET);
}

/// Fills name, (default URL), email, secret and submits: returns the check request id.
fn submit_cloud(w: &mut Wizard) -> RequestId {
    typed(w, "work");
    update(w, Msg::NextField);
    update(w, Msg::NextField);
    typed(w, "ana@example.com");
    update(w, Msg::NextField);
    typed(w, SECRET);
    let effects = update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Check);
    match effects.as_slice() {
        [Effect::CheckCredentials { id, creds, .. }] => {
            assert_eq!(creds.spec.name, "work");
            assert_eq!(creds.spec.url, "https://bitbucket.org");
            assert_eq!(creds.spec.username.as_deref(), Some("ana@example.com"));
            assert_eq!(creds.spec.auth, AuthKind::ApiToken);
            assert_eq!(creds.secret.expose_secret(), SECRET);
            *id
        }
        other => panic!("expected one CheckCredentials, got {other:?}"),
    }
}

/// The check `id` answers: passed when `ok`, else the credential refused.
fn check_done(w: &mut Wizard, id: RequestId, ok: bool) {
    update(
        w,
        Msg::CheckDone {
            id,
            report: report(ok),
        },
    );
}

fn report(ok: bool) -> CheckReport {
    let mut items = vec![CheckItem::passed(CheckId::Reach, "HTTPS answered")];
    if ok {
        items.push(CheckItem::passed(CheckId::Credential, "accepted"));
    } else {
        items.push(CheckItem::failed(
            CheckId::Credential,
            FailureClass::Rejected,
            "401 Token is invalid",
            "Create a new token",
        ));
    }
    CheckReport {
        items,
        identity: ok.then(|| Identity {
            username: "ana".into(),
            display_name: Some("Ana".into()),
            ..Identity::default()
        }),
        server_version: None,
    }
}

fn repo(name: &str) -> Repo {
    Repo {
        full_name: format!("acme/{name}"),
        name: name.into(),
        slug: name.into(),
        workspace: Some("acme".into()),
        clone_https: Some(format!("https://bitbucket.org/acme/{name}.git")),
        ..Repo::default()
    }
}

/// Through a passed check into the repository screen: returns the load id.
fn to_repos(w: &mut Wizard) -> RequestId {
    let id = submit_cloud(w);
    check_done(w, id, true);
    let effects = update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Repos);
    match effects.as_slice() {
        [Effect::LoadRepos { id, creds, .. }] => {
            assert_eq!(creds.spec.name, "work");
            *id
        }
        other => panic!("expected LoadRepos, got {other:?}"),
    }
}

/// The error the form shows under `field` now, if any.
fn error_under(w: &Wizard, field: FieldId) -> Option<String> {
    w.form.shown_error(field, w.auth, &w.config.existing_names)
}

/// The form shows an error under `field` that says `says`.
fn assert_error(w: &Wizard, field: FieldId, says: &str) {
    let shown = error_under(w, field);
    assert!(
        shown.as_deref().is_some_and(|e| e.contains(says)),
        "under {field:?}: {shown:?}, not {says:?}"
    );
}

fn page(id: RequestId, names: &[&str], total: Option<usize>) -> Msg {
    Msg::ReposPage {
        id,
        page: RepoPage {
            repos: names.iter().map(|n| repo(n)).collect(),
            total_hint: total,
        },
    }
}

#[test]
fn provider_cursor_and_choice() {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::Down);
    assert_eq!(w.provider_cursor, 1);
    update(&mut w, Msg::Down);
    assert_eq!(w.provider_cursor, 1, "stays on the last row");
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::AuthType);
    assert_eq!(w.provider, Provider::Server);
    let kinds = w.provider.auth_kinds();
    assert!(kinds[w.auth_cursor].available());
    update(&mut w, Msg::Confirm);
    assert_eq!(w.auth, AuthKind::HttpTokenUser);
    assert_eq!(w.step, Step::Form);
    assert_eq!(
        w.form.url.value(),
        "http://127.0.0.1:7990",
        "Server URL prefilled"
    );
}

#[test]
fn switching_provider_gives_the_new_products_default_url() {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.form.url.value(), "http://127.0.0.1:7990");
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Up);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.form.url.value(), "https://bitbucket.org");
    // A URL typed for Cloud belongs to Cloud: the Server form starts from its own default
    //.
    update(&mut w, Msg::NextField);
    clear(&mut w);
    typed(&mut w, "https://mine.example.com");
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.form.url.value(), "http://127.0.0.1:7990");
}

#[test]
fn unavailable_auth_types_cannot_be_chosen() {
    for provider in Provider::ALL {
        let kinds = provider.auth_kinds();
        for (i, kind) in kinds.iter().enumerate() {
            let mut w = Wizard::new(config());
            w.provider_cursor = Provider::ALL.iter().position(|p| *p == provider).unwrap();
            update(&mut w, Msg::Confirm);
            w.auth_cursor = i;
            let effects = update(&mut w, Msg::Confirm);
            assert!(effects.is_empty());
            if kind.available() {
                assert_eq!(w.step, Step::Form, "{kind:?}");
                assert_eq!(w.auth, *kind);
            } else {
                assert_eq!(w.step, Step::AuthType, "{kind:?} must not be selectable");
                let notice = w.notice.clone().unwrap_or_default();
                assert!(notice.contains("coming soon"), "{notice}");
            }
        }
    }
}

#[test]
fn back_keeps_every_value() {
    let mut w = to_form_cloud();
    typed(&mut w, "keepme");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, SECRET);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::AuthType);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Provider);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Provider, "Back on the first step stays");
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Form);
    assert_eq!(w.form.name.value(), "keepme");
    assert_eq!(w.form.secret.expose(), SECRET);
    assert_eq!(w.form.focus, 3, "focus is kept as well");
}

#[test]
fn empty_form_submit_shows_all_errors_and_runs_nothing() {
    let mut w = to_form_cloud();
    assert_eq!(
        error_under(&w, FieldId::Name),
        None,
        "no error before the user had a go"
    );
    for _ in 0..3 {
        update(&mut w, Msg::Confirm); // Enter walks to the last field
    }
    assert_eq!(w.form.focus, 3);
    let effects = update(&mut w, Msg::Confirm);
    assert!(effects.is_empty());
    assert_eq!(w.step, Step::Form);
    assert!(w.form.show_all_errors);
    assert_eq!(w.form.focus, 0, "focus goes to the first invalid field");
    assert_error(&w, FieldId::Name, "Required");
    assert_error(&w, FieldId::Email, "email");
    assert_error(&w, FieldId::Secret, "paste");
    assert_eq!(error_under(&w, FieldId::Url), None, "default URL is valid");
}

#[test]
fn validation_as_you_type() {
    let mut w = to_form_cloud();
    typed(&mut w, "taken");
    assert_error(&w, FieldId::Name, "already exists");
    typed(&mut w, "2");
    assert_eq!(error_under(&w, FieldId::Name), None);
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana");
    assert_error(&w, FieldId::Email, "REST needs the email");
    typed(&mut w, "@example.com");
    assert_eq!(error_under(&w, FieldId::Email), None);
    update(&mut w, Msg::PrevField);
    clear(&mut w);
    typed(&mut w, "bitbucket.org");
    assert_error(&w, FieldId::Url, "https://");
}

#[test]
fn a_secret_with_a_control_character_says_so_as_you_type_and_runs_nothing() {
    let mut w = to_form_cloud();
    typed(&mut w, "work");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    let err = |w: &Wizard| error_under(w, FieldId::Secret);
    for bad in [
        "test-token-\u{1}x",
        "test-token-\u{0}x",
        "test-token-\u{7f}x",
    ] {
        clear(&mut w);
        typed(&mut w, bad);
        let msg = err(&w).unwrap_or_default();
        assert!(msg.contains("control character"), "{bad:?}: {msg}");
        assert!(
            !msg.contains("test-token"),
            "the message never quotes the secret: {msg}"
        );
        assert!(
            update(&mut w, Msg::Confirm).is_empty(),
            "no check is started"
        );
        assert_eq!(w.step, Step::Form);
    }
}

#[test]
fn open_token_page_emits_the_url() {
    let mut w = to_form_cloud();
    let effects = update(&mut w, Msg::OpenTokenPage);
    assert!(matches!(
        effects.as_slice(),
        [Effect::OpenUrl(u)] if u == "https://id.atlassian.com/manage-profile/security/api-tokens"
    ));
}

#[test]
fn check_progress_and_report() {
    let mut w = to_form_cloud();
    let id = submit_cloud(&mut w);
    assert!(w.busy());
    update(
        &mut w,
        Msg::CheckProgress {
            id,
            note: "resolving".into(),
        },
    );
    update(
        &mut w,
        Msg::CheckProgress {
            id: id + 100,
            note: "stale".into(),
        },
    );
    match &w.check {
        CheckState::Running { notes, .. } => assert_eq!(notes, &vec!["resolving".to_string()]),
        other => panic!("{other:?}"),
    }
    let before = w.spinner;
    update(&mut w, Msg::Tick);
    assert_eq!(w.spinner, before + 1);
    assert!(
        update(&mut w, Msg::Confirm).is_empty(),
        "no continuing while in flight"
    );
    assert_eq!(w.step, Step::Check);
    check_done(&mut w, id, true);
    assert!(w.check_passed());
    assert!(!w.busy());
}

#[test]
fn stale_check_replies_are_ignored() {
    let mut w = to_form_cloud();
    let first = submit_cloud(&mut w);
    // The user goes back and submits again: the first run's reply is stale.
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Form);
    check_done(&mut w, first, true);
    assert!(w.check_report().is_none());
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::CheckCredentials { id: second, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_ne!(first, *second);
    check_done(&mut w, first, true);
    assert!(w.check_report().is_none(), "old id still ignored");
    check_done(&mut w, *second, false);
    assert!(w.check_failed());
}

#[test]
fn failed_check_retry_and_edit() {
    let mut w = to_form_cloud();
    let id = submit_cloud(&mut w);
    check_done(&mut w, id, false);
    assert!(w.check_failed());
    assert!(
        update(&mut w, Msg::Confirm).is_empty(),
        "cannot continue past a failure"
    );
    assert_eq!(w.step, Step::Check);
    let effects = update(&mut w, Msg::Retry);
    let Some(Effect::CheckCredentials { id: retry_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_ne!(*retry_id, id);
    check_done(&mut w, *retry_id, false);
    update(&mut w, Msg::EditForm);
    assert_eq!(w.step, Step::Form);
    assert_eq!(w.form.name.value(), "work");
    assert_eq!(w.form.email.value(), "ana@example.com");
    assert_eq!(w.form.secret.expose(), SECRET);
}

#[test]
fn repositories_load_page_by_page() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    assert!(w.busy());
    update(&mut w, page(id, &["b-repo", "a-repo"], Some(3)));
    update(&mut w, page(id + 99, &["stale"], None));
    assert_eq!(w.repos.len(), 2);
    assert_eq!(w.repos.total_hint, Some(3));
    assert_eq!(w.repos.selected_row().map(|r| r.name()), Some("a-repo"));
    update(&mut w, page(id, &["c-repo"], None));
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    assert_eq!(w.repos.load, repos::LoadState::Done);
    assert_eq!(
        w.repos.total_hint,
        Some(3),
        "a page without a hint keeps it"
    );
    update(&mut w, Msg::End);
    assert_eq!(w.repos.selected_row().map(|r| r.name()), Some("c-repo"));
    update(&mut w, Msg::Home);
    update(&mut w, Msg::PageDown);
    assert_eq!(w.repos.cursor, 2);
    update(&mut w, Msg::Up);
    assert_eq!(w.repos.cursor, 1);
}

#[test]
fn a_long_filter_runs_in_work_slices_while_keys_still_apply() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    w.repos.slice_rows = 2;
    update(
        &mut w,
        page(
            id,
            &["api-gateway", "web-shop", "billing-api", "docs", "ui"],
            None,
        ),
    );
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "api");
    assert!(w.has_work(), "five rows, two per slice");
    assert_eq!(w.repos.visible.len(), 5, "the previous result meanwhile");
    update(&mut w, Msg::Down);
    assert_eq!(w.repos.cursor, 1, "keys are not held up by the filter");
    update(&mut w, Msg::Work { rows: 2 });
    assert!(w.has_work());
    update(&mut w, Msg::Work { rows: 2 });
    assert!(!w.has_work());
    assert_eq!(w.repos.visible.len(), 2);
    assert_eq!(w.repos.cursor, 0, "the new result starts at its best match");
    assert!(
        update(&mut w, Msg::Work { rows: 2 }).is_empty(),
        "no work left is a no-op"
    );
}

#[test]
fn repository_filter_and_sort() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(
        &mut w,
        page(id, &["api-gateway", "web-shop", "billing-api"], None),
    );
    update(&mut w, Msg::FocusFilter);
    assert!(w.typing());
    typed(&mut w, "api");
    assert_eq!(w.repos.visible.len(), 2);
    update(&mut w, Msg::Confirm); // leaves the filter, keeps it
    assert!(!w.repos.filter_focused);
    assert_eq!(w.repos.query(), "api");
    assert_eq!(w.step, Step::Repos);
    update(&mut w, Msg::ToggleSort);
    assert_eq!(w.repos.sort, repos::SortOrder::RecentlyUpdated);
    update(&mut w, Msg::FocusFilter);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos);
    assert!(!w.repos.filter_focused);
}

#[test]
fn one_esc_while_filtering_clears_the_filter_and_enter_keeps_it() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(
        &mut w,
        page(id, &["api-gateway", "web-shop", "billing-api"], None),
    );
    typed(&mut w, "api");
    assert!(w.repos.filter_focused);
    assert_eq!(w.repos.visible.len(), 2);
    update(&mut w, Msg::Back);
    assert_eq!(w.repos.query(), "", "one Esc clears the filter");
    assert!(!w.repos.filter_focused);
    assert_eq!(w.step, Step::Repos, "and stays on the list");
    update(&mut w, Msg::Work { rows: 100 });
    assert_eq!(w.repos.visible.len(), 3);
    typed(&mut w, "web");
    update(&mut w, Msg::Confirm);
    assert_eq!(w.repos.query(), "web", "Enter keeps it");
    assert!(!w.repos.filter_focused);
    update(&mut w, Msg::Back);
    assert_eq!(w.repos.query(), "", "Esc on the list clears a kept filter");
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Check, "with no filter Esc goes back");
}

#[test]
fn repository_load_failure_can_be_retried() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(
        &mut w,
        Msg::ReposDone {
            id,
            result: Err(Problem::new(FailureClass::Other, "boom", "try again")),
        },
    );
    assert!(matches!(w.repos.load, repos::LoadState::Failed(_)));
    let effects = update(&mut w, Msg::Retry);
    assert!(matches!(effects.as_slice(), [Effect::LoadRepos { id: new, .. }] if *new != id));
}

#[test]
fn leaving_repositories_cancels_and_coming_back_reloads() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a"], Some(10)));
    let effects = update(&mut w, Msg::Back);
    assert!(matches!(effects.as_slice(), [Effect::CancelRepos]));
    assert_eq!(w.step, Step::Check);
    assert!(w.check_passed(), "the report is kept");
    update(&mut w, page(id, &["late"], None));
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::LoadRepos { id: again, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_ne!(*again, id);
    assert!(w.repos.is_empty(), "a new load starts clean");
    // A complete list is kept: no reload after Back and forward again.
    update(&mut w, page(*again, &["a"], None));
    update(
        &mut w,
        Msg::ReposDone {
            id: *again,
            result: Ok(()),
        },
    );
    assert!(update(&mut w, Msg::Back).is_empty());
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert_eq!(w.repos.len(), 1);
}

fn saved() -> SavedInfo {
    SavedInfo {
        name: "work".into(),
        config_file: "/cfg/connections.toml".into(),
        secret_location: "file /cfg/secrets/work (0600)".into(),
        keychain_fallback: None,
        clone_https: Some("https://bitbucket.org/acme/a-repo.git".into()),
        expires_on: None,
    }
}

#[test]
fn the_expiry_is_optional_checked_as_you_type_and_saved() {
    let today: jiff::civil::Date = "2026-12-07".parse().expect("date");
    let mut w = Wizard::new(WizardConfig { today, ..config() });
    update(&mut w, Msg::Confirm); // Cloud
    update(&mut w, Msg::Confirm); // API token
    assert_eq!(
        crate::core::fields::fields(w.auth).last(),
        Some(&crate::core::fields::FieldId::Expires),
        "after the secret, optional"
    );
    w.form.focus = crate::core::fields::fields(w.auth).len() - 1;
    let err = |w: &Wizard| error_under(w, FieldId::Expires);
    assert_eq!(err(&w), None, "empty is unknown, not an error");
    typed(&mut w, "2027-02-30");
    assert_error(&w, FieldId::Expires, "not a day");
    clear(&mut w);
    typed(&mut w, "2026-12-01");
    assert_error(&w, FieldId::Expires, "not after today");
    clear(&mut w);
    typed(&mut w, "2027-01-10");
    assert_eq!(err(&w), None);
    w.form.focus = 0;
    clear(&mut w);

    // Enter on the secret submits: the optional field after it is not in the way.
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a-repo"], None));
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    let effects = update(&mut w, Msg::Skip);
    match effects.as_slice() {
        [Effect::Save { expires_on, .. }] => {
            assert_eq!(*expires_on, Some("2027-01-10".parse().expect("date")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn select_save_and_done() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a-repo", "b-repo"], None));
    // Selecting while still loading cancels the load and asks how git reaches it.
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::GitAccess);
    assert!(matches!(effects.as_slice(), [Effect::CancelRepos]));
    // HTTPS, the default, then the (optional) webhook.
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
    assert!(matches!(
        effects.as_slice(),
        [Effect::GenerateWebhookSecret]
    ));
    let effects = update(&mut w, Msg::Skip);
    assert_eq!(w.step, Step::Save);
    let save_id = match effects.as_slice() {
        [
            Effect::Save {
                id,
                creds,
                repo,
                identity_username,
                webhook: None,
                ..
            },
        ] => {
            assert_eq!(creds.spec.name, "work");
            assert_eq!(repo.as_ref().map(|r| r.name.as_str()), Some("a-repo"));
            assert_eq!(identity_username.as_deref(), Some("ana"));
            *id
        }
        other => panic!("{other:?}"),
    };
    assert!(w.busy());
    update(
        &mut w,
        Msg::Saved {
            id: save_id,
            result: Err(Problem::new(FailureClass::Other, "disk full", "free space")),
        },
    );
    assert!(matches!(w.save, SaveState::Failed(_)));
    assert!(w.outcome().is_none());
    let effects = update(&mut w, Msg::Retry);
    let Some(Effect::Save { id: retry_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    update(
        &mut w,
        Msg::Saved {
            id: save_id,
            result: Ok(saved()),
        },
    );
    assert!(w.outcome().is_none(), "stale save reply ignored");
    update(
        &mut w,
        Msg::Saved {
            id: *retry_id,
            result: Ok(saved()),
        },
    );
    assert_eq!(w.step, Step::Done);
    assert_eq!(w.outcome().map(|i| i.name.as_str()), Some("work"));
    let effects = update(&mut w, Msg::Confirm);
    assert!(w.should_quit());
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn back_from_a_failed_save_reloads_a_cancelled_list() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a-repo"], None));
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Skip);
    assert!(update(&mut w, Msg::Back).is_empty());
    assert_eq!(w.step, Step::Webhook);
    assert!(update(&mut w, Msg::Back).is_empty());
    assert_eq!(w.step, Step::GitAccess);
    let effects = update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos);
    assert!(matches!(effects.as_slice(), [Effect::LoadRepos { .. }]));
    assert!(matches!(w.save, SaveState::Idle));
}

#[test]
fn quit_cancels_loading() {
    let mut w = to_form_cloud();
    to_repos(&mut w);
    // After a passed check the first `q` asks; the second quits.
    assert!(update(&mut w, Msg::Quit).is_empty());
    let effects = update(&mut w, Msg::Quit);
    assert!(w.should_quit());
    assert!(matches!(
        effects.as_slice(),
        [Effect::CancelRepos, Effect::Quit]
    ));
}

#[test]
fn help_toggles() {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::ToggleHelp);
    assert!(w.show_help);
    update(&mut w, Msg::ToggleHelp);
    assert!(!w.show_help);
}

#[test]
fn debug_output_never_contains_the_secret() {
    let mut w = to_form_cloud();
    let id = submit_cloud(&mut w);
    let effects = update(&mut w, Msg::Retry);
    check_done(&mut w, id, false);
    let shown = format!("{w:?} {effects:?} {:?}", update(&mut w, Msg::Retry));
    assert!(!shown.contains(SECRET), "secret leaked in Debug");
    assert!(!shown.contains("s3cr3t"));
}

#[test]
fn plain_http_to_a_remote_host_needs_a_second_enter() {
    let mut w = Wizard::new(config());
    fill_dc(&mut w, Some("http://bitbucket.example.com"));
    assert!(
        update(&mut w, Msg::Confirm).is_empty(),
        "first Enter only warns"
    );
    assert_eq!(w.step, Step::Form);
    assert!(w.notice.as_deref().unwrap_or("").contains("unencrypted"));
    // Any other key withdraws the warning: the next Enter warns again.
    update(&mut w, Msg::Edit(EditKey::End));
    assert!(update(&mut w, Msg::Confirm).is_empty());
    let effects = update(&mut w, Msg::Confirm);
    assert!(matches!(
        effects.as_slice(),
        [Effect::CheckCredentials { .. }]
    ));
    assert_eq!(w.step, Step::Check);
}

#[test]
fn loopback_http_is_sent_without_asking() {
    let mut w = Wizard::new(config());
    fill_dc(&mut w, None);
    let effects = update(&mut w, Msg::Confirm);
    match effects.as_slice() {
        [Effect::CheckCredentials { creds, .. }] => {
            assert_eq!(creds.spec.url, "http://127.0.0.1:7990");
            assert_eq!(creds.spec.provider, Provider::Server);
            assert_eq!(creds.spec.auth, AuthKind::HttpTokenUser);
            assert_eq!(creds.spec.username.as_deref(), Some("ana"));
        }
        other => panic!("{other:?}"),
    }
}

mod steps;
mod webhook;

#[test]
fn no_repository_at_all_saves_without_one() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    // Nothing to select while the list is still loading.
    assert!(update(&mut w, Msg::Confirm).is_empty());
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Save);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Save { repo: None, .. }]
    ));
}

#[test]
fn a_filter_matching_nothing_does_not_save() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["a"], None));
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "zzz");
    update(&mut w, Msg::Confirm);
    assert!(update(&mut w, Msg::Confirm).is_empty());
    assert_eq!(w.step, Step::Repos);
}

// what a new user meets. A child module, so it shares the helpers above.
#[path = "first_use_tests.rs"]
mod first_use;

// Git over HTTPS or SSH, once the repository is picked. A child module too.
#[path = "git_access_tests.rs"]
mod git_access;

/// a box cut by a small terminal scrolls; opening the help or reaching
/// the summary starts at the top.
#[test]
fn cut_boxes_scroll_and_start_at_the_top() {
    let mut w = to_form_cloud();
    update(&mut w, Msg::ToggleHelp);
    update(&mut w, Msg::PageDown);
    update(&mut w, Msg::Down);
    assert_eq!(w.text_scroll, TEXT_PAGE + 1);
    update(&mut w, Msg::Up);
    assert_eq!(w.text_scroll, TEXT_PAGE);
    // Scrolling the help moved nothing on the form.
    assert_eq!(w.form.focused(w.auth), crate::core::fields::FieldId::Name);
    for _ in 0..100 {
        update(&mut w, Msg::PageDown);
    }
    assert_eq!(w.text_scroll, TEXT_MAX, "bounded");
    update(&mut w, Msg::ToggleHelp);
    assert_eq!(w.text_scroll, 0);
    w.step = Step::Done;
    update(&mut w, Msg::PageDown);
    update(&mut w, Msg::PageUp);
    update(&mut w, Msg::Down);
    assert_eq!(w.text_scroll, 1);
    assert!(!w.quit);
}
