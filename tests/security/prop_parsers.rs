//! Properties: version comparison, URL normalisation, sanitising, and every parser of
//! server text over generated input. Each property states what a user relies on.

use bbconnect::bitbucket::{Endpoints, cloud, errors, server, urls};
use bbconnect::core::model::Repo;
use bbconnect::core::sanitize::clean;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn cases() -> ProptestConfig {
    // Enough to find edge cases, small enough to keep the suite fast on two cores.
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- versions

fn version() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0u64..20, any::<u64>()], 1..5)
}

fn text_of(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// The comparison the check uses: numeric, part by part.
fn cmp_text(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    Some(server::parse_version(a)?.cmp(&server::parse_version(b)?))
}

#[test]
fn versions_compare_numerically_not_as_text() {
    use std::cmp::Ordering::Less;
    assert_eq!(cmp_text("7.9", "7.14"), Some(Less));
    assert_eq!(cmp_text("7.14", "10.2"), Some(Less));
    assert_eq!(cmp_text("7.9.3", "7.14.0-rc1"), Some(Less));
    assert_eq!(cmp_text("9.99", "10.0"), Some(Less));
    let ok = |s: &str| server::version_supported(&server::parse_version(s).unwrap_or_default());
    assert!(!ok("7.9"));
    assert!(ok("7.14"));
    assert!(ok("7.14.0"));
    assert!(ok("10.2"));
    assert!(!ok("6.99.99"));
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn version_text_round_trips(v in version(), suffix in "(-rc[0-9]|-SNAPSHOT|\\+build[0-9]{1,3})?") {
        let text = format!("{}{suffix}", text_of(&v));
        prop_assert_eq!(server::parse_version(&text), Some(v));
    }

    #[test]
    fn version_order_is_a_total_order(a in version(), b in version(), c in version()) {
        let (ta, tb, tc) = (text_of(&a), text_of(&b), text_of(&c));
        let ab = cmp_text(&ta, &tb).expect("parses");
        let ba = cmp_text(&tb, &ta).expect("parses");
        // reflexive
        prop_assert_eq!(cmp_text(&ta, &ta), Some(std::cmp::Ordering::Equal));
        // antisymmetric
        prop_assert_eq!(ab, ba.reverse());
        if ab == std::cmp::Ordering::Equal {
            prop_assert_eq!(&a, &b);
        }
        // transitive
        let bc = cmp_text(&tb, &tc).expect("parses");
        if ab.is_le() && bc.is_le() {
            prop_assert!(cmp_text(&ta, &tc).expect("parses").is_le());
        }
    }

    #[test]
    fn support_is_monotonic_and_numeric(a in version(), b in version()) {
        // A newer release is never refused when an older one is accepted.
        if a <= b && server::version_supported(&a) {
            prop_assert!(server::version_supported(&b), "{:?} ok but {:?} refused", a, b);
        }
        let major = a[0];
        let minor = a.get(1).copied().unwrap_or(0);
        prop_assert_eq!(server::version_supported(&a), major > 7 || (major == 7 && minor >= 14));
    }

    #[test]
    fn version_parser_takes_any_text(s in any::<String>()) {
        if let Some(v) = server::parse_version(&s) {
            prop_assert!(!v.is_empty());
        }
    }
}

// ---------------------------------------------------------------- URLs

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
        Just("localhost".to_string()),
    ]
}

fn base_url() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https"), Just("HTTPS")],
        host(),
        prop::option::of(1u16..),
        "(/[a-z0-9._~-]{1,8}){0,3}",
        "/{0,3}",
        "[ \t]{0,2}",
    )
        .prop_map(|(scheme, host, port, path, slashes, ws)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{ws}{scheme}://{host}{port}{path}{slashes}{ws}")
        })
}

#[test]
fn base_url_normalisation_edge_cases() {
    for raw in [
        "http://a/b/ /",
        "https://h/x/\t/",
        "https://h// ",
        "https://h/%2F/",
    ] {
        if let Ok(once) = urls::parse_base(raw) {
            assert_eq!(urls::parse_base(&once).ok(), Some(once.clone()), "{raw:?}");
        }
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn base_url_normalisation_is_idempotent(raw in base_url()) {
        let once = urls::parse_base(&raw);
        prop_assert!(once.is_ok(), "{:?} is a valid base: {:?}", raw, once);
        let once = once.unwrap_or_default();
        prop_assert!(!once.ends_with('/'), "{:?}", once);
        prop_assert_eq!(urls::parse_base(&once).ok(), Some(once.clone()));
        // Trailing slashes never matter.
        prop_assert_eq!(urls::parse_base(&format!("{once}///")).ok(), Some(once));
    }

    #[test]
    fn base_url_normalisation_is_idempotent_on_any_text(raw in any::<String>()) {
        if let Ok(once) = urls::parse_base(&raw) {
            prop_assert_eq!(urls::parse_base(&once).ok(), Some(once));
        }
    }

    #[test]
    fn url_functions_never_panic(a in any::<String>(), b in any::<String>(), k in any::<String>()) {
        let _ = urls::parse_base(&a);
        let _ = urls::build(&a, &[&b, &k], &[(&k, &b)]);
        let _ = urls::with_query(&a, &k, &b);
        let _ = urls::same_origin(&a, &b);
        let _ = urls::is_insecure(&a);
        let _ = urls::is_loopback_host(&a);
        let _ = urls::split_repo(Some(&a));
        let _ = urls::cloud_api_for(&a, &Endpoints::default());
    }

    #[test]
    fn built_urls_keep_every_segment_and_origin(
        base in base_url(),
        segs in prop::collection::vec(any::<String>().prop_filter("empty and dot segments", |s| !matches!(s.as_str(), "" | "." | "..")), 1..4),
    ) {
        let base = urls::parse_base(&base).unwrap_or_default();
        let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let built = urls::build(&base, &refs, &[("page", "2")]);
        prop_assert!(urls::same_origin(&base, &built), "{} left {}", built, base);
        let parsed = url::Url::parse(&built).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: Vec<String> = parsed
            .path_segments()
            .map(|p| p.map(percent_decode).collect())
            .unwrap_or_default();
        prop_assert!(got.ends_with(&segs), "{:?} does not end with {:?}", got, segs);
    }

    #[test]
    fn with_query_is_idempotent(base in base_url(), v in "[a-z0-9 &=]{0,8}") {
        let base = urls::parse_base(&base).unwrap_or_default();
        let once = urls::with_query(&base, "page", &v);
        prop_assert_eq!(urls::with_query(&once, "page", &v), once.clone());
        prop_assert!(urls::same_origin(&base, &once));
    }

    #[test]
    fn only_loopback_gets_plain_http(h in "[a-z][a-z0-9-]{0,10}\\.[a-z]{2,6}") {
        let plain = format!("http://{h}");
        let lookalike = format!("http://127.0.0.1.{h}");
        let tls = format!("https://{h}");
        prop_assert!(urls::is_insecure(&plain));
        prop_assert!(urls::is_insecure(&lookalike));
        prop_assert!(!urls::is_insecure(&tls));
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- sanitising

fn is_dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn cleaned_text_has_no_control_characters(s in any::<String>(), esc in "(\x1b\\][0-9];[a-z]{0,5}\x07|\x1b\\[[0-9;]{0,6}m|\u{9b}2J)?") {
        let hostile = format!("{s}{esc}{s}");
        let out = clean(&hostile);
        prop_assert!(!out.chars().any(is_dangerous), "{:?} -> {:?}", hostile, out);
        // One char in, one char out: widths and cursor positions stay predictable.
        prop_assert_eq!(out.chars().count(), hostile.chars().count());
        prop_assert_eq!(clean(&out), out.clone());
    }

    #[test]
    fn quoted_text_is_clean_and_short(s in any::<String>()) {
        let q = errors::quote(&s);
        prop_assert!(!q.chars().any(is_dangerous));
        prop_assert!(q.chars().count() <= 201, "{} chars", q.chars().count());
    }
}

// ---------------------------------------------------------------- server JSON

/// Any JSON value, biased towards the keys our parsers look for so that the interesting
/// branches are reached rather than only the "not an object" one.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("error"),
        Just("errors"),
        Just("message"),
        Just("detail"),
        Just("required"),
        Just("granted"),
        Just("exceptionName"),
        Just("values"),
        Just("next"),
        Just("size"),
        Just("page"),
        Just("pagelen"),
        Just("isLastPage"),
        Just("nextPageStart"),
        Just("limit"),
        Just("full_name"),
        Just("slug"),
        Just("name"),
        Just("project"),
        Just("key"),
        Just("links"),
        Just("clone"),
        Just("href"),
        Just("workspace"),
        Just("mainbranch"),
        Just("public"),
        Just("is_private"),
        Just("archived"),
        Just("description"),
        Just("html"),
        Just("self"),
        Just("updated_on"),
        Just("x"),
    ]
    .prop_map(str::to_string);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z]{1,5}/[a-z]{1,5}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn repo_strings(r: &Repo) -> Vec<String> {
    let mut out = vec![r.full_name.clone(), r.name.clone(), r.slug.clone()];
    out.extend(
        [
            &r.project_key,
            &r.project_name,
            &r.workspace,
            &r.default_branch,
            &r.clone_https,
            &r.clone_ssh,
            &r.updated_on,
            &r.description,
            &r.web_url,
        ]
        .into_iter()
        .flatten()
        .cloned(),
    );
    out
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn error_body_parsers_take_any_json(v in json()) {
        let body = errors::parse_error_body(&v);
        for s in body.message.iter().chain(body.detail.iter()).chain(body.exception.iter())
            .chain(body.required.iter()).chain(body.granted.iter())
        {
            prop_assert!(!s.chars().any(is_dangerous), "{:?}", s);
        }
        let _ = (body.summary(), body.missing_scopes(), body.is_dc_authorisation(),
                 body.is_dc_bad_credentials(), body.is_change_2770());
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        prop_assert_eq!(errors::parse_error_bytes(&bytes), body);
    }

    #[test]
    fn error_bytes_parser_takes_any_bytes(b in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = errors::parse_error_bytes(&b);
    }

    #[test]
    fn page_parsers_take_any_json_and_repos_come_out_clean(v in json()) {
        let _ = cloud::parse_page(&v);
        let _ = server::parse_page(&v);
        let _ = cloud::page_shape_problem(&v);
        let _ = server::page_shape_problem(&v);
        let _ = cloud::map_identity(&v);
        let _ = cloud::map_workspace(&v);
        let _ = server::map_identity("alice", Some(&v));
        let values: Vec<Value> = match &v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for item in &values {
            for repo in [cloud::map_repo(item), server::map_repo(item)].into_iter().flatten() {
                for s in repo_strings(&repo) {
                    prop_assert!(!s.chars().any(is_dangerous), "{:?} in {:?}", s, repo);
                }
            }
        }
    }
}
