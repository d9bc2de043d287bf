//! `kv/<backup-id>/manifest.json`: written last, so a backup is complete exactly when it has one.

use serde::{Deserialize, Serialize};

/// The manifest's `format` field; a reader refuses any other.
pub(crate) const FORMAT: &str = "porygon-kv-backup/1";

/// One part object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartInfo {
    /// R2 key, `kv/<id>/<binding>/part-NNNNN`.
    pub key: String,
    /// Records (KV keys) in the part.
    pub keys: u32,
    /// Size of the part object.
    pub bytes: u64,
    /// SHA-256 of the part object, lowercase hex.
    pub sha256: String,
    pub first_key: String,
    pub last_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NamespaceSummary {
    /// The KV binding (`STRATEGY_KV`, `API_KEYS`): a restore writes back into the same binding.
    pub binding: String,
    pub keys: u64,
    /// Sum of the values' sizes in bytes.
    pub value_bytes: u64,
    /// Sum of the part objects' sizes.
    pub part_bytes: u64,
    /// Keys listed but gone (deleted or expired) before their value was read.
    pub vanished: u64,
    pub parts: Vec<PartInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    pub format: String,
    pub id: String,
    pub trigger: String,
    pub started_at: String,
    pub started_at_ms: i64,
    pub finished_at: String,
    pub finished_at_ms: i64,
    pub keys: u64,
    pub value_bytes: u64,
    pub part_bytes: u64,
    pub namespaces: Vec<NamespaceSummary>,
}

impl Manifest {
    /// Parses and checks a manifest read back from R2: the format, the id it claims and the
    /// shape of its part keys (a restore reads exactly those objects).
    pub(crate) fn parse(bytes: &[u8], expected_id: &str) -> Result<Self, super::BackupError> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| super::BackupError::BadManifest(e.to_string()))?;
        if m.format != FORMAT {
            return Err(super::BackupError::BadManifest(format!("unknown format {:?}", m.format)));
        }
        if m.id != expected_id {
            return Err(super::BackupError::BadManifest(format!("manifest names {:?}", m.id)));
        }
        let prefix = super::prefix(expected_id);
        for ns in &m.namespaces {
            if !super::NAMESPACES.contains(&ns.binding.as_str()) {
                return Err(super::BackupError::BadManifest(format!("unknown namespace {:?}", ns.binding)));
            }
            if let Some(p) = ns.parts.iter().find(|p| !p.key.starts_with(&format!("{prefix}{}/", ns.binding)))
            {
                return Err(super::BackupError::BadManifest(format!("part outside the backup: {:?}", p.key)));
            }
        }
        Ok(m)
    }
}
