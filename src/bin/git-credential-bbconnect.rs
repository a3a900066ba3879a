//! `git-credential-bbconnect`: the credential helper `bbconnect setup-git` installs. git starts
//! it before every fetch, clone and push, so it is a small program that links neither the
//! network client nor the OS keychain nor the wizard. It answers `get` from the saved files
//! when they alone give the answer, and hands everything else (a refresh, a secret in the
//! keychain, a problem to say, `erase`) to `bbconnect git-credential` beside it, which decides
//! every case the same way (`cli::git_credential::plan_get`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use bbconnect::cli::git_credential::{self, Reply};
use bbconnect::cli::output;
use bbconnect::core::model::Problem;
use bbconnect::engine::oauth::now_secs;
use bbconnect::settings::Settings;

fn main() -> ExitCode {
    bbconnect::crash::install();
    let op = std::env::args().nth(1).unwrap_or_default();
    let input = git_credential::read_input();
    let outcome = match op.as_str() {
        // The secret is bbconnect's to save, as for `bbconnect git-credential store`.
        "store" => Ok(ExitCode::SUCCESS),
        "get" => match git_credential::answer_from_files(&Settings::from_env(), &input, now_secs())
        {
            Some(Reply::Answer(text)) => {
                git_credential::write_answer(&mut std::io::stdout().lock(), &text)
                    .map(|()| ExitCode::SUCCESS)
            }
            Some(Reply::Nothing) => Ok(ExitCode::SUCCESS),
            _ => hand_over(&op, &input),
        },
        _ => hand_over(&op, &input),
    };
    outcome.unwrap_or_else(output::exit)
}

/// Runs `bbconnect git-credential OP` with the same input; its exit status is this one's.
fn hand_over(op: &str, input: &str) -> Result<ExitCode, Problem> {
    let main = beside_me()?;
    let cannot_run = |e: std::io::Error| {
        Problem::other(
            format!(
                "git-credential-bbconnect cannot run {}: {e}",
                main.display()
            ),
            "install bbconnect and git-credential-bbconnect in one folder (cargo install does), then run `bbconnect setup-git` again.",
        )
    };
    let mut child = Command::new(&main)
        .args(["git-credential", op])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(cannot_run)?;
    if let Some(mut stdin) = child.stdin.take() {
        // A child that stops reading early has its own reason, which it says itself.
        let _ = stdin.write_all(input.as_bytes());
    }
    let status = child.wait().map_err(cannot_run)?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
    ))
}

/// The `bbconnect` binary in this binary's folder.
fn beside_me() -> Result<PathBuf, Problem> {
    let me = std::env::current_exe().map_err(|e| {
        Problem::other(
            format!("git-credential-bbconnect cannot tell where it is installed ({e})."),
            "run `bbconnect setup-git` again, which writes the helper's full path.",
        )
    })?;
    Ok(me.with_file_name(format!("bbconnect{}", std::env::consts::EXE_SUFFIX)))
}
