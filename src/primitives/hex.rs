//! Lowercase hex text of bytes, and back.

/// `bytes` as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes of hex text (either case); `None` for an odd length or a non-hex digit.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_garbage() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
        assert_eq!(unhex("000f10ff"), Some(vec![0, 15, 16, 255]));
        assert_eq!(unhex("000F10FF"), Some(vec![0, 15, 16, 255]));
        assert_eq!(unhex(""), Some(vec![]));
        for bad in ["0", "0g", "zz", "é0"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }
}
