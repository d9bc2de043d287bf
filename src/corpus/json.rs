//! JSON read with objects in file order, and typed one entry at a time.
//!
//! Two needs the upstream files share. Order carries meaning: a species' first Smogon set is its
//! main one, an analysis lists its sets in Smogon's order. serde_json's `Value` sorts object keys
//! unless the crate-wide `preserve_order` feature is on, so [`Json`] keeps its own entry lists.
//! And one malformed entry must not sink a whole file: the file is read into a [`Json`] tree
//! once, then each entry is deserialized on its own with `T::deserialize(&json)`, so a failure
//! names that entry and the rest is still used.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

/// A JSON value whose objects keep their entries (duplicates included) in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text; `what` names the input in the error.
    pub(crate) fn parse(text: &str, what: &'static str) -> Result<Json, super::CorpusError> {
        serde_json::from_str(text).map_err(|e| super::CorpusError::json(what, e))
    }

    /// The entries of an object, or None for any other value.
    pub(crate) fn entries(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// This value as a `T`, with the reason as text if it does not fit.
    pub(crate) fn to<'de, T: Deserialize<'de>>(&self) -> Result<T, String> {
        T::deserialize(self).map_err(|e| e.to_string())
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Unsigned(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Signed(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

/// Lets derived `Deserialize` types read from a [`Json`] tree, objects in file order.
impl<'de> Deserializer<'de> for &Json {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Json::Null => visitor.visit_unit(),
            Json::Bool(v) => visitor.visit_bool(*v),
            Json::Unsigned(v) => visitor.visit_u64(*v),
            Json::Signed(v) => visitor.visit_i64(*v),
            Json::Float(v) => visitor.visit_f64(*v),
            Json::String(v) => visitor.visit_str(v),
            Json::Array(items) => SeqDeserializer::new(items.iter()).deserialize_any(visitor),
            Json::Object(entries) => {
                MapDeserializer::new(entries.iter().map(|(k, v)| (k.as_str(), v))).deserialize_any(visitor)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Json::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for &Json {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// `{key: value, ...}` as `[(key, value), ...]`, in file order; duplicate keys are kept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn parse(text: &str) -> Json {
        Json::parse(text, "test").unwrap()
    }

    #[test]
    fn keeps_file_order_and_duplicates() {
        let json = parse(r#"{"b": 1, "a": [true, null, -2, 1.5, "x"], "b": {}}"#);
        let keys: Vec<&str> = json.entries().unwrap().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        let Entries(entries): Entries<Json> = json.to().unwrap();
        assert_eq!(
            entries[1].1,
            Json::Array(vec![
                Json::Bool(true),
                Json::Null,
                Json::Signed(-2),
                Json::Float(1.5),
                Json::String("x".into())
            ])
        );
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Point {
        x: u16,
        y: Option<u16>,
        tags: Option<Vec<String>>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    #[test]
    fn typed_reads_from_the_tree() {
        assert_eq!(parse(r#"{"x": 3, "y": null}"#).to::<Point>(), Ok(Point { x: 3, y: None, tags: None }));
        assert_eq!(parse(r#"{"x": 3, "tags": ["a"]}"#).to::<Point>().unwrap().tags, Some(vec!["a".into()]));
        assert!(parse(r#"{"x": 3, "z": 1}"#).to::<Point>().unwrap_err().contains("unknown field `z`"));
        assert!(parse(r#"{"x": 70000}"#).to::<Point>().is_err());
        assert!(parse(r#"{"x": 1.5}"#).to::<Point>().is_err());
        assert_eq!(parse(r#""a""#).to::<OneOrMany>(), Ok(OneOrMany::One("a".into())));
        assert_eq!(
            parse(r#"["a", "b"]"#).to::<OneOrMany>(),
            Ok(OneOrMany::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(parse("[1, 2, 3]").to::<(f64, f64, f64)>(), Ok((1.0, 2.0, 3.0)));
        assert!(parse("[1, 2, 3, 4]").to::<(f64, f64, f64)>().is_err());
        let Entries(sets): Entries<u32> = parse(r#"{"z": 1, "a": 2}"#).to().unwrap();
        assert_eq!(sets, [("z".into(), 1), ("a".into(), 2)]);
        assert!(parse("[1]").to::<Entries<u32>>().is_err());
    }

    #[test]
    fn invalid_text_names_the_input() {
        assert!(matches!(
            Json::parse("{", "sets"),
            Err(super::super::CorpusError::Json { what: "sets", .. })
        ));
    }
}
