//! Records in Durable Object storage: rmp-serde (named fields, so a record written by an older
//! version still reads after fields are added), decoded through one dynamic value.
//!
//! Why the detour: rmp-serde's deserializer is generic over the visitor, so every persisted
//! type (and each of its structs, enums and field identifiers) compiled its own copy of the
//! MessagePack decoder — ~70 copies, the largest single item of the wasm (a third of a
//! megabyte before optimisation). Decoding to a `serde_json::Value` first needs one copy; the
//! typed step then runs through `serde_json`'s value deserializer, which every JSON body uses
//! already. The bytes on disk are unchanged. Records hold no binary blobs, no non-string map
//! keys and no non-finite floats, the three things a JSON value cannot carry (tested below).

use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PersistError {
    #[error("cannot encode the record: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("corrupt record: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    #[error("record of the wrong shape: {0}")]
    Shape(#[from] serde_json::Error),
}

pub(crate) fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, PersistError> {
    Ok(rmp_serde::to_vec_named(record)?)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PersistError> {
    let value: serde_json::Value = rmp_serde::from_slice(bytes)?;
    Ok(serde_json::from_value(value)?)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Kind {
        Unit,
        Tuple(u32, String),
        Struct { at: i64 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        id: String,
        big: u64,
        negative: i64,
        ratio: f64,
        flag: bool,
        missing: Option<String>,
        present: Option<u32>,
        kinds: Vec<Kind>,
        nested: Vec<(String, i64)>,
    }

    #[test]
    fn records_round_trip_through_the_value() {
        let record = Record {
            id: "run-1".into(),
            big: u64::MAX,
            negative: i64::MIN,
            ratio: 0.125,
            flag: true,
            missing: None,
            present: Some(7),
            kinds: vec![Kind::Unit, Kind::Tuple(3, "x".into()), Kind::Struct { at: -5 }],
            nested: vec![("a".into(), 1)],
        };
        let bytes = encode(&record).unwrap();
        assert_eq!(decode::<Record>(&bytes).unwrap(), record);
        // Written by a version with fewer fields: the new ones take their defaults.
        #[derive(Serialize)]
        struct Older {
            id: String,
        }
        #[derive(Debug, Deserialize, PartialEq)]
        struct Newer {
            id: String,
            #[serde(default)]
            added: Vec<u32>,
        }
        let old = encode(&Older { id: "s".into() }).unwrap();
        assert_eq!(decode::<Newer>(&old).unwrap(), Newer { id: "s".into(), added: vec![] });
    }

    #[test]
    fn garbage_and_wrong_shapes_are_errors() {
        assert!(matches!(decode::<Record>(b"\xc1"), Err(PersistError::Decode(_))));
        let other = encode(&vec![1, 2, 3]).unwrap();
        assert!(matches!(decode::<Record>(&other), Err(PersistError::Shape(_))));
    }
}
