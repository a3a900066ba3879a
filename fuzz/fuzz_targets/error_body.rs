//! The error-body parser sees whatever a failing server or proxy sends.
#![no_main]

use bbconnect::bitbucket::errors;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = errors::parse_error_bytes(data);
    if let Some(s) = body.summary() {
        assert!(!s.chars().any(char::is_control));
    }
    let _ = body.missing_scopes();
    let _ = (body.is_dc_authorisation(), body.is_dc_bad_credentials(), body.is_change_2770());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = errors::parse_scope_header(text);
        let q = errors::quote(text);
        assert!(q.chars().count() <= 201);
    }
});
