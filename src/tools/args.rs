//! Tool-argument validation that does not trust the client to have honoured `inputSchema`.

use rmcp::model::JsonObject;
use serde_json::Value;

use crate::dex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("missing required argument \"{0}\"")]
    Missing(&'static str),
    #[error("argument \"{name}\" must be {expected}")]
    WrongType { name: &'static str, expected: &'static str },
    #[error("argument \"{name}\" is too long (at most {max} characters)")]
    TooLong { name: &'static str, max: usize },
    #[error("argument \"{name}\" must not be empty")]
    Empty { name: &'static str },
    #[error("unknown argument \"{0}\"")]
    Unknown(String),
    #[error("argument \"{name}\" must be between {min} and {max}")]
    OutOfRange { name: &'static str, min: i64, max: i64 },
}

/// Refuses arguments outside `allowed` (schemas say `additionalProperties: false`).
pub(super) fn only(args: &JsonObject, allowed: &[&str]) -> Result<(), ArgError> {
    match args.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ArgError::Unknown(crate::mcp::dispatch::truncate(k, 60).to_owned())),
        None => Ok(()),
    }
}

pub(super) fn required_str<'a>(
    args: &'a JsonObject,
    name: &'static str,
    max: usize,
) -> Result<&'a str, ArgError> {
    optional_str(args, name, max)?.ok_or(ArgError::Missing(name))
}

pub(super) fn optional_str<'a>(
    args: &'a JsonObject,
    name: &'static str,
    max: usize,
) -> Result<Option<&'a str>, ArgError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => text(name, s, max).map(Some),
        Some(_) => Err(ArgError::WrongType { name, expected: "a string" }),
    }
}

/// A string argument's checks, for callers that hold the text already (resources, prompts):
/// not blank, at most `max` characters; trimmed.
pub(super) fn text<'a>(name: &'static str, s: &'a str, max: usize) -> Result<&'a str, ArgError> {
    if s.trim().is_empty() {
        Err(ArgError::Empty { name })
    } else if s.chars().count() > max {
        Err(ArgError::TooLong { name, max })
    } else {
        Ok(s.trim())
    }
}

pub(super) fn optional_int(
    args: &JsonObject,
    name: &'static str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ArgError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            Some(_) => Err(ArgError::OutOfRange { name, min, max }),
            None => Err(ArgError::WrongType { name, expected: "an integer" }),
        },
        Some(_) => Err(ArgError::WrongType { name, expected: "an integer" }),
    }
}

pub(super) fn optional_generation(args: &JsonObject, name: &'static str) -> Result<Option<u8>, ArgError> {
    Ok(optional_int(args, name, dex::MIN_GEN.into(), dex::MAX_GEN.into())?.map(|g| g as u8))
}

/// Prompt arguments are strings on the wire (`{"generation": "4"}`).
pub(super) fn optional_generation_text(
    args: &JsonObject,
    name: &'static str,
) -> Result<Option<u8>, ArgError> {
    let out_of_range = ArgError::OutOfRange { name, min: dex::MIN_GEN.into(), max: dex::MAX_GEN.into() };
    match optional_str(args, name, 2)? {
        None => Ok(None),
        Some(s) => s.parse::<u8>().ok().filter(|g| dex::check_gen(*g).is_ok()).map(Some).ok_or(out_of_range),
    }
}

/// One percent-decoded path segment of a resource URI: no separators, no dot-segments, no
/// control characters — a name, never a path.
pub(super) fn uri_segment(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    let bad = decoded.is_empty()
        || decoded.chars().count() > 100
        || decoded.contains(['/', '\\', '?', '#'])
        || decoded.chars().any(char::is_control)
        || decoded.trim_matches('.').is_empty();
    (!bad).then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn strings_and_ints_are_checked() {
        let a = obj(json!({"name": "  Garchomp ", "generation": 4, "bad": 1.5, "empty": " "}));
        assert_eq!(required_str(&a, "name", 100), Ok("Garchomp"));
        assert_eq!(required_str(&a, "nope", 100), Err(ArgError::Missing("nope")));
        assert_eq!(required_str(&a, "empty", 100), Err(ArgError::Empty { name: "empty" }));
        assert_eq!(
            required_str(&a, "generation", 100),
            Err(ArgError::WrongType { name: "generation", expected: "a string" })
        );
        assert_eq!(optional_generation(&a, "generation"), Ok(Some(4)));
        assert!(matches!(optional_int(&a, "bad", 1, 9), Err(ArgError::WrongType { .. })));
        assert!(matches!(optional_generation(&obj(json!({"g": 10})), "g"), Err(ArgError::OutOfRange { .. })));
        assert!(matches!(
            required_str(&obj(json!({"n": "x".repeat(101)})), "n", 100),
            Err(ArgError::TooLong { .. })
        ));
        assert_eq!(
            only(&obj(json!({"name": "x", "generation": 1})), &["name"]),
            Err(ArgError::Unknown("generation".into()))
        );
        assert_eq!(only(&obj(json!({"name": "x"})), &["name", "generation"]), Ok(()));
        assert_eq!(optional_generation_text(&obj(json!({"g": "4"})), "g"), Ok(Some(4)));
        assert!(optional_generation_text(&obj(json!({"g": "0"})), "g").is_err());
    }

    #[test]
    fn uri_segments_are_names_not_paths() {
        assert_eq!(uri_segment("Mr.%20Mime").as_deref(), Some("Mr. Mime"));
        assert_eq!(uri_segment("garchomp").as_deref(), Some("garchomp"));
        for bad in ["", "..", "%2e%2e", "a/b", "a%2Fb", "..%2F..%2Fetc", "x%00", "%ff", "a?b", "a\\b"] {
            assert_eq!(uri_segment(bad), None, "{bad}");
        }
    }
}
