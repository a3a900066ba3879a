//! The messages that drive the wizard and the effects it asks the outside world to run.
//!
//! Every reply from the worker carries the request id of the effect that caused it, so
//! `update` can drop replies that arrive after the user moved on.

use secrecy::SecretString;

use crate::bitbucket::model::{
    CheckReport, Credentials, Problem, Repo, RepoPage, SavedInfo, Webhook, WebhookChange,
    WebhookSpec,
};

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
    Quit,
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
    Saved {
        id: RequestId,
        result: Result<SavedInfo, Problem>,
    },
    /// On the webhook screen: continue without a webhook.
    Skip,
    /// On the webhook screen: switch the event under the cursor on or off.
    ToggleEvent,
    /// On the webhook screen: replace the secret with a freshly generated one.
    RegenerateSecret,
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

/// Work the wizard asks for; the app hands each to the worker.
// A handful of effects per session: boxing the repository would only complicate the worker.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Effect {
    CheckCredentials {
        id: RequestId,
        creds: Credentials,
    },
    LoadRepos {
        id: RequestId,
        creds: Credentials,
    },
    /// Stop any repository loading (the user left the screen).
    CancelRepos,
    Save {
        id: RequestId,
        creds: Credentials,
        repo: Option<Repo>,
        identity_username: Option<String>,
        /// The hook created on the webhook step, saved with the connection.
        webhook: Option<SavedHook>,
    },
    /// Create (or keep, or update) the webhook on `repo` (`WS/SLUG` or `KEY/SLUG`).
    EnsureWebhook {
        id: RequestId,
        creds: Credentials,
        repo: String,
        spec: WebhookSpec,
    },
    /// Answer with `Msg::WebhookSecret`.
    GenerateWebhookSecret,
    OpenUrl(String),
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
