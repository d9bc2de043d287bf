//! Backups of the KV namespaces into R2 (issue #6), the pure parts: backup ids and calendar
//! arithmetic (`time`), the part format (`part`), the manifest (`manifest`), retention
//! (`retention`), the jobs' progress (`job`) and the admin routes with their statuses (`admin`).
//! `edge::backup_object` does the I/O.
//!
//! R2 layout (bucket `BACKUPS`), per backup:
//!
//! ```text
//! kv/<backup-id>/<binding>/part-00001     JSON Lines, one KV page (≤ 500 keys, ≤ 8 MiB)
//! kv/<backup-id>/<binding>/part-00002
//! kv/<backup-id>/manifest.json            written last: a backup is complete iff it exists
//! ```

pub(crate) mod admin;
pub(crate) mod job;
pub(crate) mod manifest;
pub(crate) mod part;
pub(crate) mod retention;

/// The KV bindings backed up, in order.
pub(crate) const NAMESPACES: [&str; 2] = ["STRATEGY_KV", "API_KEYS"];
/// Root of all backups in the bucket.
pub(crate) const ROOT: &str = "kv/";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BackupError {
    #[error("not a backup id: {0:?} (expected e.g. 2026-11-26T03-23-00Z)")]
    BadId(String),
    #[error("corrupt part: {0}")]
    CorruptPart(String),
    #[error("part {key} does not match its manifest checksum")]
    Checksum { key: String },
    #[error("invalid manifest: {0}")]
    BadManifest(String),
}

/// `kv/<id>/`.
pub(crate) fn prefix(backup_id: &str) -> String {
    format!("{ROOT}{backup_id}/")
}

/// `kv/<id>/manifest.json`.
pub(crate) fn manifest_key(backup_id: &str) -> String {
    format!("{}manifest.json", prefix(backup_id))
}

/// A backup id from a URL path segment, checked before it names any object.
pub(crate) fn checked_id(id: &str) -> Result<&str, BackupError> {
    crate::primitives::calendar::parse_backup_id(id)
        .map(|_| id)
        .ok_or_else(|| BackupError::BadId(id.chars().take(40).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ids() {
        assert_eq!(manifest_key("2026-11-26T03-23-00Z"), "kv/2026-11-26T03-23-00Z/manifest.json");
        assert_eq!(checked_id("2026-11-26T03-23-00Z"), Ok("2026-11-26T03-23-00Z"));
        assert!(matches!(checked_id("../../raw"), Err(BackupError::BadId(_))));
    }

    #[test]
    fn manifests_are_checked_on_read() {
        use manifest::{Manifest, NamespaceSummary, PartInfo, FORMAT};
        let id = "2026-11-26T03-23-00Z";
        let part = |key: &str| PartInfo {
            key: key.into(),
            keys: 1,
            bytes: 1,
            sha256: "00".into(),
            first_key: "a".into(),
            last_key: "a".into(),
        };
        let mut m = Manifest {
            format: FORMAT.into(),
            id: id.into(),
            trigger: "admin".into(),
            started_at: String::new(),
            started_at_ms: 0,
            finished_at: String::new(),
            finished_at_ms: 0,
            keys: 1,
            value_bytes: 1,
            part_bytes: 1,
            namespaces: vec![NamespaceSummary {
                binding: "API_KEYS".into(),
                keys: 1,
                value_bytes: 1,
                part_bytes: 1,
                vanished: 0,
                parts: vec![part("kv/2026-11-26T03-23-00Z/API_KEYS/part-00001")],
            }],
        };
        let bytes = |m: &Manifest| serde_json::to_vec(m).unwrap();
        assert_eq!(Manifest::parse(&bytes(&m), id).unwrap(), m);
        assert!(Manifest::parse(&bytes(&m), "2026-11-27T03-23-00Z").is_err(), "another backup's manifest");
        assert!(Manifest::parse(b"{}", id).is_err());
        m.namespaces[0].parts[0] = part("sets/gen9ou.json");
        assert!(Manifest::parse(&bytes(&m), id).unwrap_err().to_string().contains("outside the backup"));
        m.namespaces[0].parts[0] = part("kv/2026-11-26T03-23-00Z/STRATEGY_KV/part-00001");
        assert!(Manifest::parse(&bytes(&m), id).is_err(), "a part under another binding");
        m.namespaces[0].binding = "OTHER".into();
        assert!(Manifest::parse(&bytes(&m), id).is_err());
        m.format = "v0".into();
        assert!(Manifest::parse(&bytes(&m), id).is_err());
    }
}
