//! Lenient serde pieces for listing pages: a page is parsed once, straight from the bytes
//! into typed structs (no `Value` tree, strings borrowed from the body where they hold no
//! escapes), while a field of the wrong type still reads as absent, as `Value` lookups did,
//! instead of failing the whole page. Which missing fields make a page unreadable is decided
//! by the callers (`server`, `cloud`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::core::sanitize::clean;

/// One JSON value read leniently: scalars are kept, arrays and objects are skipped (`Other`),
/// and a missing field is `Absent` (fields use `#[serde(default)]`), distinct from `null`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loose<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    U64(u64),
    Str(Cow<'a, str>),
    /// A negative or fractional number, an array or an object.
    Other,
}

impl<'a> Loose<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Loose::U64(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Loose::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Absent or `null`: what the old `Value` checks let pass for optional fields.
    pub fn is_missing(&self) -> bool {
        matches!(self, Loose::Absent | Loose::Null)
    }

    /// The string, sanitised for the terminal; `None` for any other type.
    pub fn text(&self) -> Option<String> {
        self.as_str().map(clean_text)
    }
}

/// [`clean`] with a fast path: printable ASCII (nearly every name and URL) is copied as is.
pub fn clean_text(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.to_string()
    } else {
        clean(s)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor(PhantomData))
    }
}

struct LooseVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for LooseVisitor<'a> {
    type Value = Loose<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Loose::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Loose::Other, Loose::U64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Loose::U64(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_string())))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|_| Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|_| Loose::Other)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Defines a visitor that reads one kind of compound value and skips every other type
/// as `None`.
macro_rules! lenient_visitor {
    ($visitor:ident, $target:ident) => {
        struct $visitor<T>(PhantomData<T>);

        impl<T> $visitor<T> {
            fn none<E>(self) -> Result<$target<T>, E> {
                Ok($target(None))
            }
        }

        impl<'de, T: Deserialize<'de>> Visitor<'de> for $visitor<T>
        where
            $target<T>: ReadCompound<'de, T>,
        {
            type Value = $target<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                self.none()
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                <$target<T>>::from_seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                <$target<T>>::from_map(map)
            }
        }
    };
}

/// How [`Obj`] and [`List`] read the compound they expect and skip the other one.
trait ReadCompound<'de, T>: Sized {
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error>;
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// A JSON object read as `T`; any other type reads as `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> ReadCompound<'de, T> for Obj<T> {
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        skip_seq(seq).map(|_| Obj(None))
    }
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
}

lenient_visitor!(ObjVisitor, Obj);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// A JSON array of `T`; any other type reads as `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T>(pub Option<Vec<T>>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(None)
    }
}

impl<T> List<T> {
    /// The items, or none when the field was not an array.
    pub fn items(&self) -> &[T] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// A page's `values`: without the array, the page cannot be read.
    pub fn page_values(&self) -> Result<&[T], String> {
        self.0.as_deref().ok_or_else(no_values)
    }
}

fn no_values() -> String {
    "the page has no `values` array".into()
}

/// A page body that was no object at all cannot be read either.
pub fn page<P>(raw: Option<P>) -> Result<P, String> {
    raw.ok_or_else(no_values)
}

/// What is wrong with `body` as a page `check` reads: `None` when it has the documented
/// shape. The same rules as reading the page from its bytes.
pub fn shape_problem<'de, P: Deserialize<'de>, R>(
    body: &'de serde_json::Value,
    check: impl FnOnce(Option<P>) -> Result<R, String>,
) -> Option<String> {
    match Obj::<P>::deserialize(body) {
        Ok(raw) => check(raw.0).err(),
        Err(e) => Some(e.to_string()),
    }
}

/// An object read as `P` and mapped; `None` when it is no object or `map` refuses it.
pub fn map_obj<'de, P: Deserialize<'de>, R>(
    v: &'de serde_json::Value,
    map: impl FnOnce(&P) -> Option<R>,
) -> Option<R> {
    Obj::<P>::deserialize(v).ok()?.0.as_ref().and_then(map)
}

impl<'de, T: Deserialize<'de>> ReadCompound<'de, T> for List<T> {
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        // The hint is the remaining count when known; capped so a lying hint cannot reserve much.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(List(Some(items)))
    }
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        skip_map(map).map(|_| List(None))
    }
}

lenient_visitor!(ListVisitor, List);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// `{"href": ..., "name": ...}`, the link object both products use.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Link<'a> {
    #[serde(borrow)]
    pub href: Loose<'a>,
    #[serde(borrow)]
    pub name: Loose<'a>,
}

/// `{"key": ..., "name": ...}`: a project in both products, and Cloud's `mainbranch` (name
/// only).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct KeyName<'a> {
    #[serde(borrow)]
    pub key: Loose<'a>,
    #[serde(borrow)]
    pub name: Loose<'a>,
}

/// Parses a whole page body as `T` (an object); an empty body reads as `None`, like the
/// `null` the JSON layer made of it.
pub fn parse_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<Obj<T>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj(None));
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Thing<'a> {
        #[serde(borrow)]
        name: Loose<'a>,
        #[serde(borrow)]
        inner: Obj<Link<'a>>,
        #[serde(borrow)]
        links: List<Obj<Link<'a>>>,
    }

    #[test]
    fn wrong_types_read_as_absent_not_as_errors() {
        let t: Obj<Thing> = serde_json::from_str(
            r#"{"name":[1,{"a":2}],"inner":"x","links":{"k":[]},"extra":{"deep":[1,2]}}"#,
        )
        .unwrap();
        let t = t.0.unwrap();
        assert_eq!(t.name, Loose::Other);
        assert!(t.inner.get().is_none());
        assert!(t.links.0.is_none());
        let not_object: Obj<Thing> = serde_json::from_str("[1,2]").unwrap();
        assert!(not_object.0.is_none());
    }

    #[test]
    fn scalars_absent_and_null_are_told_apart() {
        let t: Thing = serde_json::from_str(r#"{"links":[{"href":"h","name":null},7]}"#).unwrap();
        assert_eq!(t.name, Loose::Absent);
        let links = t.links.items();
        assert_eq!(links.len(), 2);
        let first = links[0].get().unwrap();
        assert_eq!(first.href.as_str(), Some("h"));
        assert_eq!(first.name, Loose::Null);
        assert!(links[1].get().is_none());
        let n: Loose = serde_json::from_str("-3").unwrap();
        assert_eq!(n, Loose::Other);
        let n: Loose = serde_json::from_str("3.5").unwrap();
        assert_eq!(n, Loose::Other);
        let n: Loose = serde_json::from_str("42").unwrap();
        assert_eq!(n.as_u64(), Some(42));
    }

    #[test]
    fn the_same_structs_read_from_a_value() {
        let v = json!({"name": "n", "links": [{"href": "h"}]});
        let t = Thing::deserialize(&v).unwrap();
        assert_eq!(t.name.as_str(), Some("n"));
        assert_eq!(t.links.items().len(), 1);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let body = br#"{"name":"plain","inner":{"href":"a\nb"}}"#;
        let t: Thing = serde_json::from_slice(body).unwrap();
        assert!(matches!(t.name, Loose::Str(Cow::Borrowed("plain"))));
        let inner = t.inner.get().unwrap();
        assert!(matches!(&inner.href, Loose::Str(Cow::Owned(s)) if s == "a\nb"));
    }

    #[test]
    fn clean_text_fast_path_matches_clean() {
        for s in [
            "plain-ascii 1",
            "tab\there",
            "\u{1b}]0;x\u{7}",
            "ünï",
            "del\u{7f}",
        ] {
            assert_eq!(clean_text(s), clean(s), "{s:?}");
        }
    }

    #[test]
    fn bodies_that_are_empty_or_broken() {
        assert!(parse_body::<Thing>(b"  \n").unwrap().0.is_none());
        assert!(parse_body::<Thing>(b"{\"name\":").is_err());
    }
}
