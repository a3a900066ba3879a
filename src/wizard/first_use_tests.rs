//! `update` tests for what a new user meets (issue 14): letters on lists, quitting, wording.

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

/// Issue 14, defect 4: `e` after a failed check puts the cursor in the field the failure is
/// about: the URL when the server could not be reached, the token when it was refused.
#[test]
fn edit_after_a_failed_check_focuses_the_field_it_is_about() {
    use crate::bitbucket::model::{CheckItem, CheckReport, FailureClass};
    let url_field = form::fields(AuthKind::ApiToken)
        .iter()
        .position(|f| *f == form::FieldId::Url)
        .unwrap();
    let secret_field = form::fields(AuthKind::ApiToken)
        .iter()
        .position(|f| *f == form::FieldId::Secret)
        .unwrap();
    for (id, field) in [("reach", url_field), ("credential", secret_field)] {
        let mut w = to_form_cloud();
        let check = submit_cloud(&mut w);
        let report = CheckReport {
            items: vec![CheckItem::failed(
                id,
                "Reach the server",
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

/// Issue 14, defect 8: the URL parser's jargon never reaches the user.
#[test]
fn url_errors_are_in_plain_words() {
    for bad in [
        "https://",
        "https://bb.example.com:99999",
        "https://bad host/",
    ] {
        let e = validate::server_url(bad).unwrap_err();
        assert!(
            !e.contains("relative URL") && !e.contains("base"),
            "{bad}: {e}"
        );
        assert!(!e.contains("Not a valid URL ("), "{bad}: {e}");
    }
    let e = crate::wizard::webhook::validate_url("https://ci.example.com:0x/h").unwrap_err();
    assert!(!e.contains("Not a valid URL ("), "{e}");
}

/// Issue 14, defect 8: `bitbucket.example.com` typed without a scheme is taken as https, and
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

/// Issue 14, defect 2: Esc with a filter clears the filter first; the next Esc goes back.
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

/// Issue 14, defect 2: Data Center gives no update time, so there is no sort to toggle.
#[test]
fn data_center_lists_have_no_recently_updated_sort() {
    let mut w = to_form_cloud();
    to_repos(&mut w);
    w.provider = Provider::Server;
    update(&mut w, Msg::ToggleSort);
    assert_eq!(w.repos.sort, repos::SortOrder::Name);
}
