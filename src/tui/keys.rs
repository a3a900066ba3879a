//! Key tables per step. One table drives both dispatch (`map`) and what the footer and the
//! help overlay show (`hints`, `help`), so the screen can never advertise a key that does
//! something else.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::core::model::Provider;
use crate::tui::wizard::msg::{EditKey, Msg};
use crate::tui::wizard::repos::LoadState;
use crate::tui::wizard::{CheckState, SaveState, Step, Wizard};

/// A key as the tables name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    /// A printable character typed without Ctrl/Alt.
    Char(char),
    Ctrl(char),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Code(code) => ev.code == code && !ctrl && !alt,
            Key::Char(c) => ev.code == KeyCode::Char(c) && !ctrl && !alt,
            Key::Ctrl(c) => ctrl && ev.code == KeyCode::Char(c),
        }
    }
}

/// One row of a step's table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the key is written on screen.
    pub hint: &'static str,
    pub label: &'static str,
    pub msg: Msg,
    /// Shown in the footer (the help overlay shows every row).
    pub footer: bool,
}

const UP: &[Key] = &[Key::Code(KeyCode::Up), Key::Char('k')];
const DOWN: &[Key] = &[Key::Code(KeyCode::Down), Key::Char('j')];
const ENTER: &[Key] = &[Key::Code(KeyCode::Enter)];
const ESC: &[Key] = &[Key::Code(KeyCode::Esc)];
const HELP: &[Key] = &[Key::Char('?'), Key::Code(KeyCode::F(1))];
const QUIT: &[Key] = &[Key::Char('q')];
const CTRL_C: &[Key] = &[Key::Ctrl('c')];

fn bind(keys: &'static [Key], hint: &'static str, label: &'static str, msg: Msg) -> Binding {
    Binding {
        keys,
        hint,
        label,
        msg,
        footer: true,
    }
}

fn hidden(keys: &'static [Key], hint: &'static str, label: &'static str, msg: Msg) -> Binding {
    Binding {
        footer: false,
        ..bind(keys, hint, label, msg)
    }
}

/// The keys of the screen as it is now (what is possible depends on the state).
pub fn table(w: &Wizard) -> Vec<Binding> {
    table_for(w, w.show_help)
}

fn table_for(w: &Wizard, help_open: bool) -> Vec<Binding> {
    let ctrl_c = hidden(CTRL_C, "Ctrl-C", "quit at any time", Msg::Interrupt);
    if w.confirm_quit {
        // "Quit without saving?": any key not listed here stays (see `map`).
        return vec![
            bind(
                &[Key::Char('y'), Key::Char('q')],
                "y",
                "quit without saving",
                Msg::Quit,
            ),
            Binding {
                footer: false,
                ..ctrl_c
            },
            bind(
                &[Key::Char('n'), Key::Code(KeyCode::Esc)],
                "n",
                "stay",
                Msg::Stay,
            ),
        ];
    }
    if help_open {
        return vec![
            bind(
                &[
                    Key::Code(KeyCode::Esc),
                    Key::Char('?'),
                    Key::Code(KeyCode::F(1)),
                ],
                "Esc",
                "close help",
                Msg::ToggleHelp,
            ),
            ctrl_c,
        ]
        .into_iter()
        .chain(text_scroll_keys())
        .collect();
    }
    let help = bind(HELP, "?", "help", Msg::ToggleHelp);
    let quit = bind(QUIT, "q", "quit", Msg::Quit);
    let back = bind(ESC, "Esc", "back", Msg::Back);
    let mut t = match w.step {
        Step::Saved => saved_table(w, help, quit),
        Step::Provider => {
            let mut t = vec![
                hidden(UP, "↑", "move up", Msg::Up),
                bind(DOWN, "↑↓", "move", Msg::Down),
                bind(ENTER, "Enter", "choose", Msg::Confirm),
            ];
            // A terminal too short for the demo credentials scrolls down to them.
            t.extend(page_scroll_keys());
            // Started from the list of saved connections: Esc goes back to it.
            if !w.history.is_empty() {
                t.push(back.clone());
            }
            t.extend([help, quit]);
            t
        }
        Step::AuthType | Step::GitAccess => vec![
            hidden(UP, "↑", "move up", Msg::Up),
            bind(DOWN, "↑↓", "move", Msg::Down),
            bind(ENTER, "Enter", "choose", Msg::Confirm),
            back,
            help,
            quit,
        ],
        Step::Form => {
            let mut t = Vec::from(tab_keys("previous field"));
            t.extend([
                hidden(&[Key::Code(KeyCode::Down)], "↓", "next field", Msg::Down),
                hidden(&[Key::Code(KeyCode::Up)], "↑", "previous field", Msg::Up),
                bind(ENTER, "Enter", "next/check", Msg::Confirm),
            ]);
            t.push(hidden(
                &[Key::Ctrl('r')],
                "Ctrl-R",
                "replace the saved connection of that name",
                Msg::Replace,
            ));
            if w.token_page().is_some() {
                t.push(bind(
                    &[Key::Ctrl('o')],
                    "Ctrl-O",
                    "token page",
                    Msg::OpenTokenPage,
                ));
            }
            t.push(back);
            // `?` and `q` are letters while typing: help lives on F1, quit on Ctrl-C only.
            t.push(help_on_f1());
            t.push(quit_on_ctrl_c(&ctrl_c));
            t
        }
        // Signing in with the address on screen: letters go to the paste field.
        Step::Check if w.oauth.pasting() => oauth_table(w, back, &ctrl_c),
        Step::Check => {
            let mut t = Vec::from(text_scroll_keys());
            match &w.check {
                CheckState::Finished { report, .. } if report.passed() => {
                    t.push(bind(ENTER, "Enter", "continue", Msg::Confirm));
                    t.push(bind(&[Key::Char('e')], "e", "edit", Msg::EditForm));
                }
                CheckState::Finished { .. } => {
                    t.push(bind(&[Key::Char('r')], "r", "retry", Msg::Retry));
                    t.push(bind(&[Key::Char('e')], "e", "edit", Msg::EditForm));
                    if w.refused_cert().is_some() {
                        t.push(bind(
                            &[Key::Char('t')],
                            "t",
                            "trust certificate",
                            Msg::TrustCert,
                        ));
                    }
                }
                // A failed OAuth sign-in: sign in again, or fix the consumer in the form.
                _ if w.oauth.failed().is_some() => {
                    t.push(bind(&[Key::Char('r')], "r", "sign in again", Msg::Retry));
                    t.push(bind(&[Key::Char('e')], "e", "edit", Msg::EditForm));
                }
                _ => {}
            }
            t.extend([back, help, quit]);
            t
        }
        Step::Repos if w.repos.filter_focused => {
            let mut t = vec![
                bind(ENTER, "Enter", "keep filter", Msg::Confirm),
                bind(ESC, "Esc", "clear filter", Msg::Back),
                hidden(&[Key::Code(KeyCode::Up)], "↑", "move up", Msg::Up),
                bind(&[Key::Code(KeyCode::Down)], "↑↓", "move", Msg::Down),
            ];
            t.extend(page_scroll_keys());
            t.push(quit_on_ctrl_c(&ctrl_c));
            t
        }
        // Letters start the filter here (see `map`): no letter is a command, so `q` cannot
        // quit with a passed check on screen, and moving is on the arrows.
        Step::Repos => {
            let mut t = vec![
                hidden(&[Key::Code(KeyCode::Up)], "↑", "move up", Msg::Up),
                hidden(&[Key::Code(KeyCode::Down)], "↓", "move down", Msg::Down),
            ];
            t.extend(page_scroll_keys());
            t.extend([
                hidden(&[Key::Code(KeyCode::Home)], "Home", "first", Msg::Home),
                hidden(&[Key::Code(KeyCode::End)], "End", "last", Msg::End),
                bind(ENTER, "Enter", "select", Msg::Confirm),
                bind(&[Key::Char('/')], "/", "filter", Msg::FocusFilter),
            ]);
            // Data Center gives no update time: no second order to offer there.
            if w.provider == Provider::Cloud {
                // Hidden while Ctrl-R is shown, so the footer fits in 80 columns.
                t.push(Binding {
                    footer: !matches!(w.repos.load, LoadState::Failed(_)),
                    ..bind(&[Key::Ctrl('s')], "Ctrl-S", "sort", Msg::ToggleSort)
                });
            }
            if matches!(w.repos.load, LoadState::Failed(_)) {
                t.push(bind(&[Key::Ctrl('r')], "Ctrl-R", "retry", Msg::Retry));
            }
            t.extend([back, help, quit_on_ctrl_c(&ctrl_c)]);
            t
        }
        Step::Webhook => webhook_table(w, back, help, quit, &ctrl_c),
        Step::Save => {
            let mut t = Vec::new();
            if matches!(w.save, SaveState::Failed(_)) {
                t.push(bind(&[Key::Char('r')], "r", "retry", Msg::Retry));
            }
            if w.offers_https_instead() {
                t.push(bind(
                    &[Key::Char('h')],
                    "h",
                    "save with HTTPS",
                    Msg::UseHttps,
                ));
            }
            t.extend([back, help, quit]);
            t
        }
        Step::Done => vec![
            bind(&[Key::Char('g')], "g", "set up git", Msg::GitSetup),
            bind(&[Key::Char('c')], "c", "clone", Msg::GitClone),
            bind(&[Key::Code(KeyCode::Enter)], "Enter", "exit", Msg::Confirm),
            hidden(ESC, "Esc", "exit", Msg::Back),
            help,
            quit,
        ]
        .into_iter()
        .chain(text_scroll_keys())
        .collect(),
    };
    if !t.iter().any(|b| b.keys == CTRL_C) {
        t.push(ctrl_c);
    }
    t
}

/// Help where `?` is a letter being typed.
fn help_on_f1() -> Binding {
    bind(&[Key::Code(KeyCode::F(1))], "F1", "help", Msg::ToggleHelp)
}

/// Ctrl-C shown in the footer as quit, where `q` is a letter.
fn quit_on_ctrl_c(ctrl_c: &Binding) -> Binding {
    Binding {
        footer: true,
        label: "quit",
        ..ctrl_c.clone()
    }
}

/// Scrolling a box cut by a small terminal (its "more lines" mark names the keys).
fn text_scroll_keys() -> [Binding; 4] {
    let [up, down] = page_scroll_keys();
    [
        hidden(UP, "↑/k", "scroll up", Msg::Up),
        hidden(DOWN, "↓/j", "scroll down", Msg::Down),
        up,
        down,
    ]
}

/// Tab and Shift-Tab walking a screen's fields; help calls Shift-Tab's move `previous`.
fn tab_keys(previous: &'static str) -> [Binding; 2] {
    [
        bind(&[Key::Code(KeyCode::Tab)], "Tab", "next", Msg::NextField),
        hidden(
            &[Key::Code(KeyCode::BackTab)],
            "Shift-Tab",
            previous,
            Msg::PrevField,
        ),
    ]
}

/// PgUp/PgDn scrolling a cut screen by a page.
fn page_scroll_keys() -> [Binding; 2] {
    [
        hidden(
            &[Key::Code(KeyCode::PageUp)],
            "PgUp",
            "page up",
            Msg::PageUp,
        ),
        hidden(
            &[Key::Code(KeyCode::PageDown)],
            "PgDn",
            "page down",
            Msg::PageDown,
        ),
    ]
}

/// The list of saved connections; Enter checks the selected one again, or starts a new
/// connection on the "new connection" line.
fn saved_table(w: &Wizard, help: Binding, quit: Binding) -> Vec<Binding> {
    use crate::tui::wizard::saved::SavedAction;
    if let SavedAction::ConfirmRemove { .. } = w.saved.action {
        return vec![
            bind(&[Key::Char('y')], "y", "remove", Msg::ConfirmRemove),
            bind(
                &[Key::Char('n'), Key::Code(KeyCode::Esc)],
                "n",
                "keep it",
                Msg::Back,
            ),
        ];
    }
    if let SavedAction::EnterSecret { .. } = w.saved.action {
        return vec![
            bind(ENTER, "Enter", "check and save", Msg::Confirm),
            bind(&[Key::Code(KeyCode::Esc)], "Esc", "cancel", Msg::Back),
            // `?` and `q` are letters of a secret: help lives on F1 here.
            help_on_f1(),
        ];
    }
    let enter = if w.saved.on_new() { "new" } else { "re-check" };
    vec![
        hidden(&[Key::Code(KeyCode::Up)], "↑", "move up", Msg::Up),
        bind(&[Key::Code(KeyCode::Down)], "↑↓", "move", Msg::Down),
        bind(ENTER, "Enter", enter, Msg::Confirm),
        hidden(&[Key::Char('c')], "c", "check again", Msg::Retry),
        bind(&[Key::Char('n')], "n", "new", Msg::NewConnection),
        bind(&[Key::Char('e')], "e", "edit", Msg::EditForm),
        bind(&[Key::Char('r')], "r", "replace", Msg::Replace),
        bind(&[Key::Char('d')], "d", "remove", Msg::Remove),
        hidden(&[Key::Char('t')], "t", "rotate secret", Msg::Rotate),
        help,
        quit,
    ]
}

/// The webhook step: in its text fields letters are letters, so skip and regenerate also
/// live on Ctrl keys; on the event list the plain letters work.
fn webhook_table(
    w: &Wizard,
    back: Binding,
    help: Binding,
    quit: Binding,
    ctrl_c: &Binding,
) -> Vec<Binding> {
    use crate::tui::wizard::webhook::{HookFocus, HookState};
    let hook = &w.webhook;
    if hook.busy() {
        return vec![back, help, quit];
    }
    let enter = match hook.state {
        HookState::Done { .. } => "continue",
        HookState::Failed(_) => "retry",
        _ => "create",
    };
    let mut t = Vec::from(tab_keys("previous"));
    t.extend([
        hidden(&[Key::Code(KeyCode::Up)], "↑", "up", Msg::Up),
        hidden(&[Key::Code(KeyCode::Down)], "↓", "down", Msg::Down),
    ]);
    // A screen too short for the step (40x12) scrolls; the arrows keep moving the focus.
    t.extend(page_scroll_keys());
    if hook.focus == HookFocus::Events {
        t.push(bind(&[Key::Char(' ')], "Space", "toggle", Msg::ToggleEvent));
    }
    t.push(bind(ENTER, "Enter", enter, Msg::Confirm));
    // Rows are hidden from the footer where they do not fit in 80 columns; help lists them.
    let on_secret = hook.focus == HookFocus::Secret;
    if hook.typing() {
        t.push(bind(&[Key::Ctrl('s')], "Ctrl-S", "skip", Msg::Skip));
        t.push(Binding {
            footer: on_secret,
            ..bind(
                &[Key::Ctrl('g')],
                "Ctrl-G",
                "new secret",
                Msg::RegenerateSecret,
            )
        });
        t.push(hidden(
            &[Key::Ctrl('r')],
            "Ctrl-R",
            "show/hide the secret",
            Msg::RevealSecret,
        ));
        t.push(back);
        t.push(Binding {
            footer: !on_secret,
            ..help_on_f1()
        });
        t.push(quit_on_ctrl_c(ctrl_c));
    } else {
        t.push(bind(
            &[Key::Char('s'), Key::Ctrl('s')],
            "s",
            "skip",
            Msg::Skip,
        ));
        t.push(hidden(
            &[Key::Char('g'), Key::Ctrl('g')],
            "g",
            "new secret",
            Msg::RegenerateSecret,
        ));
        t.push(hidden(
            &[Key::Char('r'), Key::Ctrl('r')],
            "r",
            "show/hide the secret",
            Msg::RevealSecret,
        ));
        t.extend([back, help, quit]);
    }
    t
}

/// The sign-in screen while it waits: its paste field takes every letter (a pasted address
/// arrives as typed keys), so `y` copies only while the field is empty; Ctrl-Y always does.
fn oauth_table(w: &Wizard, back: Binding, ctrl_c: &Binding) -> Vec<Binding> {
    let empty = match &w.oauth {
        crate::tui::wizard::oauth::OAuthState::Waiting { paste, .. } => paste.value().is_empty(),
        _ => true,
    };
    let mut t = Vec::new();
    if empty {
        t.push(bind(&[Key::Char('y')], "y", "copy address", Msg::CopyUrl));
    }
    t.push(Binding {
        footer: !empty,
        ..bind(&[Key::Ctrl('y')], "Ctrl-Y", "copy address", Msg::CopyUrl)
    });
    t.push(bind(ENTER, "Enter", "use pasted address", Msg::Confirm));
    t.push(back);
    t.push(help_on_f1());
    t.push(quit_on_ctrl_c(ctrl_c));
    t
}

/// The message for a key press on the current screen, if any.
pub fn map(w: &Wizard, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(b) = table(w)
        .into_iter()
        .find(|b| b.keys.iter().any(|k| k.matches(&key)))
    {
        return Some(b.msg);
    }
    if w.confirm_quit {
        return Some(Msg::Stay);
    }
    if w.typing() && !w.show_help {
        return edit_key(&key).map(Msg::Edit);
    }
    // On the repository list a printable character starts the filter.
    if w.step == Step::Repos && !w.show_help {
        return match edit_key(&key) {
            Some(k @ EditKey::Char(_)) => Some(Msg::Edit(k)),
            _ => None,
        };
    }
    None
}

/// Footer hints: the table rows marked for the footer.
pub fn hints(w: &Wizard) -> Vec<(&'static str, &'static str)> {
    table(w)
        .into_iter()
        .filter(|b| b.footer)
        .map(|b| (b.hint, b.label))
        .collect()
}

/// Every row of the step's table, for the help overlay (drawn over the step, so it lists the
/// step's keys rather than the overlay's own).
pub fn help(w: &Wizard) -> Vec<(&'static str, &'static str)> {
    let rows = table_for(w, false);
    // "↑↓ move" already says what ↑ does: its own row would list the arrow twice.
    let paired = rows.iter().any(|b| b.hint == "↑↓");
    rows.into_iter()
        .filter(|b| !(paired && b.hint == "↑" && matches!(b.msg, Msg::Up)))
        .map(|b| (b.hint, b.label))
        .collect()
}

fn edit_key(key: &KeyEvent) -> Option<EditKey> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('u') if ctrl => Some(EditKey::ClearLine),
        KeyCode::Char(c) if !ctrl && !alt => Some(EditKey::Char(c)),
        KeyCode::Backspace => Some(EditKey::Backspace),
        KeyCode::Delete => Some(EditKey::Delete),
        KeyCode::Left => Some(EditKey::Left),
        KeyCode::Right => Some(EditKey::Right),
        KeyCode::Home => Some(EditKey::Home),
        KeyCode::End => Some(EditKey::End),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::wizard::{WizardConfig, update};

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// What pressing `code` (no modifier) does on `w`'s screen.
    fn pressed(w: &Wizard, code: KeyCode) -> Option<Msg> {
        map(w, press(code))
    }

    fn wizard() -> Wizard {
        Wizard::new(WizardConfig {
            cloud_web_url: "https://bitbucket.org".into(),
            ..WizardConfig::default()
        })
    }

    fn to_form(w: &mut Wizard) {
        update(w, Msg::Confirm);
        update(w, Msg::Confirm);
        assert_eq!(w.step, Step::Form);
    }

    fn event(k: Key) -> KeyEvent {
        match k {
            Key::Code(c) => press(c),
            Key::Char(c) => press(KeyCode::Char(c)),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
        }
    }

    /// The wizard in every state that has its own key table.
    fn every_state() -> Vec<(&'static str, Wizard)> {
        use crate::core::model::{
            CheckId, CheckItem, CheckReport, FailureClass, Problem, Repo, RepoPage, SavedInfo,
        };
        use crate::tui::wizard::msg::Effect;
        let mut states = Vec::new();
        let mut w = wizard();
        states.push(("provider", wizard()));
        update(&mut w, Msg::Confirm);
        states.push(("auth", clone_state(&w)));
        update(&mut w, Msg::Confirm);
        states.push(("form", clone_state(&w)));
        for c in "work".chars() {
            update(&mut w, Msg::Edit(EditKey::Char(c)));
        }
        update(&mut w, Msg::NextField);
        update(&mut w, Msg::NextField);
        for c in "a@example.com".chars() {
            update(&mut w, Msg::Edit(EditKey::Char(c)));
        }
        update(&mut w, Msg::NextField);
        update(&mut w, Msg::Edit(EditKey::Char('t')));
        let effects = update(&mut w, Msg::Confirm);
        let Some(Effect::CheckCredentials { id, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        let id = *id;
        states.push(("check running", clone_state(&w)));
        let failed = CheckReport {
            items: vec![CheckItem::failed(
                CheckId::Credential,
                FailureClass::Rejected,
                "no",
                "fix",
            )],
            ..CheckReport::default()
        };
        states.push((
            "check failed",
            after(&w, Msg::CheckDone { id, report: failed }),
        ));
        update(
            &mut w,
            Msg::CheckDone {
                id,
                report: CheckReport::default(),
            },
        );
        states.push(("check passed", clone_state(&w)));
        let effects = update(&mut w, Msg::Confirm);
        let Some(Effect::LoadRepos { id, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        let id = *id;
        let repo = Repo {
            name: "r".into(),
            full_name: "ws/r".into(),
            ..Repo::default()
        };
        update(
            &mut w,
            Msg::ReposPage {
                id,
                page: RepoPage {
                    repos: vec![repo],
                    total_hint: None,
                },
            },
        );
        let result = Err(Problem::new(FailureClass::Other, "x", "y"));
        states.push(("repos failed", after(&w, Msg::ReposDone { id, result })));
        states.push(("repos", clone_state(&w)));
        states.push(("repos filter", after(&w, Msg::FocusFilter)));
        update(&mut w, Msg::Confirm);
        states.push(("git access", clone_state(&w)));
        update(&mut w, Msg::Confirm);
        states.push(("webhook url", clone_state(&w)));
        states.push(("webhook events", after(&w, Msg::NextField)));
        let mut refused = clone_state(&w);
        refused.webhook.state = crate::tui::wizard::webhook::HookState::Failed(Problem::new(
            FailureClass::Permission,
            "x",
            "y",
        ));
        states.push(("webhook refused", refused));
        let effects = update(&mut w, Msg::Skip);
        let Some(Effect::Save { id, .. }) = effects.last() else {
            panic!("{effects:?}")
        };
        let id = *id;
        let result = Err(Problem::new(FailureClass::Other, "x", "y"));
        let failed = after(&w, Msg::Saved { id, result });
        let mut over_ssh = clone_state(&failed);
        over_ssh.git_protocol = crate::core::ssh::GitProtocol::Ssh;
        assert!(over_ssh.offers_https_instead());
        states.push(("save failed", failed));
        states.push(("save refused over ssh", over_ssh));
        update(
            &mut w,
            Msg::Saved {
                id,
                result: Ok(SavedInfo {
                    name: "work".into(),
                    config_file: "c".into(),
                    secret_location: "s".into(),
                    keychain_fallback: None,
                    clone_https: None,
                    expires_on: None,
                }),
            },
        );
        states.push(("done", clone_state(&w)));
        states.push(("help", after(&w, Msg::ToggleHelp)));
        let mut saved = Wizard::new(WizardConfig {
            saved: vec![crate::tui::wizard::saved::SavedRow {
                name: "work".into(),
                provider: crate::core::model::Provider::Cloud,
                auth: crate::core::model::AuthKind::ApiToken,
                url: "https://bitbucket.org".into(),
                username: None,
                user: None,
                repo: None,
                last_check: None,
                expires_on: None,
                git_protocol: crate::core::ssh::GitProtocol::Https,
            }],
            ..WizardConfig::default()
        });
        states.push(("saved", Wizard::new(saved.config.clone())));
        update(&mut saved, Msg::Remove);
        states.push(("saved remove?", saved));
        states
    }

    /// A copy of `w` that then took `msg`; `w` itself walks on unchanged.
    fn after(w: &Wizard, msg: Msg) -> Wizard {
        let mut branch = clone_state(w);
        update(&mut branch, msg);
        branch
    }

    /// `Wizard` is not `Clone`; copy what the key tables read.
    fn clone_state(w: &Wizard) -> Wizard {
        let mut c = Wizard::new(w.config.clone());
        c.step = w.step;
        c.history = w.history.clone();
        c.provider = w.provider;
        c.provider_cursor = w.provider_cursor;
        c.auth = w.auth;
        c.auth_cursor = w.auth_cursor;
        c.form = w.form.clone();
        c.check = w.check.clone();
        c.checked = w.checked.clone();
        c.save = w.save.clone();
        c.chosen_repo = w.chosen_repo.clone();
        c.git_protocol = w.git_protocol;
        c.git_cursor = w.git_cursor;
        c.webhook = w.webhook.clone();
        c.show_help = w.show_help;
        c.repos.filter_focused = w.repos.filter_focused;
        c.repos.load = w.repos.load.clone();
        c
    }

    /// In every state, each footer hint's key produces the message of the same table row,
    /// and every row's keys dispatch to that row (no two rows claim one key).
    #[test]
    fn footer_hints_dispatch_what_they_say() {
        let states = every_state();
        assert_eq!(states.len(), 19);
        for (name, w) in &states {
            let rows = table(w);
            let footer: Vec<_> = rows.iter().filter(|b| b.footer).collect();
            assert!(!footer.is_empty(), "{name}: empty footer");
            assert_eq!(
                hints(w),
                footer.iter().map(|b| (b.hint, b.label)).collect::<Vec<_>>(),
                "{name}"
            );
            for b in &rows {
                for k in b.keys {
                    let got = map(w, event(*k)).map(|m| format!("{m:?}"));
                    assert_eq!(got, Some(format!("{:?}", b.msg)), "{name}: {}", b.hint);
                }
            }
            assert!(
                rows.iter()
                    .any(|b| matches!(b.msg, Msg::Quit | Msg::Interrupt)),
                "{name}: no way to quit"
            );
        }
    }

    #[test]
    fn q_quits_on_lists_but_is_a_letter_in_the_form() {
        let mut w = wizard();
        assert!(matches!(pressed(&w, KeyCode::Char('q')), Some(Msg::Quit)));
        assert!(hints(&w).contains(&("q", "quit")));
        to_form(&mut w);
        assert!(matches!(
            pressed(&w, KeyCode::Char('q')),
            Some(Msg::Edit(EditKey::Char('q')))
        ));
        assert!(matches!(
            pressed(&w, KeyCode::Char('?')),
            Some(Msg::Edit(EditKey::Char('?')))
        ));
        assert!(!hints(&w).contains(&("q", "quit")));
        assert!(matches!(
            map(&w, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Msg::Interrupt)
        ));
        assert!(matches!(pressed(&w, KeyCode::F(1)), Some(Msg::ToggleHelp)));
    }

    #[test]
    fn ctrl_c_quits_everywhere_even_in_help() {
        let mut w = wizard();
        update(&mut w, Msg::ToggleHelp);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(map(&w, ctrl_c), Some(Msg::Interrupt)));
        assert!(matches!(pressed(&w, KeyCode::Esc), Some(Msg::ToggleHelp)));
        // Other keys are swallowed while the overlay is up.
        assert!(pressed(&w, KeyCode::Enter).is_none());
        assert_eq!(hints(&w), vec![("Esc", "close help")]);
    }

    #[test]
    fn token_page_key_only_when_there_is_a_page() {
        let mut w = wizard();
        to_form(&mut w);
        assert!(hints(&w).contains(&("Ctrl-O", "token page")));
        let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
        assert!(matches!(map(&w, ctrl_o), Some(Msg::OpenTokenPage)));
    }

    #[test]
    fn edit_keys() {
        let mut w = wizard();
        to_form(&mut w);
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert!(matches!(
            map(&w, ctrl_u),
            Some(Msg::Edit(EditKey::ClearLine))
        ));
        assert!(matches!(
            pressed(&w, KeyCode::Backspace),
            Some(Msg::Edit(EditKey::Backspace))
        ));
        let release = KeyEvent {
            kind: KeyEventKind::Release,
            ..press(KeyCode::Char('a'))
        };
        assert!(map(&w, release).is_none());
    }

    /// on the repository list a letter is the start of a filter, not a
    /// command (`q` used to quit at once, `s` re-sorted, `j`/`k` moved).
    #[test]
    fn letters_on_the_repository_list_type_into_the_filter() {
        let (_, w) = every_state()
            .into_iter()
            .find(|(name, _)| *name == "repos")
            .unwrap();
        for c in ['q', 's', 'j', 'k', 'a'] {
            let got = pressed(&w, KeyCode::Char(c));
            assert!(
                matches!(got, Some(Msg::Edit(EditKey::Char(x))) if x == c),
                "{c}: {got:?}"
            );
        }
    }

    /// Data Center gives no update time: no sort key is offered there.
    #[test]
    fn no_sort_key_on_data_center_lists() {
        let (_, mut w) = every_state()
            .into_iter()
            .find(|(name, _)| *name == "repos")
            .unwrap();
        assert!(help(&w).iter().any(|(_, label)| *label == "sort"));
        w.provider = crate::core::model::Provider::Server;
        assert!(
            !help(&w).iter().any(|(_, label)| *label == "sort"),
            "{:?}",
            help(&w)
        );
    }

    /// the help lists one row per action: step 1 said both "↑ move up"
    /// and "↑↓ move".
    #[test]
    fn help_has_no_row_twice_for_the_same_arrows() {
        for (name, w) in every_state() {
            let rows = help(&w);
            let hints: Vec<&str> = rows.iter().map(|(h, _)| *h).collect();
            if hints.contains(&"↑↓") {
                assert!(!hints.contains(&"↑"), "{name}: {rows:?}");
            }
        }
    }

    #[test]
    fn help_lists_hidden_rows_too() {
        let w = wizard();
        let all = help(&w);
        assert!(all.contains(&("Ctrl-C", "quit at any time")));
        assert!(all.len() > hints(&w).len());
    }

    /// The OAuth sign-in screen with its URL shown (the paste field takes letters).
    fn oauth_waiting() -> Wizard {
        use crate::tui::wizard::msg::Effect;
        let mut w = Wizard::new(WizardConfig {
            cloud_web_url: "https://bitbucket.org".into(),
            oauth_key: Some("k".into()),
            oauth_secret: Some(secrecy::SecretString::from("test-oauth-secret")),
            ..WizardConfig::default()
        });
        update(&mut w, Msg::Confirm);
        update(&mut w, Msg::Home); // OAuth2
        update(&mut w, Msg::Confirm);
        update(&mut w, Msg::Edit(EditKey::Char('n')));
        for _ in 0..4 {
            update(&mut w, Msg::NextField);
        }
        let effects = update(&mut w, Msg::Confirm);
        let Some(Effect::OAuthSignIn { id, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        update(
            &mut w,
            Msg::OAuthUrl {
                id: *id,
                url: "https://bitbucket.org/site/oauth2/authorize?state=s".into(),
            },
        );
        assert!(w.oauth.pasting());
        w
    }

    #[test]
    fn on_the_sign_in_screen_letters_fill_the_paste_field_and_y_copies_while_it_is_empty() {
        let mut w = oauth_waiting();
        assert!(matches!(
            pressed(&w, KeyCode::Char('y')),
            Some(Msg::CopyUrl)
        ));
        assert!(hints(&w).contains(&("y", "copy address")));
        // The letters of a pasted address never act as commands (e: edit, q: quit, k: scroll).
        for c in ['h', 'e', 'q', 'k', 'j', 'r', '?'] {
            assert!(
                matches!(pressed(&w, KeyCode::Char(c)), Some(Msg::Edit(EditKey::Char(x))) if x == c),
                "{c}"
            );
        }
        update(&mut w, Msg::Edit(EditKey::Char('h')));
        assert!(matches!(
            pressed(&w, KeyCode::Char('y')),
            Some(Msg::Edit(EditKey::Char('y')))
        ));
        let ctrl_y = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        assert!(matches!(map(&w, ctrl_y), Some(Msg::CopyUrl)));
        assert!(hints(&w).contains(&("Ctrl-Y", "copy address")));
        assert!(matches!(pressed(&w, KeyCode::Enter), Some(Msg::Confirm)));
        assert!(matches!(pressed(&w, KeyCode::Esc), Some(Msg::Back)));
        // Every row dispatches to itself, and there is a way out.
        for b in table(&w) {
            for k in b.keys {
                let got = map(&w, event(*k)).map(|m| format!("{m:?}"));
                assert_eq!(got, Some(format!("{:?}", b.msg)), "{}", b.hint);
            }
        }
        assert!(
            table(&w)
                .iter()
                .any(|b| matches!(b.msg, Msg::Quit | Msg::Interrupt))
        );
    }
}
