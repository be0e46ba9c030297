//! Dates as Indonesian spreadsheets write them.
//!
//! Accepted, with or without a leading day name ("Senin,") and a trailing
//! time zone (WIB, WITA, WIT, UTC, GMT+8, +08:00, +0800):
//! - `14 Juli 2025 13:53`, `14 Jul 2025`, `14-Jul-2025 13.53`;
//! - `14/07/2025`, `14-07-2025 13.53`, `14.07.2025 13:53:20`, `14/07/25`;
//! - `2025-07-14`, `2025-07-14 13:53`, `2025-07-14T13:53:00`, RFC 3339.
//!
//! Numeric dates are day first, as Indonesia writes them. A time without a
//! zone is local time in the installation's zone; a date without a time is
//! that day's midnight.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};

const DAY_NAMES: &[&str] = &[
    "senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu", "ahad",
];

/// Month names and abbreviations, Indonesian and English.
const MONTHS: &[(&str, i8)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("pebruari", 2),
    ("february", 2),
    ("feb", 2),
    ("peb", 2),
    ("maret", 3),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("agustus", 8),
    ("august", 8),
    ("agu", 8),
    ("agt", 8),
    ("ags", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nopember", 11),
    ("nov", 11),
    ("desember", 12),
    ("december", 12),
    ("des", 12),
    ("dec", 12),
];

/// Indonesian zone abbreviations and their UTC offsets in hours.
const ZONES: &[(&str, i8)] = &[
    ("wib", 7),
    ("wita", 8),
    ("wit", 9),
    ("utc", 0),
    ("gmt", 0),
    ("z", 0),
];

/// Longest text the parser looks at, in bytes.
const INPUT_MAX: usize = 100;

/// Parses a date or date and time; `zone` places a value without an
/// explicit zone. The error is a short English reason for the operator.
pub fn parse_datetime(text: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("date is empty".into());
    }
    if text.len() > INPUT_MAX {
        return Err("date is longer than 100 characters".into());
    }
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    let invalid = || format!("unrecognised date {text:?}");

    let lower = text.to_lowercase().replace(',', " ");
    let mut tokens: Vec<&str> = lower
        .split_whitespace()
        .filter(|t| !DAY_NAMES.contains(t) && !matches!(*t, "pukul" | "jam" | "pkl" | "pkl."))
        .collect();

    // The zone: a trailing token, or glued to the time ("13:53+08:00").
    let mut offset: Option<Offset> = None;
    if let Some(last) = tokens.last().copied()
        && let Some(parsed) = parse_zone(last)
    {
        offset = Some(parsed);
        tokens.pop();
    }
    let mut owned: Vec<String> = tokens.iter().map(|t| (*t).to_owned()).collect();
    if offset.is_none()
        && let Some(last) = owned.last_mut()
        && let Some(split) = last.find(['+', 'z']).filter(|i| *i > 0)
    {
        let zone_text = last.split_off(split);
        offset = Some(parse_zone(&zone_text).ok_or_else(invalid)?);
    }
    // ISO date and time joined by `T`.
    if owned.len() == 1
        && let Some((date, time)) = owned[0].clone().split_once('t')
    {
        owned = vec![date.to_owned(), time.to_owned()];
    }

    let (date, rest) = parse_date(&owned).ok_or_else(invalid)?;
    let time = match rest {
        [] => Time::midnight(),
        [time] => parse_time(time).ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    let civil = DateTime::from_parts(date, time);
    let result = match offset {
        Some(offset) => offset.to_timestamp(civil),
        None => civil.to_zoned(zone.clone()).map(|z| z.timestamp()),
    };
    result.map_err(|_| invalid())
}

/// Parses the date at the start of `tokens`; returns the remaining tokens.
fn parse_date(tokens: &[String]) -> Option<(Date, &[String])> {
    // "14 Juli 2025"
    if let [day, month, year, rest @ ..] = tokens
        && let Some(month) = month_number(month)
    {
        return Some((make_date(year, month, day)?, rest));
    }
    let (first, rest) = tokens.split_first()?;
    let separator = ['/', '-', '.'].into_iter().find(|s| first.contains(*s))?;
    let parts: Vec<&str> = first.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let date = if a.len() == 4 {
        make_date(a, numeric_month(b)?, c)?
    } else {
        let month = numeric_month(b).or_else(|| month_number(b))?;
        make_date(c, month, a)?
    };
    Some((date, rest))
}

fn month_number(text: &str) -> Option<i8> {
    let text = text.trim_end_matches('.');
    MONTHS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, n)| *n)
}

fn numeric_month(text: &str) -> Option<i8> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn make_date(year: &str, month: i8, day: &str) -> Option<Date> {
    if !year.bytes().all(|b| b.is_ascii_digit()) || !day.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i16 = match year.len() {
        2 => 2000 + year.parse::<i16>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    let day: i8 = if day.len() <= 2 {
        day.parse().ok()?
    } else {
        return None;
    };
    Date::new(year, month, day).ok()
}

/// Parses `13:53`, `13.53`, `13:53:20` or `13.53.20`.
fn parse_time(text: &str) -> Option<Time> {
    let separator = if text.contains(':') { ':' } else { '.' };
    let parts: Vec<&str> = text.split(separator).collect();
    let number = |s: &str| -> Option<i8> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match parts.as_slice() {
        [h, m] => Time::new(number(h)?, number(m)?, 0, 0).ok(),
        [h, m, s] => {
            // Seconds may carry a fraction from an ISO value; it is dropped.
            let whole = s.split('.').next().unwrap_or(s);
            Time::new(number(h)?, number(m)?, number(whole)?, 0).ok()
        }
        _ => None,
    }
}

/// Parses a zone: an abbreviation, `+08:00`, `+0800`, `+08`, `GMT+8`.
fn parse_zone(text: &str) -> Option<Offset> {
    let text = text.trim().to_lowercase();
    if let Some((_, hours)) = ZONES.iter().find(|(name, _)| *name == text) {
        return Offset::from_hours(*hours).ok();
    }
    let signed = text
        .strip_prefix("gmt")
        .or_else(|| text.strip_prefix("utc"))
        .unwrap_or(&text);
    let (sign, digits) = match signed.as_bytes().first()? {
        b'+' => (1, &signed[1..]),
        b'-' => (-1, &signed[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = if digits.len() <= 2 {
        (digits.parse().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wita() -> TimeZone {
        TimeZone::get("Asia/Makassar").expect("zone")
    }

    fn utc(text: &str) -> String {
        parse_datetime(text, &wita())
            .map(|t| t.to_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn formats_from_indonesian_sheets() {
        let cases = [
            ("Senin, 14 Juli 2025 13:53", "2025-07-14T05:53:00Z"),
            ("Senin, 14 Juli 2025 13:53 WITA", "2025-07-14T05:53:00Z"),
            ("14 Juli 2025 13:53 WIB", "2025-07-14T06:53:00Z"),
            ("Jum'at, 1 Agustus 2025", "2025-07-31T16:00:00Z"),
            ("14/07/2025", "2025-07-13T16:00:00Z"),
            ("14-07-2025 13.53", "2025-07-14T05:53:00Z"),
            ("14-07-2025 13.53 +08:00", "2025-07-14T05:53:00Z"),
            ("14.07.2025 13:53:20", "2025-07-14T05:53:20Z"),
            ("14/07/25 08:00", "2025-07-14T00:00:00Z"),
            ("14-Jul-2025 13:53", "2025-07-14T05:53:00Z"),
            ("2025-07-14 13:53", "2025-07-14T05:53:00Z"),
            ("2025-07-14T13:53:00", "2025-07-14T05:53:00Z"),
            ("2025-07-14T13:53:00+07:00", "2025-07-14T06:53:00Z"),
            ("14 Juli 2025 pukul 13.53 GMT+8", "2025-07-14T05:53:00Z"),
            ("14/07/2025 13:53+0800", "2025-07-14T05:53:00Z"),
            ("14 Jul 2025 13:53 UTC", "2025-07-14T13:53:00Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(utc(text), expected, "{text}");
        }
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for text in [
            "",
            "besok",
            "31/02/2025",
            "14/13/2025",
            "14 Juli",
            "14/07/2025 25:00",
            "14/07/2025 13:53 XYZ",
            "2025/07",
            "14 Juli 2025 13:53 +99:00",
        ] {
            assert!(parse_datetime(text, &wita()).is_err(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,60}") {
            let _ = parse_datetime(&text, &wita());
        }

        #[test]
        fn numeric_dates_round_trip(
            year in 2000i16..2100, month in 1i8..=12, day in 1i8..=28,
            hour in 0i8..24, minute in 0i8..60,
        ) {
            let text = format!("{day:02}/{month:02}/{year} {hour:02}.{minute:02}");
            let parsed = parse_datetime(&text, &wita()).map_err(proptest::test_runner::TestCaseError::fail)?;
            let local = parsed.to_zoned(wita()).datetime();
            proptest::prop_assert_eq!(
                local,
                DateTime::new(year, month, day, hour, minute, 0, 0).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?
            );
        }
    }
}
