//! The last step, saving and its outcome: the save in flight (Retry on failure), then the
//! summary, whose git actions are in `git.rs`.

use super::msg::{Effect, Msg, RequestId};
use super::{Step, Wizard, back, git, quit, scroll_text, webhook};
use crate::core::model::{AuthKind, Problem, SavedInfo};
use crate::core::ssh::GitProtocol;

#[derive(Debug, Clone, Default)]
pub enum SaveState {
    #[default]
    Idle,
    Saving {
        id: RequestId,
    },
    Failed(Problem),
    Saved(SavedInfo),
}

impl Wizard {
    /// How git reaches the repository in the save: SSH only with a repository to put the
    /// key on.
    pub fn save_protocol(&self) -> GitProtocol {
        match self.chosen_repo {
            Some(_) => self.git_protocol,
            None => GitProtocol::Https,
        }
    }

    /// A save that failed with SSH chosen: saving over HTTPS is the way on.
    pub fn offers_https_instead(&self) -> bool {
        matches!(self.save, SaveState::Failed(_)) && self.save_protocol() == GitProtocol::Ssh
    }

    pub fn outcome(&self) -> Option<&SavedInfo> {
        match &self.save {
            SaveState::Saved(info) => Some(info),
            _ => None,
        }
    }
}

pub(super) fn save_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Retry if matches!(w.save, SaveState::Failed(_)) => start_save(w),
        Msg::UseHttps if w.offers_https_instead() => {
            w.git_protocol = GitProtocol::Https;
            start_save(w)
        }
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

/// The summary screen: Enter or Esc ends the session.
pub(super) fn done_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Confirm | Msg::Back => quit(w),
        Msg::GitSetup => git::on_setup(w),
        Msg::GitClone => git::on_clone(w),
        Msg::Up | Msg::Down | Msg::PageUp | Msg::PageDown => {
            scroll_text(w, &msg);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub(super) fn start_save(w: &mut Wizard) -> Vec<Effect> {
    let Some(creds) = w.checked.clone() else {
        return Vec::new();
    };
    let id = w.fresh_id();
    w.save = SaveState::Saving { id };
    w.save_warning = None;
    let replace = w
        .replacing
        .as_ref()
        .is_some_and(|r| r.name == creds.spec.name);
    let identity_username = w
        .check_report()
        .and_then(|r| r.identity.as_ref())
        .map(|i| i.username.clone());
    vec![Effect::Save {
        id,
        creds,
        repo: w.chosen_repo.clone(),
        identity_username,
        oauth: w
            .oauth
            .grant()
            .filter(|_| w.auth == AuthKind::OAuth)
            .cloned(),
        webhook: webhook::saved_hook(w),
        replace,
        expires_on: w.form.expires_on(),
        git_protocol: w.save_protocol(),
        allow_http: w.allow_http,
    }]
}

pub(super) fn on_warning(w: &mut Wizard, id: RequestId, text: String) {
    if matches!(w.save, SaveState::Saving { id: current } if current == id) {
        w.save_warning = Some(text);
    }
}

pub(super) fn on_saved(w: &mut Wizard, id: RequestId, result: Result<SavedInfo, Problem>) {
    if matches!(w.save, SaveState::Saving { id: current } if current == id) {
        match result {
            Ok(info) => {
                w.save = SaveState::Saved(info);
                w.history.push(w.step);
                w.step = Step::Done;
                w.text_scroll = 0;
            }
            Err(problem) => w.save = SaveState::Failed(problem),
        }
    }
}
