//! The Saved screen's git actions: `g` sets up git for the connection's host (the exact
//! `git config` lines are shown first, a second `g` applies them), `c` clones the chosen
//! repository into `./SLUG` with git's progress on screen. Pure: the worker runs git and
//! answers with `Msg::GitPlan`, `Msg::GitProgress`, `Msg::GitDone`.

use super::msg::{Effect, RequestId};
use super::{SaveState, Wizard};
use crate::core::model::{Problem, SavedInfo};
use crate::core::ssh::GitProtocol;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GitPanel {
    #[default]
    Idle,
    /// Asked the worker which config lines would change.
    Planning {
        id: RequestId,
    },
    /// The lines that `g` again will run; empty when git is already set up.
    Confirm {
        lines: Vec<String>,
    },
    Applying {
        id: RequestId,
        lines: Vec<String>,
    },
    Cloning {
        id: RequestId,
        dir: String,
        /// git's latest progress line, sanitised by the worker.
        progress: String,
    },
    /// What happened, for the user: success text.
    Done(String),
    Failed {
        what: String,
        fix: String,
    },
}

/// The URL the saved connection clones from: its SSH link when it was saved with the SSH
/// route (the worker clones over SSH then), else its https one.
pub fn clone_url(w: &Wizard, info: &SavedInfo) -> Option<String> {
    let repo = w.chosen_repo.as_ref();
    match w.save_protocol() {
        GitProtocol::Ssh => repo.and_then(|r| r.clone_ssh.clone()),
        GitProtocol::Https => info
            .clone_https
            .clone()
            .or_else(|| repo.and_then(|r| r.clone_https.clone())),
    }
}

/// `./SLUG` for a clone URL.
pub use crate::core::urls::clone_dir;

fn busy(w: &Wizard) -> bool {
    matches!(
        w.git,
        GitPanel::Planning { .. } | GitPanel::Applying { .. } | GitPanel::Cloning { .. }
    )
}

fn saved_name(w: &Wizard) -> Option<String> {
    match &w.save {
        SaveState::Saved(info) => Some(info.name.clone()),
        _ => None,
    }
}

/// `g`: first shows the plan, then applies it.
pub fn on_setup(w: &mut Wizard) -> Vec<Effect> {
    if busy(w) {
        return Vec::new();
    }
    let Some(name) = saved_name(w) else {
        return Vec::new();
    };
    if !w.config.demo_notes.is_empty() {
        // The demo's connection lives in a directory removed on exit: a global git setting
        // pointing at it would outlive it.
        w.git = GitPanel::Failed {
            what: "The demo's connection is temporary, so git is not set up for it.".into(),
            fix: "Connect for real, then press g (or run `bbconnect setup-git`).".into(),
        };
        return Vec::new();
    }
    match w.git.clone() {
        GitPanel::Confirm { lines } if !lines.is_empty() => {
            let id = w.fresh_id();
            w.git = GitPanel::Applying { id, lines };
            vec![Effect::ApplyGitSetup { id, name }]
        }
        _ => {
            let id = w.fresh_id();
            w.git = GitPanel::Planning { id };
            vec![Effect::PlanGitSetup { id, name }]
        }
    }
}

/// `c`: clone the chosen repository into ./SLUG.
pub fn on_clone(w: &mut Wizard) -> Vec<Effect> {
    if busy(w) {
        return Vec::new();
    }
    let Some(name) = saved_name(w) else {
        return Vec::new();
    };
    let url = match &w.save {
        SaveState::Saved(info) => clone_url(w, info),
        _ => None,
    };
    let Some(url) = url else {
        w.git = GitPanel::Failed {
            what: "No repository with a clone URL was chosen.".into(),
            fix: "Run `bbconnect clone NAME REPO` with the repository to clone.".into(),
        };
        return Vec::new();
    };
    let dir = clone_dir(&url);
    let id = w.fresh_id();
    w.git = GitPanel::Cloning {
        id,
        dir: dir.clone(),
        progress: String::new(),
    };
    vec![Effect::CloneRepo { id, name, dir }]
}

pub fn on_plan(w: &mut Wizard, id: RequestId, result: Result<Vec<String>, Problem>) {
    if w.git != (GitPanel::Planning { id }) {
        return;
    }
    w.git = match result {
        Ok(lines) if lines.is_empty() => {
            GitPanel::Done("git is already set up for this host: nothing to change.".into())
        }
        Ok(lines) => GitPanel::Confirm { lines },
        Err(p) => GitPanel::Failed {
            what: p.what,
            fix: p.fix,
        },
    };
}

pub fn on_progress(w: &mut Wizard, id: RequestId, line: String) {
    if let GitPanel::Cloning {
        id: current,
        progress,
        ..
    } = &mut w.git
        && *current == id
    {
        *progress = line;
    }
}

pub fn on_done(w: &mut Wizard, id: RequestId, result: Result<String, Problem>) {
    let current = match &w.git {
        GitPanel::Applying { id, .. } | GitPanel::Cloning { id, .. } => *id,
        _ => return,
    };
    if current != id {
        return;
    }
    w.git = match result {
        Ok(text) => GitPanel::Done(text),
        Err(p) => GitPanel::Failed {
            what: p.what,
            fix: p.fix,
        },
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::FailureClass;
    use crate::tui::wizard::{Step, WizardConfig};

    fn saved() -> Wizard {
        let mut w = Wizard::new(WizardConfig::default());
        w.step = Step::Done;
        w.save = SaveState::Saved(SavedInfo {
            name: "ci".into(),
            config_file: "/c".into(),
            secret_location: "file".into(),
            keychain_fallback: None,
            clone_https: Some("https://h/ws/app.git".into()),
            expires_on: None,
        });
        w
    }

    #[test]
    fn g_shows_the_plan_first_and_applies_it_on_the_second_press() {
        let mut w = saved();
        let e = on_setup(&mut w);
        let Some(Effect::PlanGitSetup { id, name }) = e.first().cloned() else {
            panic!("{e:?}");
        };
        assert_eq!(name, "ci");
        on_plan(
            &mut w,
            id,
            Ok(vec!["git config --global --add x ''".into()]),
        );
        assert!(matches!(&w.git, GitPanel::Confirm { lines } if lines.len() == 1));
        let e = on_setup(&mut w);
        let Some(Effect::ApplyGitSetup { id, .. }) = e.first().cloned() else {
            panic!("{e:?}");
        };
        // Pressing again while it runs does nothing.
        assert!(on_setup(&mut w).is_empty());
        on_done(&mut w, id + 100, Ok("stale".into()));
        assert!(matches!(w.git, GitPanel::Applying { .. }));
        on_done(&mut w, id, Ok("set".into()));
        assert_eq!(w.git, GitPanel::Done("set".into()));
    }

    #[test]
    fn an_empty_plan_says_nothing_to_change_and_errors_are_kept() {
        let mut w = saved();
        let e = on_setup(&mut w);
        let Some(Effect::PlanGitSetup { id, .. }) = e.first().cloned() else {
            panic!()
        };
        on_plan(&mut w, id, Ok(vec![]));
        assert!(matches!(&w.git, GitPanel::Done(t) if t.contains("nothing to change")));
        let mut w = saved();
        let Some(Effect::PlanGitSetup { id, .. }) = on_setup(&mut w).first().cloned() else {
            panic!()
        };
        on_plan(
            &mut w,
            id,
            Err(Problem::new(
                FailureClass::Other,
                "git could not be started",
                "Install git",
            )),
        );
        assert!(matches!(&w.git, GitPanel::Failed { fix, .. } if fix == "Install git"));
    }

    #[test]
    fn c_clones_the_chosen_repository_into_its_slug_with_progress() {
        let mut w = saved();
        w.chosen_repo = Some(crate::core::model::Repo {
            clone_https: Some("https://alice@h/ws/app.git".into()),
            ..Default::default()
        });
        let e = on_clone(&mut w);
        let Some(Effect::CloneRepo { id, name, dir }) = e.first().cloned() else {
            panic!("{e:?}");
        };
        assert_eq!((name.as_str(), dir.as_str()), ("ci", "app"));
        on_progress(&mut w, id, "Receiving objects: 50%".into());
        assert!(matches!(&w.git, GitPanel::Cloning { progress, .. } if progress.contains("50%")));
        on_done(
            &mut w,
            id,
            Err(Problem::new(FailureClass::Other, "fatal: x", "f")),
        );
        assert!(matches!(&w.git, GitPanel::Failed { what, .. } if what == "fatal: x"));
    }

    #[test]
    fn the_delivery_test_of_the_hook_just_made_is_kept_and_stale_ones_dropped() {
        use crate::tui::wizard::msg::Msg;
        use crate::tui::wizard::update;
        let mut w = saved();
        let row = crate::core::model::CheckItem::passed(
            crate::core::model::CheckId::WebhookDelivery,
            "HTTP 200",
        );
        w.hook_delivery_for = Some(7);
        update(
            &mut w,
            Msg::WebhookDelivery {
                id: 6,
                row: row.clone(),
            },
        );
        assert!(w.hook_delivery.is_none());
        update(&mut w, Msg::WebhookDelivery { id: 7, row });
        assert!(
            w.hook_delivery
                .as_ref()
                .is_some_and(|r| r.detail == "HTTP 200")
        );
    }

    #[test]
    fn the_demo_does_not_touch_the_global_git_config() {
        let mut w = saved();
        w.config.demo_notes = vec!["Simulator".into()];
        assert!(on_setup(&mut w).is_empty());
        assert!(matches!(w.git, GitPanel::Failed { .. }));
    }
}
