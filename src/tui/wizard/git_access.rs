//! Git access, once the repository is picked: git over HTTPS with the connection's credential
//! (the default), or over SSH with a read-only key of the connection's own for this
//! repository. Only the choice is made here; the key is made, registered and proven by the
//! save (`engine::ssh`, as `connect --git-protocol ssh`), so nothing is left on the server
//! by a choice that is never saved.

use super::msg::{Effect, Msg};
use super::{Step, Wizard, back, cursor_move, go};
use crate::core::sanitize::clean;
use crate::core::ssh::GitProtocol;

/// The choices, in the order shown.
pub const CHOICES: [GitProtocol; 2] = [GitProtocol::Https, GitProtocol::Ssh];

impl Wizard {
    /// Why SSH cannot be chosen for the repository picked: the server gave no SSH clone link.
    pub fn ssh_unavailable(&self) -> Option<String> {
        let repo = self.chosen_repo.as_ref()?;
        repo.clone_ssh.is_none().then(|| {
            format!(
                "The server gave no SSH clone link for {}: SSH may be off on it.",
                clean(&repo.full_name)
            )
        })
    }
}

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Up | Msg::Down | Msg::Home | Msg::End | Msg::PageUp | Msg::PageDown => {
            cursor_move(&mut w.git_cursor, CHOICES.len(), &msg);
            Vec::new()
        }
        Msg::Confirm => {
            let chosen = CHOICES[w.git_cursor.min(CHOICES.len() - 1)];
            if chosen == GitProtocol::Ssh
                && let Some(why) = w.ssh_unavailable()
            {
                w.notice = Some(format!("{why} Choose HTTPS."));
                return Vec::new();
            }
            w.git_protocol = chosen;
            go(w, Step::Webhook)
        }
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

/// The cursor starts on the choice made before (HTTPS the first time).
pub(super) fn enter_git_access(w: &mut Wizard) -> Vec<Effect> {
    w.git_cursor = CHOICES
        .iter()
        .position(|c| *c == w.git_protocol)
        .unwrap_or(0);
    Vec::new()
}
