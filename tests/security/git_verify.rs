//! Certificate verification is never turned off for git: no source file names git's switches
//! for it, so neither `setup-git`, nor `clone`, nor anything else can write or pass them.

use std::path::Path;

/// git's ways to skip verification, spelled in pieces so this file does not name them.
fn switches() -> Vec<String> {
    vec![
        ["ssl", "verify"].concat(),
        ["GIT_SSL_", "NO_VERIFY"].concat().to_ascii_lowercase(),
        ["ssl", "_verify", "peer"].concat(),
    ]
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_turns_gits_certificate_verification_off() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "the sources were found: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)
            .expect("readable source")
            .to_ascii_lowercase();
        for s in switches() {
            if text.contains(&s) {
                found.push(format!("{}: {s}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
