//! A secret handed to bbconnect in a variable whose name the user picks
//! (`connect --webhook-secret-env VAR`) reaches no child: the browser opened for the OAuth
//! sign-in records its environment, and neither the variable nor its value is in it.

use crate::common::bin;
use crate::common::opener::{path_with, stand_in_openers};
use crate::common::sim::default as sim_default;
use crate::common::wait::free_port;

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_secret_variable_is_kept_from_the_browser() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let openers = stand_in_openers();
    let path = path_with(openers.path());
    let mut stderr = String::new();
    for _ in 0..5 {
        let port = free_port().to_string();
        let mut args = bin::cloud_oauth_connect("oa", &port, "1");
        args.extend(["--repo", "acme-platform/api"]);
        args.extend(["--webhook-url", "https://ci.example.com/hook"]);
        args.extend(["--webhook-secret-env", "CI_HOOK_SIGNING"]);
        let out = bin::against(&sim, dir.path(), &args, None)
            .env("BBCONNECT_OAUTH_KEY", "test-oauth-key")
            .env("BBCONNECT_OAUTH_SECRET", "test-token-consumer-env")
            .env("CI_HOOK_SIGNING", "test-token-hook-signing")
            .env("PATH", &path)
            .env("DISPLAY", ":99")
            .output()
            .await
            .expect("binary runs");
        assert_ne!(out.status.code(), Some(0), "{}", bin::text(&out));
        stderr = bin::stderr(&out);
        // Another test may take the callback port between the pick and the bind.
        if !stderr.contains("Address already in use") {
            break;
        }
    }
    let env = std::fs::read_to_string(openers.path().join("env"))
        .unwrap_or_else(|e| panic!("no opener ran ({e}):\n{stderr}"));
    assert!(
        env.contains("DISPLAY=:99"),
        "the opener's env was recorded: {env}"
    );
    assert!(!env.contains("CI_HOOK_SIGNING"), "{env}");
    assert!(!env.contains("test-token-hook-signing"), "{env}");
    assert!(!env.contains("test-token-consumer-env"), "{env}");
}
