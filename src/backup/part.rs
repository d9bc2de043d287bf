//! Part objects: the key-value pairs of one KV page, as JSON Lines (`application/x-ndjson`).
//!
//! One line per key, in KV list order (by key):
//!
//! ```text
//! {"key":"doc:v1:gen9ou:…","value":"{\"text\":…}","expiration":1811219303}
//! {"key":"blob","valueBase64":"AAH/","metadata":"{\"kind\":\"raw\"}"}
//! ```
//!
//! - `value`: the value's bytes when they are valid UTF-8 (JSON string escaping is lossless), else
//!   `valueBase64` (standard alphabet, padded). Exactly one of the two is present.
//! - `expiration`: absolute expiry in seconds since the epoch, absent when the key never expires.
//! - `metadata`: the key's metadata as the JSON text KV returns (`JSON.stringify`), absent when
//!   it has none; kept as text so a restore writes back the same JSON.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::BackupError;

pub(crate) const CONTENT_TYPE: &str = "application/x-ndjson";

/// One key as backed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub key: String,
    pub value: Vec<u8>,
    /// Seconds since the epoch.
    pub expiration: Option<u64>,
    /// JSON text.
    pub metadata: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, rename = "valueBase64", skip_serializing_if = "Option::is_none")]
    value_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expiration: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<String>,
}

/// The part's bytes: one JSON line per record, each ending in `\n`.
pub(crate) fn encode(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let (value, value_base64) = match std::str::from_utf8(&r.value) {
            Ok(text) => (Some(text.to_owned()), None),
            Err(_) => (None, Some(STANDARD.encode(&r.value))),
        };
        let line = Line {
            key: r.key.clone(),
            value,
            value_base64,
            expiration: r.expiration,
            metadata: r.metadata.clone(),
        };
        // A struct of strings and integers always serializes.
        out.extend(serde_json::to_vec(&line).unwrap_or_default());
        out.push(b'\n');
    }
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Record>, BackupError> {
    let mut records = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = |why: String| BackupError::CorruptPart(format!("line {}: {why}", n + 1));
        let line: Line = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        let value = match (line.value, line.value_base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(b64)) => STANDARD.decode(b64).map_err(|e| bad(e.to_string()))?,
            _ => return Err(bad("exactly one of value and valueBase64 must be present".into())),
        };
        records.push(Record { key: line.key, value, expiration: line.expiration, metadata: line.metadata });
    }
    Ok(records)
}

/// `kv/<backup-id>/<binding>/part-00001`.
pub(crate) fn part_key(backup_id: &str, binding: &str, number: u32) -> String {
    format!("{}{binding}/part-{number:05}", super::prefix(backup_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: &[u8], expiration: Option<u64>, metadata: Option<&str>) -> Record {
        Record { key: key.into(), value: value.to_vec(), expiration, metadata: metadata.map(Into::into) }
    }

    #[test]
    fn every_byte_survives_a_round_trip() {
        let all_bytes: Vec<u8> = (0..=255u8).collect();
        let records = vec![
            record(
                "doc:v1:gen9ou:zapdos:set:defensive",
                br#"{"text":"a \"pivot\"\n"}"#,
                Some(1_811_219_303),
                None,
            ),
            record("binary", &all_bytes, None, Some(r#"{"z":1,"a":[1,2],"10":"x"}"#)),
            record("empty", b"", None, None),
            record("unicode key \u{e9}\u{1f600}", "Flabébé \u{2028} \0".as_bytes(), Some(1), Some("null")),
            record("invalid utf-8", &[0xff, 0xfe, b'a', 0xc3], None, None),
            record("newline\nin key", b"line1\nline2\r\n", None, None),
        ];
        let bytes = encode(&records);
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), records.len(), "one line per record");
        assert_eq!(decode(&bytes).unwrap(), records);
    }

    #[test]
    fn text_stays_readable_binary_is_base64() {
        let text = String::from_utf8(encode(&[record("k", b"hello", Some(5), Some("{\"a\":1}"))])).unwrap();
        assert_eq!(
            text,
            "{\"key\":\"k\",\"value\":\"hello\",\"expiration\":5,\"metadata\":\"{\\\"a\\\":1}\"}\n"
        );
        let bin = String::from_utf8(encode(&[record("k", &[0, 1, 0xff], None, None)])).unwrap();
        assert_eq!(bin, "{\"key\":\"k\",\"valueBase64\":\"AAH/\"}\n");
    }

    #[test]
    fn corrupt_parts_are_refused_with_the_line() {
        for (bytes, line) in [
            (&b"{\"key\":\"a\",\"value\":\"x\"}\nnot json\n"[..], "line 2"),
            (b"{\"key\":\"a\"}\n", "line 1"),
            (b"{\"key\":\"a\",\"value\":\"x\",\"valueBase64\":\"eA==\"}", "line 1"),
            (b"{\"key\":\"a\",\"valueBase64\":\"***\"}", "line 1"),
            (b"{\"key\":\"a\",\"value\":\"x\",\"extra\":1}", "line 1"),
        ] {
            let err = decode(bytes).unwrap_err().to_string();
            assert!(err.contains(line), "{err}");
        }
        assert_eq!(decode(b"").unwrap(), vec![]);
    }

    #[test]
    fn keys() {
        assert_eq!(
            part_key("2026-11-26T03-23-00Z", "API_KEYS", 7),
            "kv/2026-11-26T03-23-00Z/API_KEYS/part-00007"
        );
    }
}
