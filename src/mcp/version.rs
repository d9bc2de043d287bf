//! Protocol revisions this server speaks, and what differs between them.

use rmcp::model::ProtocolVersion;

/// Revisions negotiable through `initialize`, oldest first.
pub(crate) const WITH_INITIALIZE: [ProtocolVersion; 4] = [
    ProtocolVersion::V_2024_11_05,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
];

/// Every revision served, oldest first. 2026-07-28 is stateless (no `initialize`).
pub(crate) const SUPPORTED: [ProtocolVersion; 5] = [
    ProtocolVersion::V_2024_11_05,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// What a client that sends no `MCP-Protocol-Version` header is assumed to speak (spec 2025-06-18
/// "Protocol Version Header": "the server SHOULD assume protocol version 2025-03-26").
pub(crate) const DEFAULT_WITHOUT_HEADER: ProtocolVersion = ProtocolVersion::V_2025_03_26;

pub(crate) fn parse_supported(raw: &str) -> Option<ProtocolVersion> {
    SUPPORTED.iter().find(|v| v.as_str() == raw).cloned()
}

/// Answer to `initialize`: echo the client's revision when we speak it over `initialize`,
/// otherwise offer our newest such revision (the client may then disconnect).
pub(crate) fn negotiate(requested: &ProtocolVersion) -> ProtocolVersion {
    if WITH_INITIALIZE.contains(requested) {
        requested.clone()
    } else {
        ProtocolVersion::LATEST_WITH_INITIALIZE
    }
}

/// Revision-dependent behaviour, in one place.
pub(crate) trait Revision {
    /// JSON-RPC batches were allowed only in 2025-03-26 (and tolerated in 2024-11-05).
    fn allows_batches(&self) -> bool;
    /// 2026-07-28 dropped `initialize` and sessions: every request carries its own context.
    fn is_stateless(&self) -> bool;
}

impl Revision for ProtocolVersion {
    fn allows_batches(&self) -> bool {
        self.as_str() <= ProtocolVersion::V_2025_03_26.as_str()
    }

    fn is_stateless(&self) -> bool {
        !self.has_initialize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_supported_and_falls_back_to_latest_with_initialize() {
        for v in WITH_INITIALIZE {
            assert_eq!(negotiate(&v), v);
        }
        let future = serde_json::from_str::<ProtocolVersion>("\"2099-01-01\"").unwrap();
        assert_eq!(negotiate(&future), ProtocolVersion::V_2025_11_25);
        assert_eq!(negotiate(&ProtocolVersion::V_2026_07_28), ProtocolVersion::V_2025_11_25);
        let ancient = serde_json::from_str::<ProtocolVersion>("\"2023-01-01\"").unwrap();
        assert_eq!(negotiate(&ancient), ProtocolVersion::V_2025_11_25);
    }

    #[test]
    fn revision_features() {
        assert!(ProtocolVersion::V_2025_03_26.allows_batches());
        assert!(!ProtocolVersion::V_2025_06_18.allows_batches());
        assert!(!ProtocolVersion::V_2025_11_25.allows_batches());
        assert!(ProtocolVersion::V_2026_07_28.is_stateless());
        assert!(!ProtocolVersion::V_2025_11_25.is_stateless());
        assert_eq!(parse_supported("2025-06-18"), Some(ProtocolVersion::V_2025_06_18));
        assert_eq!(parse_supported("2025-06-19"), None);
    }
}
