//! One test of this binary re-run alone in a child process. For what must own the whole
//! process (environment variables, a panic hook, a D-Bus address) or be killed mid-way: the
//! suites share one test binary per room, so such a test cannot assume it is alone in its
//! own process.

use std::process::Command;

/// `module` is the caller's `module_path!()` and `test` a test function in it. The child runs
/// only that test, on one thread, with its output shown.
pub fn this_test(module: &str, test: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        &test_name(module, test),
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd
}

/// The name libtest knows a test by: its module path without the crate (the binary) name.
pub fn test_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{test}"),
        None => test.to_string(),
    }
}

/// Set in a child started by [`run_alone`]: the test's body runs there, not in the parent.
pub const ALONE: &str = "BBCONNECT_TEST_ALONE";

/// Whether this process is the child [`run_alone`] started.
pub fn is_alone() -> bool {
    std::env::var_os(ALONE).is_some()
}

/// Re-runs `test` (of `module`, the caller's `module_path!()`) alone in a child process with
/// [`ALONE`] set, and fails unless exactly that one test ran there and passed.
pub fn run_alone(module: &str, test: &str) {
    let out = this_test(module, test)
        .env(ALONE, "1")
        .output()
        .expect("the test binary runs");
    let shown = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "alone in a child, it failed:\n{shown}"
    );
    assert!(
        shown.contains("test result: ok. 1 passed"),
        "the child ran no test named {}:\n{shown}",
        test_name(module, test)
    );
}
