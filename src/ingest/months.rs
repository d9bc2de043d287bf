//! Which month of Smogon's usage statistics to ingest, and which cached months to keep.
//!
//! Smogon publishes a month's statistics early in the next month, as a directory
//! (`https://www.smogon.com/stats/2026-10/`) listed in the index page of `STATS_BASE_URL`. The
//! daily run reads that listing and ingests the newest month; formats whose files are not there
//! yet are retried by the next daily run (`StatsRefresh::only_new`). `STATS_MONTH` only overrides.
//!
//! Retention (the plan's: raw usage statistics 90 days): a cached month is pruned from R2 once it
//! ended more than [`RAW_STATS_KEEP_DAYS`] ago, except the newest month of each format, which
//! the tools read whatever its age.

use crate::primitives::calendar::{day_of, days_from_civil};

pub(crate) const RAW_STATS_KEEP_DAYS: i64 = 90;

/// `YYYY-MM` with a real month (1-12) and a plausible year.
pub(crate) fn is_month(s: &str) -> bool {
    parse(s).is_some()
}

fn parse(s: &str) -> Option<(i64, u32)> {
    let (year, month) = s.split_once('-')?;
    if year.len() != 4 || month.len() != 2 || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (year, month) = (year.parse::<i64>().ok()?, month.parse::<u32>().ok()?);
    ((2000..=2999).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// The months an index page links to (`href="2026-10/"`), oldest first, without duplicates.
/// Anything else on the page — variants such as `2022-12-DLC1/`, files, other links — is ignored.
pub(crate) fn listed_months(html: &str) -> Vec<String> {
    let mut months = Vec::new();
    for part in html.split("href=").skip(1) {
        let part = part.trim_start_matches(['"', '\'']);
        let target = part.split(['"', '\'', '>', ' ']).next().unwrap_or_default();
        let target = target.strip_prefix("./").unwrap_or(target);
        let target = target.strip_suffix('/').unwrap_or(target);
        if is_month(target) {
            months.push(target.to_owned());
        }
    }
    months.sort_unstable();
    months.dedup();
    months
}

/// The month a statistics refresh ingests: `STATS_MONTH` when set to a month (an operator's
/// override), else the newest month upstream lists. `None`: nothing to refresh to.
pub(crate) fn month_to_ingest(configured: Option<&str>, listed: &[String]) -> Option<String> {
    match configured.map(str::trim).filter(|s| !s.is_empty()) {
        Some(month) if is_month(month) => Some(month.to_owned()),
        _ => listed.iter().max().cloned(),
    }
}

/// The day (since the epoch) a month ended: the first day of the next month.
fn end_day(month: &str) -> Option<i64> {
    let (year, month) = parse(month)?;
    if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    }
}

/// Which `(format, month)` pairs of the cache retention deletes at `now_ms`, sorted, each once:
/// months that ended more than `keep_days` ago, never a format's newest month (nor an unreadable
/// month name).
pub(crate) fn expired_months(cached: &[(&str, &str)], now_ms: i64, keep_days: i64) -> Vec<(String, String)> {
    let today = day_of(now_ms);
    let newest =
        |format: &str| cached.iter().filter(|(f, m)| *f == format && is_month(m)).map(|(_, m)| *m).max();
    let mut expired: Vec<(String, String)> = cached
        .iter()
        .filter(|(format, month)| {
            end_day(month).is_some_and(|end| today - end > keep_days) && Some(*month) != newest(format)
        })
        .map(|(format, month)| ((*format).to_owned(), (*month).to_owned()))
        .collect();
    expired.sort_unstable();
    expired.dedup();
    expired
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::calendar::MS_PER_DAY;

    #[test]
    fn the_listing_yields_months_only() {
        // The shape of smogon.com/stats/ (an Apache-style index).
        let html = r#"<html><body><h1>Index of /stats/</h1><pre><a href="../">../</a>
<a href="2014-11/">2014-11/</a>                                           05-Dec-2014 00:00       -
<a href="2022-12-DLC1/">2022-12-DLC1/</a>                                 03-Jan-2023 00:00       -
<a href="2026-10/">2026-10/</a>                                           03-Nov-2026 00:00       -
<a href='2026-09/'>2026-09/</a>
<a href="2026-13/">2026-13/</a> <a href="readme.txt">readme.txt</a> <a href="2026-10/">again</a>
</pre></body></html>"#;
        assert_eq!(listed_months(html), ["2014-11", "2026-09", "2026-10"]);
        assert!(listed_months("<html>maintenance</html>").is_empty());
        assert!(listed_months("").is_empty());
    }

    #[test]
    fn the_override_wins_when_it_is_a_month() {
        let listed = vec!["2026-09".to_owned(), "2026-10".to_owned()];
        assert_eq!(month_to_ingest(None, &listed).as_deref(), Some("2026-10"));
        assert_eq!(month_to_ingest(Some(""), &listed).as_deref(), Some("2026-10"));
        assert_eq!(month_to_ingest(Some(" 2024-06 "), &listed).as_deref(), Some("2024-06"));
        assert_eq!(
            month_to_ingest(Some("latest"), &listed).as_deref(),
            Some("2026-10"),
            "not a month: ignored"
        );
        assert_eq!(month_to_ingest(None, &[]), None);
    }

    #[test]
    fn retention_keeps_ninety_days_and_always_the_newest() {
        let days_from_civil = |y, m, d| days_from_civil(y, m, d).unwrap();
        let now = days_from_civil(2026, 12, 6) * MS_PER_DAY + 5_000;
        let cached = [
            ("gen9ou", "2026-05"), // ended 2026-06-01: 188 days ago
            ("gen9ou", "2026-08"), // ended 2026-09-01: 96 days
            ("gen9ou", "2026-09"), // ended 2026-10-01: 66 days
            ("gen9ou", "2026-10"),
            ("gen9ou", "2026-10"), // chaos and moveset of one month
            ("gen2nu", "2024-06"), // old, but the only month gen2nu has
            ("gen3ou", "2025-01"),
            ("gen3ou", "2025-02"),
            ("gen3ou", "junk"),
        ];
        let expired = expired_months(&cached, now, RAW_STATS_KEEP_DAYS);
        let expect: Vec<(String, String)> =
            [("gen3ou", "2025-01"), ("gen9ou", "2026-05"), ("gen9ou", "2026-08")]
                .into_iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect();
        assert_eq!(expired, expect);
        // The boundary: a month that ended exactly 90 days ago stays; a day later it goes.
        let end = days_from_civil(2026, 9, 1);
        let pair = [("gen9ou", "2026-08"), ("gen9ou", "2026-12")];
        assert!(expired_months(&pair, (end + 90) * MS_PER_DAY, 90).is_empty());
        assert_eq!(expired_months(&pair, (end + 91) * MS_PER_DAY, 90).len(), 1);
    }
}
