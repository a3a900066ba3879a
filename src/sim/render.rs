//! Pre-rendered repository JSON. Each repository's text is built once per simulator (for
//! Cloud once per caller and `fields=`, as its clone links name the caller) and pages are
//! assembled from the cached fragments: listing 20,000 repositories no longer builds and
//! serialises a `Value` tree per repository per request, so the simulator's own CPU does not
//! dominate what the listing benches measure.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// Distinct Cloud (caller, fields) renderings kept; past it pages are rendered uncached, so
/// a client varying `fields=` on every request cannot grow the simulator without bound.
const CLOUD_VARIANTS: usize = 16;

/// One lazily rendered JSON text per repository index.
pub(crate) struct Fragments {
    slots: Vec<OnceLock<Box<str>>>,
}

impl Fragments {
    fn new(len: usize) -> Fragments {
        Fragments {
            slots: (0..len).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The text of repository `index`, rendering it on first use.
    pub fn get(&self, index: usize, render: impl FnOnce() -> Value) -> Cow<'_, str> {
        match self.slots.get(index) {
            Some(slot) => Cow::Borrowed(slot.get_or_init(|| render().to_string().into())),
            None => Cow::Owned(render().to_string()),
        }
    }
}

type CloudKey = (Option<String>, Option<String>);

/// The caches of one simulator.
pub(crate) struct RenderCache {
    pub dc: Fragments,
    cloud: Mutex<HashMap<CloudKey, Arc<Fragments>>>,
    cloud_len: usize,
}

impl RenderCache {
    pub fn new(dc_len: usize, cloud_len: usize) -> RenderCache {
        RenderCache {
            dc: Fragments::new(dc_len),
            cloud: Mutex::new(HashMap::new()),
            cloud_len,
        }
    }

    /// The Cloud fragments for this caller and `fields=` value.
    pub fn cloud(&self, caller: Option<&str>, fields: Option<&str>) -> Arc<Fragments> {
        let key = (caller.map(str::to_string), fields.map(str::to_string));
        let mut map = self.cloud.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = map.get(&key) {
            return f.clone();
        }
        if map.len() >= CLOUD_VARIANTS {
            return Arc::new(Fragments::new(0));
        }
        let f = Arc::new(Fragments::new(self.cloud_len));
        map.insert(key, f.clone());
        f
    }
}

/// `body` (a page object) as JSON text, its `values` array made of the pre-rendered `items`.
/// Other members are serialised as they are; a body without `values` ignores `items`.
pub(crate) fn splice_values<'a>(body: &Value, items: impl Iterator<Item = Cow<'a, str>>) -> String {
    let Value::Object(map) = body else {
        return body.to_string();
    };
    let mut out = String::with_capacity(64 * 1024);
    out.push('{');
    let mut items = Some(items);
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        match (key.as_str(), items.take()) {
            ("values", Some(items)) => {
                out.push('[');
                for (n, item) in items.enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    out.push_str(&item);
                }
                out.push(']');
            }
            (_, taken) => {
                items = taken;
                out.push_str(&value.to_string());
            }
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spliced_pages_parse_to_the_same_value() {
        let items = [
            json!({"slug": "a", "n": 1}),
            json!({"slug": "b\"q", "n": 2}),
        ];
        let body = json!({"size": 2, "isLastPage": true, "values": [], "z\"key": null});
        let text = splice_values(&body, items.iter().map(|v| Cow::Owned(v.to_string())));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let mut want = body.clone();
        want["values"] = json!(items);
        assert_eq!(parsed, want);
        let no_values = json!({"size": 0});
        assert_eq!(
            splice_values(&no_values, std::iter::once(Cow::Borrowed("{}"))),
            no_values.to_string()
        );
    }

    #[test]
    fn fragments_render_once() {
        let f = Fragments::new(2);
        let mut calls = 0;
        for _ in 0..3 {
            let t = f.get(1, || {
                calls += 1;
                json!({"a": 1})
            });
            assert_eq!(t, r#"{"a":1}"#);
        }
        assert_eq!(calls, 1);
        assert_eq!(f.get(9, || json!(7)), "7", "out of range renders uncached");
    }

    #[test]
    fn cloud_variants_are_bounded() {
        let c = RenderCache::new(0, 3);
        let a = c.cloud(Some("alice"), Some("values.name"));
        assert!(Arc::ptr_eq(
            &a,
            &c.cloud(Some("alice"), Some("values.name"))
        ));
        for i in 0..40 {
            c.cloud(None, Some(&i.to_string()));
        }
        assert!(c.cloud.lock().unwrap().len() <= CLOUD_VARIANTS);
    }
}
