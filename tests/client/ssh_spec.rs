//! The SSH route's requests and the response fields the client reads, against the vendor
//! specs' schemas (extracted into tests/fixtures/specs/ssh.json, each with where it came
//! from): types, enums, required fields, no field the schema lacks, and no read-only field in
//! a request.

use bbconnect::bitbucket::ssh_keys::{key_body, parse_dc_settings, parse_key};
use bbconnect::core::model::Provider;
use serde_json::{Value, json};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3iJ9pq6y9oQp5tVqkM3r2b8lYqF1iQX3o9Ow0bT8xv bbconnect ci";

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/specs/ssh.json"
    ))
    .expect("the fixture is committed");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

fn schema<'a>(fx: &'a Value, product: &str, name: &str) -> &'a Value {
    &fx[product][name]["schema"]
}

/// Every way `v` breaks `schema`, at `path`. A request (`request`) may hold no read-only
/// field; every object holds no property the schema does not name.
fn violations(v: &Value, schema: &Value, path: &str, request: bool) -> Vec<String> {
    let mut out = Vec::new();
    let ty = schema.get("type").and_then(Value::as_str);
    if !crate::common::cloud_spec::of_type(v, ty) {
        out.push(format!("{path}: {v} is not of type {ty:?}"));
        return out;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        out.push(format!("{path}: {v} is not one of {allowed:?}"));
    }
    if let (Some(obj), Some(props)) = (
        v.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for (k, child) in obj {
            match props.get(k) {
                None => out.push(format!("{path}.{k}: not in the schema")),
                Some(s) if request && s.get("readOnly") == Some(&json!(true)) => {
                    out.push(format!("{path}.{k}: read-only, not for a request"))
                }
                Some(s) => out.extend(violations(child, s, &format!("{path}.{k}"), request)),
            }
        }
    }
    out
}

fn required_missing(v: &Value, schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|r| v.get(r).is_none())
        .map(str::to_string)
        .collect()
}

/// The schema at a dotted path of properties.
fn at<'a>(schema: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(schema, |s, part| s.get("properties")?.get(part))
}

#[test]
fn the_dc_access_key_request_conforms_and_asks_for_read_only() {
    let fx = fixture();
    let s = schema(&fx, "dc", "RestSshAccessKey");
    let body = key_body(Provider::Server, KEY, "bbconnect ci");
    assert_eq!(violations(&body, s, "body", true), Vec::<String>::new());
    assert_eq!(body["permission"], "REPO_READ");
    // What the client reads back exists in the schema with the type it expects.
    assert_eq!(
        at(s, "key.id").and_then(|t| t.get("type")),
        Some(&json!("integer"))
    );
    assert_eq!(
        at(s, "key.text").and_then(|t| t.get("type")),
        Some(&json!("string"))
    );
    assert_eq!(
        at(s, "key.label").and_then(|t| t.get("type")),
        Some(&json!("string"))
    );
    let answer = json!({"key": {"id": 7, "text": KEY, "label": "bbconnect ci", "fingerprint": "x"}, "permission": "REPO_READ"});
    assert_eq!(
        violations(&answer, s, "answer", false),
        Vec::<String>::new()
    );
    assert_eq!(
        parse_key(Provider::Server, &answer).expect("parsed").id,
        "7"
    );
}

#[test]
fn a_body_outside_the_schema_is_caught_by_this_validator() {
    let fx = fixture();
    let s = schema(&fx, "dc", "RestSshAccessKey");
    let wrong = json!({"key": {"text": KEY, "id": 3}, "permission": "READ"});
    let found = violations(&wrong, s, "body", true);
    assert!(
        found.iter().any(|v| v.contains("key.id: read-only")),
        "{found:?}"
    );
    assert!(found.iter().any(|v| v.contains("permission")), "{found:?}");
    let cloud = schema(&fx, "cloud", "deploy_key");
    let found = violations(
        &json!({"key": KEY, "permission": "REPO_READ"}),
        cloud,
        "body",
        true,
    );
    assert!(
        found.iter().any(|v| v.contains("not in the schema")),
        "{found:?}"
    );
}

#[test]
fn the_cloud_deploy_key_request_conforms_and_matches_the_documented_example() {
    let fx = fixture();
    let s = schema(&fx, "cloud", "deploy_key");
    let body = key_body(Provider::Cloud, KEY, "bbconnect ci");
    assert_eq!(violations(&body, s, "body", true), Vec::<String>::new());
    let example = &fx["cloud"]["post_example_request"]["body"];
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&body),
        keys(example),
        "the same fields as Atlassian's example"
    );
    // The answer: the schema's own fields, and the id every example carries.
    let answer = json!({"type": "deploy_key", "id": 12, "key": KEY, "label": "bbconnect ci"});
    let mut without_id = answer.clone();
    without_id.as_object_mut().expect("object").remove("id");
    assert_eq!(
        violations(&without_id, s, "answer", false),
        Vec::<String>::new()
    );
    assert_eq!(required_missing(&answer, s), Vec::<String>::new());
    assert_eq!(
        fx["cloud"]["deploy_key_id"]["schema"]["type"],
        json!("integer"),
        "the id the client reads"
    );
    assert_eq!(
        parse_key(Provider::Cloud, &answer).expect("parsed").id,
        "12"
    );
}

#[test]
fn the_dc_ssh_settings_fields_the_client_reads_are_in_the_schema() {
    let fx = fixture();
    let s = schema(&fx, "dc", "RestSshSettings");
    for (field, ty) in [
        ("enabled", "boolean"),
        ("accessKeysEnabled", "boolean"),
        ("baseUrl", "string"),
        ("port", "integer"),
        ("fingerprint.algorithm", "string"),
        ("fingerprint.value", "string"),
    ] {
        assert_eq!(
            at(s, field).and_then(|t| t.get("type")),
            Some(&json!(ty)),
            "{field}"
        );
    }
    let answer = json!({"enabled": true, "accessKeysEnabled": true, "baseUrl": "ssh://bb.example.com:7999", "port": 7999,
        "fingerprint": {"algorithm": "SHA256", "value": "ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM"}});
    assert_eq!(
        violations(&answer, s, "answer", false),
        Vec::<String>::new()
    );
    let parsed = parse_dc_settings(&answer);
    assert_eq!(
        parsed.fingerprint.as_deref(),
        Some("SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM")
    );
    assert_eq!(parsed.port, Some(7999));
}

/// The deploy-key POST body against the vendor's Cloud spec itself (not only the extraction
/// above): fields `deploy_key` declares, of their types, none read-only, and exactly the fields
/// of Atlassian's documented request.
#[test]
fn the_cloud_deploy_key_request_conforms_to_the_vendor_spec() {
    use crate::common::cloud_spec::{departures, deploy_key_post_doc, named, resolve, spec};
    let spec = spec();
    let deploy_key = named(&spec, "deploy_key");
    let body = key_body(Provider::Cloud, KEY, "bbconnect ci");
    // The request holds no `type`: the schema's required `type` is the answer's.
    let mut as_answer = body.clone();
    as_answer["type"] = json!("deploy_key");
    assert_eq!(
        departures(&spec, &as_answer, &deploy_key, "body", &[], &[]),
        Vec::<String>::new()
    );
    let merged = resolve(&spec, &deploy_key);
    for field in body.as_object().expect("object").keys() {
        assert_ne!(
            merged["properties"][field]["readOnly"],
            json!(true),
            "{field} is writable"
        );
    }
    let doc = deploy_key_post_doc(&spec);
    let request = doc
        .split("Output:")
        .next()
        .expect("the example request comes first");
    let mut documented: Vec<&str> = ["key", "label", "type", "comment", "id"]
        .into_iter()
        .filter(|f| request.contains(&format!("\"{f}\":")))
        .collect();
    documented.sort_unstable();
    let mut sent: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    sent.sort_unstable();
    assert_eq!(
        sent, documented,
        "the fields of Atlassian's example request"
    );
    // The committed extraction says the same as the vendor's spec for these fields.
    let fx = fixture();
    let extracted = schema(&fx, "cloud", "deploy_key");
    for field in ["key", "label", "comment", "type"] {
        assert_eq!(
            extracted["properties"][field]["type"], merged["properties"][field]["type"],
            "{field}"
        );
    }
}
