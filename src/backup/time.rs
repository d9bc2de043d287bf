//! UTC calendar arithmetic for backup ids and retention (no time crate: days since the epoch,
//! proleptic Gregorian, after Howard Hinnant's `days_from_civil`).

pub const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC day number of an epoch-millisecond instant.
pub fn day_of(epoch_ms: i64) -> i64 {
    epoch_ms.div_euclid(MS_PER_DAY)
}

/// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

/// The Monday starting the ISO week that contains `days`: one number per ISO week.
pub fn week_start(days: i64) -> i64 {
    days - weekday(days)
}

/// ISO 8601 week-numbering year and week (the week belongs to the year of its Thursday).
pub fn iso_week(days: i64) -> (i64, u32) {
    let thursday = week_start(days) + 3;
    let (year, _, _) = civil_from_days(thursday);
    let ordinal = thursday - days_from_civil(year, 1, 1);
    (year, (ordinal / 7 + 1) as u32)
}

/// A month as one number (year × 12 + month − 1), so consecutive months differ by one.
pub fn month_index(days: i64) -> i64 {
    let (year, month, _) = civil_from_days(days);
    year * 12 + i64::from(month) - 1
}

fn split(epoch_ms: i64) -> ((i64, u32, u32), i64, i64, i64, i64) {
    let (date, ms_of_day) = (civil_from_days(day_of(epoch_ms)), epoch_ms.rem_euclid(MS_PER_DAY));
    let secs = ms_of_day / 1000;
    (date, secs / 3600, secs / 60 % 60, secs % 60, ms_of_day % 1000)
}

/// `2026-11-26T03:23:00.123Z`.
pub fn iso8601(epoch_ms: i64) -> String {
    let ((y, mo, d), h, mi, s, ms) = split(epoch_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// A backup id: its start time in UTC to the second, safe in object keys and URLs
/// (`2026-11-26T03-23-00Z`).
pub fn backup_id(epoch_ms: i64) -> String {
    let ((y, mo, d), h, mi, s, _) = split(epoch_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}-{mi:02}-{s:02}Z")
}

/// The start time (epoch ms) a backup id names; `None` for anything not exactly of that form.
pub fn parse_backup_id(id: &str) -> Option<i64> {
    let b = id.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 | 13 | 16 => *c == b'-',
            10 => *c == b'T',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| id[r].parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let ms = days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
    // Rejects dates such as 02-30 that the arithmetic would silently roll over.
    (backup_id(ms) == id).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(13) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2, "2000 is a leap year");
        assert_eq!(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1, "2100 is not");
    }

    #[test]
    fn weekdays_and_iso_weeks() {
        assert_eq!(weekday(days_from_civil(2026, 11, 26)), 3, "a Thursday");
        assert_eq!(weekday(days_from_civil(2026, 11, 23)), 0, "a Monday");
        // Year boundaries: 2021-01-03 (Sunday) is in 2020-W53; 2024-12-30 (Monday) in 2025-W01.
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        assert_eq!(iso_week(days_from_civil(2021, 1, 4)), (2021, 1));
        assert_eq!(iso_week(days_from_civil(2024, 12, 30)), (2025, 1));
        assert_eq!(iso_week(days_from_civil(2026, 11, 26)), (2026, 48));
        assert_eq!(iso_week(days_from_civil(2027, 1, 1)), (2026, 53));
    }

    #[test]
    fn ids_round_trip_and_reject_lookalikes() {
        let ms = (days_from_civil(2026, 11, 26) * 86_400 + 3 * 3600 + 23 * 60 + 7) * 1000 + 999;
        assert_eq!(backup_id(ms), "2026-11-26T03-23-07Z");
        assert_eq!(iso8601(ms), "2026-11-26T03:23:07.999Z");
        assert_eq!(parse_backup_id("2026-11-26T03-23-07Z"), Some(ms - 999));
        for bad in [
            "",
            "2026-11-26T03:23:07Z",
            "2026-11-26T03-23-07",
            "2026-02-30T00-00-00Z",
            "2026-13-01T00-00-00Z",
            "2026-11-26T24-00-00Z",
            "2026-11-26T03-23-07Z/",
            "../11-26T03-23-07Z..",
            "2026-11-26t03-23-07Z",
        ] {
            assert_eq!(parse_backup_id(bad), None, "{bad}");
        }
    }
}
