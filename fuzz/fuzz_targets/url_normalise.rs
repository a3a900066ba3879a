//! URL helpers over arbitrary text: never panic, and normalising a base URL is idempotent.
#![no_main]

use bbconnect::bitbucket::{Endpoints, urls};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Up to three inputs in one: base, a path segment, a query value.
    let mut parts = text.splitn(3, '\n');
    let base = parts.next().unwrap_or_default();
    let seg = parts.next().unwrap_or_default();
    let val = parts.next().unwrap_or_default();
    if let Ok(once) = urls::parse_base(base) {
        assert_eq!(urls::parse_base(&once).ok().as_deref(), Some(once.as_str()), "{base:?}");
        assert!(!once.ends_with('/'));
        let built = urls::build(&once, &[seg], &[("q", val)]);
        assert!(urls::same_origin(&once, &built), "{once:?} -> {built:?}");
        let _ = urls::with_query(&built, "page", val);
        let _ = urls::is_insecure(&once);
    }
    let _ = urls::build(base, &[seg, val], &[(seg, val)]);
    let _ = urls::with_query(base, seg, val);
    let _ = urls::same_origin(base, seg);
    let _ = urls::is_insecure(base);
    let _ = urls::is_loopback_host(base);
    let _ = urls::split_repo(Some(base));
    let _ = urls::cloud_api_for(base, &Endpoints::default());
});
