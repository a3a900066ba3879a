//! The wizard's state machine. Pure: no IO, no clock, no tokio, no terminal.
//!
//! All values live on `Wizard` for the whole session, and `step` only says which screen is
//! shown: going back (a pop of `history`) therefore keeps everything that was typed.

pub mod form;
pub mod git;
pub mod msg;
pub mod oauth;
pub use crate::core::repo_row;
pub mod repos;
pub mod saved;
pub mod secret_input;
pub use crate::core::validate;
pub mod webhook;

#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod tests;

use crate::bitbucket::model::{
    AuthKind, CheckId, CheckReport, CheckStatus, Credentials, Problem, Provider, Repo, SavedInfo,
};
use form::{Form, fields};
use msg::{EditKey, Effect, Msg, RequestId};
use oauth::OAuthState;
use repos::{LoadState, PAGE, RepoList};
use secrecy::{ExposeSecret, SecretString};
use webhook::{HookFocus, HookState, WebhookStep};

/// What the app knows before the wizard starts.
#[derive(Debug, Clone, Default)]
pub struct WizardConfig {
    /// Default Cloud URL shown in the form (https://bitbucket.org or the demo simulator).
    pub cloud_web_url: String,
    /// Prefill for the Server URL (demo: the simulator).
    pub server_url: Option<String>,
    /// Saved connection names: a new name must differ from all of them.
    pub existing_names: Vec<String>,
    /// Lines shown on the form in demo mode: the demo credentials to type.
    pub demo_notes: Vec<String>,
    /// Draw without colours (the app sets it from `NO_COLOR`).
    pub no_color: bool,
    /// Prefill of the OAuth consumer key (the app reads `BBCONNECT_OAUTH_KEY`).
    pub oauth_key: Option<String>,
    /// Prefill of the OAuth consumer secret (`BBCONNECT_OAUTH_SECRET`).
    pub oauth_secret: Option<SecretString>,
    /// The saved connections: when there are any, the wizard starts on their list.
    pub saved: Vec<saved::SavedRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The saved connections (the first screen when there are any).
    Saved,
    Provider,
    AuthType,
    Form,
    Check,
    Repos,
    Webhook,
    Save,
    Done,
}

impl Step {
    /// (number, title) for the header.
    pub fn title(self) -> (usize, &'static str) {
        match self {
            // Not one of the seven steps of a new connection: shown without a number.
            Step::Saved => (0, "Saved connections"),
            Step::Provider => (1, "Provider"),
            Step::AuthType => (2, "Authentication"),
            Step::Form => (3, "Details"),
            Step::Check => (4, "Check"),
            Step::Repos => (5, "Repository"),
            Step::Webhook => (6, "Webhook"),
            Step::Save => (7, "Saving"),
            Step::Done => (7, "Saved"),
        }
    }
}

pub const STEP_COUNT: usize = 7;

#[derive(Debug, Clone, Default)]
pub enum CheckState {
    #[default]
    Idle,
    Running {
        id: RequestId,
        notes: Vec<String>,
    },
    Finished {
        id: RequestId,
        report: CheckReport,
    },
}

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

#[derive(Debug)]
pub struct Wizard {
    pub config: WizardConfig,
    pub step: Step,
    pub history: Vec<Step>,
    pub provider_cursor: usize,
    pub provider: Provider,
    pub auth_cursor: usize,
    pub auth: AuthKind,
    /// A one-line message for the current screen (e.g. "coming soon").
    pub notice: Option<String>,
    pub form: Form,
    /// The (provider, auth type) the form's values were typed for; `None` until one is
    /// chosen. Code that fills the form itself (editing a saved connection) sets it too.
    pub form_for: Option<(Provider, AuthKind)>,
    pub check: CheckState,
    /// The credentials the last check ran with: repositories and save use exactly these.
    pub checked: Option<Credentials>,
    pub repos: RepoList,
    /// The check whose credentials the repository list was loaded with.
    repos_for: Option<RequestId>,
    pub chosen_repo: Option<Repo>,
    pub webhook: WebhookStep,
    pub save: SaveState,
    /// The Saved screen's git actions (set up git, clone).
    pub git: git::GitPanel,
    /// The hook request whose delivery test may still arrive, and its result.
    pub hook_delivery_for: Option<RequestId>,
    pub hook_delivery: Option<crate::bitbucket::model::CheckItem>,
    pub show_help: bool,
    /// OAuth2 sign-in progress and, once signed in, the tokens.
    pub oauth: OAuthState,
    /// The user confirmed sending the secret over plain http to a host that is not loopback.
    pub allow_http: bool,
    /// The certificate the user trusted on the check screen (`SHA256:HEX`).
    pub trusted_cert: Option<String>,
    /// First line of the check report on screen (the view clamps it to the report).
    pub check_scroll: usize,
    /// First line shown of a box taller than the terminal (the help overlay, the Saved
    /// summary); the view clamps it, as it alone knows the height.
    pub text_scroll: usize,
    /// Spinner frame counter, advanced by `Msg::Tick`.
    pub spinner: usize,
    /// The list of saved connections (the first screen when there are any).
    pub saved: saved::SavedList,
    /// The saved connection this session edits or replaces: saving replaces it.
    pub replacing: Option<saved::Replacing>,
    /// "Quit without saving?" is on screen: the next quit key quits, any other key stays.
    pub confirm_quit: bool,
    /// The session ended on Ctrl-C or a signal rather than `q` (the app exits 130).
    interrupted: bool,
    quit: bool,
    next_id: RequestId,
}

impl Wizard {
    pub fn new(config: WizardConfig) -> Wizard {
        let mut form = Form::default();
        form.reset_credentials(
            &config.cloud_web_url,
            config.oauth_key.as_deref(),
            config.oauth_secret.as_ref().map(|s| s.expose_secret()),
        );
        let saved = saved::SavedList {
            rows: config.saved.clone(),
            ..saved::SavedList::default()
        };
        Wizard {
            step: if config.saved.is_empty() {
                Step::Provider
            } else {
                Step::Saved
            },
            saved,
            replacing: None,
            config,
            history: Vec::new(),
            provider_cursor: 0,
            provider: Provider::Cloud,
            auth_cursor: first_available(Provider::Cloud),
            auth: AuthKind::ApiToken,
            notice: None,
            form,
            form_for: None,
            check: CheckState::Idle,
            checked: None,
            repos: RepoList::default(),
            repos_for: None,
            chosen_repo: None,
            webhook: WebhookStep::default(),
            save: SaveState::Idle,
            git: git::GitPanel::Idle,
            hook_delivery_for: None,
            hook_delivery: None,
            show_help: false,
            oauth: OAuthState::Idle,
            allow_http: false,
            trusted_cert: None,
            check_scroll: 0,
            text_scroll: 0,
            spinner: 0,
            confirm_quit: false,
            interrupted: false,
            quit: false,
            next_id: 1,
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the session ended on Ctrl-C or a signal.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Leaving now would throw away work: a check passed and nothing is saved yet.
    fn unsaved_work(&self) -> bool {
        self.check_passed() && self.outcome().is_none()
    }

    pub fn outcome(&self) -> Option<&SavedInfo> {
        match &self.save {
            SaveState::Saved(info) => Some(info),
            _ => None,
        }
    }

    pub fn busy(&self) -> bool {
        matches!(self.check, CheckState::Running { .. })
            || self.oauth.waiting()
            || self.repos.loading_id().is_some()
            || matches!(self.save, SaveState::Saving { .. })
            || self.webhook.busy()
            || self.saved.busy()
    }

    /// Whether a filter is being computed a slice per loop turn (`Msg::Work`).
    pub fn has_work(&self) -> bool {
        self.repos.filtering()
    }

    /// Whether keys go to a text field (then `q` and `?` are letters, not commands).
    pub fn typing(&self) -> bool {
        match self.step {
            Step::Form => true,
            // The sign-in screen's paste field.
            Step::Check => self.oauth.pasting(),
            Step::Repos => self.repos.filter_focused,
            Step::Webhook => self.webhook.typing(),
            _ => false,
        }
    }

    pub fn check_report(&self) -> Option<&CheckReport> {
        match &self.check {
            CheckState::Finished { report, .. } => Some(report),
            _ => None,
        }
    }

    pub fn check_passed(&self) -> bool {
        self.check_report().is_some_and(CheckReport::passed)
    }

    pub fn check_failed(&self) -> bool {
        self.check_report().is_some_and(|r| !r.passed())
    }

    /// The chain of a certificate the finished check refused, which `t` may trust.
    pub fn refused_cert(&self) -> Option<&crate::bitbucket::tls::PeerChain> {
        self.check_report()?
            .items
            .iter()
            .find_map(|i| i.cert.as_deref())
            .filter(|c| c.leaf().is_some())
    }

    /// The page where the chosen credential is created, if it has a fixed address.
    pub fn token_page(&self) -> Option<String> {
        form::token_page(self.auth, self.form.url.value(), self.form.repo.value())
    }

    pub(crate) fn fresh_id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn default_url(&self, provider: Provider) -> String {
        match provider {
            Provider::Cloud => self.config.cloud_web_url.clone(),
            Provider::Server => self.config.server_url.clone().unwrap_or_default(),
        }
    }
}

/// The only place state changes.
pub fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Quit | Msg::Interrupt if w.unsaved_work() && !w.confirm_quit => {
            w.confirm_quit = true;
            return Vec::new();
        }
        Msg::Quit => return quit(w),
        Msg::Interrupt | Msg::Terminate => {
            w.interrupted = true;
            return quit(w);
        }
        Msg::Stay => {
            w.confirm_quit = false;
            return Vec::new();
        }
        Msg::ToggleHelp => {
            w.show_help = !w.show_help;
            w.text_scroll = 0;
            return Vec::new();
        }
        Msg::TextScrollLimit { max } => {
            w.text_scroll = w.text_scroll.min(max);
            return Vec::new();
        }
        Msg::Up | Msg::Down | Msg::PageUp | Msg::PageDown if w.show_help => {
            scroll_text(w, &msg);
            return Vec::new();
        }
        Msg::Tick => {
            w.spinner = w.spinner.wrapping_add(1);
            return Vec::new();
        }
        Msg::Work { rows } => {
            // The next keystroke's first slice uses the same size.
            w.repos.slice_rows = rows.max(1);
            w.repos.work_slice();
            return Vec::new();
        }
        Msg::Viewport { list_rows } => {
            w.repos.page_rows = list_rows.max(1);
            return Vec::new();
        }
        Msg::GitPlan { id, result } => {
            git::on_plan(w, id, result);
            return Vec::new();
        }
        Msg::GitProgress { id, line } => {
            git::on_progress(w, id, line);
            return Vec::new();
        }
        Msg::GitDone { id, result } => {
            git::on_done(w, id, result);
            return Vec::new();
        }
        Msg::CheckProgress { id, note } => {
            if let CheckState::Running { id: current, notes } = &mut w.check
                && *current == id
            {
                notes.push(note);
            }
            return Vec::new();
        }
        Msg::CheckDone { id, report } => {
            if matches!(w.check, CheckState::Running { id: current, .. } if current == id) {
                w.check = CheckState::Finished { id, report };
            }
            return Vec::new();
        }
        Msg::ReposPage { id, page } => {
            if w.repos.loading_id() == Some(id) {
                if page.total_hint.is_some() {
                    w.repos.total_hint = page.total_hint;
                }
                w.repos.push(page.repos);
            }
            return Vec::new();
        }
        Msg::ReposDone { id, result } => {
            if w.repos.loading_id() == Some(id) {
                w.repos.load = match result {
                    Ok(()) => LoadState::Done,
                    Err(problem) => LoadState::Failed(problem),
                };
            }
            return Vec::new();
        }
        Msg::OAuthUrl { id, url } => {
            oauth::on_url(w, id, url);
            return Vec::new();
        }
        Msg::OAuthDone { id, result } => return oauth::on_done(w, id, result),
        Msg::OAuthBrowser { id, outcome } => {
            oauth::on_browser(w, id, outcome);
            return Vec::new();
        }
        Msg::PasteRefused { id, problem } => {
            oauth::on_paste_refused(w, id, problem);
            return Vec::new();
        }
        Msg::Opened { url, outcome } => {
            // Said where the page was asked for; elsewhere the user has moved on.
            if w.step == Step::Form && w.token_page().as_deref() == Some(url.as_str()) {
                // One line at 80 columns: the short form of what happened.
                w.notice = Some(if outcome.opened() {
                    "The token page was opened in a browser.".into()
                } else {
                    format!("{} Open the token page below yourself.", outcome.short())
                });
            }
            return Vec::new();
        }
        Msg::SavedChecked { id, result } => {
            saved::on_checked(w, id, result);
            return Vec::new();
        }
        Msg::SavedRemoved { id, result } => {
            saved::on_removed(w, id, result);
            return Vec::new();
        }
        Msg::SavedSecret { name, secret } => {
            saved::on_secret(w, &name, secret);
            return Vec::new();
        }
        Msg::WebhookSecret { secret } => {
            w.webhook.set_generated_secret(&secret);
            // A hook made with the old secret would be saved with the wrong one.
            if w.webhook.done().is_some() {
                w.webhook.state = HookState::Idle;
            }
            return Vec::new();
        }
        Msg::WebhookDelivery { id, row } => {
            if w.hook_delivery_for == Some(id) {
                w.hook_delivery = Some(row);
            }
            return Vec::new();
        }
        Msg::WebhookDone { id, result } => {
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
            return Vec::new();
        }
        Msg::Saved { id, result } => {
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
            return Vec::new();
        }
        _ => {}
    }
    w.notice = None;
    w.confirm_quit = false;
    match w.step {
        Step::Saved => saved::step(w, msg),
        Step::Provider => provider_step(w, msg),
        Step::AuthType => auth_step(w, msg),
        Step::Form => form_step(w, msg),
        Step::Check => check_step(w, msg),
        Step::Repos => repos_step(w, msg),
        Step::Webhook => match msg {
            Msg::PageUp | Msg::PageDown => {
                scroll_text(w, &msg);
                Vec::new()
            }
            _ => webhook_step(w, msg),
        },
        Step::Save => save_step(w, msg),
        Step::Done => match msg {
            Msg::Confirm | Msg::Back => quit(w),
            Msg::GitSetup => git::on_setup(w),
            Msg::GitClone => git::on_clone(w),
            Msg::Up | Msg::Down | Msg::PageUp | Msg::PageDown => {
                scroll_text(w, &msg);
                Vec::new()
            }
            _ => Vec::new(),
        },
    }
}

/// Lines moved by PgUp/PgDn in a cut box: the smallest screen (40x12) shows about this many.
const TEXT_PAGE: usize = 5;
/// Past the longest box (a Saved summary with its git panel is about 30 lines), so the end
/// is always reachable while a key held down at the end costs few presses back.
const TEXT_MAX: usize = 40;

fn scroll_text(w: &mut Wizard, msg: &Msg) {
    w.text_scroll = match msg {
        Msg::Up => w.text_scroll.saturating_sub(1),
        Msg::PageUp => w.text_scroll.saturating_sub(TEXT_PAGE),
        // Bounded loosely here; the view clamps to the real length.
        Msg::Down => (w.text_scroll + 1).min(TEXT_MAX),
        Msg::PageDown => (w.text_scroll + TEXT_PAGE).min(TEXT_MAX),
        _ => w.text_scroll,
    };
}

fn quit(w: &mut Wizard) -> Vec<Effect> {
    w.quit = true;
    let mut effects = leave_repos(w);
    effects.extend(oauth::leave(w));
    effects.push(Effect::Quit);
    effects
}

/// The cursor starts on the recommended type (or the first this build can complete).
fn first_available(provider: Provider) -> usize {
    let kinds = provider.auth_kinds();
    kinds
        .iter()
        .position(|k| *k == AuthKind::recommended(provider) && k.available())
        .or_else(|| kinds.iter().position(|k| k.available()))
        .unwrap_or(0)
}

fn cursor_move(cursor: &mut usize, len: usize, msg: &Msg) {
    let last = len.saturating_sub(1);
    match msg {
        Msg::Up => *cursor = cursor.saturating_sub(1),
        Msg::Down => *cursor = (*cursor + 1).min(last),
        Msg::Home | Msg::PageUp => *cursor = 0,
        Msg::End | Msg::PageDown => *cursor = last,
        _ => {}
    }
}

/// Show another screen, remembering this one for Back, and run its on-enter effects.
pub(crate) fn go(w: &mut Wizard, to: Step) -> Vec<Effect> {
    w.history.push(w.step);
    w.step = to;
    w.show_help = false;
    // A cut screen starts at its top.
    w.text_scroll = 0;
    on_enter(w)
}

fn back(w: &mut Wizard) -> Vec<Effect> {
    let effects = match w.step {
        Step::Repos => leave_repos(w),
        // A check in flight is abandoned: its reply will no longer match.
        Step::Check => {
            if matches!(w.check, CheckState::Running { .. }) {
                w.check = CheckState::Idle;
            }
            oauth::leave(w)
        }
        // A hook request in flight is abandoned: its reply will no longer match.
        Step::Webhook if w.webhook.busy() => {
            w.webhook.state = HookState::Idle;
            Vec::new()
        }
        Step::Save if matches!(w.save, SaveState::Saving { .. } | SaveState::Failed(_)) => {
            w.save = SaveState::Idle;
            Vec::new()
        }
        _ => Vec::new(),
    };
    let mut effects = effects;
    if let Some(previous) = w.history.pop() {
        w.step = previous;
        w.show_help = false;
        // A list whose loading was cancelled when we left it is loaded again.
        if previous == Step::Repos && w.repos.load == LoadState::Idle {
            effects.extend(start_repos(w));
        }
    }
    effects
}

fn leave_repos(w: &mut Wizard) -> Vec<Effect> {
    if w.repos.loading_id().is_some() {
        // Partially loaded: the next visit loads again from the start.
        w.repos.load = LoadState::Idle;
        vec![Effect::CancelRepos]
    } else {
        Vec::new()
    }
}

fn on_enter(w: &mut Wizard) -> Vec<Effect> {
    match w.step {
        Step::Check => start_check(w),
        Step::Repos => {
            let check_id = match w.check {
                CheckState::Finished { id, .. } => Some(id),
                _ => None,
            };
            let fresh = w.repos_for == check_id && w.repos.load == LoadState::Done;
            if fresh { Vec::new() } else { start_repos(w) }
        }
        Step::Webhook => enter_webhook(w),
        Step::Save => start_save(w),
        _ => Vec::new(),
    }
}

fn start_check(w: &mut Wizard) -> Vec<Effect> {
    if oauth::needs_sign_in(w) {
        return oauth::begin(w);
    }
    let id = w.fresh_id();
    w.check_scroll = 0;
    let mut creds = w.form.credentials(w.auth);
    if let Some(grant) = w.oauth.grant().filter(|_| w.auth == AuthKind::OAuth) {
        // Bitbucket is called with the access token; the consumer secret stays for refreshes.
        creds.secret = grant.access_token.clone();
    }
    w.checked = Some(creds.clone());
    w.check = CheckState::Running {
        id,
        notes: Vec::new(),
    };
    vec![Effect::CheckCredentials {
        id,
        creds,
        allow_http: w.allow_http,
    }]
}

fn start_repos(w: &mut Wizard) -> Vec<Effect> {
    let Some(creds) = w.checked.clone() else {
        return Vec::new();
    };
    let id = w.fresh_id();
    w.repos_for = match w.check {
        CheckState::Finished { id, .. } => Some(id),
        _ => None,
    };
    w.repos.restart(id);
    vec![Effect::LoadRepos {
        id,
        creds,
        allow_http: w.allow_http,
    }]
}

fn start_save(w: &mut Wizard) -> Vec<Effect> {
    let Some(creds) = w.checked.clone() else {
        return Vec::new();
    };
    let id = w.fresh_id();
    w.save = SaveState::Saving { id };
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
        webhook: saved_hook(w),
        replace,
    }]
}

/// The form filled from a saved connection (editing it). The secret comes separately.
pub(crate) fn prefill_form(w: &mut Wizard, row: &saved::SavedRow) {
    w.form.name = row.name.as_str().into();
    w.form.url = row.url.as_str().into();
    let who = row.username.as_deref().unwrap_or_default();
    match row.auth {
        AuthKind::ApiToken => w.form.email = who.into(),
        AuthKind::OAuth => w.form.oauth_key = who.into(),
        AuthKind::AppPassword
        | AuthKind::HttpTokenUser
        | AuthKind::RepoToken
        | AuthKind::HttpTokenRepo => w.form.username = who.into(),
    }
    w.form.repo = row.repo.as_deref().unwrap_or_default().into();
    w.form.focus = 0;
    // Its own name is not "taken": saving replaces it.
    w.config.existing_names.retain(|n| n != &row.name);
}

/// The kept secret in the (masked) secret field.
pub(crate) fn fill_secret(w: &mut Wizard, secret: &SecretString) {
    w.form.secret = secret_input::SecretInput::default();
    for c in secret.expose_secret().chars() {
        w.form.secret.handle(EditKey::Char(c));
    }
}

/// A kept secret belongs to the (provider, auth type, URL) it was saved for: when the form now
/// points elsewhere it is dropped, never sent to another host.
fn drop_kept_secret_if_moved(w: &mut Wizard) -> bool {
    let Some(r) = &mut w.replacing else {
        return false;
    };
    let Some(bound) = &r.secret_for else {
        return false;
    };
    let now = (w.provider, w.auth, w.form.url.value().trim().to_string());
    if *bound == now {
        return false;
    }
    r.secret_for = None;
    w.form.secret = secret_input::SecretInput::default();
    true
}

fn provider_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        // Two choices need no paging: PgUp/PgDn scroll a screen too short for the demo
        // credentials instead.
        Msg::PageUp | Msg::PageDown => {
            scroll_text(w, &msg);
            Vec::new()
        }
        Msg::Up | Msg::Down | Msg::Home | Msg::End => {
            cursor_move(&mut w.provider_cursor, Provider::ALL.len(), &msg);
            Vec::new()
        }
        Msg::Confirm => {
            let chosen = Provider::ALL[w.provider_cursor.min(Provider::ALL.len() - 1)];
            if chosen != w.provider {
                // A default URL follows the product at once; anything typed is cleared (or
                // kept) only when a type is chosen, in `auth_step`.
                let url = w.form.url.value();
                if url.is_empty() || url == w.default_url(w.provider) {
                    w.form.url = w.default_url(chosen).as_str().into();
                }
                w.provider = chosen;
                w.auth_cursor = first_available(chosen);
            }
            go(w, Step::AuthType)
        }
        // Back to the list of saved connections, when the wizard started there.
        Msg::Back if !w.history.is_empty() => back(w),
        _ => Vec::new(),
    }
}

fn auth_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let kinds = w.provider.auth_kinds();
    match msg {
        Msg::Up | Msg::Down | Msg::Home | Msg::End | Msg::PageUp | Msg::PageDown => {
            cursor_move(&mut w.auth_cursor, kinds.len(), &msg);
            Vec::new()
        }
        Msg::Confirm => {
            let Some(&kind) = kinds.get(w.auth_cursor) else {
                return Vec::new();
            };
            if !kind.available() {
                w.notice = Some(format!(
                    "{} is coming soon: choose another type for now.",
                    kind.label()
                ));
                return Vec::new();
            }
            w.auth = kind;
            let pair = (w.provider, kind);
            if w.form_for != Some(pair) {
                // Typed for another host or another kind of credential: never offered here.
                let url = w.default_url(w.provider);
                w.form.reset_credentials(
                    &url,
                    w.config.oauth_key.as_deref(),
                    w.config.oauth_secret.as_ref().map(|s| s.expose_secret()),
                );
                w.allow_http = false;
                w.form_for = Some(pair);
            }
            go(w, Step::Form)
        }
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

fn form_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let auth = w.auth;
    // The http warning holds for the very next key only: any other key withdraws it.
    let http_warned = std::mem::take(&mut w.form.http_warned);
    match msg {
        Msg::Edit(key) => {
            // A kept secret that is edited is the user's own from now on.
            if fields(auth).get(w.form.focus) == Some(&form::FieldId::Secret)
                && let Some(r) = &mut w.replacing
            {
                r.secret_for = None;
            }
            w.form.edit(auth, key);
            Vec::new()
        }
        // A taken name: replace that connection instead of a dead end.
        Msg::Replace => {
            let name = w.form.name.value().trim().to_string();
            if w.config
                .existing_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&name))
            {
                w.config
                    .existing_names
                    .retain(|n| !n.eq_ignore_ascii_case(&name));
                w.replacing = Some(saved::Replacing {
                    name: name.clone(),
                    secret_for: None,
                });
                w.notice = Some(format!("Saving will replace the connection `{name}`."));
            }
            Vec::new()
        }
        Msg::NextField | Msg::Down => {
            w.form.move_focus(auth, true);
            Vec::new()
        }
        Msg::PrevField | Msg::Up => {
            w.form.move_focus(auth, false);
            Vec::new()
        }
        Msg::Confirm => {
            // A bare host is taken as https, and said so (people type addresses that way).
            let assumed = validate::assume_https(w.form.url.value());
            if let Some(with_scheme) = &assumed {
                w.form.url = with_scheme.as_str().into();
            }
            let last = fields(auth).len() - 1;
            if w.form.focus < last {
                w.form.move_focus(auth, true);
                if let Some(u) = assumed {
                    w.notice = Some(format!("No scheme typed: using {u}."));
                }
                return Vec::new();
            }
            if drop_kept_secret_if_moved(w) {
                if let Some(i) = fields(auth)
                    .iter()
                    .position(|f| *f == form::FieldId::Secret)
                {
                    w.form.focus = i;
                }
                w.notice = Some(
                    "The saved secret belongs to the saved address and type: type the secret \
                     for this one."
                        .into(),
                );
                return Vec::new();
            }
            match w.form.first_invalid(auth, &w.config.existing_names) {
                Some(bad) => {
                    w.form.show_all_errors = true;
                    w.form.focus = bad;
                    let name = w.form.name.value().trim().to_string();
                    let taken = fields(auth).get(bad) == Some(&form::FieldId::Name)
                        && w.config
                            .existing_names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&name));
                    w.notice = Some(if taken {
                        format!(
                            "A connection named `{name}` exists: Ctrl-R replaces it, or type another name."
                        )
                    } else {
                        "Fix the fields marked ✗, then press Enter again.".into()
                    });
                    Vec::new()
                }
                None if validate::is_plain_http_remote(w.form.url.value()) && !http_warned => {
                    w.form.http_warned = true;
                    w.notice = Some(
                        // One line at 80 columns: a cut warning loses its point.
                        "⚠ http:// sends the token unencrypted: Enter again to send it anyway."
                            .into(),
                    );
                    Vec::new()
                }
                None => {
                    // Reaching here with a plain-http remote URL means the user confirmed it.
                    w.allow_http = validate::is_plain_http_remote(w.form.url.value());
                    go(w, Step::Check)
                }
            }
        }
        Msg::OpenTokenPage => w.token_page().map(Effect::OpenUrl).into_iter().collect(),
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

fn check_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if w.oauth.pasting() {
        return match msg {
            Msg::Edit(key) => {
                oauth::edit_paste(w, key);
                Vec::new()
            }
            Msg::Confirm => oauth::submit_paste(w),
            Msg::CopyUrl => oauth::copy_url(w),
            Msg::Back => back(w),
            _ => Vec::new(),
        };
    }
    match msg {
        Msg::Up | Msg::PageUp | Msg::Home => {
            let by = if matches!(msg, Msg::Up) { 1 } else { PAGE };
            w.check_scroll = if matches!(msg, Msg::Home) {
                0
            } else {
                w.check_scroll.saturating_sub(by)
            };
            Vec::new()
        }
        Msg::Down | Msg::PageDown => {
            // Bounded loosely here; the view clamps to the real report length.
            let by = if matches!(msg, Msg::Down) { 1 } else { PAGE };
            w.check_scroll = (w.check_scroll + by).min(200);
            Vec::new()
        }
        Msg::Retry if w.check_failed() || w.oauth.failed().is_some() => {
            oauth::forget_rejected(w);
            start_check(w)
        }
        // Trusting is the user's act after comparing the fingerprint on screen: exactly the
        // end-entity shown is pinned, and the check runs again with it.
        Msg::TrustCert => match w.refused_cert() {
            Some(chain) if chain.leaf().is_some() => {
                let fingerprint = chain
                    .leaf()
                    .map(|l| l.fingerprint.clone())
                    .unwrap_or_default();
                let der = chain.ders.first().cloned();
                w.trusted_cert = Some(fingerprint.clone());
                let mut effects = vec![Effect::TrustCert { fingerprint, der }];
                effects.extend(start_check(w));
                effects
            }
            _ => Vec::new(),
        },
        Msg::EditForm if !matches!(w.check, CheckState::Running { .. }) => {
            let about = w
                .check_report()
                .and_then(|r| r.items.iter().find(|i| i.status == CheckStatus::Failed))
                .and_then(|item| field_of_check(item.id, w.auth));
            let effects = back(w);
            if let Some(i) = about.and_then(|f| fields(w.auth).iter().position(|x| *x == f)) {
                w.form.focus = i;
            }
            effects
        }
        Msg::Confirm if w.check_passed() => go(w, Step::Repos),
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

/// The form field a failed check is about, so `e` puts the cursor where the fix is typed.
fn field_of_check(check_id: CheckId, auth: AuthKind) -> Option<form::FieldId> {
    use form::FieldId;
    match check_id {
        CheckId::Setup
        | CheckId::Reach
        | CheckId::ReachCount
        | CheckId::Tls
        | CheckId::Http
        | CheckId::Version
        | CheckId::HtmlLogin
        | CheckId::Gone
        | CheckId::LocalhostLinks => Some(FieldId::Url),
        CheckId::Credential | CheckId::Permissions if auth == AuthKind::OAuth => {
            Some(FieldId::OAuthKey)
        }
        CheckId::Credential | CheckId::Permissions => Some(FieldId::Secret),
        // The webhook rows come after the form is done with: nothing there to edit.
        CheckId::Webhooks | CheckId::Webhook | CheckId::WebhookDelivery => None,
    }
}

fn repos_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let list = &mut w.repos;
    if list.filter_focused {
        match msg {
            Msg::Edit(key) => list.edit_filter(key),
            // Enter and Esc both leave the filter with its text kept: Esc twice goes back.
            Msg::Confirm | Msg::Back => list.filter_focused = false,
            Msg::Up => list.move_by(-1),
            Msg::Down => list.move_by(1),
            Msg::PageUp => list.move_by(-(list.page_rows as isize)),
            Msg::PageDown => list.move_by(list.page_rows as isize),
            _ => {}
        }
        return Vec::new();
    }
    match msg {
        Msg::Up => list.move_by(-1),
        Msg::Down => list.move_by(1),
        Msg::PageUp => list.move_by(-(list.page_rows as isize)),
        Msg::PageDown => list.move_by(list.page_rows as isize),
        Msg::Home => list.home(),
        Msg::End => list.end(),
        Msg::FocusFilter => list.filter_focused = true,
        // A letter typed on the list is the start of a filter (it used to be a command).
        Msg::Edit(key) => {
            list.filter_focused = true;
            list.edit_filter(key);
        }
        // Data Center gives no update time: sorting by it would change nothing.
        Msg::ToggleSort if w.provider == Provider::Cloud => list.toggle_sort(),
        Msg::Retry if matches!(list.load, LoadState::Failed(_)) => return start_repos(w),
        Msg::Confirm => {
            if let Some(repo) = list.selected() {
                w.chosen_repo = Some(repo);
                let mut effects = leave_repos(w);
                effects.extend(go(w, Step::Webhook));
                return effects;
            }
            // A credential that sees no repository at all (a fresh bot user) is still worth
            // saving: the connection works, a repository can be granted later.
            if list.is_empty() && list.load == LoadState::Done {
                w.chosen_repo = None;
                return go(w, Step::Save);
            }
        }
        // Esc with a filter clears it first; with none it goes back.
        Msg::Back if !list.query().is_empty() => {
            list.edit_filter(EditKey::End);
            list.edit_filter(EditKey::ClearLine);
        }
        Msg::Back => return back(w),
        _ => {}
    }
    Vec::new()
}

fn save_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Retry if matches!(w.save, SaveState::Failed(_)) => start_save(w),
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

fn enter_webhook(w: &mut Wizard) -> Vec<Effect> {
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
fn saved_hook(w: &Wizard) -> Option<msg::SavedHook> {
    let HookState::Done { hook, repo, .. } = &w.webhook.state else {
        return None;
    };
    if w.chosen_repo.as_ref().map(|r| &r.full_name) != Some(repo) {
        return None;
    }
    Some(msg::SavedHook {
        id: hook.id.clone(),
        url: hook.url.clone(),
        secret: (!w.webhook.secret.is_empty()).then(|| w.webhook.secret.to_secret()),
    })
}

fn webhook_step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
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
            if webhook::is_plain_http_remote(&spec.url) && !w.webhook.http_warned {
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
