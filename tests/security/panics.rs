//! after a panic the user gets a short report without the panic message (which could
//! carry a secret or server text). The test re-runs itself as a child that installs the hook
//! and panics, so the real hook and the real stderr are observed.

use crate::common::child;
use crate::common::creds::CANARY;

const CHILD: &str = "BBCONNECT_TEST_PANIC_CHILD";

fn child_output(backtrace: Option<&str>) -> String {
    let mut cmd = child::this_test(module_path!(), "panic_child");
    cmd.env(CHILD, "1").env_remove("RUST_BACKTRACE");
    if let Some(b) = backtrace {
        cmd.env("RUST_BACKTRACE", b);
    }
    let out = cmd.output().expect("child runs");
    assert!(!out.status.success(), "the child panicked");
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

/// Only does something when run as the child.
#[test]
fn panic_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    bbconnect::crash::install();
    panic!("bug while holding {CANARY}");
}

#[test]
fn panic_report_is_short_and_has_no_secret() {
    let text = child_output(None);
    assert!(
        text.contains("bbconnect stopped on an internal error"),
        "{text}"
    );
    assert!(
        text.contains("panics.rs:"),
        "the report names where: {text}"
    );
    assert!(text.contains("fix:"), "{text}");
    assert!(!text.contains(CANARY), "the panic message leaked: {text}");
}

#[test]
fn details_only_when_asked_for() {
    let text = child_output(Some("1"));
    assert!(
        text.contains("bbconnect stopped on an internal error"),
        "{text}"
    );
    assert!(
        text.contains(CANARY),
        "RUST_BACKTRACE=1 shows the full panic: {text}"
    );
}

#[test]
fn report_text_without_location() {
    let r = bbconnect::crash::report(None);
    assert!(r.contains("an unknown place"));
    assert!(r.lines().count() <= 4, "short: {r}");
}
