//! Bitbucket Server / Data Center page, repository, identity and version parsers.
#![no_main]

use bbconnect::bitbucket::server;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(v) = server::parse_version(text) {
            assert!(!v.is_empty());
            let _ = server::version_supported(&v);
        }
    }
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let page = server::parse_page(&v);
    let _ = server::page_shape_problem(&v);
    let _ = server::map_identity("alice", Some(&v));
    for item in page.values.iter().chain(std::iter::once(&v)) {
        if let Some(repo) = server::map_repo(item) {
            assert!(!repo.full_name.chars().any(char::is_control));
            assert!(!repo.slug.chars().any(char::is_control));
        }
    }
});
