//! Which backups to keep: the newest complete backup of each of the last 7 UTC days, of each
//! of the last 4 ISO weeks and of each of the last 12 months (the current day, week and month
//! included), plus the newest complete backup whatever its age. Incomplete backups (no manifest:
//! a run that failed or was abandoned) are deleted once older than a day; younger ones may still
//! be running. Ids that are not backup ids, and backups dated in the future, are never deleted.

use serde::{Deserialize, Serialize};

use crate::primitives::calendar::{day_of, iso_week, month_index, parse_backup_id, week_start, MS_PER_DAY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub daily: i64,
    pub weekly: i64,
    pub monthly: i64,
    /// How long an incomplete backup is given before it counts as abandoned.
    pub incomplete_grace_ms: i64,
}

pub(crate) const POLICY: Policy =
    Policy { daily: 7, weekly: 4, monthly: 12, incomplete_grace_ms: MS_PER_DAY };

/// One backup found in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub id: String,
    /// Has a manifest.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Kept {
    pub id: String,
    /// Why: `newest`, `daily 2026-11-26`, `weekly 2026-W48`, `monthly 2026-11`, `incomplete, recent`,
    /// `future`, `not a backup id`.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Selection {
    /// Newest first.
    pub keep: Vec<Kept>,
    /// Newest first.
    pub delete: Vec<String>,
}

pub(crate) fn select(backups: &[Listed], now_ms: i64, policy: &Policy) -> Selection {
    let today = day_of(now_ms);
    let mut dated: Vec<(i64, &Listed)> = Vec::new();
    let mut selection = Selection::default();
    for b in backups {
        match parse_backup_id(&b.id) {
            Some(t) => dated.push((t, b)),
            None => selection.keep.push(Kept { id: b.id.clone(), reasons: vec!["not a backup id".into()] }),
        }
    }
    // Newest first; equal times cannot happen for distinct ids (the id is the time).
    dated.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.id.cmp(&a.1.id)));
    dated.dedup_by(|a, b| a.1.id == b.1.id);

    let (mut days, mut weeks, mut months) = (Vec::new(), Vec::new(), Vec::new());
    let mut newest_seen = false;
    for (t, b) in dated {
        let mut reasons = Vec::new();
        let day = day_of(t);
        if t > now_ms {
            reasons.push("future".to_owned());
        } else if !b.complete {
            if now_ms - t <= policy.incomplete_grace_ms {
                reasons.push("incomplete, recent".to_owned());
            }
        } else {
            if !newest_seen {
                newest_seen = true;
                reasons.push("newest".to_owned());
            }
            if today - day < policy.daily && !days.contains(&day) {
                days.push(day);
                reasons.push(format!("daily {}", &b.id[..10]));
            }
            let week = week_start(day);
            if (week_start(today) - week) / 7 < policy.weekly && !weeks.contains(&week) {
                weeks.push(week);
                let (y, w) = iso_week(day);
                reasons.push(format!("weekly {y}-W{w:02}"));
            }
            let month = month_index(day);
            if month_index(today) - month < policy.monthly && !months.contains(&month) {
                months.push(month);
                reasons.push(format!("monthly {}", &b.id[..7]));
            }
        }
        if reasons.is_empty() {
            selection.delete.push(b.id.clone());
        } else {
            selection.keep.push(Kept { id: b.id.clone(), reasons });
        }
    }
    selection.keep.sort_by(|a, b| b.id.cmp(&a.id));
    selection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::calendar::{backup_id, days_from_civil};

    fn at(y: i64, m: u32, d: u32, h: i64, mi: i64) -> i64 {
        (days_from_civil(y, m, d).expect("a real date") * 86_400 + h * 3600 + mi * 60) * 1000
    }

    fn complete(ms: i64) -> Listed {
        Listed { id: backup_id(ms), complete: true }
    }

    fn kept_ids(s: &Selection) -> Vec<&str> {
        s.keep.iter().map(|k| k.id.as_str()).collect()
    }

    fn reasons<'a>(s: &'a Selection, id: &str) -> &'a [String] {
        &s.keep.iter().find(|k| k.id == id).unwrap_or_else(|| panic!("{id} not kept")).reasons
    }

    /// Now: Thursday 2026-11-26 05:00 UTC (ISO week 2026-W48, which started Monday 11-23).
    fn now() -> i64 {
        at(2026, 11, 26, 5, 0)
    }

    #[test]
    fn a_year_and_more_of_daily_backups() {
        // One backup every day at 03:23 for 500 days, up to today.
        let backups: Vec<Listed> =
            (0..500).map(|i| complete(at(2026, 11, 26, 3, 23) - i * MS_PER_DAY)).collect();
        let s = select(&backups, now(), &POLICY);
        let mut expected: Vec<String> =
            (20..=26).rev().map(|d| format!("2026-11-{d:02}T03-23-00Z")).collect();
        // Weeks W47 (ends Sun 11-22, already daily), W46 → 11-15, W45 → 11-08.
        expected.extend(["2026-11-15T03-23-00Z", "2026-11-08T03-23-00Z"].map(String::from));
        // Months: the last day of each of the 11 months before November.
        for (y, m, d) in [
            (2026, 10, 31),
            (2026, 9, 30),
            (2026, 8, 31),
            (2026, 7, 31),
            (2026, 6, 30),
            (2026, 5, 31),
            (2026, 4, 30),
            (2026, 3, 31),
            (2026, 2, 28),
            (2026, 1, 31),
            (2025, 12, 31),
        ] {
            expected.push(format!("{y}-{m:02}-{d:02}T03-23-00Z"));
        }
        assert_eq!(kept_ids(&s), expected.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(s.keep.len(), 20);
        assert_eq!(s.delete.len(), 480);
        assert_eq!(
            reasons(&s, "2026-11-26T03-23-00Z"),
            ["newest", "daily 2026-11-26", "weekly 2026-W48", "monthly 2026-11"]
        );
        assert_eq!(reasons(&s, "2026-11-22T03-23-00Z"), ["daily 2026-11-22", "weekly 2026-W47"]);
        assert_eq!(reasons(&s, "2026-11-08T03-23-00Z"), ["weekly 2026-W45"]);
        assert_eq!(reasons(&s, "2025-12-31T03-23-00Z"), ["monthly 2025-12"]);
        assert!(s.delete.contains(&"2026-11-19T03-23-00Z".to_owned()), "8 days ago, same week as none kept");
        assert!(s.delete.contains(&"2025-11-30T03-23-00Z".to_owned()), "13 months ago");
    }

    #[test]
    fn only_the_newest_of_a_day_is_kept() {
        let backups = vec![
            complete(at(2026, 11, 25, 3, 23)),
            complete(at(2026, 11, 25, 12, 0)),
            complete(at(2026, 11, 25, 23, 59)),
        ];
        let s = select(&backups, now(), &POLICY);
        assert_eq!(kept_ids(&s), ["2026-11-25T23-59-00Z"]);
        assert_eq!(s.delete, ["2026-11-25T12-00-00Z", "2026-11-25T03-23-00Z"]);
    }

    #[test]
    fn incomplete_backups_get_a_day() {
        let backups = vec![
            complete(at(2026, 11, 26, 3, 23)),
            Listed { id: backup_id(at(2026, 11, 26, 4, 0)), complete: false },
            Listed { id: backup_id(at(2026, 11, 25, 5, 0)), complete: false }, // exactly a day
            Listed { id: backup_id(at(2026, 11, 25, 4, 59)), complete: false },
            Listed { id: backup_id(at(2026, 10, 1, 0, 0)), complete: false },
        ];
        let s = select(&backups, now(), &POLICY);
        assert_eq!(kept_ids(&s), ["2026-11-26T04-00-00Z", "2026-11-26T03-23-00Z", "2026-11-25T05-00-00Z"]);
        assert_eq!(reasons(&s, "2026-11-26T04-00-00Z"), ["incomplete, recent"]);
        assert_eq!(s.delete, ["2026-11-25T04-59-00Z", "2026-10-01T00-00-00Z"]);
        // An incomplete backup never displaces a complete one from its day, week or month.
        assert_eq!(reasons(&s, "2026-11-26T03-23-00Z")[1], "daily 2026-11-26");
    }

    #[test]
    fn the_newest_complete_backup_survives_any_gap() {
        // The cron stopped two years ago: nothing is within the windows, the newest stays.
        let backups = vec![complete(at(2024, 6, 1, 3, 23)), complete(at(2024, 5, 1, 3, 23))];
        let s = select(&backups, now(), &POLICY);
        assert_eq!(kept_ids(&s), ["2024-06-01T03-23-00Z"]);
        assert_eq!(reasons(&s, "2024-06-01T03-23-00Z"), ["newest"]);
        assert_eq!(s.delete, ["2024-05-01T03-23-00Z"]);
    }

    #[test]
    fn window_edges() {
        let backups = vec![
            complete(at(2026, 11, 20, 0, 0)),   // 6 days ago: the 7th day
            complete(at(2026, 11, 19, 23, 59)), // 7th day back: W47, but 11-22 is newer… absent here
            complete(at(2026, 11, 2, 0, 0)),    // Monday of W45: 4th week back counting W48
            complete(at(2026, 11, 1, 23, 0)),   // Sunday of W44: outside the weeks, same month as 11-02
            complete(at(2025, 12, 1, 0, 0)),    // 12th month back (Dec 2025 … Nov 2026)
            complete(at(2025, 11, 30, 23, 59)), // 13th month: out
        ];
        let s = select(&backups, now(), &POLICY);
        assert_eq!(
            reasons(&s, "2026-11-20T00-00-00Z"),
            ["newest", "daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11"]
        );
        assert_eq!(reasons(&s, "2026-11-02T00-00-00Z"), ["weekly 2026-W45"]);
        assert_eq!(reasons(&s, "2025-12-01T00-00-00Z"), ["monthly 2025-12"]);
        assert_eq!(s.delete, ["2026-11-19T23-59-00Z", "2026-11-01T23-00-00Z", "2025-11-30T23-59-00Z"]);
    }

    #[test]
    fn weeks_across_a_year_boundary() {
        // Now: Wednesday 2027-01-06 (2027-W01). 2027-01-01..03 belong to 2026-W53.
        let now = at(2027, 1, 6, 5, 0);
        let backups = vec![complete(at(2027, 1, 3, 3, 0)), complete(at(2026, 12, 27, 3, 0))];
        let s = select(&backups, now, &POLICY);
        assert_eq!(
            reasons(&s, "2027-01-03T03-00-00Z"),
            ["newest", "daily 2027-01-03", "weekly 2026-W53", "monthly 2027-01"]
        );
        assert_eq!(reasons(&s, "2026-12-27T03-00-00Z"), ["weekly 2026-W52", "monthly 2026-12"]);
    }

    #[test]
    fn foreign_and_future_ids_are_never_deleted() {
        let backups = vec![
            Listed { id: "manual-copy".into(), complete: true },
            complete(now() + 3_600_000),
            Listed { id: backup_id(now() + 60_000), complete: false },
            complete(at(2020, 1, 1, 0, 0)),
        ];
        let s = select(&backups, now(), &POLICY);
        assert_eq!(s.delete, Vec::<String>::new(), "the 2020 backup is the newest complete one in the past");
        assert_eq!(reasons(&s, "manual-copy"), ["not a backup id"]);
        assert_eq!(reasons(&s, &backup_id(now() + 3_600_000)), ["future"]);
    }

    #[test]
    fn selection_is_a_partition_and_stable() {
        // Pseudo-random sets: keep ∪ delete = input, disjoint; re-selecting what was kept
        // (at the same time) deletes nothing more.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let count = rand(60) as usize;
            let mut backups: Vec<Listed> = Vec::new();
            for _ in 0..count {
                let id = backup_id(now() - rand(600 * MS_PER_DAY as u64) as i64);
                if !backups.iter().any(|b| b.id == id) {
                    backups.push(Listed { id, complete: rand(5) != 0 });
                }
            }
            let s = select(&backups, now(), &POLICY);
            let mut all: Vec<&str> =
                kept_ids(&s).into_iter().chain(s.delete.iter().map(String::as_str)).collect();
            all.sort_unstable();
            let mut input: Vec<&str> = backups.iter().map(|b| b.id.as_str()).collect();
            input.sort_unstable();
            assert_eq!(all, input);
            let kept: Vec<Listed> =
                backups.iter().filter(|b| kept_ids(&s).contains(&b.id.as_str())).cloned().collect();
            assert_eq!(select(&kept, now(), &POLICY).delete, Vec::<String>::new());
            assert!(s.keep.len() <= 1 + 7 + 4 + 12 + backups.iter().filter(|b| !b.complete).count());
        }
    }
}
