//! The first screen when connections are saved already: the list of them, with re-check,
//! edit (the form prefilled, the secret kept unless retyped), replace, remove (confirmed) and
//! "new connection". Pure like the rest of the wizard: the store is the worker's.

use secrecy::SecretString;

use super::msg::{Effect, Msg, RequestId};
use super::secret_input::SecretInput;
use super::{Step, Wizard, go};
use crate::core::model::{AuthKind, LastCheck, Problem, Provider};
use crate::core::ssh::GitProtocol;

/// A saved connection as the list shows it (no secret: that stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRow {
    pub name: String,
    pub provider: Provider,
    pub auth: AuthKind,
    pub url: String,
    /// The username or email that was typed.
    pub username: Option<String>,
    /// The identity the server reported.
    pub user: Option<String>,
    pub repo: Option<String>,
    pub last_check: Option<LastCheck>,
    /// The day the credential stops working, when known.
    pub expires_on: Option<jiff::civil::Date>,
    /// SSH when saved with a read-only key: editing it keeps that choice.
    pub git_protocol: GitProtocol,
}

/// What the list is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SavedAction {
    #[default]
    Idle,
    Checking {
        id: RequestId,
        name: String,
    },
    /// "Remove NAME? y/n" is on screen.
    ConfirmRemove {
        name: String,
    },
    Removing {
        id: RequestId,
        name: String,
    },
    /// The masked "new secret for NAME" field is on screen (`SavedList::new_secret`).
    EnterSecret {
        name: String,
    },
    /// The new secret is being checked and, if it is the same identity, saved.
    Rotating {
        id: RequestId,
        name: String,
    },
}

/// A finished rotation, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatedRow {
    pub auth: AuthKind,
    pub user: Option<String>,
    /// Where the old secret is revoked.
    pub revoke_old: String,
}

#[derive(Debug, Clone, Default)]
pub struct SavedList {
    pub rows: Vec<SavedRow>,
    /// On a row, or on the "new connection" line after the last row.
    pub cursor: usize,
    pub action: SavedAction,
    /// The outcome of the last action, one line (e.g. "Removed `work`.").
    pub message: Option<Result<String, String>>,
    /// The new secret typed for a rotation; emptied once sent or cancelled.
    pub new_secret: SecretInput,
}

impl SavedList {
    pub fn selected(&self) -> Option<&SavedRow> {
        self.rows.get(self.cursor)
    }

    /// Whether the cursor is on "new connection".
    pub fn on_new(&self) -> bool {
        self.cursor >= self.rows.len()
    }

    pub fn busy(&self) -> bool {
        matches!(
            self.action,
            SavedAction::Checking { .. }
                | SavedAction::Removing { .. }
                | SavedAction::Rotating { .. }
        )
    }

    /// Whether keys type into the new-secret field.
    pub fn typing(&self) -> bool {
        matches!(self.action, SavedAction::EnterSecret { .. })
    }
}

/// The connection being edited or replaced: saving it replaces the saved one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacing {
    pub name: String,
    /// The (provider, auth type, URL) the kept secret belongs to: it is never sent elsewhere.
    pub secret_for: Option<(Provider, AuthKind, String)>,
}

/// Keys on the list.
pub fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if let SavedAction::EnterSecret { name } = &w.saved.action {
        let name = name.clone();
        return enter_secret(w, name, msg);
    }
    let list = &mut w.saved;
    if let SavedAction::ConfirmRemove { name } = &list.action {
        let name = name.clone();
        return match msg {
            Msg::ConfirmRemove => {
                let id = w.fresh_id();
                w.saved.action = SavedAction::Removing {
                    id,
                    name: name.clone(),
                };
                vec![Effect::RemoveSaved { id, name }]
            }
            _ => {
                w.saved.action = SavedAction::Idle;
                Vec::new()
            }
        };
    }
    let last = list.rows.len(); // the "new connection" line
    match msg {
        Msg::Up => list.cursor = list.cursor.saturating_sub(1),
        Msg::Down => list.cursor = (list.cursor + 1).min(last),
        Msg::Home | Msg::PageUp => list.cursor = 0,
        Msg::End | Msg::PageDown => list.cursor = last,
        Msg::NewConnection => return new_connection(w, None),
        Msg::Confirm if list.on_new() => return new_connection(w, None),
        Msg::Confirm | Msg::Retry if !list.busy() => {
            let Some(row) = list.selected() else {
                return Vec::new();
            };
            let name = row.name.clone();
            let id = w.fresh_id();
            w.saved.message = None;
            w.saved.action = SavedAction::Checking {
                id,
                name: name.clone(),
            };
            return vec![Effect::CheckSaved { id, name }];
        }
        Msg::Remove if !list.busy() => {
            if let Some(name) = list.selected().map(|r| r.name.clone()) {
                list.message = None;
                list.action = SavedAction::ConfirmRemove { name };
            }
        }
        Msg::Replace if !list.busy() => {
            if let Some(name) = list.selected().map(|r| r.name.clone()) {
                return new_connection(w, Some(name));
            }
        }
        Msg::Rotate if !list.busy() => {
            if let Some(row) = list.selected().cloned() {
                if row.auth == AuthKind::OAuth {
                    list.message = Some(Err(format!(
                        "`{}` signs in with OAuth: choose e (edit) to sign in again; the repository and webhook are kept.",
                        row.name
                    )));
                } else {
                    list.message = None;
                    list.new_secret = SecretInput::default();
                    list.action = SavedAction::EnterSecret { name: row.name };
                }
            }
        }
        Msg::EditForm if !list.busy() => {
            if let Some(row) = list.selected().cloned() {
                return edit(w, row);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Keys while the new secret is typed: Enter sends it to be checked and saved, Esc cancels.
fn enter_secret(w: &mut Wizard, name: String, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Edit(key) => w.saved.new_secret.handle(key),
        Msg::Confirm => {
            if let Err(e) = crate::core::validate::secret(w.saved.new_secret.expose(), "secret") {
                w.saved.message = Some(Err(e));
                return Vec::new();
            }
            let secret = w.saved.new_secret.to_secret();
            w.saved.new_secret = SecretInput::default();
            let id = w.fresh_id();
            w.saved.message = None;
            w.saved.action = SavedAction::Rotating {
                id,
                name: name.clone(),
            };
            return vec![Effect::RotateSaved { id, name, secret }];
        }
        Msg::Back => {
            w.saved.new_secret = SecretInput::default();
            w.saved.message = None;
            w.saved.action = SavedAction::Idle;
        }
        _ => {}
    }
    Vec::new()
}

/// The name of the connection reply `id` is for, when the list still waits for it in the
/// action `pending` picks out; the list then stops waiting. A stale reply gives `None`.
fn answered(
    w: &mut Wizard,
    id: RequestId,
    pending: impl for<'a> Fn(&'a SavedAction) -> Option<(RequestId, &'a String)>,
) -> Option<String> {
    let (current, name) = pending(&w.saved.action)?;
    if current != id {
        return None;
    }
    let name = name.clone();
    w.saved.action = SavedAction::Idle;
    Some(name)
}

/// `RotateSaved` answered: the row takes the new type and user, the line says where the old
/// secret is revoked (or why nothing changed).
pub fn on_rotated(w: &mut Wizard, id: RequestId, result: Result<RotatedRow, Problem>) {
    let Some(name) = answered(w, id, |a| match a {
        SavedAction::Rotating { id, name } => Some((*id, name)),
        _ => None,
    }) else {
        return;
    };
    match result {
        Ok(done) => {
            w.saved.message = Some(Ok(format!(
                "Rotated the secret of `{name}`; repository and webhook kept. Revoke the old one: {}",
                done.revoke_old
            )));
            if let Some(row) = w.saved.rows.iter_mut().find(|r| r.name == name) {
                row.auth = done.auth;
                if done.user.is_some() {
                    row.user = done.user;
                }
            }
        }
        Err(p) => w.saved.message = Some(Err(format!("`{name}`: {} {}", p.what, p.fix))),
    }
}

/// The wizard from its first step; `replace` names the connection the result replaces.
fn new_connection(w: &mut Wizard, replace: Option<String>) -> Vec<Effect> {
    w.saved.message = None;
    w.replacing = replace.map(|name| {
        w.form.name = name.as_str().into();
        Replacing {
            name,
            secret_for: None,
        }
    });
    go(w, Step::Provider)
}

/// The form prefilled with the saved values; the worker sends the saved secret
/// (`Msg::SavedSecret`) for it to be kept unless retyped. OAuth signs in again instead.
fn edit(w: &mut Wizard, row: SavedRow) -> Vec<Effect> {
    w.saved.message = None;
    w.provider = row.provider;
    w.provider_cursor = Provider::ALL
        .iter()
        .position(|p| *p == row.provider)
        .unwrap_or(0);
    w.auth = row.auth;
    // Walking through with Enter must not quietly swap its SSH key for HTTPS.
    w.git_protocol = row.git_protocol;
    w.auth_cursor = row
        .provider
        .auth_kinds()
        .iter()
        .position(|k| *k == row.auth)
        .unwrap_or(0);
    super::form::prefill_form(w, &row);
    // The prefill belongs to this (provider, auth type): Back and the same type keeps it,
    // another type clears it like anything typed.
    w.form_for = Some((row.provider, row.auth));
    let keeps_secret = row.auth != AuthKind::OAuth;
    w.replacing = Some(Replacing {
        name: row.name.clone(),
        secret_for: None,
    });
    let mut effects = go(w, Step::Form);
    if keeps_secret {
        effects.push(Effect::LoadSavedSecret {
            name: row.name.clone(),
        });
    }
    effects
}

/// The worker's answer to `LoadSavedSecret`: the secret goes in the (masked) field, bound to
/// the saved (provider, auth type, URL).
pub fn on_secret(w: &mut Wizard, name: &str, secret: Result<SecretString, Problem>) {
    let Some(replacing) = &mut w.replacing else {
        return;
    };
    if replacing.name != name || w.step != Step::Form {
        return;
    }
    match secret {
        Ok(secret) => {
            super::form::fill_secret(w, &secret);
            if let Some(r) = &mut w.replacing {
                r.secret_for = Some((w.provider, w.auth, w.form.url.value().trim().to_string()));
            }
            w.notice = Some("The saved secret is kept (masked); retype it to change it.".into());
        }
        // One line on the form (the store's own words do not fit there).
        Err(_) => w.notice = Some("The saved secret could not be read: type it again.".into()),
    }
}

/// `CheckSaved` answered: the row shows the result.
pub fn on_checked(w: &mut Wizard, id: RequestId, result: Result<LastCheck, Problem>) {
    let Some(name) = answered(w, id, |a| match a {
        SavedAction::Checking { id, name } => Some((*id, name)),
        _ => None,
    }) else {
        return;
    };
    match result {
        Ok(summary) => {
            w.saved.message = Some(if summary.ok {
                Ok(format!("`{name}`: {}.", summary.summary))
            } else {
                Err(format!("`{name}`: {}", summary.summary))
            });
            if let Some(row) = w.saved.rows.iter_mut().find(|r| r.name == name) {
                row.last_check = Some(summary);
            }
        }
        Err(p) => w.saved.message = Some(Err(format!("`{name}`: {} {}", p.what, p.fix))),
    }
}

/// `RemoveSaved` answered.
pub fn on_removed(w: &mut Wizard, id: RequestId, result: Result<(), Problem>) {
    let Some(name) = answered(w, id, |a| match a {
        SavedAction::Removing { id, name } => Some((*id, name)),
        _ => None,
    }) else {
        return;
    };
    match result {
        Ok(()) => {
            w.saved.rows.retain(|r| r.name != name);
            w.config.existing_names.retain(|n| n != &name);
            w.saved.cursor = w.saved.cursor.min(w.saved.rows.len());
            w.saved.message = Some(Ok(format!("Removed `{name}` and its secret.")));
        }
        Err(p) => w.saved.message = Some(Err(format!("{} {}", p.what, p.fix))),
    }
}
