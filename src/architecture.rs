//! The **never** rules of architecture.md, held by reading the source: which room may name
//! which. A layering broken by a convenient import fails here, in `cargo test`, instead of
//! surfacing as a simulator that mirrors a client mistake or a view that does IO.

use std::path::{Path, PathBuf};

/// One rule: files under `room` (a folder or a single file of `src/`) never name any of `banned`.
struct Rule {
    room: &'static str,
    banned: &'static [&'static str],
    why: &'static str,
}

const FACES_AND_LOOP: &[&str] = &[
    "crate::cli",
    "crate::app",
    "crate::keys",
    "crate::wizard",
    "crate::ui",
    "crate::worker",
    "crate::tui",
];

const RULES: &[Rule] = &[
    Rule {
        room: "core",
        banned: &[
            "crate::bitbucket",
            "crate::store",
            "crate::engine",
            "crate::cli",
            "crate::tui",
            "crate::sim",
            "crate::app",
            "crate::wizard",
            "crate::ui",
            "crate::worker",
            "tokio::",
            "reqwest::",
            "crossterm::",
            "ratatui::",
        ],
        why: "core is plain data and rules: it imports no other room and no IO crate",
    },
    Rule {
        room: "sim",
        banned: &[
            "crate::bitbucket",
            "crate::engine",
            "crate::store",
            "crate::cli",
            "crate::wizard",
            "crate::ui",
            "crate::worker",
            "crate::oauth_flow",
        ],
        why: "the simulator builds its JSON from its own types, so a client mistake cannot hide behind it",
    },
    Rule {
        room: "tui/wizard",
        banned: &[
            "crate::ui",
            "crate::app",
            "crate::worker",
            "crate::store",
            "crate::engine",
            "crate::cli",
            "crate::oauth_flow",
            "crate::sim",
            "tokio::",
            "reqwest::",
            "ratatui::",
            "std::fs",
            "std::net",
            "std::process",
            "std::time::SystemTime",
            "std::time::Instant",
        ],
        why: "the wizard's update is pure: no IO, no clock, no runtime, no terminal",
    },
    Rule {
        room: "tui/ui",
        banned: &[
            "crate::worker",
            "crate::app",
            "crate::store",
            "crate::engine",
            "crate::cli",
            "crate::oauth_flow",
            "crate::sim",
            "tokio::",
            "reqwest::",
            "std::fs",
            "std::net",
            "std::process",
        ],
        why: "views draw the wizard's state: no IO, no worker",
    },
    Rule {
        room: "bitbucket",
        banned: FACES_AND_LOOP,
        why: "the client knows nothing of the faces",
    },
    Rule {
        room: "store",
        banned: FACES_AND_LOOP,
        why: "the store knows nothing of the faces",
    },
    Rule {
        room: "engine",
        banned: FACES_AND_LOOP,
        why: "the engine serves both faces and depends on neither",
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
    let mut stack = vec![src().join(room)];
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
/// crate at the start of a path (`tokio::`, not `my_tokio::`).
fn names(code: &str, banned: &str) -> bool {
    // `use crate::{bitbucket::model, sanitize};` names each room in its braces.
    if let Some(room) = banned.strip_prefix("crate::")
        && let Some(open) = code.find("crate::{")
    {
        let group = &code[open + "crate::{".len()..];
        let group = group.split('}').next().unwrap_or(group);
        if group
            .split(',')
            .any(|part| part.trim().split("::").next() == Some(room))
        {
            return true;
        }
    }
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
                for banned in rule.banned {
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
        "architecture.md is broken:\n{}",
        found.join("\n")
    );
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
