//! Opaque offset cursors: `*/list` results page through them, and so do tools that page
//! (`get_usage_stats`), each with its own prefix so one list's cursor is refused by another.

use rmcp::model::ErrorData;

/// Items per page of `*/list` results.
pub(crate) const PAGE_SIZE: usize = 50;

const PREFIX: &str = "o:";

/// One page of `items` starting at `cursor`, and the cursor of the next page if any.
/// A cursor we did not issue is `-32602` (spec: "Invalid cursors SHOULD result in -32602").
pub(crate) fn paginate<T>(
    items: Vec<T>,
    cursor: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ErrorData> {
    let start = match cursor {
        None => 0,
        Some(c) => decode_offset(PREFIX, c, items.len())
            .ok_or_else(|| ErrorData::invalid_params("Invalid cursor", None))?,
    };
    let end = (start + PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| encode(PREFIX, end));
    Ok((items.into_iter().skip(start).take(end - start).collect(), next))
}

/// The cursor of the page starting at `offset`.
pub(crate) fn encode(prefix: &str, offset: usize) -> String {
    format!("{prefix}{offset}")
}

/// The offset a cursor of `prefix` names, if it is one this server could have issued for a list
/// of `len` items (0 < offset < len, at most 9 digits, nothing else).
pub(crate) fn decode_offset(prefix: &str, cursor: &str, len: usize) -> Option<usize> {
    let digits = cursor.strip_prefix(prefix)?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let offset: usize = digits.parse().ok()?;
    (offset > 0 && offset < len).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_and_rejects_foreign_cursors() {
        let items: Vec<u32> = (0..(PAGE_SIZE as u32 * 2 + 3)).collect();
        let (first, next) = paginate(items.clone(), None).unwrap();
        assert_eq!(first.len(), PAGE_SIZE);
        let (second, next) = paginate(items.clone(), next.as_deref()).unwrap();
        assert_eq!(second[0], PAGE_SIZE as u32);
        let (third, next) = paginate(items.clone(), next.as_deref()).unwrap();
        assert_eq!(third.len(), 3);
        assert_eq!(next, None);
        for bad in ["", "o:", "o:0", "o:-1", "o:999999", "o:1e3", "x:5", "o:99999999999999999999"] {
            assert_eq!(paginate(items.clone(), Some(bad)).unwrap_err().code.0, -32602, "{bad}");
        }
        let (empty, next) = paginate(Vec::<u8>::new(), None).unwrap();
        assert!(empty.is_empty() && next.is_none());
    }

    #[test]
    fn offsets_round_trip_under_their_own_prefix_only() {
        assert_eq!(decode_offset("u:", &encode("u:", 7), 10), Some(7));
        for bad in ["o:7", "u:+7", "u:07x", "u: 7", "u:10", "u:0"] {
            assert_eq!(decode_offset("u:", bad, 10), None, "{bad}");
        }
    }
}
