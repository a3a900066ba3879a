//! `bbconnect connect`: check credentials given by flags and save the connection.

use std::io::Read;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{
    Ctx, Io, expires_arg, limits_setting, print_report, print_saved, report_json, trust, usage,
};
use crate::bitbucket::oauth::OAuthConsumer;
use crate::bitbucket::{ClientOptions, Endpoints};
use crate::core::hook_rules;
use crate::core::model::{
    AuthKind, CheckItem, CheckStatus, ConnectionSpec, Credentials, OAuthGrant, Problem, Provider,
    Webhook, WebhookChange, WebhookSpec,
};
use crate::core::sanitize::clean;
use crate::core::validate;
use crate::engine;
use crate::engine::connect::{ConnectError, Connected, Event};
use crate::engine::oauth as oauth_flow;
use crate::settings::Settings;
use crate::{errln, outln};

/// `--auth`: the credential types by the names the connections file and `list` use
/// (`AuthKind::cli_name`), so clap lists them on a wrong value and completions offer them.
/// The values are `AuthKind::ALL` itself: a credential type added to core is a flag value
/// with no second list to keep in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthArg(pub AuthKind);

impl ValueEnum for AuthArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::LazyLock<Vec<AuthArg>> =
            std::sync::LazyLock::new(|| AuthKind::ALL.into_iter().map(AuthArg).collect());
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.cli_name()))
    }
}

impl From<AuthArg> for AuthKind {
    fn from(a: AuthArg) -> Self {
        a.0
    }
}

#[cfg(test)]
mod auth_arg_tests {
    use super::*;
    use crate::cli::Cli;
    use clap::{Parser, ValueEnum};

    #[test]
    fn every_credential_type_is_an_auth_value_by_its_file_name() {
        for kind in AuthKind::ALL {
            let arg = AuthArg::from_str(kind.cli_name(), false)
                .unwrap_or_else(|e| panic!("--auth {}: {e}", kind.cli_name()));
            assert_eq!(AuthKind::from(arg), kind);
        }
        assert_eq!(AuthArg::value_variants().len(), AuthKind::ALL.len());
    }

    #[test]
    fn a_wrong_auth_value_is_a_usage_error_listing_the_types() {
        let err = Cli::try_parse_from([
            "bbconnect",
            "connect",
            "--provider",
            "cloud",
            "--auth",
            "password",
            "--name",
            "x",
        ])
        .expect_err("not a credential type");
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        for kind in AuthKind::ALL {
            assert!(text.contains(kind.cli_name()), "{text}");
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Cloud,
    Server,
}

impl From<ProviderArg> for Provider {
    fn from(p: ProviderArg) -> Self {
        match p {
            ProviderArg::Cloud => Provider::Cloud,
            ProviderArg::Server => Provider::Server,
        }
    }
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[arg(long, value_enum)]
    pub provider: ProviderArg,
    /// oauth, api-token, repo-token, app-password (Cloud); http-token-user, http-token-repo (Server/DC).
    #[arg(long, value_enum)]
    pub auth: AuthArg,
    #[arg(long)]
    pub name: String,
    /// Server base URL; for Cloud defaults to https://bitbucket.org (or BBCONNECT_CLOUD_WEB_URL).
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, conflicts_with = "email")]
    pub username: Option<String>,
    /// The Atlassian account email (Cloud API tokens).
    #[arg(long)]
    pub email: Option<String>,
    /// WORKSPACE/SLUG (Cloud) or KEY/SLUG (Server) to select.
    #[arg(long)]
    pub repo: Option<String>,
    #[arg(long)]
    pub webhook_url: Option<String>,
    #[arg(long, requires = "webhook_url")]
    pub webhook_secret_env: Option<String>,
    #[arg(long, value_delimiter = ',', requires = "webhook_url")]
    pub webhook_events: Vec<String>,
    /// Allow a plain http:// webhook URL to a host that is not loopback (internal CI servers);
    /// deliveries and their signature then travel unencrypted.
    #[arg(long, requires = "webhook_url")]
    pub allow_http_webhook: bool,
    /// Read the secret from standard input (otherwise from BBCONNECT_TOKEN).
    #[arg(long)]
    pub token_stdin: bool,
    /// Allow sending the secret over plain http to a host that is not loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// Replace a saved connection of the same name.
    #[arg(long)]
    pub replace: bool,
    /// The day the credential stops working, as Bitbucket showed it when the token was made
    /// (YYYY-MM-DD, after today). `check` warns 14 days ahead (BBCONNECT_EXPIRY_WARN_DAYS) and
    /// fails from that day. Left out: read from Data Center's token list where the token may
    /// read it, else unknown.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
    /// Trust exactly this server certificate (the fingerprint a refused check printed,
    /// compared with the server's admin first); saved with the connection.
    #[arg(long, value_name = "SHA256:FINGERPRINT")]
    pub trust_cert: Option<String>,
    /// A PEM file of CA certificates (or the server's self-signed certificate) to trust for
    /// this connection; saved with it.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// OAuth: the port of the loopback callback registered on the consumer
    /// (http://127.0.0.1:PORT/callback).
    #[arg(long, default_value_t = 8976)]
    pub callback_port: u16,
    /// OAuth: seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub oauth_timeout: u64,
    /// OAuth on a remote machine: open no browser; sign in with the printed address on any
    /// machine, then paste the address the browser ends on
    /// (http://127.0.0.1:PORT/callback?code=...) on standard input, one line. The consumer
    /// secret then comes from BBCONNECT_OAUTH_SECRET (stdin holds the address, so not with
    /// --token-stdin).
    #[arg(long)]
    pub no_browser: bool,
    /// How git reaches the repository: https with the credential, or ssh with a read-only
    /// key of this connection's own, registered on --repo and proven before saving.
    #[arg(long, value_enum, default_value = "https")]
    pub git_protocol: GitProtocolArg,
    #[arg(long)]
    pub json: bool,
}

/// Reads the secret for `connect`: stdin with --token-stdin, else BBCONNECT_TOKEN.
fn read_secret(settings: &Settings, token_stdin: bool) -> Result<SecretString, Problem> {
    let raw = if token_stdin {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf).map_err(|e| {
            usage(
                format!("Could not read the secret from standard input: {e}."),
                "Pipe the token in, e.g. `printenv MY_TOKEN | bbconnect connect ... --token-stdin`.",
            )
        })?;
        buf
    } else {
        match &settings.token {
            Some(v) => v.expose_secret().to_string(),
            None => {
                return Err(usage(
                    "No secret given.",
                    "Set BBCONNECT_TOKEN or pipe it with --token-stdin (never as an argument).",
                ));
            }
        }
    };
    let trimmed = raw.trim_end_matches(['\n', '\r']).to_string();
    if let Err(msg) = validate::secret(&trimmed, "token") {
        return Err(usage(
            format!("The secret is not usable. {msg}"),
            "Pass the token exactly as Bitbucket showed it.",
        ));
    }
    Ok(SecretString::from(trimmed))
}

/// Builds the connection spec from the flags, with the same validation as the wizard's form.
pub fn spec_from_args(
    io: &mut Io,
    settings: &Settings,
    args: &ConnectArgs,
    endpoints: &Endpoints,
) -> Result<ConnectionSpec, Problem> {
    let provider = Provider::from(args.provider);
    let auth = AuthKind::from(args.auth);
    if auth.provider() != provider {
        return Err(usage(
            format!(
                "`{}` is not a {} credential type.",
                auth.cli_name(),
                provider.label()
            ),
            format!(
                "For {} use one of: {}.",
                provider.cli_name(),
                provider
                    .auth_kinds()
                    .iter()
                    .map(|k| k.cli_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if !auth.available() {
        return Err(Problem::other(
            format!(
                "`{}` is not available yet in this version of bbconnect.",
                auth.cli_name()
            ),
            format!(
                "use {} for now.",
                AuthKind::ALL
                    .iter()
                    .filter(|k| k.available() && k.provider() == provider)
                    .map(|k| k.cli_name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    let url = match (&args.url, provider) {
        (Some(u), _) => match validate::assume_https(u) {
            Some(with_scheme) => {
                errln!(
                    io,
                    "bbconnect: note: no scheme in --url: using {with_scheme}."
                );
                with_scheme
            }
            None => u.trim().to_string(),
        },
        (None, Provider::Cloud) => endpoints.cloud_web.clone(),
        (None, Provider::Server) => {
            return Err(usage(
                "--url is required for Bitbucket Server / Data Center.",
                "Pass the server's base URL, e.g. --url https://bitbucket.example.com.",
            ));
        }
    };
    let username = if auth == AuthKind::OAuth {
        // The consumer key plays the username's part (the form does the same).
        settings.oauth_key.clone().or_else(|| args.username.clone())
    } else {
        args.email.clone().or_else(|| args.username.clone())
    };
    let spec = ConnectionSpec {
        name: args.name.clone(),
        provider,
        auth,
        url,
        username,
        repo: args.repo.clone(),
    };
    if let Some((flag, msg)) = spec_errors(&spec).into_iter().next() {
        return Err(usage(
            format!("{flag}: {msg}"),
            format!("Correct {flag} and run again."),
        ));
    }
    Ok(spec)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GitProtocolArg {
    Https,
    Ssh,
}

impl From<GitProtocolArg> for crate::core::ssh::GitProtocol {
    fn from(p: GitProtocolArg) -> Self {
        match p {
            GitProtocolArg::Https => crate::core::ssh::GitProtocol::Https,
            GitProtocolArg::Ssh => crate::core::ssh::GitProtocol::Ssh,
        }
    }
}

/// The wizard form's field rules (`validate::spec`), named by the flag that sets each field.
fn spec_errors(spec: &ConnectionSpec) -> Vec<(&'static str, String)> {
    validate::spec(spec)
        .into_iter()
        .map(|(field, msg)| {
            let flag = match field {
                "name" => "--name",
                "url" => "--url",
                "email" => "--email",
                "username" => "--username",
                "repo" => "--repo",
                "auth" => "--auth",
                "oauth key" => "BBCONNECT_OAUTH_KEY (or --username)",
                other => other,
            };
            (flag, msg)
        })
        .collect()
}

/// `bbconnect connect`.
pub async fn run(ctx: &mut Ctx, mut args: ConnectArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let (io, settings) = (&mut ctx.io, &ctx.settings);
    let endpoints = &settings.endpoints;
    // The name names the lock file too: refused as the flag it came from, before anything.
    if let Err(e) = crate::core::name::check(&args.name) {
        return Err(usage(
            format!("--name: `{}` {}.", clean(&args.name), e.reason()),
            "Use 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.",
        ));
    }
    // One run at a time per name, held from before the saved state is read until the save:
    // a concurrent connect of the same name waits, then works on what this one left (its
    // hook and the secret the server has).
    let _lock = crate::engine::lock_connection(store, &args.name).await?;
    let previous = store.get(&args.name).map_err(Problem::from)?;
    if !args.replace && previous.is_some() {
        return Err(usage(
            format!("A connection named `{}` already exists.", args.name),
            "Choose another --name, pass --replace, or `bbconnect remove` it first.",
        ));
    }
    // A replace keeps the saved repository unless it names another one.
    let repo_given = args.repo.is_some();
    if let Some(prev) = &previous
        && !repo_given
        && prev.provider == Provider::from(args.provider)
    {
        args.repo = prev.repo.clone();
    }
    let mut spec = spec_from_args(io, settings, &args, endpoints)?;
    let previous = previous.filter(|p| {
        p.provider == spec.provider && crate::bitbucket::webhooks::same_url(&p.url, &spec.url)
    });
    if previous.is_none() && !repo_given {
        spec.repo = None;
    }
    let previous_webhook = previous.as_ref().and_then(|p| {
        Some(engine::connect::KeptHook {
            id: p.webhook_id.clone()?,
            url: p.webhook_url.clone()?,
            same_repo: match (&p.repo, &spec.repo) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            },
        })
    });
    if args.git_protocol == GitProtocolArg::Ssh && spec.repo.is_none() {
        return Err(engine::connect::ssh_needs_repo(spec.provider));
    }
    let today = engine::today();
    let expires_on = expires_arg(args.expires.as_deref(), today)?;
    let mut hook_spec = webhook_spec_from_args(io, &args, &spec)?;
    // Connecting again keeps the generated secret the CI was given, rather than a new one:
    // the hook is first ensured without touching its secret (so an unchanged hook is kept),
    // and given the stored secret again only when it had to be created or updated. A kept
    // hook keeps it too; one that cannot be read fails the run rather than vanish.
    let mut reused_secret = None;
    if let Some(hs) = hook_spec.as_mut() {
        if args.replace
            && args.webhook_secret_env.is_none()
            && let Ok(Some(previous)) = store.webhook_secret(&spec.name)
        {
            hs.secret = None;
            reused_secret = Some(previous);
        }
    } else if previous_webhook.as_ref().is_some_and(|k| k.same_repo) {
        reused_secret = store.webhook_secret(&spec.name).map_err(Problem::from)?;
    }
    let options = ClientOptions {
        allow_http: args.allow_http,
        tls: trust::trust_from_args(args.trust_cert.as_deref(), args.ca_file.as_deref())?,
        limits: limits_setting(settings)?,
        sequential_check: settings.sequential_check,
        ..ClientOptions::default()
    };
    let (creds, oauth) = if spec.auth == AuthKind::OAuth {
        let grant = oauth_sign_in(io, settings, &args, &spec, &options).await?;
        let creds = Credentials {
            spec: spec.clone(),
            secret: grant.access_token.clone(),
        };
        (creds, Some(grant))
    } else {
        let secret = read_secret(settings, args.token_stdin)?;
        let creds = Credentials {
            spec: spec.clone(),
            secret,
        };
        (creds, None)
    };
    let request = engine::connect::ConnectRequest {
        creds,
        oauth,
        endpoints,
        options,
        webhook: hook_spec,
        reused_webhook_secret: reused_secret,
        previous_webhook,
        replace: args.replace,
        git_protocol: args.git_protocol.into(),
        expires_on,
    };
    let as_json = args.json;
    let mut print = |event: Event<'_>| match event {
        Event::Checked(report) if !as_json => print_report(&mut *io.err, report, &spec.name),
        Event::Saved(done) => print_connected(io, done, &spec, as_json, today),
        Event::Delivery(row) => print_delivery(io, row, as_json),
        _ => {}
    };
    match engine::connect::connect(request, store, &mut print).await {
        Ok(_) => Ok(()),
        Err(ConnectError::Setup(p) | ConnectError::Repo(p)) => Err(p),
        Err(ConnectError::ChecksFailed(report)) => {
            if args.json {
                outln!(
                    io,
                    "{}",
                    json!({"ok": false, "name": spec.name, "checks": report_json(&report)})
                );
            }
            Err(Problem::new(
                report
                    .failure_class()
                    .unwrap_or(crate::core::model::FailureClass::Other),
                "The connection was not saved: some checks failed.",
                "Do what the failed checks above say, then run again.",
            ))
        }
        Err(ConnectError::Webhook { problem: p, report }) => {
            if args.json {
                outln!(
                    io,
                    "{}",
                    json!({"ok": false, "name": spec.name, "webhook_error": p, "checks": report_json(&report)})
                );
            }
            Err(p.with_note(
                "The connection was not saved (run again without --webhook-url to save it without a webhook).",
            ))
        }
        Err(ConnectError::Ssh {
            problem: p,
            report,
            manual_key,
        }) => {
            if args.json {
                outln!(
                    io,
                    "{}",
                    json!({"ok": false, "name": spec.name, "ssh_error": p, "public_key": manual_key, "checks": report_json(&report)})
                );
            }
            let p = p.with_note("The connection was not saved.");
            Err(match manual_key {
                Some(_) => p.with_note("Once the key is added, run this same command again."),
                None => p,
            })
        }
        // The connection and its webhook secret are one commit: neither was kept, so the
        // same command can simply run again.
        Err(ConnectError::Save(p)) => Err(p.with_note("The connection was not saved.")),
    }
}

/// What was saved, on stdout: one JSON document, or lines for people.
fn print_connected(
    io: &mut Io,
    done: &Connected,
    spec: &ConnectionSpec,
    as_json: bool,
    today: jiff::civil::Date,
) {
    let saved = &done.saved.info;
    let (repo, hook, report) = (&done.repo, &done.hook, &done.report);
    let hook_secret_location = &done.saved.webhook_secret_location;
    let user = report.identity.as_ref().map(|i| i.username.clone());
    for note in done
        .ssh
        .as_ref()
        .and_then(|p| p.note.as_ref())
        .into_iter()
        .chain(done.ssh_warning.as_ref())
    {
        errln!(io, "bbconnect: note: {}", clean(note));
    }
    // Ensuring the hook took admin rights; past that, read access is all a CI needs.
    let lower_to_read = hook
        .as_ref()
        .map(|_| crate::core::hook_rules::lower_to_read_note(spec.provider, &spec.name));
    if saved.keychain_fallback.is_some() {
        // Scripts read stdout; the one-line notice goes to stderr even with --json. The
        // keychain's own error (D-Bus details) is for the log, not for people.
        errln!(
            io,
            "bbconnect: note: no OS keychain is available here, so the secret is in a file only \
             you can read (RUST_LOG=debug logs why)."
        );
    }
    if as_json {
        outln!(
            io,
            "{}",
            json!({
                "ok": true,
                "name": saved.name,
                "provider": spec.provider.cli_name(),
                "auth": spec.auth.cli_name(),
                "url": spec.url,
                "user": user,
                "repo": repo.as_ref().map(|r| r.full_name.clone()),
                "clone_https": saved.clone_https,
                "ssh": done.ssh.as_ref().map(|p| json!({
                    "clone_url": p.route.clone_url,
                    "key_id": p.route.key_id,
                    "host": p.route.host,
                    "port": p.route.port,
                    "host_key_fingerprint": p.route.host_key_fingerprint,
                    "public_key": p.public_key,
                })),
                "config_file": saved.config_file,
                "secret_location": saved.secret_location,
                "webhook": match (hook, &done.kept_hook) {
                    (Some((h, change)), _) => json!({
                        "id": h.id, "url": h.url, "events": h.events, "change": change,
                        "secret_location": hook_secret_location,
                    }),
                    (None, Some(k)) => json!({
                        "id": k.id, "url": k.url, "change": "kept-as-saved",
                    }),
                    (None, None) => serde_json::Value::Null,
                },
                "lower_to_read": lower_to_read,
                "keychain_fallback": saved.keychain_fallback,
                "expires_at": done.expires_on.map(|d| d.to_string()),
                "checks": report_json(report),
            })
        );
    } else {
        print_saved(io, saved);
        let standing = crate::core::expiry::standing(
            today,
            done.expires_on,
            spec.auth,
            crate::core::expiry::DEFAULT_WARN_DAYS,
        );
        outln!(io, "Expiry: {}", standing.text());
        if let Some(path) = &done.saved.cert_file {
            outln!(io, "Trusted certificate: {}", path.display());
        }
        if let Some(p) = &done.ssh {
            outln!(
                io,
                "SSH key: {}, host key pinned ({}), proven with git ls-remote.",
                match &p.route.key_id {
                    Some(id) => format!("registered read-only (id {})", clean(id)),
                    None => "added on the repository by an admin (id unknown to this credential)"
                        .to_string(),
                },
                p.route.host_key_fingerprint
            );
            outln!(io, "Clone over SSH: {}", clean(&p.route.clone_url));
        }
        if let (Some((h, change)), Some(r)) = (hook, repo) {
            outln!(io, "{}", hook_summary(h, *change, &r.full_name));
            if let Some(loc) = hook_secret_location {
                outln!(io, "Webhook secret: {loc}");
            }
        }
        if let (None, Some(k)) = (hook, &done.kept_hook) {
            outln!(
                io,
                "Webhook {} ({}): kept as saved, with its secret.",
                clean(&k.id),
                clean(&k.url)
            );
        }
        if let Some(note) = &lower_to_read {
            outln!(io, "{note}");
        }
    }
}

/// The webhook's test delivery, after the save.
fn print_delivery(io: &mut Io, row: &CheckItem, as_json: bool) {
    if as_json {
        // Scripts read one JSON document on stdout; the delivery goes to stderr.
        errln!(io, "{}", json!({"webhook_delivery": row}));
    } else {
        outln!(io, "Webhook delivery test: {}", clean(&row.detail));
        if let (Some(fix), false) = (&row.fix, row.status == CheckStatus::Passed) {
            outln!(io, "  fix: {}", clean(fix));
        }
    }
}

/// The OAuth consumer secret: stdin with --token-stdin, else BBCONNECT_OAUTH_SECRET.
fn consumer_secret(settings: &Settings, token_stdin: bool) -> Result<SecretString, Problem> {
    if token_stdin {
        return read_secret(settings, true);
    }
    settings.oauth_secret.clone().ok_or_else(|| {
        usage(
            "No OAuth consumer secret given.",
            "Set BBCONNECT_OAUTH_SECRET or pipe it with --token-stdin (never as an argument).",
        )
    })
}

/// `connect --auth oauth`: listen on the callback, print the authorize URL, open a browser
/// where this session has one (or, with --no-browser, read the address the browser ended on
/// from stdin: the sign-in then happens on any machine), wait, exchange.
async fn oauth_sign_in(
    io: &mut Io,
    settings: &Settings,
    args: &ConnectArgs,
    spec: &ConnectionSpec,
    options: &ClientOptions,
) -> Result<OAuthGrant, Problem> {
    if args.no_browser && args.token_stdin {
        return Err(usage(
            "--no-browser reads the address the browser ended on from standard input, so the consumer secret cannot come from it too.",
            "Set BBCONNECT_OAUTH_SECRET and leave out --token-stdin.",
        ));
    }
    let consumer = OAuthConsumer {
        key: spec.username.clone().unwrap_or_default(),
        secret: consumer_secret(settings, args.token_stdin)?,
    };
    let callback = format!("http://127.0.0.1:{}/callback", args.callback_port);
    let port = args.callback_port;
    let (no_browser, timeout) = (args.no_browser, args.oauth_timeout);
    // The engine calls back from its own tasks, which cannot borrow `io`: its events come
    // over a channel and are printed here, through `io`, as they arrive.
    let (event_tx, mut event_rx) = tokio::sync::mpsc::unbounded_channel();
    let events: oauth_flow::SignInEvents = Arc::new(move |event| {
        let _ = event_tx.send(event);
    });
    let say = |io: &mut Io, event: oauth_flow::SignInEvent| {
        let waiting = |io: &mut Io| {
            errln!(
                io,
                "Waiting up to {timeout} s for the browser to come back..."
            )
        };
        match event {
            oauth_flow::SignInEvent::Url(url) => {
                errln!(
                    io,
                    "Sign in to Bitbucket: open this address in a browser (the consumer's callback must be {callback}):"
                );
                errln!(io, "  {url}");
                if no_browser {
                    errln!(
                        io,
                        "On another machine, either forward the port first (ssh -L {port}:127.0.0.1:{port} HOST, HOST being this machine), or paste here the address the browser ends on (http://127.0.0.1:{port}/callback?code=...) and press Enter:"
                    );
                    waiting(io);
                }
            }
            oauth_flow::SignInEvent::Browser(outcome) => {
                errln!(io, "{}", outcome.message());
                if !outcome.opened() {
                    errln!(
                        io,
                        "Open it on any machine; from another one, forward the port first (ssh -L {port}:127.0.0.1:{port} HOST), or run again with --no-browser to paste the address the browser ends on."
                    );
                }
                waiting(io);
            }
        }
    };
    let (paste_tx, pasted) = tokio::sync::mpsc::unbounded_channel();
    if args.no_browser {
        // A plain thread: a tokio stdin read would keep the runtime from ending when the
        // listener wins first.
        std::thread::spawn(move || {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                let _ = paste_tx.send(line);
            }
        });
    } else {
        drop(paste_tx);
    }
    let request = oauth_flow::SignInRequest {
        web_url: spec.url.clone(),
        consumer,
        callback: callback.clone(),
        options: options.clone(),
        opener: (!args.no_browser).then(oauth_flow::browser_opener),
        wait: std::time::Duration::from_secs(args.oauth_timeout),
    };
    let signing = oauth_flow::sign_in(request, pasted, events, Err);
    tokio::pin!(signing);
    let grant = loop {
        tokio::select! {
            // Events first, so each line is out before the outcome it led to.
            biased;
            Some(event) = event_rx.recv() => say(io, event),
            result = &mut signing => break result,
        }
    };
    while let Ok(event) = event_rx.try_recv() {
        say(io, event);
    }
    let grant = grant?;
    errln!(io, "Signed in; checking the connection.");
    Ok(grant)
}

fn hook_summary(h: &Webhook, change: WebhookChange, repo: &str) -> String {
    let what = match change {
        WebhookChange::Created => "created",
        WebhookChange::Updated => "already there: updated",
        WebhookChange::Kept => "already there as asked: kept",
    };
    format!(
        "Webhook {} on {} ({}): {what}.",
        clean(&h.id),
        clean(repo),
        clean(&h.url)
    )
}

/// The hook asked for by `--webhook-*`, validated by the wizard's rules before any network
/// call or secret is read.
fn webhook_spec_from_args(
    io: &mut Io,
    args: &ConnectArgs,
    spec: &ConnectionSpec,
) -> Result<Option<WebhookSpec>, Problem> {
    let Some(url) = &args.webhook_url else {
        return Ok(None);
    };
    if let Err(msg) = hook_rules::validate_url_allowing_http(url, args.allow_http_webhook) {
        let fix = if hook_rules::is_plain_http_remote(url) {
            "Use https://, or pass --allow-http-webhook for an internal CI server you trust."
        } else {
            "Correct --webhook-url and run again."
        };
        return Err(usage(format!("--webhook-url: {msg}"), fix));
    }
    if hook_rules::is_plain_http_remote(url) {
        errln!(
            io,
            "bbconnect: warning: {} is plain http: deliveries and their signature travel unencrypted.",
            clean(url.trim())
        );
    }
    if spec.repo.is_none() {
        return Err(usage(
            "--webhook-url needs the repository to put the hook on.",
            match spec.provider {
                Provider::Cloud => "Add --repo WORKSPACE/SLUG.",
                Provider::Server => "Add --repo PROJECTKEY/SLUG.",
            },
        ));
    }
    let events = if args.webhook_events.is_empty() {
        crate::bitbucket::webhooks::default_events(spec.provider)
    } else {
        args.webhook_events
            .iter()
            .map(|e| e.trim().to_string())
            .collect()
    };
    if let Err(msg) = hook_rules::validate_events_for(spec.provider, &events) {
        return Err(usage(
            format!("--webhook-events: {msg}"),
            match spec.provider {
                Provider::Cloud => "For example --webhook-events repo:push,pullrequest:created.",
                Provider::Server => "For example --webhook-events repo:refs_changed,pr:opened.",
            },
        ));
    }
    let secret = match &args.webhook_secret_env {
        // As the wizard does: a hook without a secret lets anyone trigger builds.
        None => Some(engine::connect::generate_webhook_secret().map_err(|e| {
            Problem::other(
                format!("could not generate a webhook secret: the OS gave no random bytes ({e})."),
                "pass your own with --webhook-secret-env VAR.",
            )
        })?),
        Some(var) => {
            // Before anything starts a child (the OAuth browser, git): the secret is ours,
            // not theirs.
            crate::os::child::keep_from_children(var);
            let value = std::env::var(var).unwrap_or_default();
            let value = value.trim_end_matches(['\n', '\r']);
            if let Err(msg) = validate::secret(value, "webhook secret") {
                return Err(usage(
                    format!("--webhook-secret-env {}: {msg}", clean(var)),
                    format!(
                        "Set the environment variable {} to the secret your CI checks deliveries with.",
                        clean(var)
                    ),
                ));
            }
            Some(SecretString::from(value.to_string()))
        }
    };
    Ok(Some(WebhookSpec {
        name: hook_rules::hook_name(&spec.name),
        url: url.trim().to_string(),
        events,
        secret,
    }))
}
