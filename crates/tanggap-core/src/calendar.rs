//! Working-day (hari kerja) arithmetic in the government's time zone.
//!
//! Government working days are Monday to Friday, minus national holidays and
//! collective leave (cuti bersama). Holidays are dated data loaded from the
//! store, never month/day rules, because the joint decree that sets them
//! changes every year and is sometimes amended mid-year.
//!
//! Deadline convention: the day a complaint arrives does not count. A
//! complaint that arrives on a non-working day counts as arriving on the next
//! working day. A deadline of `n` working days ends at the end of the `n`-th
//! working day after that arrival day, in local time.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A Monday used as the origin for counting weekdays; any Monday works.
const WEEKDAY_EPOCH: Date = jiff::civil::date(1970, 1, 5);

/// Calendar of working days for one installation.
#[derive(Clone, Debug)]
pub struct WorkingCalendar {
    time_zone: TimeZone,
    /// Holidays that fall on Monday to Friday, sorted and deduplicated.
    /// Weekend holidays change nothing, so they are dropped on construction.
    weekday_holidays: Vec<Date>,
}

impl WorkingCalendar {
    /// Builds a calendar for `time_zone` with the given holiday dates.
    pub fn new(time_zone: TimeZone, holidays: impl IntoIterator<Item = Date>) -> Self {
        let mut weekday_holidays: Vec<Date> =
            holidays.into_iter().filter(|d| is_weekday(*d)).collect();
        weekday_holidays.sort_unstable();
        weekday_holidays.dedup();
        Self {
            time_zone,
            weekday_holidays,
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// Returns the calendar date of `instant` in the installation's time zone.
    pub fn local_date(&self, instant: Timestamp) -> Date {
        instant.to_zoned(self.time_zone.clone()).date()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        is_weekday(date) && self.weekday_holidays.binary_search(&date).is_err()
    }

    /// Returns `date` itself when it is a working day, otherwise the next
    /// working day. This is the day an arrival on a weekend or holiday counts as.
    pub fn effective_date(&self, date: Date) -> Date {
        if self.is_working_day(date) {
            date
        } else {
            self.add_working_days(date, 1)
        }
    }

    /// Returns the `n`-th working day strictly after `date` (`date` itself for 0).
    ///
    /// Computed in closed form for weekdays, then pushed forward once per
    /// holiday in the range until the holiday count stops changing, so the
    /// cost grows with the number of holidays crossed, not with `n`.
    pub fn add_working_days(&self, date: Date, n: u32) -> Date {
        let mut target = add_weekdays(date, i64::from(n));
        let mut holidays_counted = 0;
        loop {
            let holidays = self.weekday_holidays_between(date, target);
            if holidays == holidays_counted {
                return target;
            }
            target = add_weekdays(target, holidays - holidays_counted);
            holidays_counted = holidays;
        }
    }

    /// Counts working days in the half-open range `(from, to]`; 0 when `to <= from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to <= from {
            return 0;
        }
        weekday_ordinal(to) - weekday_ordinal(from) - self.weekday_holidays_between(from, to)
    }

    /// Returns the instant at which the `n`-th working day after `start` ends.
    pub fn deadline(&self, start: Timestamp, n: u32) -> Timestamp {
        let arrival = self.effective_date(self.local_date(start));
        self.end_of_day(self.add_working_days(arrival, n))
    }

    /// Returns the first instant after `date` in local time, i.e. midnight
    /// at the start of the following day.
    pub fn end_of_day(&self, date: Date) -> Timestamp {
        let next = date.checked_add(1.day()).unwrap_or(Date::MAX);
        next.to_zoned(self.time_zone.clone())
            .map(|zoned| zoned.timestamp())
            .unwrap_or(Timestamp::MAX)
    }

    /// Returns the local date a deadline instant from [`Self::deadline`] falls due on.
    pub fn due_date(&self, deadline: Timestamp) -> Date {
        let last_instant = deadline
            .checked_sub(1.nanosecond())
            .unwrap_or(Timestamp::MIN);
        self.local_date(last_instant)
    }

    /// Counts working days from the local date of `from` to that of `to`.
    pub fn working_days_elapsed(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.working_days_between(
            self.effective_date(self.local_date(from)),
            self.local_date(to),
        )
    }

    /// Returns the last date with a holiday on record, if any. Deadlines past
    /// the end of the following year assume no holidays.
    pub fn holidays_known_until(&self) -> Option<Date> {
        self.weekday_holidays.last().copied()
    }

    fn weekday_holidays_between(&self, from: Date, to: Date) -> i64 {
        let start = self.weekday_holidays.partition_point(|d| *d <= from);
        let end = self.weekday_holidays.partition_point(|d| *d <= to);
        (end - start) as i64
    }
}

fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Counts weekdays from `WEEKDAY_EPOCH` up to and including `date`
/// (negative before it). The difference of two ordinals counts the weekdays
/// in the half-open range between them.
fn weekday_ordinal(date: Date) -> i64 {
    let days = i64::from((date - WEEKDAY_EPOCH).get_days());
    let weeks = days.div_euclid(7);
    let day_in_week = days.rem_euclid(7);
    weeks * 5 + (day_in_week + 1).min(5)
}

/// Returns the `n`-th weekday strictly after `date`.
fn add_weekdays(date: Date, n: i64) -> Date {
    if n == 0 {
        return date;
    }
    // A weekend day behaves like the Friday before it: the next weekday
    // after Saturday is the same as the next one after Friday.
    let monday_offset = i64::from(date.weekday().to_monday_zero_offset());
    let (base, offset) = if monday_offset > 4 {
        (date - (monday_offset - 4).days(), 4)
    } else {
        (date, monday_offset)
    };
    let weeks = n / 5;
    let rest = n % 5;
    let mut days = weeks * 7 + rest;
    if offset + rest > 4 {
        days += 2;
    }
    base.checked_add(days.days()).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn makassar() -> TimeZone {
        TimeZone::get("Asia/Makassar").expect("tzdb has Asia/Makassar")
    }

    /// Holidays of 2025 and 2026 as the SKB decrees set them (the same dates
    /// as the shipped `data/hari-libur-2025-2026.csv`).
    fn holidays() -> Vec<Date> {
        let csv = include_str!("../../../data/hari-libur-2025-2026.csv");
        csv.lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(|d| d.parse().expect("holiday date is YYYY-MM-DD"))
            .collect()
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::new(makassar(), holidays())
    }

    /// Reference implementation: walks day by day.
    fn naive_working_day(holidays: &[Date], d: Date) -> bool {
        is_weekday(d) && !holidays.contains(&d)
    }

    fn naive_add(holidays: &[Date], mut d: Date, n: u32) -> Date {
        let mut left = n;
        while left > 0 {
            d = d.tomorrow().expect("in range");
            if naive_working_day(holidays, d) {
                left -= 1;
            }
        }
        d
    }

    fn naive_deadline(holidays: &[Date], start: Timestamp, n: u32) -> Timestamp {
        let mut d = start.to_zoned(makassar()).date();
        while !naive_working_day(holidays, d) {
            d = d.tomorrow().expect("in range");
        }
        let due = naive_add(holidays, d, n);
        due.tomorrow()
            .expect("in range")
            .to_zoned(makassar())
            .expect("Makassar has no gaps")
            .timestamp()
    }

    #[test]
    fn idulfitri_2026_cuti_bersama() {
        let cal = calendar();
        // Nyepi and Idulfitri 1447 H: 19, 21 and 22 March 2026 are holidays,
        // with cuti bersama on 18, 20, 23 and 24 March. Arrival on Tuesday 17 March 2026 at
        // 10:00 WITA: the next working days are 25, 26 and 27 March.
        let start: Timestamp = "2026-03-17T02:00:00Z".parse().expect("valid");
        let due = cal.deadline(start, 3);
        assert_eq!(cal.due_date(due), date(2026, 3, 27));
        assert_eq!(due.to_string(), "2026-03-27T16:00:00Z");

        // Arrival during the holiday counts from the first working day after it.
        let during: Timestamp = "2026-03-20T05:00:00Z".parse().expect("valid");
        assert_eq!(cal.due_date(cal.deadline(during, 1)), date(2026, 3, 26));
        assert_eq!(cal.due_date(cal.deadline(during, 5)), date(2026, 4, 1));

        // 14 working days from Monday 16 March cross the whole break and
        // Good Friday (3 April).
        let monday: Timestamp = "2026-03-16T01:00:00Z".parse().expect("valid");
        assert_eq!(cal.due_date(cal.deadline(monday, 14)), date(2026, 4, 13));
    }

    #[test]
    fn night_arrival_uses_local_date() {
        let cal = calendar();
        // 01:30 WITA on Monday 2 February 2026 is still Sunday in UTC.
        let start: Timestamp = "2026-02-01T17:30:00Z".parse().expect("valid");
        assert_eq!(cal.local_date(start), date(2026, 2, 2));
        assert_eq!(cal.due_date(cal.deadline(start, 3)), date(2026, 2, 5));
        // 23:30 WITA on Friday 6 February 2026: Monday to Wednesday.
        let friday_night: Timestamp = "2026-02-06T15:30:00Z".parse().expect("valid");
        assert_eq!(
            cal.due_date(cal.deadline(friday_night, 3)),
            date(2026, 2, 11)
        );
    }

    #[test]
    fn working_days_between_skips_holidays() {
        let cal = calendar();
        assert_eq!(
            cal.working_days_between(date(2026, 3, 17), date(2026, 3, 27)),
            3
        );
        assert_eq!(
            cal.working_days_between(date(2026, 3, 27), date(2026, 3, 17)),
            0
        );
    }

    fn day_in_range() -> impl Strategy<Value = Date> {
        // Two years and more: 2025-01-01 to 2027-06-30.
        (0i32..911).prop_map(|n| date(2025, 1, 1) + n.days())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn add_matches_naive(d in day_in_range(), n in 0u32..80) {
            let cal = calendar();
            prop_assert_eq!(cal.add_working_days(d, n), naive_add(&holidays(), d, n));
        }

        #[test]
        fn deadline_matches_naive(
            d in day_in_range(),
            seconds in 0i64..86_400,
            n in 0u32..70,
        ) {
            let cal = calendar();
            let start = d.to_zoned(makassar()).expect("no gaps").timestamp()
                + seconds.seconds();
            prop_assert_eq!(cal.deadline(start, n), naive_deadline(&holidays(), start, n));
        }

        #[test]
        fn between_inverts_add(d in day_in_range(), n in 0u32..80) {
            let cal = calendar();
            let base = cal.effective_date(d);
            let due = cal.add_working_days(base, n);
            prop_assert_eq!(cal.working_days_between(base, due), i64::from(n));
        }
    }
}
