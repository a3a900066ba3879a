//! Bitbucket Cloud page and object parsers over arbitrary bytes: never panic, and whatever
//! they map is free of control characters.
#![no_main]

use bbconnect::bitbucket::cloud;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let page = cloud::parse_page(&v);
    let _ = cloud::page_shape_problem(&v);
    if let (Some(size), Some(pagelen)) = (page.size, page.pagelen) {
        let _ = cloud::remaining_pages(size, pagelen);
    }
    let _ = cloud::map_identity(&v);
    let _ = cloud::map_workspace(&v);
    for item in page.values.iter().chain(std::iter::once(&v)) {
        let _ = cloud::map_workspace(item);
        if let Some(repo) = cloud::map_repo(item) {
            assert!(!repo.full_name.chars().any(char::is_control));
            assert!(!repo.name.chars().any(char::is_control));
        }
    }
});
