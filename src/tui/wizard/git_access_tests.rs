//! `update` tests for the Git access step: HTTPS by default, SSH with a read-only key for the
//! repository (made by the save), the way back, and a save refused over SSH.

use super::*;
use crate::core::ssh::GitProtocol;
use crate::tui::wizard::git::GitPanel;

const SSH_LINK: &str = "ssh://git@127.0.0.1:7999/acme/a-repo.git";

/// Through a passed check and a repository that has an SSH clone link (or not) into the Git
/// access step.
fn to_git_access(w: &mut Wizard, ssh_link: Option<&str>) {
    let id = to_repos(w);
    let mut r = repo("a-repo");
    r.clone_ssh = ssh_link.map(str::to_string);
    update(
        w,
        Msg::ReposPage {
            id,
            page: RepoPage {
                repos: vec![r],
                total_hint: None,
            },
        },
    );
    update(w, Msg::ReposDone { id, result: Ok(()) });
    update(w, Msg::Confirm);
    assert_eq!(w.step, Step::GitAccess);
}

/// The `Effect::Save` that skipping the webhook starts: its protocol and id.
fn skip_to_save(w: &mut Wizard) -> (GitProtocol, RequestId) {
    assert_eq!(w.step, Step::Webhook);
    let effects = update(w, Msg::Skip);
    match effects.as_slice() {
        [
            Effect::Save {
                git_protocol, id, ..
            },
        ] => (*git_protocol, *id),
        other => panic!("expected Save, got {other:?}"),
    }
}

/// SSH chosen, the webhook skipped: the save asked for, and its id.
fn saving_over_ssh() -> (Wizard, RequestId) {
    let mut w = to_form_cloud();
    to_git_access(&mut w, Some(SSH_LINK));
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    let (protocol, id) = skip_to_save(&mut w);
    assert_eq!(protocol, GitProtocol::Ssh);
    (w, id)
}

/// The worker's answer to the save `id`.
fn saved_as(w: &mut Wizard, id: RequestId, result: Result<SavedInfo, Problem>) {
    update(w, Msg::Saved { id, result });
}

#[test]
fn https_is_the_default_and_nothing_runs_on_choosing() {
    let mut w = to_form_cloud();
    to_git_access(&mut w, Some(SSH_LINK));
    assert_eq!(w.git_cursor, 0);
    let effects = update(&mut w, Msg::Confirm);
    assert!(
        matches!(effects.as_slice(), [Effect::GenerateWebhookSecret]),
        "{effects:?}"
    );
    assert_eq!(w.git_protocol, GitProtocol::Https);
    assert_eq!(skip_to_save(&mut w).0, GitProtocol::Https);
}

#[test]
fn ssh_is_chosen_here_and_made_by_the_save() {
    let mut w = to_form_cloud();
    to_git_access(&mut w, Some(SSH_LINK));
    update(&mut w, Msg::Down);
    // Choosing registers nothing yet: a choice never saved leaves no key on the server.
    let effects = update(&mut w, Msg::Confirm);
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::GenerateWebhookSecret)),
        "{effects:?}"
    );
    assert_eq!(w.git_protocol, GitProtocol::Ssh);
    let (protocol, _) = skip_to_save(&mut w);
    assert_eq!(protocol, GitProtocol::Ssh);
}

#[test]
fn esc_goes_back_to_the_list_and_coming_back_keeps_the_choice() {
    let mut w = to_form_cloud();
    to_git_access(&mut w, Some(SSH_LINK));
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::GitAccess);
    assert_eq!(w.git_cursor, 1, "the cursor is on the choice made");
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::Repos);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::GitAccess);
    assert_eq!(w.git_cursor, 1);
}

#[test]
fn a_repository_without_an_ssh_link_cannot_take_ssh() {
    let mut w = to_form_cloud();
    to_git_access(&mut w, None);
    update(&mut w, Msg::Down);
    let effects = update(&mut w, Msg::Confirm);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(w.step, Step::GitAccess);
    let notice = w.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("no SSH clone link") && notice.contains("HTTPS"),
        "{notice}"
    );
    update(&mut w, Msg::Up);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
}

#[test]
fn a_save_refused_over_ssh_offers_https_and_the_way_back() {
    let (mut w, id) = saving_over_ssh();
    // `h` means nothing while the save runs.
    assert!(update(&mut w, Msg::UseHttps).is_empty());
    let refused = Problem::new(
        crate::core::model::FailureClass::Permission,
        "Registering a deploy key needs repository admin rights, which this credential lacks.",
        "Use a credential of a repository admin, or ask an admin to add this key read-only on https://bitbucket.org/acme/a-repo/admin/access-keys/:\n  ssh-ed25519 AAAA bbconnect work\nthen run connect again.",
    );
    saved_as(&mut w, id, Err(refused));
    assert!(w.offers_https_instead());
    let keys: Vec<&str> = crate::tui::keys::hints(&w)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys.contains(&"h") && keys.contains(&"Esc"), "{keys:?}");
    let effects = update(&mut w, Msg::UseHttps);
    match effects.as_slice() {
        [Effect::Save { git_protocol, .. }] => assert_eq!(*git_protocol, GitProtocol::Https),
        other => panic!("expected Save, got {other:?}"),
    }
    assert_eq!(w.git_protocol, GitProtocol::Https);
    // Esc from the save goes back through the webhook to the choice.
    update(&mut w, Msg::Back);
    update(&mut w, Msg::Back);
    assert_eq!(w.step, Step::GitAccess);
}

#[test]
fn an_ssh_connection_clones_from_its_ssh_link() {
    let (mut w, id) = saving_over_ssh();
    saved_as(&mut w, id, Ok(saved()));
    assert_eq!(w.step, Step::Done);
    let effects = update(&mut w, Msg::GitClone);
    match effects.as_slice() {
        [Effect::CloneRepo { name, dir, .. }] => {
            assert_eq!((name.as_str(), dir.as_str()), ("work", "a-repo"));
        }
        other => panic!("expected CloneRepo, got {other:?}"),
    }
    assert!(matches!(w.git, GitPanel::Cloning { .. }));
    let info = saved();
    assert_eq!(
        crate::tui::wizard::git::clone_url(&w, &info).as_deref(),
        Some(SSH_LINK)
    );
}

#[test]
fn editing_a_connection_saved_over_ssh_keeps_ssh_chosen() {
    let row = saved::SavedRow {
        git_protocol: GitProtocol::Ssh,
        ..super::first_use::saved_row("ci")
    };
    let mut w = Wizard::new(WizardConfig {
        saved: vec![row],
        ..config()
    });
    assert_eq!(w.step, Step::Saved);
    update(&mut w, Msg::EditForm);
    assert_eq!(w.step, Step::Form);
    // Enter through the Git access step saves with a new key, not over HTTPS.
    assert_eq!(w.git_protocol, GitProtocol::Ssh);
    assert!(crate::tui::wizard::git_access::enter_git_access(&mut w).is_empty());
    assert_eq!(w.git_cursor, 1);
}

#[test]
fn an_old_key_left_on_the_server_is_told_on_the_saved_screen() {
    let (mut w, id) = saving_over_ssh();
    let text = "The previous SSH key (id 7) could not be deleted from acme/a-repo.";
    update(
        &mut w,
        Msg::SaveWarning {
            id: id + 1,
            text: "stale".into(),
        },
    );
    assert_eq!(w.save_warning, None, "another save's warning is dropped");
    update(
        &mut w,
        Msg::SaveWarning {
            id,
            text: text.into(),
        },
    );
    saved_as(&mut w, id, Ok(saved()));
    assert_eq!(w.step, Step::Done);
    assert_eq!(w.save_warning.as_deref(), Some(text));
}
