//! The wizard's state machine. Pure: no IO, no clock, no tokio, no terminal.
//!
//! All values live on `Wizard` for the whole session, and `step` only says which screen is
//! shown: going back (a pop of `history`) therefore keeps everything that was typed.
//!
//! Each step's state and transitions are in its own file (`provider`, `auth`, `form`,
//! `check` with `oauth`, `repos`, `webhook`, `done`, `saved`); here are what they share: the
//! `Wizard`, the `Step` order, `update`'s dispatch, and moving between steps (`go`, `back`,
//! and `on_enter`, the one place a step's on-enter effects start).

mod auth;
mod check;
mod done;
pub mod form;
pub mod git;
pub mod git_access;
pub mod msg;
pub mod oauth;
mod provider;
pub mod repos;
pub mod saved;
pub mod secret_input;
pub mod webhook;

#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod tests;

use crate::core::model::{AuthKind, Credentials, Provider, Repo};
use crate::core::ssh::GitProtocol;
pub use check::CheckState;
use check::start_check;
pub use done::SaveState;
use done::start_save;
use form::Form;
use msg::{Effect, Msg, RequestId};
use oauth::OAuthState;
use repos::{LoadState, RepoList, leave_repos, start_repos};
use secrecy::{ExposeSecret, SecretString};
use webhook::{HookState, WebhookStep, enter_webhook};

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
    /// Today's date (UTC), read once by the app: expiry dates are judged against it.
    pub today: jiff::civil::Date,
    /// How many days ahead an expiry is warned of (`BBCONNECT_EXPIRY_WARN_DAYS`, read by the
    /// app); `None` is the default (see [`WizardConfig::warn_days`]).
    pub expiry_warn_days: Option<i64>,
}

impl WizardConfig {
    /// The expiry warning window in days, as `check` and `status` use it.
    pub fn warn_days(&self) -> i64 {
        self.expiry_warn_days
            .unwrap_or(crate::core::expiry::DEFAULT_WARN_DAYS)
    }
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
    /// How git reaches the chosen repository: HTTPS with the credential, or SSH with a
    /// read-only key of the connection's own.
    GitAccess,
    Webhook,
    Save,
    Done,
}

/// The steps of a new connection in the order they are walked: a screen's number in the
/// header is its place here, the total is the length, so adding a step renumbers the rest.
/// Saving and its outcome are one step (docs/usage.md's 7, "Saved"). Every credential type walks
/// the same steps: OAuth2's sign-in is drawn on the check step before the check runs, and a
/// repository token's listing holds its one repository. How git reaches the repository is
/// chosen as part of picking it. The saved connections' list, before a new connection
/// starts, is not a step of it.
const FLOW: [&[Step]; 7] = [
    &[Step::Provider],
    &[Step::AuthType],
    &[Step::Form],
    &[Step::Check],
    &[Step::Repos, Step::GitAccess],
    &[Step::Webhook],
    &[Step::Save, Step::Done],
];

impl Step {
    /// The header's name for the screen.
    pub fn title(self) -> &'static str {
        match self {
            Step::Saved => "Saved connections",
            Step::Provider => "Provider",
            Step::AuthType => "Authentication",
            Step::Form => "Details",
            Step::Check => "Check",
            Step::Repos => "Repository",
            Step::GitAccess => "Git access",
            Step::Webhook => "Webhook",
            Step::Save => "Saving",
            Step::Done => "Saved",
        }
    }

    /// (number from 1, total) of the screen among the steps of a new connection, for the
    /// header's "Step N/M"; `None` for a screen that is not one of them.
    pub fn number(self) -> Option<(usize, usize)> {
        FLOW.iter()
            .position(|steps| steps.contains(&self))
            .map(|i| (i + 1, FLOW.len()))
    }
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
    /// How git reaches the chosen repository (the Git access step), and that step's cursor.
    pub git_protocol: GitProtocol,
    pub git_cursor: usize,
    pub webhook: WebhookStep,
    pub save: SaveState,
    /// What the save had to tell beside its outcome (an old SSH key left on the server).
    pub save_warning: Option<String>,
    /// The Saved screen's git actions (set up git, clone).
    pub git: git::GitPanel,
    /// The hook request whose delivery test may still arrive, and its result.
    pub hook_delivery_for: Option<RequestId>,
    pub hook_delivery: Option<crate::core::model::CheckItem>,
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
    /// How a credential that stops working on `expires_on` stands today, within the
    /// configured warning window: the one reading the Done screen and the saved list show.
    pub fn expiry(
        &self,
        expires_on: Option<jiff::civil::Date>,
        auth: AuthKind,
    ) -> crate::core::expiry::Standing {
        crate::core::expiry::standing(self.config.today, expires_on, auth, self.config.warn_days())
    }

    pub fn new(config: WizardConfig) -> Wizard {
        let mut form = Form {
            today: config.today,
            ..Form::default()
        };
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
            auth_cursor: provider::first_available(Provider::Cloud),
            auth: AuthKind::ApiToken,
            notice: None,
            form,
            form_for: None,
            check: CheckState::Idle,
            checked: None,
            repos: RepoList::default(),
            repos_for: None,
            chosen_repo: None,
            git_protocol: GitProtocol::Https,
            git_cursor: 0,
            webhook: WebhookStep::default(),
            save: SaveState::Idle,
            save_warning: None,
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
            Step::Saved => self.saved.typing(),
            _ => false,
        }
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
            check::on_progress(w, id, note);
            return Vec::new();
        }
        Msg::CheckDone { id, report } => {
            check::on_done(w, id, report);
            return Vec::new();
        }
        Msg::ReposPage { id, page } => {
            repos::on_page(w, id, page);
            return Vec::new();
        }
        Msg::ReposDone { id, result } => {
            repos::on_done(w, id, result);
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
            form::on_opened(w, &url, &outcome);
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
        Msg::SavedRotated { id, result } => {
            saved::on_rotated(w, id, result);
            return Vec::new();
        }
        Msg::SavedSecret { name, secret } => {
            saved::on_secret(w, &name, secret);
            return Vec::new();
        }
        Msg::WebhookSecret { secret } => {
            webhook::on_secret(w, &secret);
            return Vec::new();
        }
        Msg::WebhookDelivery { id, row } => {
            webhook::on_delivery(w, id, row);
            return Vec::new();
        }
        Msg::WebhookDone { id, result } => {
            webhook::on_done(w, id, result);
            return Vec::new();
        }
        Msg::SaveWarning { id, text } => {
            done::on_warning(w, id, text);
            return Vec::new();
        }
        Msg::Saved { id, result } => {
            done::on_saved(w, id, result);
            return Vec::new();
        }
        _ => {}
    }
    w.notice = None;
    w.confirm_quit = false;
    match w.step {
        Step::Saved => saved::step(w, msg),
        Step::Provider => provider::step(w, msg),
        Step::AuthType => auth::step(w, msg),
        Step::Form => form::step(w, msg),
        Step::Check => check::step(w, msg),
        Step::Repos => repos::step(w, msg),
        Step::GitAccess => git_access::step(w, msg),
        Step::Webhook => webhook::step(w, msg),
        Step::Save => done::save_step(w, msg),
        Step::Done => done::done_step(w, msg),
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
        Step::GitAccess => git_access::enter_git_access(w),
        Step::Webhook => enter_webhook(w),
        Step::Save => start_save(w),
        _ => Vec::new(),
    }
}
