//! `setup-git`: makes git ask `bbconnect git-credential` for the hosts of saved connections,
//! through `git config` (never by editing files ourselves), so that `--remove` can undo
//! exactly what was set. The plan is computed from the current config first (pure), so both
//! faces can show the exact lines before changing anything.

use std::path::PathBuf;
use std::process::Stdio;

use crate::bitbucket::git::{self, GitHost, GitTarget};
use crate::core::model::{FailureClass, Problem};
use crate::store::SavedConnection;

/// Which git config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// The repository of the current directory.
    Local,
}

impl Scope {
    fn flag(self) -> &'static str {
        match self {
            Scope::Global => "--global",
            Scope::Local => "--local",
        }
    }
}

/// One `git config` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    UnsetAll(String),
    Add(String, String),
    Set(String, String),
    RemoveSection(String),
}

impl Change {
    fn args(&self) -> Vec<String> {
        match self {
            Change::UnsetAll(k) => vec!["--unset-all".into(), k.clone()],
            Change::Add(k, v) => vec!["--add".into(), k.clone(), v.clone()],
            Change::Set(k, v) => vec![k.clone(), v.clone()],
            Change::RemoveSection(s) => vec!["--remove-section".into(), s.clone()],
        }
    }

    /// Whether this change points git at a CA file.
    pub fn sets_ca_info(&self) -> bool {
        match self {
            Change::Add(k, _) | Change::Set(k, _) => k.to_ascii_lowercase().ends_with(".sslcainfo"),
            Change::UnsetAll(_) | Change::RemoveSection(_) => false,
        }
    }

    /// The command a person could type to make this change.
    pub fn describe(&self, scope: Scope) -> String {
        let mut out = format!("git config {}", scope.flag());
        for a in self.args() {
            out.push(' ');
            out.push_str(&shell_quote(&a));
        }
        out
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%=".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Whether a helper value is one of ours (this binary, or bbconnect or its helper binary from
/// another place).
fn is_ours(value: &str, helper: &str) -> bool {
    value == helper
        || value.trim_end_matches('\'').ends_with(git::HELPER_BINARY)
        || (value.ends_with(" git-credential")
            && value
                .trim_end_matches(" git-credential")
                .trim_end_matches('\'')
                .ends_with("bbconnect"))
}

/// `values` without our helper entries and the empty reset written just before each.
fn strip_ours(values: &[String], helper: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if is_ours(v, helper) {
            if out.last().is_some_and(|l| l.is_empty()) {
                out.pop();
            }
        } else {
            out.push(v.clone());
        }
    }
    out
}

/// A host to set up, and whether several connections share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlan {
    pub host: GitHost,
    pub shared: bool,
    /// The PEM git is to trust for this https host: the certificates the connection trusts
    /// (`engine::git_trust::ca_info`). `None`: git's own trust is left as it is.
    pub ca_info: Option<String>,
    /// Every such PEM of the saved connections on this host: an `sslCAInfo` naming one of
    /// them is ours to take out again.
    pub ours_ca: Vec<String>,
}

/// The hosts of the `chosen` connections, `shared` being judged over `all` of them: two
/// connections on one host need `useHttpPath` even when only one is named. `ca_info` gives
/// the PEM git should trust for a connection, if any.
pub fn hosts_for(
    all: &[SavedConnection],
    chosen: &[SavedConnection],
    ca_info: impl Fn(&SavedConnection) -> Option<PathBuf>,
) -> Vec<HostPlan> {
    let target = |c: &SavedConnection| git::target_of(&c.name, &c.url, c.clone_https.as_deref());
    let targets =
        |cs: &[SavedConnection]| -> Vec<GitTarget> { cs.iter().filter_map(target).collect() };
    // The PEM of each connection on an https host, in the order given.
    let pems = |cs: &[SavedConnection], host: &GitHost| -> Vec<String> {
        cs.iter()
            .filter(|c| host.scheme == "https" && target(c).is_some_and(|t| t.host == *host))
            .filter_map(|c| ca_info(c).map(|p| p.to_string_lossy().into_owned()))
            .collect()
    };
    let everywhere = git::hosts(&targets(all));
    git::hosts(&targets(chosen))
        .into_iter()
        .map(|(host, _)| {
            let shared = everywhere.iter().any(|(h, s)| *h == host && *s);
            let ca_info = pems(chosen, &host).into_iter().next();
            let mut ours_ca = pems(all, &host);
            if let Some(c) = ca_info.as_ref().filter(|c| !ours_ca.contains(c)) {
                ours_ca.push(c.clone());
            }
            HostPlan {
                host,
                shared,
                ca_info,
                ours_ca,
            }
        })
        .collect()
}

/// The entries of `section` as `(variable, value)`, the variable in lower case.
fn section_entries<'a>(entries: &'a [(String, String)], section: &str) -> Vec<(String, &'a str)> {
    let prefix = format!("{section}.");
    entries
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)
                .map(|var| (var.to_ascii_lowercase(), v.as_str()))
        })
        .collect()
}

/// The changes to git's `http.<url>.sslCAInfo` for host `h`: set to the connection's PEM, or
/// with `remove`, taken out when it names one of ours (the section with it when nothing else
/// is in it, so the file is as it was).
fn plan_ca_info(entries: &[(String, String)], h: &HostPlan, remove: bool) -> Vec<Change> {
    let section = format!("http.{}", h.host.config_url());
    let in_section = section_entries(entries, &section);
    let current: Vec<&str> = in_section
        .iter()
        .filter(|(var, _)| var == "sslcainfo")
        .map(|(_, v)| *v)
        .collect();
    let key = format!("{section}.sslCAInfo");
    if remove {
        // git uses the last value; that one decides whether the setting is ours.
        let ours = current
            .last()
            .is_some_and(|v| h.ours_ca.iter().any(|o| o == v));
        return match (ours, in_section.len() == current.len()) {
            (false, _) => vec![],
            (true, true) => vec![Change::RemoveSection(section)],
            (true, false) => vec![Change::UnsetAll(key)],
        };
    }
    match &h.ca_info {
        None => vec![],
        Some(want) if current == [want.as_str()] => vec![],
        // `git config KEY VALUE` refuses to replace several values with one.
        Some(want) if current.len() > 1 => vec![
            Change::UnsetAll(key.clone()),
            Change::Add(key, want.clone()),
        ],
        Some(want) => vec![Change::Set(key, want.clone())],
    }
}

/// The changes that set up (or with `remove`, undo) `hosts`, given the config's current
/// entries as `(key, value)` with section and variable names in lower case, as
/// `git config --list` prints them.
pub fn plan(
    entries: &[(String, String)],
    hosts: &[HostPlan],
    helper: &str,
    remove: bool,
) -> Vec<Change> {
    let mut changes = Vec::new();
    for h in hosts {
        let section = format!("credential.{}", h.host.config_url());
        let in_section = section_entries(entries, &section);
        let helpers: Vec<String> = in_section
            .iter()
            .filter(|(var, _)| var == "helper")
            .map(|(_, v)| v.to_string())
            .collect();
        let key = format!("{section}.helper");
        let kept = strip_ours(&helpers, helper);
        let wanted = if remove {
            kept.clone()
        } else {
            // The empty value first: it clears helpers configured earlier (a keychain, a
            // store file) so they do not answer before us with a stale password.
            let mut w = kept.clone();
            w.push(String::new());
            w.push(helper.to_string());
            w
        };
        let others: Vec<&(String, &str)> = in_section
            .iter()
            .filter(|(var, _)| var != "helper")
            .collect();
        if remove {
            let only_path = others
                .iter()
                .all(|(var, v)| var == "usehttppath" && v.eq_ignore_ascii_case("true"));
            if kept.is_empty() && only_path && !in_section.is_empty() && helpers != kept {
                // Nothing of the user's is left in the section: remove it whole, so the file
                // is as it was (git leaves an empty section header behind otherwise).
                changes.push(Change::RemoveSection(section));
                continue;
            }
        }
        if wanted != helpers {
            if !helpers.is_empty() {
                changes.push(Change::UnsetAll(key.clone()));
            }
            for v in &wanted {
                changes.push(Change::Add(key.clone(), v.clone()));
            }
        }
        let use_path = in_section
            .iter()
            .any(|(var, v)| var == "usehttppath" && v.eq_ignore_ascii_case("true"));
        if !remove && h.shared && !use_path {
            changes.push(Change::Set(format!("{section}.useHttpPath"), "true".into()));
        }
    }
    for h in hosts {
        changes.extend(plan_ca_info(entries, h, remove));
    }
    changes
}

/// `git config` with our secrets kept out of its environment.
fn git_config(scope: Scope, dir: Option<&PathBuf>) -> std::process::Command {
    let mut cmd = crate::os::child::command("git");
    cmd.arg("config").arg(scope.flag());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd.stdin(Stdio::null());
    cmd
}

pub fn git_missing(e: &std::io::Error) -> Problem {
    Problem::new(
        FailureClass::Other,
        format!("git could not be started ({e})."),
        "Install git (https://git-scm.com/downloads) and make sure it is on PATH.",
    )
}

/// The config's entries, `(key, value)`. A missing file has none.
pub fn read_entries(scope: Scope, dir: Option<&PathBuf>) -> Result<Vec<(String, String)>, Problem> {
    let out = git_config(scope, dir)
        .args(["-z", "--list"])
        .output()
        .map_err(|e| git_missing(&e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        // `--list` of a global file that does not exist yet fails; that is an empty config.
        if scope == Scope::Global && !err.contains("fatal: bad config") {
            return Ok(Vec::new());
        }
        return Err(Problem::new(
            FailureClass::Input,
            format!(
                "git could not read its {} config: {}",
                if scope == Scope::Local {
                    "repository"
                } else {
                    "global"
                },
                crate::core::sanitize::clean(err.trim())
            ),
            if scope == Scope::Local {
                "Run it inside a git repository, or drop --local to set up your global config."
            } else {
                "Fix the config file git names above, then run again."
            },
        ));
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let e = String::from_utf8_lossy(e);
            match e.split_once('\n') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.to_string(), String::new()),
            }
        })
        .collect())
}

/// Runs the changes in order; the first failure stops and is reported.
pub fn apply(changes: &[Change], scope: Scope, dir: Option<&PathBuf>) -> Result<(), Problem> {
    for c in changes {
        let out = git_config(scope, dir)
            .args(c.args())
            .output()
            .map_err(|e| git_missing(&e))?;
        // `--unset-all` of nothing exits 5; the end state is the one asked for.
        let nothing_to_unset = matches!(c, Change::UnsetAll(_)) && out.status.code() == Some(5);
        if !out.status.success() && !nothing_to_unset {
            return Err(Problem::new(
                FailureClass::Other,
                format!(
                    "`{}` failed: {}",
                    c.describe(scope),
                    crate::core::sanitize::clean(String::from_utf8_lossy(&out.stderr).trim())
                ),
                "Check that the git config file is writable, then run again.",
            ));
        }
    }
    Ok(())
}

/// The helper as git should run it: the small helper binary beside this one, or this binary
/// itself where the helper binary is missing.
pub fn helper_value() -> Result<String, Problem> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| {
            Problem::new(
                FailureClass::Other,
                format!("cannot tell where this bbconnect binary is ({e})."),
                "Run bbconnect by its full path.",
            )
        })?;
    let helper = git::helper_binary_beside(&exe);
    let exe = if helper.is_file() { helper } else { exe };
    Ok(git::helper_command(&exe.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELPER: &str = "/opt/bin/bbconnect git-credential";

    fn host(url: &str, shared: bool) -> HostPlan {
        let (host, _) = git::parse_remote(url).expect("url");
        HostPlan {
            host,
            shared,
            ca_info: None,
            ours_ca: vec![],
        }
    }

    const PEM: &str = "/home/a/.config/bbconnect/certs/dc.pem";

    fn trusting(url: &str) -> HostPlan {
        HostPlan {
            ca_info: Some(PEM.into()),
            ours_ca: vec![PEM.into()],
            ..host(url, false)
        }
    }

    #[test]
    fn git_trusts_the_connections_pem_for_its_host_and_remove_takes_it_out() {
        let hosts = [trusting("https://bb.corp:8443")];
        let before = vec![e("user.name", "A")];
        let changes = plan(&before, &hosts, HELPER, false);
        let key = "http.https://bb.corp:8443.sslCAInfo";
        assert!(
            changes.contains(&Change::Set(key.into(), PEM.into())),
            "{changes:?}"
        );
        assert_eq!(
            changes.last().expect("some").describe(Scope::Global),
            format!("git config --global {key} {PEM}")
        );
        let after = run(before.clone(), &changes);
        assert!(after.contains(&e("http.https://bb.corp:8443.sslcainfo", PEM)));
        assert_eq!(plan(&after, &hosts, HELPER, false), vec![]);
        let undo = plan(&after, &hosts, HELPER, true);
        assert!(undo.contains(&Change::RemoveSection("http.https://bb.corp:8443".into())));
        assert_eq!(run(after, &undo), before);
    }

    #[test]
    fn the_users_own_http_settings_stay() {
        let hosts = [trusting("https://bb.corp")];
        let section = "http.https://bb.corp";
        let users = e(&format!("{section}.proxy"), "http://proxy:3128");
        let theirs = vec![e(&format!("{section}.sslcainfo"), "/etc/corp.pem")];
        // A CA file of the user's own is not ours to take out.
        assert_eq!(plan(&theirs, &hosts, HELPER, true), vec![]);
        let before = vec![users.clone()];
        let after = run(before.clone(), &plan(&before, &hosts, HELPER, false));
        let undo = plan(&after, &hosts, HELPER, true);
        assert!(
            undo.contains(&Change::UnsetAll(format!("{section}.sslCAInfo"))),
            "{undo:?}"
        );
        assert_eq!(run(after, &undo), before);
        // A connection trusting nothing of its own leaves git's trust alone.
        let plain = [host("https://bitbucket.org", false)];
        assert!(
            plan(&[], &plain, HELPER, false)
                .iter()
                .all(|c| !c.describe(Scope::Global).contains("http."))
        );
    }

    fn e(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    /// What git's config would hold after `changes`, for the keys involved.
    fn run(mut entries: Vec<(String, String)>, changes: &[Change]) -> Vec<(String, String)> {
        for c in changes {
            match c {
                Change::UnsetAll(k) => entries.retain(|(ek, _)| !ek.eq_ignore_ascii_case(k)),
                Change::Add(k, v) => entries.push((k.to_ascii_lowercase_var(), v.clone())),
                Change::Set(k, v) => {
                    entries.retain(|(ek, _)| !ek.eq_ignore_ascii_case(k));
                    entries.push((k.to_ascii_lowercase_var(), v.clone()));
                }
                Change::RemoveSection(s) => {
                    entries.retain(|(ek, _)| !ek.starts_with(&format!("{s}.")))
                }
            }
        }
        entries
    }

    trait LowerVar {
        fn to_ascii_lowercase_var(&self) -> String;
    }
    impl LowerVar for String {
        fn to_ascii_lowercase_var(&self) -> String {
            match self.rsplit_once('.') {
                Some((s, v)) => format!("{s}.{}", v.to_ascii_lowercase()),
                None => self.clone(),
            }
        }
    }

    #[test]
    fn sets_an_empty_reset_then_the_helper_and_use_http_path_when_shared() {
        let hosts = [
            host("https://bitbucket.org", false),
            host("http://127.0.0.1:7990", true),
        ];
        let changes = plan(&[], &hosts, HELPER, false);
        assert_eq!(
            changes,
            vec![
                Change::Add("credential.https://bitbucket.org.helper".into(), "".into()),
                Change::Add(
                    "credential.https://bitbucket.org.helper".into(),
                    HELPER.into()
                ),
                Change::Add("credential.http://127.0.0.1:7990.helper".into(), "".into()),
                Change::Add(
                    "credential.http://127.0.0.1:7990.helper".into(),
                    HELPER.into()
                ),
                Change::Set(
                    "credential.http://127.0.0.1:7990.useHttpPath".into(),
                    "true".into()
                ),
            ]
        );
        assert_eq!(
            changes[0].describe(Scope::Global),
            "git config --global --add credential.https://bitbucket.org.helper ''"
        );
        assert_eq!(
            changes[1].describe(Scope::Local),
            "git config --local --add credential.https://bitbucket.org.helper '/opt/bin/bbconnect git-credential'"
        );
    }

    #[test]
    fn setting_up_twice_changes_nothing_and_remove_undoes_it() {
        let hosts = [host("http://127.0.0.1:7990", true)];
        let before = vec![e("user.name", "A"), e("credential.helper", "store")];
        let after = run(before.clone(), &plan(&before, &hosts, HELPER, false));
        assert_ne!(after, before);
        assert_eq!(plan(&after, &hosts, HELPER, false), vec![]);
        let changes = plan(&after, &hosts, HELPER, true);
        assert_eq!(
            changes,
            vec![Change::RemoveSection(
                "credential.http://127.0.0.1:7990".into()
            )]
        );
        assert_eq!(run(after, &changes), before);
    }

    #[test]
    fn the_users_own_helpers_for_the_host_are_kept() {
        let hosts = [host("https://bitbucket.org", false)];
        let key = "credential.https://bitbucket.org.helper";
        let before = vec![
            e(key, "cache"),
            e("credential.https://bitbucket.org.username", "me"),
        ];
        let after = run(before.clone(), &plan(&before, &hosts, HELPER, false));
        let helpers: Vec<&str> = after
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(helpers, vec!["cache", "", HELPER]);
        let undone = run(after.clone(), &plan(&after, &hosts, HELPER, true));
        let mut sorted = undone.clone();
        sorted.sort();
        let mut want = before.clone();
        want.sort();
        assert_eq!(sorted, want);
    }

    #[test]
    fn a_helper_from_an_old_install_is_replaced_not_doubled() {
        let hosts = [host("https://bitbucket.org", false)];
        let key = "credential.https://bitbucket.org.helper";
        let before = vec![e(key, ""), e(key, "/old/place/bbconnect git-credential")];
        let after = run(before.clone(), &plan(&before, &hosts, HELPER, false));
        let helpers: Vec<&str> = after.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(helpers, vec!["", HELPER]);
        assert!(is_ours("!'/a b/bbconnect' git-credential", HELPER));
        assert!(!is_ours("store", HELPER));
        assert!(!is_ours("/usr/bin/other git-credential", HELPER));
        assert!(is_ours("/old/place/git-credential-bbconnect", HELPER));
        assert!(is_ours("!'/a b/git-credential-bbconnect'", HELPER));
        assert!(!is_ours("/usr/bin/git-credential-other", HELPER));
    }

    #[test]
    fn shared_hosts_are_judged_over_every_saved_connection() {
        let conn = |name: &str, clone: &str| SavedConnection {
            username: Some("alice".into()),
            clone_https: Some(clone.into()),
            secret_store: "file".into(),
            ..SavedConnection::new(
                name,
                crate::core::model::Provider::Server,
                crate::core::model::AuthKind::HttpTokenUser,
                "http://127.0.0.1:7990",
            )
        };
        let all = vec![
            conn("a", "http://127.0.0.1:7990/scm/p/a.git"),
            conn("b", "http://127.0.0.1:7990/scm/p/b.git"),
            conn("c", "https://other.example/scm/p/c.git"),
        ];
        let pem = |c: &SavedConnection| Some(PathBuf::from(format!("/certs/{}.pem", c.name)));
        let plans = hosts_for(&all, &all[..1], pem);
        assert_eq!(plans.len(), 1);
        assert!(plans[0].shared);
        // git's trust is for https hosts only.
        assert_eq!(plans[0].ca_info, None);
        let plans = hosts_for(&all, &all[2..], pem);
        assert!(!plans[0].shared);
        assert_eq!(plans[0].ca_info.as_deref(), Some("/certs/c.pem"));
        assert_eq!(plans[0].ours_ca, ["/certs/c.pem"]);
    }
}
