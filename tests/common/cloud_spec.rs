//! The vendor's Bitbucket Cloud OpenAPI spec (`bitbucket-cloud-2021-openapi.yml`, as
//! published), committed in tests/fixtures/specs as JSON so no YAML parser is needed (converted
//! with `python3 -c 'import json,sys,yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout,
//! default=str)'`), and a check of a JSON value against one of its schemas.

use serde_json::{Map, Value};

pub fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/specs/bitbucket-cloud-2021-openapi.json"
    );
    let text = std::fs::read_to_string(path).expect("the Cloud spec is committed");
    serde_json::from_str(&text).expect("the Cloud spec is JSON")
}

/// `schema` with its `$ref` followed and its `allOf` parts merged into one object schema
/// (properties and required fields of every part), as the spec composes `deploy_key` from
/// `object` and its own fields.
pub fn resolve(spec: &Value, schema: &Value) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a local schema reference: {r}"));
        return resolve(spec, &spec["components"]["schemas"][name]);
    }
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return schema.clone();
    };
    let mut props = Map::new();
    let mut required = Vec::new();
    for part in parts {
        let part = resolve(spec, part);
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            props.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    serde_json::json!({"type": "object", "properties": props, "required": required})
}

/// Every way `v` departs from `schema` at `path`: a field the schema does not declare (unless
/// named in `extra`, fields the vendor's own examples carry), a value of another type, a
/// required field missing. `null` passes for a field named in `nullable` (the vendor's
/// examples show it so).
pub fn departures(
    spec: &Value,
    v: &Value,
    schema: &Value,
    path: &str,
    extra: &[&str],
    nullable: &[&str],
) -> Vec<String> {
    let schema = resolve(spec, schema);
    let mut out = Vec::new();
    let ty = schema.get("type").and_then(Value::as_str);
    let ok = if v.is_null() {
        nullable.iter().any(|n| path.ends_with(&format!(".{n}")))
    } else {
        of_type(v, ty)
    };
    if !ok {
        out.push(format!("{path}: {v} is not of type {ty:?}"));
        return out;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !v.is_null()
        && !allowed.contains(v)
    {
        out.push(format!("{path}: {v} is not one of {allowed:?}"));
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, child) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => out.extend(departures(
                    spec,
                    child,
                    s,
                    &format!("{path}.{k}"),
                    extra,
                    nullable,
                )),
                None if extra.contains(&k.as_str()) => {}
                None => out.push(format!("{path}.{k}: not declared by the vendor's schema")),
            }
        }
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(r) {
                out.push(format!("{path}.{r}: required, missing"));
            }
        }
    }
    if let (Some(items), Some(schema_items)) = (v.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            out.extend(departures(
                spec,
                item,
                schema_items,
                &format!("{path}[{i}]"),
                extra,
                nullable,
            ));
        }
    }
    out
}

/// Whether `v` is of the JSON schema type `ty` (no type: anything).
pub fn of_type(v: &Value, ty: Option<&str>) -> bool {
    match ty {
        Some("object") => v.is_object(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("array") => v.is_array(),
        _ => true,
    }
}

/// The schema `name` of the spec's components.
pub fn named(spec: &Value, name: &str) -> Value {
    let s = &spec["components"]["schemas"][name];
    assert!(s.is_object(), "the Cloud spec declares {name}");
    s.clone()
}

/// The text of the deploy-key POST's description: Atlassian's documented example request and
/// answer (the spec gives no request body schema for it).
pub fn deploy_key_post_doc(spec: &Value) -> String {
    spec["paths"]["/repositories/{workspace}/{repo_slug}/deploy-keys"]["post"]["description"]
        .as_str()
        .expect("the deploy-key POST is documented")
        .to_string()
}
