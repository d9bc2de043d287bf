//! Run reports and the alert webhook: an HMAC-SHA256-signed JSON POST when a run's errors pass
//! the threshold, so the receiver can verify it came from us.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::mcp::session::hex;

/// Errors in one run above which the webhook fires (issue #4: default 5).
pub const DEFAULT_ERROR_THRESHOLD: u32 = 5;
/// Header carrying `sha256=<hex hmac of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Porygon-Signature";

/// What a finished (or failed) run reports: to logs, Analytics Engine and, past the threshold,
/// the webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run_id: String,
    pub trigger: String,
    pub pokemon_processed: u32,
    pub documents_written: u32,
    pub documents_deleted: u32,
    pub documents_unchanged: u32,
    pub embeddings_generated: u32,
    pub errors: u32,
    pub error_samples: Vec<String>,
    pub duration_ms: u64,
}

impl RunReport {
    pub fn needs_alert(&self, threshold: u32) -> bool {
        self.errors > threshold
    }
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Constant-time check of a signature header, for receivers (and our tests).
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else { return false };
    let Some(sig) = unhex(hex_sig) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_detect_tampering() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify(b"other", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"x", "md5=00"));
        assert!(!verify(b"Jefe", b"x", "sha256=zz"));
    }

    #[test]
    fn threshold_is_strictly_more_than() {
        let mut r = RunReport { errors: DEFAULT_ERROR_THRESHOLD, ..Default::default() };
        assert!(!r.needs_alert(DEFAULT_ERROR_THRESHOLD));
        r.errors += 1;
        assert!(r.needs_alert(DEFAULT_ERROR_THRESHOLD));
    }
}
