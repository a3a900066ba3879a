//! `update` tests for what a new user meets: letters on lists, quitting, wording.

use super::*;

#[test]
fn a_letter_on_the_repository_list_starts_the_filter() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["quartz", "web-shop"], None));
    // `q` used to quit the wizard at once here, with nothing saved.
    let effects = update(&mut w, Msg::Edit(EditKey::Char('q')));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!w.should_quit());
    assert!(w.repos.filter_focused);
    assert_eq!(w.repos.query(), "q");
    assert_eq!(w.step, Step::Repos);
}

#[test]
fn quitting_after_a_passed_check_asks_first() {
    let mut w = to_form_cloud();
    to_repos(&mut w);
    let effects = update(&mut w, Msg::Quit);
    assert!(
        !w.should_quit(),
        "a passed check is not thrown away on one key"
    );
    assert!(effects.is_empty(), "{effects:?}");
    // Any other key stays.
    update(&mut w, Msg::Down);
    assert!(!w.should_quit());
    update(&mut w, Msg::Quit);
    update(&mut w, Msg::Quit);
    assert!(w.should_quit(), "asked and confirmed");
}

#[test]
fn quitting_before_any_check_passed_does_not_ask() {
    let mut w = to_form_cloud();
    update(&mut w, Msg::Quit);
    assert!(w.should_quit());
}

/// Through a passed check and the first repository into the webhook step.
fn to_webhook(w: &mut Wizard) {
    let id = to_repos(w);
    update(w, page(id, &["a-repo"], None));
    update(w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
}

#[test]
fn a_plain_http_webhook_url_is_allowed_after_a_warning() {
    let mut w = to_form_cloud();
    to_webhook(&mut w);
    typed(&mut w, "http://ci.internal.example/hook");
    assert_eq!(w.webhook.url_error(), None, "internal CI servers use http");
    let effects = update(&mut w, Msg::Confirm);
    assert!(effects.is_empty(), "the first Enter warns: {effects:?}");
    let notice = w.notice.clone().unwrap_or_default();
    assert!(notice.contains("unencrypted"), "{notice}");
    let effects = update(&mut w, Msg::Confirm);
    assert!(
        matches!(effects.as_slice(), [Effect::EnsureWebhook { spec, .. }] if spec.url == "http://ci.internal.example/hook"),
        "{effects:?}"
    );
}

/// `e` after a failed check puts the cursor in the field the failure is
/// about: the URL when the server could not be reached, the token when it was refused.
#[test]
fn edit_after_a_failed_check_focuses_the_field_it_is_about() {
    use crate::core::model::{CheckId, CheckItem, CheckReport, FailureClass};
    let url_field = crate::core::fields::fields(AuthKind::ApiToken)
        .iter()
        .position(|f| *f == crate::core::fields::FieldId::Url)
        .unwrap();
    let secret_field = crate::core::fields::fields(AuthKind::ApiToken)
        .iter()
        .position(|f| *f == crate::core::fields::FieldId::Secret)
        .unwrap();
    for (id, field) in [
        (CheckId::Reach, url_field),
        (CheckId::Credential, secret_field),
    ] {
        let mut w = to_form_cloud();
        let check = submit_cloud(&mut w);
        let report = CheckReport {
            items: vec![CheckItem::failed(
                id,
                FailureClass::Unreachable,
                "no answer",
                "check the URL",
            )],
            ..CheckReport::default()
        };
        update(&mut w, Msg::CheckDone { id: check, report });
        update(&mut w, Msg::EditForm);
        assert_eq!(w.step, Step::Form);
        assert_eq!(w.form.focus, field, "after a failed {id} check");
    }
}

/// the URL parser's jargon never reaches the user.
#[test]
fn url_errors_are_in_plain_words() {
    for bad in [
        "https://",
        "https://bb.example.com:99999",
        "https://bad host/",
    ] {
        let e = crate::core::validate::server_url(bad).unwrap_err();
        assert!(
            !e.contains("relative URL") && !e.contains("base"),
            "{bad}: {e}"
        );
        assert!(!e.contains("Not a valid URL ("), "{bad}: {e}");
    }
    let e = crate::core::hook_rules::validate_url("https://ci.example.com:0x/h").unwrap_err();
    assert!(!e.contains("Not a valid URL ("), "{e}");
}

/// `bitbucket.example.com` typed without a scheme is taken as https, and
/// the form says so.
#[test]
fn a_bare_host_is_taken_as_https_and_said_so() {
    let mut w = Wizard::new(config());
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm); // Server
    update(&mut w, Msg::Confirm); // user token
    typed(&mut w, "dc");
    update(&mut w, Msg::NextField);
    clear(&mut w);
    typed(&mut w, "bitbucket.example.com");
    update(&mut w, Msg::Confirm);
    assert_eq!(w.form.url.value(), "https://bitbucket.example.com");
    let notice = w.notice.clone().unwrap_or_default();
    assert!(notice.contains("https://bitbucket.example.com"), "{notice}");
}

/// Esc with a filter clears the filter first; the next Esc goes back.
#[test]
fn esc_clears_the_filter_before_leaving_the_list() {
    let mut w = to_form_cloud();
    let id = to_repos(&mut w);
    update(&mut w, page(id, &["api", "web"], None));
    typed(&mut w, "we");
    update(&mut w, Msg::Confirm); // done filtering, filter kept
    assert_eq!(w.repos.query(), "we");
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos, "Esc cleared the filter, stayed");
    assert_eq!(w.repos.query(), "");
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Check);
}

/// Data Center gives no update time, so there is no sort to toggle.
#[test]
fn data_center_lists_have_no_recently_updated_sort() {
    let mut w = to_form_cloud();
    to_repos(&mut w);
    w.provider = Provider::Server;
    update(&mut w, Msg::ToggleSort);
    assert_eq!(w.repos.sort, repos::SortOrder::Name);
}

fn saved_row(name: &str) -> saved::SavedRow {
    saved::SavedRow {
        name: name.into(),
        provider: Provider::Server,
        auth: AuthKind::HttpTokenUser,
        url: "https://bitbucket.example.com".into(),
        username: Some("ana".into()),
        user: Some("ana".into()),
        repo: Some("WEB/api".into()),
        last_check: None,
        expires_on: None,
    }
}

fn with_saved(names: &[&str]) -> Wizard {
    let mut c = config();
    c.saved = names.iter().map(|n| saved_row(n)).collect();
    c.existing_names = names.iter().map(|n| n.to_string()).collect();
    Wizard::new(c)
}

#[test]
fn with_saved_connections_the_wizard_starts_on_their_list() {
    assert_eq!(Wizard::new(config()).step, Step::Provider);
    let mut w = with_saved(&["work", "ci"]);
    assert_eq!(w.step, Step::Saved);
    // "New connection" is the line after the last row; Esc from step 1 comes back.
    update(&mut w, Msg::End);
    assert!(w.saved.on_new());
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Provider);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Saved);
}

#[test]
fn a_saved_connection_is_checked_again_and_the_row_shows_it() {
    let mut w = with_saved(&["work"]);
    let effects = update(&mut w, Msg::Confirm);
    let [Effect::CheckSaved { id, name }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(name, "work");
    let id = *id;
    assert!(w.busy());
    let summary = crate::core::model::LastCheck {
        ok: false,
        at: "2026-12-01T21:00:00Z".into(),
        summary: "Credential: refused".into(),
        accepted_at: None,
        webhook_seen_at: None,
    };
    update(
        &mut w,
        Msg::SavedChecked {
            id: id + 7,
            result: Ok(summary.clone()),
        },
    );
    assert!(
        w.saved.rows[0].last_check.is_none(),
        "a stale reply is ignored"
    );
    update(
        &mut w,
        Msg::SavedChecked {
            id,
            result: Ok(summary.clone()),
        },
    );
    assert_eq!(w.saved.rows[0].last_check, Some(summary));
    assert!(!w.busy());
}

#[test]
fn removing_a_saved_connection_asks_first() {
    let mut w = with_saved(&["work", "ci"]);
    assert!(update(&mut w, Msg::Remove).is_empty());
    // Anything but yes keeps it.
    assert!(update(&mut w, Msg::Back).is_empty());
    assert_eq!(w.saved.action, saved::SavedAction::Idle);
    update(&mut w, Msg::Remove);
    let effects = update(&mut w, Msg::ConfirmRemove);
    let [Effect::RemoveSaved { id, name }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(name, "work");
    update(
        &mut w,
        Msg::SavedRemoved {
            id: *id,
            result: Ok(()),
        },
    );
    assert_eq!(w.saved.rows.len(), 1);
    assert!(!w.config.existing_names.contains(&"work".to_string()));
}

#[test]
fn editing_prefills_the_form_and_keeps_the_secret_for_its_host_only() {
    let mut w = with_saved(&["work"]);
    let effects = update(&mut w, Msg::EditForm);
    assert_eq!(w.step, Step::Form);
    assert!(matches!(effects.as_slice(), [Effect::LoadSavedSecret { name }] if name == "work"));
    assert_eq!(w.provider, Provider::Server);
    assert_eq!(w.auth, AuthKind::HttpTokenUser);
    assert_eq!(w.form.name.value(), "work");
    assert_eq!(w.form.url.value(), "https://bitbucket.example.com");
    assert_eq!(w.form.username.value(), "ana");
    update(
        &mut w,
        Msg::SavedSecret {
            name: "work".into(),
            secret: Ok(SecretString::from(SECRET.to_string())),
        },
    );
    // Submitting unchanged: checked with the kept secret, saved as a replacement.
    w.form.focus = crate::core::fields::fields(w.auth).len() - 1;
    let effects = update(&mut w, Msg::Confirm);
    let [Effect::CheckCredentials { creds, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(creds.secret.expose_secret(), SECRET);
    // Pointed at another host, the kept secret is dropped, never sent there.
    update(&mut w, Msg::Back);
    w.form.focus = 1;
    clear(&mut w);
    typed(&mut w, "https://elsewhere.example.com");
    w.form.focus = crate::core::fields::fields(w.auth).len() - 1;
    let effects = update(&mut w, Msg::Confirm);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(w.form.secret.is_empty());
}

#[test]
fn a_taken_name_offers_to_replace_it() {
    let mut w = to_form_cloud();
    typed(&mut w, "taken");
    w.form.focus = crate::core::fields::fields(w.auth).len() - 1;
    update(&mut w, Msg::Confirm);
    let notice = w.notice.clone().unwrap_or_default();
    assert!(notice.contains("Ctrl-R replaces it"), "{notice}");
    update(&mut w, Msg::Replace);
    assert!(w.replacing.as_ref().is_some_and(|r| r.name == "taken"));
    assert_eq!(
        w.form
            .first_invalid(w.auth, &w.config.existing_names)
            .map(|i| crate::core::fields::fields(w.auth)[i]),
        Some(crate::core::fields::FieldId::Email)
    );
}

#[test]
fn saving_a_replacement_replaces() {
    let mut w = to_form_cloud();
    typed(&mut w, "taken");
    update(&mut w, Msg::Replace);
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, SECRET);
    let effects = update(&mut w, Msg::Confirm);
    let [Effect::CheckCredentials { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(
        &mut w,
        Msg::CheckDone {
            id: *id,
            report: report(true),
        },
    );
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::LoadRepos { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    update(
        &mut w,
        Msg::ReposDone {
            id: *id,
            result: Ok(()),
        },
    );
    let effects = update(&mut w, Msg::Confirm); // no repository: straight to saving
    assert!(
        matches!(effects.as_slice(), [Effect::Save { replace: true, .. }]),
        "{effects:?}"
    );
}
