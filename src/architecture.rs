//! The **never** rules of docs/architecture.md, held by reading the source: which room may name
//! which. A layering broken by a convenient import fails here, in `cargo test`, instead of
//! surfacing as a simulator that mirrors a client mistake or a view that does IO.

use std::path::{Path, PathBuf};

/// One rule: files under `room` (a folder or a single file of `src/`) never name any path of
/// the lists in `banned`.
struct Rule {
    room: &'static str,
    banned: &'static [&'static [&'static str]],
    why: &'static str,
}

impl Rule {
    fn banned(&self) -> impl Iterator<Item = &'static str> {
        self.banned.iter().flat_map(|list| list.iter().copied())
    }
}

/// The rooms that reach the network, the disk or the process: a pure room names none.
const IO_ROOMS: &[&str] = &[
    "crate::bitbucket",
    "crate::store",
    "crate::engine",
    "crate::cli",
    "crate::os",
    "crate::sim",
];

/// Every room but core and the services: what a room that knows only core may not import.
const CORE_ONLY: &[&str] = &[
    "crate::cli",
    "crate::tui",
    "crate::engine",
    "crate::bitbucket",
    "crate::store",
    "crate::sim",
];

/// The two faces: nothing below them names either.
const FACES: &[&str] = &["crate::cli", "crate::tui"];

const RULES: &[Rule] = &[
    Rule {
        room: "core",
        banned: &[&[
            "crate::bitbucket",
            "crate::store",
            "crate::engine",
            "crate::cli",
            "crate::tui",
            "crate::sim",
            "crate::os",
            "crate::settings",
            "crate::logging",
            "crate::crash",
            // From `src/core/x.rs`, `super::super::` is the crate root: any room at all.
            "super::super::",
            "tokio::",
            "reqwest::",
            "crossterm::",
            "ratatui::",
            "std::fs",
            "std::net",
            "std::process",
            "std::env",
        ]],
        why: "core is plain data and rules: it imports no other room and does no IO",
    },
    Rule {
        room: "sim",
        banned: &[&[
            "crate::bitbucket",
            "crate::engine",
            "crate::store",
            "crate::cli",
            "crate::tui",
            "crate::settings",
        ]],
        why: "the simulator builds its JSON from its own types, so a client mistake cannot hide behind it",
    },
    Rule {
        room: "tui/wizard",
        banned: &[
            &[
                "crate::tui::ui",
                "crate::tui::app",
                "crate::tui::worker",
                // From `tui/wizard/mod.rs`, `super::` is `tui`; from its children, `super::super::`.
                "super::ui",
                "super::app",
                "super::worker",
                "super::super::ui",
                "super::super::app",
                "super::super::worker",
            ],
            IO_ROOMS,
            &[
                "crate::settings",
                "tokio::",
                "reqwest::",
                "ratatui::",
                "std::fs",
                "std::net",
                "std::process",
                "std::env",
                "std::time::SystemTime",
                "std::time::Instant",
            ],
        ],
        why: "the wizard's update is pure: no IO, no clock, no runtime, no terminal",
    },
    Rule {
        room: "tui/ui",
        banned: &[
            &[
                "crate::tui::worker",
                "crate::tui::app",
                "super::worker",
                "super::app",
                "super::super::worker",
                "super::super::app",
            ],
            IO_ROOMS,
            &[
                "tokio::",
                "reqwest::",
                "std::fs",
                "std::net",
                "std::process",
            ],
        ],
        why: "views draw the wizard's state: no IO, no worker",
    },
    Rule {
        room: "tui",
        banned: &[&["crate::cli"]],
        why: "the two faces share the engine, not each other",
    },
    Rule {
        room: "cli",
        banned: &[&["crate::tui"]],
        why: "the two faces share the engine, not each other; core types come from core",
    },
    Rule {
        room: "bitbucket",
        banned: &[&[
            "crate::cli",
            "crate::tui",
            "crate::engine",
            "crate::store",
            "crate::sim",
        ]],
        why: "the client serves the engine and knows only core",
    },
    Rule {
        room: "store",
        banned: &[&[
            "crate::cli",
            "crate::tui",
            "crate::engine",
            "crate::bitbucket",
            "crate::sim",
        ]],
        why: "the store serves the engine and knows only core",
    },
    Rule {
        room: "engine",
        banned: &[FACES],
        why: "the engine serves both faces and depends on neither",
    },
    Rule {
        room: "os",
        banned: &[CORE_ONLY],
        why: "the process's edges serve every room and know only core",
    },
    Rule {
        room: "settings",
        banned: &[&["crate::cli", "crate::tui", "crate::engine", "crate::sim"]],
        why: "the settings are read first and handed down: they name no face or flow",
    },
    Rule {
        room: "logging",
        banned: &[CORE_ONLY],
        why: "a shared service that every room may use",
    },
    Rule {
        room: "crash",
        banned: &[CORE_ONLY],
        why: "a shared service that every room may use",
    },
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a room: `src/<room>/**` and `src/<room>.rs`.
fn files_of(room: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{room}.rs"));
    if file.is_file() {
        out.push(file);
    }
    out.extend(rs_files_below(vec![src().join(room)]));
    out
}

/// The `.rs` files anywhere below the folders `stack`.
fn rs_files_below(mut stack: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Test modules may drive a room from outside (a wizard test asks `keys` for its hints).
fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// The code of a line without its `//` comment (doc comments mention rooms by name).
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    let mut from = 0;
    while let Some(i) = line[from..].find("//") {
        let at = from + i;
        // `://` inside a string (a URL) is not a comment.
        if !line[..at].ends_with(':') {
            return &line[..at];
        }
        from = at + 2;
    }
    line
}

/// Whether `code` names `banned`: `crate::x` as a path (not `crate::xy`), or an extern
/// crate at the start of a path (`tokio::`, not `my_tokio::`). A group is read as the paths
/// it stands for: `use crate::{bitbucket::model, sanitize};` names `crate::bitbucket`, and
/// `use super::{ui, Theme};` names `super::ui`.
fn names(code: &str, banned: &str) -> bool {
    expand_groups(code)
        .iter()
        .any(|path| names_plainly(path, banned))
}

/// `code`, then each member of each `path::{a, b}` group as `path::a`, `path::b` (one level).
fn expand_groups(code: &str) -> Vec<String> {
    let mut out = vec![code.to_string()];
    let mut from = 0;
    while let Some(i) = code[from..].find("::{") {
        let at = from + i;
        let start = code[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |s| s + 1);
        let path = &code[start..at];
        let group = &code[at + 3..];
        let group = group.split('}').next().unwrap_or(group);
        for part in group.split(',') {
            let part = part.trim().trim_start_matches('{');
            if !part.is_empty() {
                out.push(format!("{path}::{part}"));
            }
        }
        from = at + 3;
    }
    out
}

fn names_plainly(code: &str, banned: &str) -> bool {
    let mut from = 0;
    while let Some(i) = code[from..].find(banned) {
        let at = from + i;
        let end = at + banned.len();
        let before_ok = at == 0
            || !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after_ok = banned.ends_with("::")
            || !code[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

/// The `.rs` files of `src/` and `tests/`, for rules that hold everywhere.
fn every_file() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    rs_files_below(vec![root.join("src"), root.join("tests")])
}

/// The enums whose `match`es must list every variant: a new credential type or product is
/// then a compile error wherever a decision depends on it, not a silent fall into `_`.
const NO_WILDCARD_ON: &[&str] = &["AuthKind::", "Provider::"];

/// One open `{`: whether it opens a `match`, and what its arms were seen to be.
#[derive(Default)]
struct Block {
    is_match: bool,
    /// Open `(`/`[` inside this block: a line that starts inside them is not an arm.
    parens: i32,
    names_enum: bool,
    wildcards: Vec<usize>,
}

/// Lines (1-based) of `_ =>` arms in `match`es whose other arms name `AuthKind::` or
/// `Provider::`. Read line by line with brace and paren depth, strings skipped: enough for
/// rustfmt-formatted code.
fn wildcard_arms(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut stack: Vec<Block> = vec![Block::default()];
    for (n, line) in text.lines().enumerate() {
        let code = code_of(line);
        let trimmed = code.trim_start();
        if let Some(top) = stack.last_mut()
            && top.is_match
            && top.parens == 0
        {
            // The pattern, without its guard: `Msg::X if w.provider == Provider::Cloud`
            // is a match on `Msg`.
            let pattern = trimmed.split("=>").next().unwrap_or(trimmed);
            let pattern = pattern.split(" if ").next().unwrap_or(pattern);
            if NO_WILDCARD_ON.iter().any(|e| pattern.contains(e)) {
                top.names_enum = true;
            }
            if trimmed.starts_with("_ =>") || trimmed.starts_with("_ if ") {
                top.wildcards.push(n + 1);
            }
        }
        let mut chars = code.char_indices().peekable();
        let mut in_str = false;
        while let Some((i, c)) = chars.next() {
            if in_str {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                // A char literal such as '{' or '"' is not a brace or a string.
                '\'' if chars.clone().nth(1).is_some_and(|(_, c)| c == '\'') => {
                    chars.next();
                    chars.next();
                }
                '{' => {
                    let before = &code[..i];
                    let head = before
                        .rsplit([';', '{', '}'])
                        .next()
                        .unwrap_or(before)
                        .rsplit("=>")
                        .next()
                        .unwrap_or(before);
                    let is_match = head
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == "match");
                    stack.push(Block {
                        is_match,
                        ..Block::default()
                    });
                }
                '}' => {
                    if stack.len() > 1
                        && let Some(block) = stack.pop()
                        && block.is_match
                        && block.names_enum
                    {
                        found.extend(block.wildcards);
                    }
                }
                '(' | '[' => {
                    if let Some(top) = stack.last_mut() {
                        top.parens += 1;
                    }
                }
                ')' | ']' => {
                    if let Some(top) = stack.last_mut() {
                        top.parens -= 1;
                    }
                }
                _ => {}
            }
        }
    }
    found
}

fn violations() -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        for path in files_of(rule.room) {
            if is_test_file(&path) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            // Everything after `#[cfg(test)]` at the top level is a test module.
            let body = text.split("\n#[cfg(test)]").next().unwrap_or(&text);
            for (n, line) in body.lines().enumerate() {
                let code = code_of(line);
                for banned in rule.banned() {
                    if names(code, banned) {
                        let shown = path.strip_prefix(src()).unwrap_or(&path);
                        found.push(format!(
                            "src/{}:{}: names {banned}: {} ({})",
                            shown.display(),
                            n + 1,
                            line.trim(),
                            rule.why
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_room_breaks_a_never_of_the_architecture() {
    let found = violations();
    assert!(
        found.is_empty(),
        "docs/architecture.md is broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_match_on_auth_kind_or_provider_has_a_wildcard_arm() {
    let mut found = Vec::new();
    for path in every_file() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for n in wildcard_arms(&text) {
            found.push(format!("{}:{n}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "a `_ =>` arm on AuthKind or Provider hides the next credential type or product: name the variants\n{}",
        found.join("\n")
    );
}

#[test]
fn the_wildcard_reader_sees_arms_of_the_match_they_belong_to() {
    let assert_no_arm =
        |src: &str| assert!(wildcard_arms(src).is_empty(), "{:?}", wildcard_arms(src));
    let bad = "fn f(a: AuthKind) -> u8 {\n    match a {\n        AuthKind::OAuth => 1,\n        _ => 2,\n    }\n}\n";
    assert_eq!(wildcard_arms(bad), vec![4]);
    let tuple = "let x = match (f, p) {\n    (F::Url, Provider::Cloud) => 1,\n    _ => 0,\n};\n";
    assert_eq!(wildcard_arms(tuple), vec![3]);
    // A wildcard on another enum, with AuthKind only in a body or a nested call, is fine.
    let other = "match e {\n    E::A => g(\n        AuthKind::OAuth,\n    ),\n    other => h(other, AuthKind::OAuth),\n    _ => {}\n}\n";
    assert_no_arm(other);
    // Arms of a match nested in an arm's body belong to the inner match.
    let nested = "match a {\n    AuthKind::OAuth => match e {\n        E::A => 1,\n        _ => 2,\n    },\n    AuthKind::ApiToken => 3,\n}\n";
    assert_no_arm(nested);
    let guarded = "match m {\n    Msg::A if p == Provider::Cloud => 1,\n    _ => 2,\n}\n";
    assert_no_arm(guarded);
    let strings = "match a {\n    AuthKind::OAuth => \"{\",\n    _ => '}',\n}\n";
    assert_eq!(wildcard_arms(strings), vec![3]);
}

/// The rooms' rules on one line of one room, as `violations` applies them.
fn broken_by(room: &str, line: &str) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| r.room == room)
        .flat_map(Rule::banned)
        .filter(|b| names(code_of(line), b))
        .collect()
}

#[test]
fn each_new_rule_catches_an_import_that_breaks_it() {
    // core imports no other room, no IO crate, and not the crate root through `super`.
    assert!(!broken_by("core", "use crate::store::Store;").is_empty());
    assert!(!broken_by("core", "use crate::tui::wizard::Msg;").is_empty());
    assert!(!broken_by("core", "use crate::{os, core::model};").is_empty());
    assert!(!broken_by("core", "use super::super::bitbucket::Client;").is_empty());
    assert!(!broken_by("core", "    let rt = tokio::runtime::Runtime::new();").is_empty());
    assert!(!broken_by("core", "use reqwest::Client;").is_empty());
    assert!(!broken_by("core", "use crossterm::event::KeyCode;").is_empty());
    assert!(!broken_by("core", "use ratatui::text::Line;").is_empty());
    assert!(broken_by("core", "use super::model::Repo;").is_empty());
    assert!(broken_by("core", "use crate::core::sanitize::clean;").is_empty());
    // The wizard reaches no view, loop or worker by any path, nor the store or engine.
    for line in [
        "use crate::tui::ui::draw;",
        "use crate::tui::{ui, keys};",
        "use super::ui::Theme;",
        "use super::{worker, Step};",
        "use super::super::app::run;",
        "use crate::store::Store;",
        "use crate::engine::connect;",
        "use tokio::sync::mpsc;",
        "use reqwest::Client;",
    ] {
        assert!(!broken_by("tui/wizard", line).is_empty(), "{line}");
    }
    assert!(broken_by("tui/wizard", "use super::{form, msg::Msg};").is_empty());
    // The engine, the client and the store serve both faces and import neither.
    for room in ["engine", "bitbucket", "store"] {
        assert!(!broken_by(room, "use crate::cli::Io;").is_empty(), "{room}");
        assert!(
            !broken_by(room, "use crate::tui::wizard::Msg;").is_empty(),
            "{room}"
        );
    }
    // The store and the client share core's types, not each other's.
    assert!(!broken_by("store", "use crate::bitbucket::model::Repo;").is_empty());
    assert!(!broken_by("bitbucket", "use crate::store::SavedConnection;").is_empty());
    assert!(broken_by("store", "use crate::core::model::Repo;").is_empty());
    // The faces share the engine, never each other.
    assert!(!broken_by("cli", "use crate::tui::wizard::form::Form;").is_empty());
    assert!(!broken_by("tui", "use crate::cli::clone::clone_url;").is_empty());
    assert!(broken_by("cli", "use crate::core::validate;").is_empty());
    // The root files and the process's edges.
    assert!(!broken_by("settings", "use crate::cli::Ctx;").is_empty());
    assert!(!broken_by("os", "use crate::engine::oauth;").is_empty());
    assert!(!broken_by("logging", "use crate::store::Store;").is_empty());
    assert!(!broken_by("crash", "use crate::tui::app;").is_empty());
}

#[test]
fn every_rule_catches_each_path_it_bans_when_planted() {
    for rule in RULES {
        for banned in rule.banned() {
            let planted = if banned.ends_with("::") {
                format!("    let x = {banned}planted();")
            } else {
                format!("use {banned}::planted;")
            };
            assert!(
                broken_by(rule.room, &planted).contains(&banned),
                "{}: `{planted}` slipped through",
                rule.room
            );
        }
    }
}

#[test]
fn every_room_and_banned_path_exists() {
    // A rule about a path that no longer exists holds nothing: a move must update the rules.
    for rule in RULES {
        assert!(
            !files_of(rule.room).is_empty(),
            "no files for room {}",
            rule.room
        );
        for banned in rule.banned() {
            let Some(path) = banned.strip_prefix("crate::") else {
                continue;
            };
            let rel = path.replace("::", "/");
            assert!(
                src().join(format!("{rel}.rs")).is_file() || src().join(&rel).is_dir(),
                "{}: bans `{banned}`, which is no module of src/",
                rule.room
            );
        }
    }
}

#[test]
fn the_rule_reader_sees_paths_and_skips_comments_and_lookalikes() {
    assert!(names(
        "use crate::bitbucket::model::Repo;",
        "crate::bitbucket"
    ));
    assert!(names(
        "let c = crate::store::Store::open()?;",
        "crate::store"
    ));
    assert!(names("    tokio::spawn(async {});", "tokio::"));
    assert!(!names("use crate::bitbucket_like::X;", "crate::bitbucket"));
    assert!(names(
        "use crate::{sanitize, store::Store};",
        "crate::store"
    ));
    assert!(!names("use crate::{sanitize, storage::X};", "crate::store"));
    assert!(!names("use my_tokio::x;", "tokio::"));
    assert!(code_of("/// never imports `crate::bitbucket`").is_empty());
    assert_eq!(
        code_of(r#"let u = "http://x"; // crate::store"#),
        r#"let u = "http://x"; "#
    );
    // The rooms are where the rules say: a renamed folder must not empty a rule silently.
    for room in [
        "sim",
        "tui/wizard",
        "tui/ui",
        "bitbucket",
        "store",
        "engine",
    ] {
        assert!(!files_of(room).is_empty(), "no files found for room {room}");
    }
}
