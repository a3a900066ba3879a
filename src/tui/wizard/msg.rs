//! The messages that drive the wizard and the effects it asks the outside world to run.
//!
//! Every reply from the worker carries the request id of the effect that caused it, so
//! `update` can drop replies that arrive after the user moved on.

use secrecy::SecretString;

use crate::core::browser::BrowserOutcome;
use crate::core::model::{
    CheckItem, CheckReport, Credentials, OAuthGrant, Problem, Repo, RepoPage, SavedInfo, Webhook,
    WebhookChange, WebhookSpec,
};
use crate::core::ssh::GitProtocol;

/// Identifies one effect and its replies.
pub type RequestId = u64;

/// Everything that can change the wizard: user intents (from `keys`) and worker replies.
#[derive(Debug, Clone)]
pub enum Msg {
    // --- navigation, any step
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Confirm,
    Back,
    ToggleHelp,
    /// `q`: asks first when leaving would throw away a passed check.
    Quit,
    /// Ctrl-C typed: like `Quit` (it asks too), but the session ends as interrupted (exit 130).
    Interrupt,
    /// A signal or the end of the key stream: ends at once, as interrupted.
    Terminate,
    /// "Quit without saving?" answered no (any key but the quit keys).
    Stay,
    // --- the list of saved connections
    /// Start a new connection from the first step.
    NewConnection,
    /// Start a new connection that replaces the selected (or the taken) name.
    Replace,
    /// Ask to remove the selected connection.
    Remove,
    /// "Remove NAME?" answered yes.
    ConfirmRemove,
    /// Put a new secret on the selected connection (asks for it, masked).
    Rotate,
    /// `RotateSaved` answered: what to show on the list, one line.
    SavedRotated {
        id: RequestId,
        result: Result<crate::tui::wizard::saved::RotatedRow, Problem>,
    },
    /// `CheckSaved` answered.
    SavedChecked {
        id: RequestId,
        result: Result<crate::core::model::LastCheck, Problem>,
    },
    /// `RemoveSaved` answered.
    SavedRemoved {
        id: RequestId,
        result: Result<(), Problem>,
    },
    /// `LoadSavedSecret` answered: the saved secret of `name`, kept in the edit form.
    SavedSecret {
        name: String,
        secret: Result<SecretString, Problem>,
    },
    // --- text entry (form fields, filter)
    NextField,
    PrevField,
    /// A key for the focused text input, already reduced to plain data.
    Edit(EditKey),
    /// Open the page where the token for the chosen auth type is created.
    OpenTokenPage,
    /// On the check screen: run the checks again.
    Retry,
    /// On the check screen: back to the form with values kept.
    EditForm,
    /// On the check screen: trust the certificate the server presented (the user compared
    /// its fingerprint), then check again.
    TrustCert,
    /// On the repository screen: focus the filter.
    FocusFilter,
    /// On the repository screen: switch between sorting by name and by last update.
    ToggleSort,
    // --- worker replies
    CheckProgress {
        id: RequestId,
        note: String,
    },
    CheckDone {
        id: RequestId,
        report: CheckReport,
    },
    ReposPage {
        id: RequestId,
        page: RepoPage,
    },
    ReposDone {
        id: RequestId,
        result: Result<(), Problem>,
    },
    /// The save `id` went through with something to tell first: the connection's previous
    /// SSH key could not be deleted from its repository.
    SaveWarning {
        id: RequestId,
        text: String,
    },
    Saved {
        id: RequestId,
        result: Result<SavedInfo, Problem>,
    },
    /// OAuth sign-in: the authorize URL, once the callback listener is up (shown on screen,
    /// since over SSH no browser opens).
    OAuthUrl {
        id: RequestId,
        url: String,
    },
    /// OAuth sign-in: whether a browser opened at the authorize URL (never claimed when not).
    OAuthBrowser {
        id: RequestId,
        outcome: BrowserOutcome,
    },
    /// OAuth sign-in: the pasted redirect was refused (wrong state, no code); the sign-in
    /// goes on waiting for a good one or for the listener.
    PasteRefused {
        id: RequestId,
        problem: Problem,
    },
    /// On the sign-in screen: copy the authorize URL to the clipboard (`y`).
    CopyUrl,
    /// A page opened on request (Ctrl-O): whether a browser showed it.
    Opened {
        url: String,
        outcome: BrowserOutcome,
    },
    /// OAuth sign-in finished: the tokens, or why not (timeout, denied, bad consumer).
    OAuthDone {
        id: RequestId,
        result: Result<OAuthGrant, Problem>,
    },
    /// On the webhook screen: continue without a webhook.
    Skip,
    /// On a save that failed over SSH: save with git over HTTPS instead.
    UseHttps,
    /// DC: what the CI endpoint answered to Bitbucket's test request after the hook of
    /// request `id` was made (Cloud: where its request log is).
    WebhookDelivery {
        id: RequestId,
        row: CheckItem,
    },
    /// On the Saved screen: set up git for the connection's host (plan first, then apply).
    GitSetup,
    /// On the Saved screen: clone the chosen repository into ./SLUG.
    GitClone,
    /// The `git config` lines setting up git would run (empty: nothing to change).
    GitPlan {
        id: RequestId,
        result: Result<Vec<String>, Problem>,
    },
    /// git's latest progress line while cloning, sanitised.
    GitProgress {
        id: RequestId,
        line: String,
    },
    /// Setting up git or cloning finished: what to tell the user, or git's own message.
    GitDone {
        id: RequestId,
        result: Result<String, Problem>,
    },
    /// On the webhook screen: switch the event under the cursor on or off.
    ToggleEvent,
    /// On the webhook screen: replace the secret with a freshly generated one.
    RegenerateSecret,
    /// On the webhook screen: show the secret in clear, or mask it again.
    RevealSecret,
    /// A generated webhook secret (randomness is the worker's: `update` stays pure).
    WebhookSecret {
        secret: SecretString,
    },
    WebhookDone {
        id: RequestId,
        result: Result<(Webhook, WebhookChange), Problem>,
    },
    /// Animation tick for spinners (the app sends it only while something is in flight).
    Tick,
    /// The furthest the cut box on screen (help, Saved summary) scrolls, from the view: the
    /// app sends it when the offset went past, so ↑/PgUp move at once after overscrolling.
    TextScrollLimit {
        max: usize,
    },
    /// The terminal's size changed: rows the repository list shows (PgUp/PgDn move a page).
    Viewport {
        list_rows: usize,
    },
    /// One slice of `rows` rows of the repository filter in progress (the app sends it
    /// while `Wizard::has_work` says so, after any pending key, sized by `SliceBudget`).
    Work {
        rows: usize,
    },
}

/// Text-editing keys, without any terminal types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: clear to start.
    ClearLine,
}

/// The consumer and addresses a sign-in runs with, as typed in the form: one value, so the
/// wizard hands over and the worker takes the same fields without spelling them out twice.
#[derive(Debug, Clone)]
pub struct SignInForm {
    /// The Cloud web URL the OAuth pages live under.
    pub web_url: String,
    pub key: String,
    pub secret: SecretString,
    pub callback: String,
    /// The user confirmed sending the secret over plain http to a remote host.
    pub allow_http: bool,
}

/// Work the wizard asks for; the app hands each to the worker.
// A handful of effects per session: boxing the repository would only complicate the worker.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Effect {
    CheckCredentials {
        id: RequestId,
        creds: Credentials,
        /// The user confirmed sending the secret over plain http to a remote host.
        allow_http: bool,
    },
    LoadRepos {
        id: RequestId,
        creds: Credentials,
        allow_http: bool,
    },
    /// Listen on the callback, open the browser at the authorize URL, wait, exchange the code.
    OAuthSignIn {
        id: RequestId,
        form: SignInForm,
    },
    /// The address the browser ended on, pasted by the user: check its state, exchange its
    /// code (the listener keeps waiting meanwhile; the first good one wins).
    OAuthPaste {
        id: RequestId,
        redirect: String,
    },
    /// Stop waiting for the browser (the user pressed Esc).
    CancelOAuth,
    /// Stop any repository loading (the user left the screen).
    CancelRepos,
    Save {
        id: RequestId,
        creds: Credentials,
        repo: Option<Repo>,
        identity_username: Option<String>,
        /// OAuth: the tokens and consumer secret, saved instead of `creds.secret`.
        oauth: Option<OAuthGrant>,
        /// The hook created on the webhook step, saved with the connection.
        webhook: Option<SavedHook>,
        /// Replace the saved connection of the same name (edit, replace).
        replace: bool,
        /// Typed on the form; when absent the worker asks DC's token list.
        expires_on: Option<jiff::civil::Date>,
        /// `Ssh`: a read-only key registered on `repo` and proven before the save
        /// (`engine::ssh`, as `connect --git-protocol ssh`).
        git_protocol: GitProtocol,
        /// The user confirmed plain http on the form (the key goes where the check went).
        allow_http: bool,
    },
    /// Run the checks of saved connection `name` and record the outcome with it.
    CheckSaved {
        id: RequestId,
        name: String,
    },
    /// Check `secret` as connection `name`'s new credential (same host, same identity) and
    /// swap it in, keeping everything else (`engine::rotate`).
    RotateSaved {
        id: RequestId,
        name: String,
        secret: SecretString,
    },
    /// Remove saved connection `name` and its secret.
    RemoveSaved {
        id: RequestId,
        name: String,
    },
    /// Answer with `Msg::SavedSecret`: the secret of `name`, to keep it in the edit form.
    LoadSavedSecret {
        name: String,
    },
    /// Create (or keep, or update) the webhook on `repo` (`WS/SLUG` or `KEY/SLUG`).
    EnsureWebhook {
        id: RequestId,
        creds: Credentials,
        repo: String,
        spec: WebhookSpec,
        /// The user confirmed plain http on the form (the hook goes where the check went).
        allow_http: bool,
    },
    /// Answer with `Msg::WebhookSecret`.
    GenerateWebhookSecret,
    /// Trust exactly this certificate (`SHA256:HEX`) for every later request of this
    /// session, and save it with the connection.
    TrustCert {
        fingerprint: String,
        /// The certificate itself, kept as PEM beside the saved connection.
        der: Option<Vec<u8>>,
    },
    /// Answer with `Msg::Opened`.
    OpenUrl(String),
    /// Answer with `Msg::GitPlan`: the config lines `setup-git NAME` would change.
    PlanGitSetup {
        id: RequestId,
        name: String,
    },
    /// Run `setup-git NAME`; answer with `Msg::GitDone`.
    ApplyGitSetup {
        id: RequestId,
        name: String,
    },
    /// `git clone` connection `name`'s repository into `dir`, with `Msg::GitProgress` on the
    /// way and `Msg::GitDone` at the end.
    CloneRepo {
        id: RequestId,
        name: String,
        dir: String,
    },
    /// Put text on the clipboard with OSC 52: the app writes it to the terminal itself (the
    /// terminal, possibly at the far end of SSH, owns the clipboard).
    CopyToClipboard(String),
    Quit,
}

/// What the connection keeps of its webhook.
#[derive(Debug, Clone)]
pub struct SavedHook {
    pub id: String,
    pub url: String,
    /// Stored next to the connection's secret; never in the connections file.
    pub secret: Option<SecretString>,
}
