//! Operator endpoints (`/admin/*`) require `Authorization: Bearer <ADMIN_TOKEN>`.

use crate::primitives::digest::sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminAuth {
    Allowed,
    /// No or wrong token.
    Denied,
    /// The deployment has no ADMIN_TOKEN secret: admin is off, for everyone.
    Disabled,
}

/// Compares hashes in constant time, so response timing says nothing about the token.
pub(crate) fn check(authorization: Option<&str>, secret: Option<&str>) -> AdminAuth {
    let Some(secret) = secret.filter(|s| s.len() >= 16) else { return AdminAuth::Disabled };
    let presented = authorization
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    let (a, b) = (sha256(presented.as_bytes()), sha256(secret.as_bytes()));
    let diff = a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if diff == 0 && !presented.is_empty() {
        AdminAuth::Allowed
    } else {
        AdminAuth::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_admin_token() {
        let secret = Some("0123456789abcdef-secret");
        assert_eq!(check(Some("Bearer 0123456789abcdef-secret"), secret), AdminAuth::Allowed);
        assert_eq!(check(Some("bearer  0123456789abcdef-secret "), secret), AdminAuth::Allowed);
        assert_eq!(check(Some("Bearer wrong"), secret), AdminAuth::Denied);
        assert_eq!(check(Some("Basic 0123456789abcdef-secret"), secret), AdminAuth::Denied);
        assert_eq!(check(None, secret), AdminAuth::Denied);
        assert_eq!(check(Some("Bearer "), Some("short")), AdminAuth::Disabled, "weak secrets disable admin");
        assert_eq!(check(Some("Bearer x"), None), AdminAuth::Disabled);
    }
}
