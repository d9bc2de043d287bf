//! UTC calendar arithmetic on day numbers (days since 1970-01-01) and epoch milliseconds, for
//! backup ids, backup retention and the statistics months: the `time` crate does the calendar;
//! this module only fixes the units porygon uses.

use time::{Date, Month, PrimitiveDateTime, Time};

pub(crate) const MS_PER_DAY: i64 = 86_400_000;
/// The Julian day number of 1970-01-01.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The date of a day number (clamped to the years -9999..=9999 the `time` crate represents,
/// far beyond any instant porygon handles).
fn date(days: i64) -> Date {
    let julian = (days + EPOCH_JULIAN_DAY)
        .clamp(i64::from(Date::MIN.to_julian_day()), i64::from(Date::MAX.to_julian_day()));
    Date::from_julian_day(julian as i32).unwrap_or(Date::MIN)
}

/// Days since 1970-01-01 of a civil date; `None` for a date that does not exist (2026-02-30).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    Some(i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY)
}

/// The civil date (year, month, day) of a day number.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let d = date(days);
    (i64::from(d.year()), u32::from(u8::from(d.month())), u32::from(d.day()))
}

/// The UTC day number of an epoch-millisecond instant.
pub(crate) fn day_of(epoch_ms: i64) -> i64 {
    epoch_ms.div_euclid(MS_PER_DAY)
}

/// Monday = 0 … Sunday = 6.
pub(crate) fn weekday(days: i64) -> i64 {
    i64::from(date(days).weekday().number_days_from_monday())
}

/// The Monday starting the ISO week that contains `days`: one number per ISO week.
pub(crate) fn week_start(days: i64) -> i64 {
    days - weekday(days)
}

/// ISO 8601 week-numbering year and week (the week belongs to the year of its Thursday).
pub(crate) fn iso_week(days: i64) -> (i64, u32) {
    let (year, week, _) = date(days).to_iso_week_date();
    (i64::from(year), u32::from(week))
}

/// A month as one number (year × 12 + month − 1), so consecutive months differ by one.
pub(crate) fn month_index(days: i64) -> i64 {
    let (year, month, _) = civil_from_days(days);
    year * 12 + i64::from(month) - 1
}

fn split(epoch_ms: i64) -> ((i64, u32, u32), i64, i64, i64, i64) {
    let (date, ms_of_day) = (civil_from_days(day_of(epoch_ms)), epoch_ms.rem_euclid(MS_PER_DAY));
    let secs = ms_of_day / 1000;
    (date, secs / 3600, secs / 60 % 60, secs % 60, ms_of_day % 1000)
}

/// `2026-11-26T03:23:00.123Z`.
pub(crate) fn iso8601(epoch_ms: i64) -> String {
    let ((y, mo, d), h, mi, s, ms) = split(epoch_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// A backup id: its start time in UTC to the second, safe in object keys and URLs
/// (`2026-11-26T03-23-00Z`).
pub(crate) fn backup_id(epoch_ms: i64) -> String {
    let ((y, mo, d), h, mi, s, _) = split(epoch_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}-{mi:02}-{s:02}Z")
}

/// The start time (epoch ms) a backup id names; `None` for anything not exactly of that form.
pub(crate) fn parse_backup_id(id: &str) -> Option<i64> {
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
    let num = |r: std::ops::Range<usize>| id[r].parse::<u8>().ok();
    let year = id[0..4].parse::<i32>().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(num(5..7)?).ok()?, num(8..10)?).ok()?;
    let time = Time::from_hms(num(11..13)?, num(14..16)?, num(17..19)?).ok()?;
    let at = PrimitiveDateTime::new(date, time).assume_utc();
    Some(at.unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(13) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{y}-{m}-{d}");
        }
        let day = |y, m, d| days_from_civil(y, m, d).unwrap();
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(day(2000, 3, 1) - day(2000, 2, 28), 2, "2000 is a leap year");
        assert_eq!(day(2100, 3, 1) - day(2100, 2, 28), 1, "2100 is not");
        assert_eq!(days_from_civil(2026, 2, 29), None);
        assert_eq!(days_from_civil(2026, 13, 1), None);
    }

    #[test]
    fn weekdays_and_iso_weeks() {
        let days_from_civil = |y, m, d| days_from_civil(y, m, d).unwrap();
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
        let ms = (days_from_civil(2026, 11, 26).unwrap() * 86_400 + 3 * 3600 + 23 * 60 + 7) * 1000 + 999;
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
