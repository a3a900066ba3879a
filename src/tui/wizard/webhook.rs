//! The optional webhook step (after the repository): the CI endpoint's URL, the events, the
//! signing secret, and the outcome of creating the hook. Pure, like the rest of the wizard:
//! the secret's randomness and the HTTP calls come from the worker as messages.

use secrecy::SecretString;
use tui_input::Input;

use super::form::edit_input;
use super::msg::{EditKey, RequestId};
use super::secret_input::SecretInput;
use crate::core::hook_rules::{
    hook_name, is_plain_http_remote, validate_events, validate_url_allowing_http,
};
use crate::core::model::{Problem, Provider, Webhook, WebhookChange, WebhookSpec};

/// Which part of the step has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HookFocus {
    #[default]
    Url,
    Events,
    Secret,
}

#[derive(Debug, Clone, Default)]
pub enum HookState {
    #[default]
    Idle,
    Creating {
        id: RequestId,
    },
    Failed(Problem),
    Done {
        hook: Webhook,
        change: WebhookChange,
        /// The repository the hook is on: choosing another one starts over.
        repo: String,
    },
}

/// One event of the multi-select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventChoice {
    pub name: String,
    pub on: bool,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookStep {
    pub url: Input,
    pub events: Vec<EventChoice>,
    /// The product the events were listed for.
    events_for: Option<Provider>,
    pub event_cursor: usize,
    pub secret: SecretInput,
    /// The secret on screen came from the generator (not typed): the next typed character
    /// replaces it rather than appending to it.
    pub secret_generated: bool,
    pub focus: HookFocus,
    /// The URL's error is shown once the user typed in it or tried to create.
    pub show_errors: bool,
    /// The secret is shown in clear (`r`), to hand it to whoever configures the CI.
    pub reveal_secret: bool,
    /// A plain http:// URL to another host was warned about once: the next Enter creates.
    pub http_warned: bool,
    pub state: HookState,
}

impl WebhookStep {
    /// Called on entering the step: the events follow the product, chosen once per product so
    /// a user's own selection survives going back and forth.
    pub fn prepare(&mut self, provider: Provider, repo: &str) {
        if self.events_for != Some(provider) {
            self.events = provider
                .default_webhook_events()
                .into_iter()
                .map(|name| EventChoice { name, on: true })
                .collect();
            self.events_for = Some(provider);
            self.event_cursor = 0;
        }
        match &self.state {
            HookState::Done { repo: on, .. } if on != repo => self.state = HookState::Idle,
            HookState::Creating { .. } => self.state = HookState::Idle,
            _ => {}
        }
    }

    pub fn chosen_events(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e.on)
            .map(|e| e.name.clone())
            .collect()
    }

    /// Plain http to another host is not an error here: internal CI servers use it, and the
    /// step warns and asks for a second Enter instead (`http_warned`).
    pub fn url_error(&self) -> Option<String> {
        validate_url_allowing_http(self.url.value(), true).err()
    }

    /// The message shown under the URL (only once the user had a go at it).
    pub fn shown_url_error(&self) -> Option<String> {
        if self.show_errors {
            self.url_error()
        } else {
            None
        }
    }

    pub fn events_error(&self) -> Option<String> {
        validate_events(&self.chosen_events()).err()
    }

    pub fn typing(&self) -> bool {
        matches!(self.focus, HookFocus::Url | HookFocus::Secret)
    }

    pub fn busy(&self) -> bool {
        matches!(self.state, HookState::Creating { .. })
    }

    pub fn done(&self) -> Option<(&Webhook, WebhookChange)> {
        match &self.state {
            HookState::Done { hook, change, .. } => Some((hook, *change)),
            _ => None,
        }
    }

    pub fn next_focus(&mut self, forward: bool) {
        self.focus = match (self.focus, forward) {
            (HookFocus::Url, true) | (HookFocus::Secret, false) => HookFocus::Events,
            (HookFocus::Events, true) | (HookFocus::Url, false) => HookFocus::Secret,
            (HookFocus::Secret, true) | (HookFocus::Events, false) => HookFocus::Url,
        };
    }

    pub fn edit(&mut self, key: EditKey) {
        match self.focus {
            HookFocus::Url => {
                self.show_errors = true;
                self.http_warned = false;
                edit_input(&mut self.url, key);
            }
            HookFocus::Secret => {
                if self.secret_generated && matches!(key, EditKey::Char(_)) {
                    // Typing over a generated secret replaces it: one's own secret, not a mix.
                    self.secret = SecretInput::default();
                }
                if !matches!(
                    key,
                    EditKey::Left | EditKey::Right | EditKey::Home | EditKey::End
                ) {
                    self.secret_generated = false;
                }
                self.secret.handle(key);
            }
            HookFocus::Events => {}
        }
    }

    pub fn move_event(&mut self, delta: isize) {
        let last = self.events.len().saturating_sub(1) as isize;
        self.event_cursor = (self.event_cursor as isize + delta).clamp(0, last) as usize;
    }

    pub fn toggle_event(&mut self) {
        if let Some(e) = self.events.get_mut(self.event_cursor) {
            e.on = !e.on;
        }
    }

    /// A freshly generated secret from the worker.
    pub fn set_generated_secret(&mut self, secret: &SecretString) {
        use secrecy::ExposeSecret;
        let mut input = SecretInput::default();
        for c in secret.expose_secret().chars() {
            input.handle(EditKey::Char(c));
        }
        self.secret = input;
        self.secret_generated = true;
    }

    /// The hook to ask for; `None` (with the errors shown) when something is invalid.
    pub fn spec(&mut self, connection_name: &str) -> Option<WebhookSpec> {
        self.show_errors = true;
        if self.url_error().is_some() {
            self.focus = HookFocus::Url;
            return None;
        }
        if self.events_error().is_some() {
            self.focus = HookFocus::Events;
            return None;
        }
        Some(WebhookSpec {
            name: hook_name(connection_name),
            url: self.url.value().trim().to_string(),
            events: self.chosen_events(),
            secret: (!self.secret.is_empty()).then(|| self.secret.to_secret()),
        })
    }
}

// --- The webhook step's transitions. Imported here, apart from the URL and events rules
// above, which are to move to `core`.

use super::msg::{Effect, Msg, SavedHook};
use super::{Step, Wizard, back, go, scroll_text};
use crate::core::model::CheckItem;

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    // A screen too short for the step scrolls with PgUp/PgDn; the arrows move the focus.
    if matches!(msg, Msg::PageUp | Msg::PageDown) {
        scroll_text(w, &msg);
        return Vec::new();
    }
    let hook = &mut w.webhook;
    if hook.busy() {
        return match msg {
            Msg::Back => back(w),
            _ => Vec::new(),
        };
    }
    match msg {
        Msg::Edit(key) => {
            hook.edit(key);
            // What is on screen no longer is what the server holds (or refused).
            if !matches!(hook.state, HookState::Idle) && hook.focus != HookFocus::Events {
                hook.state = HookState::Idle;
            }
        }
        Msg::NextField => hook.next_focus(true),
        Msg::PrevField => hook.next_focus(false),
        Msg::Up if hook.focus == HookFocus::Events => hook.move_event(-1),
        Msg::Down if hook.focus == HookFocus::Events => hook.move_event(1),
        Msg::Up => hook.next_focus(false),
        Msg::Down => hook.next_focus(true),
        Msg::ToggleEvent if hook.focus == HookFocus::Events => {
            hook.toggle_event();
            // The hook on the server no longer matches what is on screen.
            if hook.done().is_some() {
                hook.state = HookState::Idle;
            }
        }
        Msg::RegenerateSecret => return vec![Effect::GenerateWebhookSecret],
        Msg::RevealSecret => hook.reveal_secret = !hook.reveal_secret,
        Msg::Skip => {
            // Skipping forgets a hook made here earlier: the connection is saved without one.
            hook.state = HookState::Idle;
            return go(w, Step::Save);
        }
        Msg::Confirm if hook.done().is_some() => return go(w, Step::Save),
        Msg::Confirm => {
            let Some(creds) = w.checked.clone() else {
                return Vec::new();
            };
            let Some(repo) = w.chosen_repo.as_ref().map(|r| r.full_name.clone()) else {
                return Vec::new();
            };
            let name = creds.spec.name.clone();
            let Some(spec) = w.webhook.spec(&name) else {
                w.notice = Some("Fix what is marked ✗, then press Enter again.".into());
                return Vec::new();
            };
            if is_plain_http_remote(&spec.url) && !w.webhook.http_warned {
                w.webhook.http_warned = true;
                w.notice = Some(
                    "⚠ http:// sends deliveries and their signature unencrypted. Enter again \
                     to create the hook anyway, or use https://."
                        .into(),
                );
                return Vec::new();
            }
            let id = w.fresh_id();
            w.webhook.state = HookState::Creating { id };
            return vec![Effect::EnsureWebhook {
                id,
                creds,
                repo,
                spec,
                allow_http: w.allow_http,
            }];
        }
        Msg::Back => return back(w),
        _ => {}
    }
    Vec::new()
}

pub(super) fn enter_webhook(w: &mut Wizard) -> Vec<Effect> {
    let repo = w
        .chosen_repo
        .as_ref()
        .map(|r| r.full_name.clone())
        .unwrap_or_default();
    w.webhook.prepare(w.provider, &repo);
    if w.webhook.secret.is_empty() {
        vec![Effect::GenerateWebhookSecret]
    } else {
        Vec::new()
    }
}

/// The hook to save with the connection: only one that was created (or found) on the chosen
/// repository in this session; skipping the step saves none.
pub(super) fn saved_hook(w: &Wizard) -> Option<SavedHook> {
    let HookState::Done { hook, repo, .. } = &w.webhook.state else {
        return None;
    };
    if w.chosen_repo.as_ref().map(|r| &r.full_name) != Some(repo) {
        return None;
    }
    Some(SavedHook {
        id: hook.id.clone(),
        url: hook.url.clone(),
        secret: (!w.webhook.secret.is_empty()).then(|| w.webhook.secret.to_secret()),
    })
}

pub(super) fn on_secret(w: &mut Wizard, secret: &SecretString) {
    w.webhook.set_generated_secret(secret);
    // A hook made with the old secret would be saved with the wrong one.
    if w.webhook.done().is_some() {
        w.webhook.state = HookState::Idle;
    }
}

pub(super) fn on_delivery(w: &mut Wizard, id: RequestId, row: CheckItem) {
    if w.hook_delivery_for == Some(id) {
        w.hook_delivery = Some(row);
    }
}

pub(super) fn on_done(
    w: &mut Wizard,
    id: RequestId,
    result: Result<(Webhook, WebhookChange), Problem>,
) {
    if matches!(w.webhook.state, HookState::Creating { id: current } if current == id) {
        w.hook_delivery_for = result.is_ok().then_some(id);
        w.hook_delivery = None;
        w.webhook.state = match result {
            Ok((hook, change)) => HookState::Done {
                hook,
                change,
                repo: w
                    .chosen_repo
                    .as_ref()
                    .map(|r| r.full_name.clone())
                    .unwrap_or_default(),
            },
            Err(problem) => HookState::Failed(problem),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hook_rules::validate_url;

    #[test]
    fn urls_https_anywhere_http_only_to_loopback() {
        assert!(validate_url("https://ci.example.com/hook").is_ok());
        assert!(validate_url("http://localhost:8080/hook").is_ok());
        assert!(validate_url("http://127.0.0.1:9/h").is_ok());
        assert!(validate_url("http://[::1]:9/h").is_ok());
        let e = validate_url("http://ci.example.com/hook").unwrap_err();
        assert!(e.contains("https"), "{e}");
        assert!(validate_url("").unwrap_err().contains("Required"));
        assert!(validate_url("ftp://ci.example.com").is_err());
        assert!(validate_url("ci.example.com/hook").is_err());
        assert!(validate_url("https://user:pw@ci.example.com/hook").is_err());
    }

    #[test]
    fn events_need_one_well_formed_name() {
        assert!(validate_events(&[]).is_err());
        assert!(validate_events(&["repo:push".into(), "pr:from_ref_updated".into()]).is_ok());
        assert!(validate_events(&["push".into()]).is_err());
        assert!(validate_events(&["repo:push\x1b[2J".into()]).is_err());
    }

    #[test]
    fn events_default_per_product_and_keep_the_users_choice() {
        let mut s = WebhookStep::default();
        s.prepare(Provider::Server, "PLAT/app");
        assert_eq!(s.chosen_events()[0], "repo:refs_changed");
        s.toggle_event();
        assert!(!s.chosen_events().contains(&"repo:refs_changed".to_string()));
        s.prepare(Provider::Server, "PLAT/app");
        assert_eq!(
            s.chosen_events().len(),
            3,
            "coming back keeps the selection"
        );
        s.prepare(Provider::Cloud, "ws/app");
        assert_eq!(s.chosen_events().len(), 4);
        assert_eq!(s.chosen_events()[0], "repo:push");
    }

    #[test]
    fn typing_over_a_generated_secret_replaces_it() {
        use secrecy::ExposeSecret;
        let mut s = WebhookStep {
            focus: HookFocus::Secret,
            ..WebhookStep::default()
        };
        s.set_generated_secret(&SecretString::from("test-token-generated".to_string()));
        s.edit(EditKey::Char('x'));
        assert_eq!(s.secret.expose(), "x");
        assert!(!s.secret_generated);
        s.edit(EditKey::Char('y'));
        assert_eq!(s.secret.to_secret().expose_secret(), "xy");
    }
}
