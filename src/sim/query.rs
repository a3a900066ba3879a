//! The parts of Cloud's query language the simulator understands: `q=` (a BBQL subset),
//! `sort=` and `fields=` partial responses.

use serde_json::{Map, Value};

use super::SimState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Contains,
    Eq,
    Ne,
}

#[derive(Debug)]
struct Clause {
    field: String,
    op: Op,
    value: String,
}

/// Clauses joined by `AND`, e.g. `name ~ "api" AND is_private = true`.
#[derive(Debug)]
pub(crate) struct Filter(Vec<Clause>);

const FIELDS: &[&str] = &[
    "name",
    "slug",
    "full_name",
    "description",
    "project.key",
    "is_private",
    "mainbranch.name",
];

pub(crate) fn parse(text: &str) -> Result<Filter, String> {
    let mut clauses = Vec::new();
    for part in text.split(" AND ") {
        clauses.push(parse_clause(part.trim()).ok_or_else(|| {
            format!("Invalid query: {text:?}. The simulator understands field ~|=|!= \"value\" joined by AND, on {}.", FIELDS.join(", "))
        })?);
    }
    Ok(Filter(clauses))
}

fn parse_clause(part: &str) -> Option<Clause> {
    let (field, op, rest) = if let Some((f, r)) = part.split_once("!=") {
        (f, Op::Ne, r)
    } else if let Some((f, r)) = part.split_once('~') {
        (f, Op::Contains, r)
    } else {
        let (f, r) = part.split_once('=')?;
        (f, Op::Eq, r)
    };
    let field = field.trim();
    if !FIELDS.contains(&field) {
        return None;
    }
    let rest = rest.trim();
    let value = match rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None if rest == "true" || rest == "false" => rest.to_string(),
        None => return None,
    };
    Some(Clause {
        field: field.to_string(),
        op,
        value,
    })
}

impl Filter {
    pub fn matches(&self, state: &SimState, index: usize) -> bool {
        let r = &state.data.cloud_repos[index];
        let w = &state.data.spec.cloud.workspaces[r.ws];
        self.0.iter().all(|c| {
            let actual = match c.field.as_str() {
                "name" => r.name.clone(),
                "slug" => r.slug.clone(),
                "full_name" => format!("{}/{}", w.slug, r.slug),
                "description" => r.description.clone(),
                "project.key" => w.projects[r.project].0.clone(),
                "is_private" => r.is_private.to_string(),
                "mainbranch.name" => r.mainbranch.clone(),
                _ => return false,
            };
            match c.op {
                Op::Contains => actual.to_lowercase().contains(&c.value.to_lowercase()),
                Op::Eq => actual == c.value,
                Op::Ne => actual != c.value,
            }
        })
    }
}

/// Sorts repository indexes by `name`, `slug`, `full_name`, `created_on` or `updated_on`,
/// descending with a leading `-`.
pub(crate) fn sort(state: &SimState, items: &mut [usize], spec: &str) -> Result<(), String> {
    let (desc, field) = match spec.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, spec),
    };
    let repos = &state.data.cloud_repos;
    match field {
        "name" => items.sort_by(|&a, &b| repos[a].name.cmp(&repos[b].name)),
        "slug" | "full_name" => items
            .sort_by(|&a, &b| (repos[a].ws, &repos[a].slug).cmp(&(repos[b].ws, &repos[b].slug))),
        "created_on" => items.sort_by_key(|&i| repos[i].created_on),
        "updated_on" => items.sort_by_key(|&i| repos[i].updated_on),
        other => {
            return Err(format!(
                "Invalid sort field: {other:?}. Use name, slug, full_name, created_on or updated_on."
            ));
        }
    }
    if desc {
        items.reverse();
    }
    Ok(())
}

/// Cloud partial responses: `fields=values.name,next` keeps only those paths (and drops
/// everything else, `next` included unless asked for); `+path` adds to the default,
/// `-path` removes; `*` matches any key at its level. Arrays are transparent.
pub(crate) fn apply_fields(body: Value, fields: &str) -> Value {
    let mut include: Vec<Vec<&str>> = Vec::new();
    let mut exclude: Vec<Vec<&str>> = Vec::new();
    let mut whitelist = false;
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if let Some(p) = f.strip_prefix('-') {
            exclude.push(p.split('.').collect());
        } else if let Some(p) = f.strip_prefix('+') {
            include.push(p.split('.').collect());
        } else {
            whitelist = true;
            include.push(f.split('.').collect());
        }
    }
    let mut body = if whitelist {
        keep(body, &include)
    } else {
        body
    };
    for path in &exclude {
        remove(&mut body, path);
    }
    body
}

fn keep(value: Value, paths: &[Vec<&str>]) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(|v| keep(v, paths)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let matching: Vec<&Vec<&str>> = paths
                    .iter()
                    .filter(|p| p.first().is_some_and(|f| *f == k || *f == "*"))
                    .collect();
                if matching.iter().any(|p| p.len() == 1) {
                    out.insert(k, v);
                } else if !matching.is_empty() {
                    let rest: Vec<Vec<&str>> = matching.iter().map(|p| p[1..].to_vec()).collect();
                    out.insert(k, keep(v, &rest));
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn remove(value: &mut Value, path: &[&str]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| remove(v, path)),
        Value::Object(map) => match path {
            [] => {}
            [last] => {
                if *last == "*" {
                    map.clear();
                } else {
                    map.remove(*last);
                }
            }
            [first, rest @ ..] => {
                for (k, v) in map.iter_mut() {
                    if k == first || *first == "*" {
                        remove(v, rest);
                    }
                }
            }
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whitelist_keeps_only_named_paths() {
        let body = json!({"size": 2, "next": "n", "values": [{"name": "a", "slug": "a", "links": {"html": {"href": "h"}, "clone": [{"name": "ssh", "href": "s"}]}}]});
        let out = apply_fields(body, "values.name,values.links.clone.href,next");
        assert_eq!(
            out,
            json!({"next": "n", "values": [{"name": "a", "links": {"clone": [{"href": "s"}]}}]})
        );
    }

    #[test]
    fn minus_removes_and_plus_keeps_the_rest() {
        let body = json!({"size": 2, "values": [{"name": "a", "owner": {"x": 1}}]});
        assert_eq!(
            apply_fields(body.clone(), "-values.owner"),
            json!({"size": 2, "values": [{"name": "a"}]})
        );
        assert_eq!(apply_fields(body.clone(), "+values.name"), body);
    }

    #[test]
    fn bbql_subset_parses_and_rejects() {
        assert!(parse(r#"name ~ "api" AND is_private = true"#).is_ok());
        assert!(parse(r#"owner.nickname = "x""#).is_err());
        assert!(parse("name ~ api").is_err());
    }
}
