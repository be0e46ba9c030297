//! Figures of the quarterly complaint report (SOP 04/humpro) for any period.
//!
//! One body of code computes the figures for the staff page, the command
//! line and the open-data files. `docs/laporan-triwulan.md` defines each
//! figure; the doc comments on [`Figures`] repeat the definitions.
//!
//! Three populations are used, and each figure names its own:
//! - the **cohort**: complaints received in the period;
//! - the **activity**: events recorded in the period, for any complaint;
//! - the **open book**: every complaint received before the period end that
//!   is still open at the period end.
//!
//! A complaint's state at an instant comes from replaying its events up to
//! that instant, so a later change never alters the report of a past period.

mod compute;
mod overdue;

pub use overdue::OverdueComplaint;

use crate::complaints::scope_for;
use crate::error::ServiceError;
use crate::{Principal, Services};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tanggap_core::WorkingCalendar;
use tanggap_store::Scope;

/// Key used for complaints without a value in a dimension (no category,
/// no agency, no kelurahan).
pub const NONE_KEY: &str = "none";

/// Counts per value of one dimension, ordered by value.
pub type Tally = BTreeMap<String, u64>;

/// A reporting period: the local dates `[from, to)` in the installation's
/// time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First day of the period.
    pub from: Date,
    /// The day after the last day of the period.
    pub to: Date,
}

impl Period {
    /// Builds the period `[from, to)`; `to` must be after `from`.
    pub fn new(from: Date, to: Date) -> Result<Self, ServiceError> {
        if to <= from {
            return Err(ServiceError::field("to", "before_from"));
        }
        Ok(Self { from, to })
    }

    /// Builds quarter `quarter` (1 to 4) of `year`: Q1 is January to March.
    pub fn quarter(year: i16, quarter: u8) -> Result<Self, ServiceError> {
        if !(1..=4).contains(&quarter) {
            return Err(ServiceError::field("quarter", "out_of_range"));
        }
        let first_month = (quarter as i8 - 1) * 3 + 1;
        let from =
            Date::new(year, first_month, 1).map_err(|_| ServiceError::field("year", "invalid"))?;
        let to = if quarter == 4 {
            Date::new(year + 1, 1, 1)
        } else {
            Date::new(year, first_month + 3, 1)
        }
        .map_err(|_| ServiceError::field("year", "invalid"))?;
        Self::new(from, to)
    }

    /// Returns the same period moved by `months` calendar months.
    pub fn shifted_months(&self, months: i32) -> Result<Self, ServiceError> {
        let shift = |date: Date| {
            date.checked_add(jiff::Span::new().months(months))
                .map_err(|_| ServiceError::field("year", "invalid"))
        };
        Self::new(shift(self.from)?, shift(self.to)?)
    }

    pub(crate) fn instants(
        &self,
        calendar: &WorkingCalendar,
    ) -> Result<(Timestamp, Timestamp), ServiceError> {
        let start = |date: Date| {
            date.to_zoned(calendar.time_zone().clone())
                .map(|zoned| zoned.timestamp())
                .map_err(|e| ServiceError::Internal(format!("period start {date}: {e}")))
        };
        Ok((start(self.from)?, start(self.to)?))
    }
}

/// A share: how many of the counted complaints met the standard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub met: u64,
    pub counted: u64,
    /// `met / counted`, from 0 to 1; `None` when nothing was counted.
    pub share: Option<f64>,
}

impl Ratio {
    fn add(&mut self, met: bool) {
        self.counted += 1;
        if met {
            self.met += 1;
        }
        self.share = Some(self.met as f64 / self.counted as f64);
    }

    fn merge(&mut self, part: Ratio) {
        self.met += part.met;
        self.counted += part.counted;
        self.share = (self.counted > 0).then(|| self.met as f64 / self.counted as f64);
    }
}

/// Distribution of a duration in working days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    pub count: u64,
    /// The middle value; the mean of the two middle values for an even count.
    pub median: Option<f64>,
    /// 90th percentile by the nearest-rank method: the value at rank
    /// ⌈0.9 × count⌉ in ascending order.
    pub p90: Option<i64>,
}

impl Durations {
    #[cfg(test)]
    fn of(days: Vec<i64>) -> Self {
        let mut counts = compute::DayCounts::new();
        for day in days {
            *counts.entry(day).or_default() += 1;
        }
        Self::from_counts(&counts)
    }

    /// Computes the distribution from how many durations had each number
    /// of working days.
    fn from_counts(counts: &compute::DayCounts) -> Self {
        let count: u64 = counts.values().sum();
        if count == 0 {
            return Self::default();
        }
        // The value at 0-based `index` of the durations in ascending order.
        let nth = |index: u64| {
            let mut seen = 0;
            for (&days, &n) in counts {
                seen += n;
                if index < seen {
                    return days;
                }
            }
            unreachable!("index {index} is below the count {count}")
        };
        let median = if count % 2 == 1 {
            nth(count / 2) as f64
        } else {
            (nth(count / 2 - 1) + nth(count / 2)) as f64 / 2.0
        };
        let rank = (count * 9).div_ceil(10);
        Self {
            count,
            median: Some(median),
            p90: Some(nth(rank - 1)),
        }
    }
}

/// The three time-standard shares for one agency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeliness {
    pub verified: Ratio,
    pub followed_up: Ratio,
    pub resolved: Ratio,
}

/// Reporters' replies to the final response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionFigures {
    /// Replies recorded in the period (accepted or rejected).
    pub replies: u64,
    pub satisfied: u64,
    /// `satisfied / replies`; `None` without replies.
    pub share_satisfied: Option<f64>,
    /// Replies that carry a rating from 1 to 5.
    pub ratings: u64,
    pub average_rating: Option<f64>,
}

/// The same category reported 3 or more times at the same kelurahan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurringProblem {
    pub category: String,
    pub kelurahan: String,
    pub count: u64,
}

/// Minimum number of complaints of one category at one kelurahan that
/// makes a recurring problem.
pub const RECURRING_MIN: u64 = 3;

/// The figures of one period. No field contains personal data, only codes,
/// category names and counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub period: Option<Period>,
    /// Cohort size: complaints whose arrival time (`received_at`) falls in the period.
    pub received: u64,
    /// Cohort by local month of arrival, `YYYY-MM`.
    pub received_by_month: Tally,
    /// Cohort by channel code.
    pub received_by_channel: Tally,
    /// Cohort by report type code, as currently recorded.
    pub received_by_type: Tally,
    /// Cohort by category, as currently recorded.
    pub received_by_category: Tally,
    /// Cohort by lead agency code at the period end.
    pub received_by_agency: Tally,
    /// Cohort by kecamatan code (the first three parts of the kelurahan code).
    pub received_by_kecamatan: Tally,
    /// Cohort by kelurahan code.
    pub received_by_kelurahan: Tally,
    /// Cohort by status at the period end: the status after the last event
    /// before the period end (`received` when it was registered later).
    pub status_at_end: Tally,
    /// Cohort: verified before the deadline of the verification standard
    /// (moved by the working days spent on hold). Counted: verified before
    /// the period end, or still `received` at the period end with the
    /// deadline passed.
    pub verified_in_time: Ratio,
    /// Cohort: first follow-up or final response before the deadline of the
    /// follow-up standard, counted from the first dispatch. Counted:
    /// followed up before the period end, or still `dispatched` at the
    /// period end with the deadline passed.
    pub followed_up_in_time: Ratio,
    /// Cohort: first final response before the deadline of the resolution
    /// standard for the complaint's type, counted from the first dispatch.
    /// Counted: responded before the period end, or still `dispatched` or
    /// `in_progress` at the period end with the deadline passed.
    pub resolved_in_time: Ratio,
    /// The three shares above per lead agency at the period end.
    pub timeliness_by_agency: BTreeMap<String, Timeliness>,
    /// Cohort, verified before the period end: working days from arrival to
    /// verification, without the working days on hold.
    pub days_to_verify: Durations,
    /// Cohort: working days from the first dispatch to the first follow-up
    /// or final response, when that happened before the period end.
    pub days_to_follow_up: Durations,
    /// Cohort: working days from the first dispatch to the first final
    /// response, when that happened before the period end.
    pub days_to_resolve: Durations,
    /// Activity: complaints put on hold in the period.
    pub held: u64,
    /// Activity: complaints archived in the period, by reason code.
    pub archived_by_reason: Tally,
    /// Activity: complaints forwarded to an institution outside the city
    /// government in the period.
    pub forwarded: u64,
    /// Activity: complaints an agency returned as not within its authority
    /// (bukan wewenang) in the period.
    pub returned: u64,
    /// Activity: complaints reopened in the period, by staff or by the
    /// reporter's rejection of the response.
    pub reopened: u64,
    /// Activity: the reporters' replies recorded in the period.
    pub satisfaction: SatisfactionFigures,
    /// Open book: complaints open at the period end whose current deadline
    /// had passed by then.
    pub overdue_at_end: u64,
    /// Open book: the overdue complaints per lead agency, most first.
    pub overdue_by_agency: Vec<(String, u64)>,
    /// Cohort: category and kelurahan pairs with at least
    /// [`RECURRING_MIN`] complaints, most first.
    pub recurring: Vec<RecurringProblem>,
}

/// The counts compared between periods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub received: i64,
    pub resolved_at_end: i64,
    pub held: i64,
    pub archived: i64,
    pub forwarded: i64,
    pub returned: i64,
    pub reopened: i64,
    pub overdue_at_end: i64,
    pub recurring: i64,
}

impl Headline {
    /// Names of the fields, in the order of [`Headline::values`].
    pub const NAMES: [&'static str; 9] = [
        "received",
        "resolved_at_end",
        "held",
        "archived",
        "forwarded",
        "returned",
        "reopened",
        "overdue_at_end",
        "recurring",
    ];

    pub fn values(&self) -> [i64; 9] {
        [
            self.received,
            self.resolved_at_end,
            self.held,
            self.archived,
            self.forwarded,
            self.returned,
            self.reopened,
            self.overdue_at_end,
            self.recurring,
        ]
    }

    fn minus(&self, other: &Headline) -> Headline {
        Headline {
            received: self.received - other.received,
            resolved_at_end: self.resolved_at_end - other.resolved_at_end,
            held: self.held - other.held,
            archived: self.archived - other.archived,
            forwarded: self.forwarded - other.forwarded,
            returned: self.returned - other.returned,
            reopened: self.reopened - other.reopened,
            overdue_at_end: self.overdue_at_end - other.overdue_at_end,
            recurring: self.recurring - other.recurring,
        }
    }
}

impl Figures {
    /// Returns the headline counts; `resolved_at_end` is the cohort's
    /// `resolved` status at the period end.
    pub fn headline(&self) -> Headline {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Headline {
            received: count(self.received),
            resolved_at_end: count(self.status_at_end.get("resolved").copied().unwrap_or(0)),
            held: count(self.held),
            archived: count(self.archived_by_reason.values().sum()),
            forwarded: count(self.forwarded),
            returned: count(self.returned),
            reopened: count(self.reopened),
            overdue_at_end: count(self.overdue_at_end),
            recurring: count(self.recurring.len() as u64),
        }
    }

    /// Returns the figures as `(figure, dimension, value)` rows for CSV.
    pub fn rows(&self) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        let mut push = |figure: &str, dimension: &str, value: String| {
            rows.push((figure.to_owned(), dimension.to_owned(), value));
        };
        if let Some(period) = self.period {
            push("period_from", "", period.from.to_string());
            push("period_to", "", period.to.to_string());
        }
        push("received", "", self.received.to_string());
        let tallies = [
            ("received_by_month", &self.received_by_month),
            ("received_by_channel", &self.received_by_channel),
            ("received_by_type", &self.received_by_type),
            ("received_by_category", &self.received_by_category),
            ("received_by_agency", &self.received_by_agency),
            ("received_by_kecamatan", &self.received_by_kecamatan),
            ("received_by_kelurahan", &self.received_by_kelurahan),
            ("status_at_end", &self.status_at_end),
            ("archived_by_reason", &self.archived_by_reason),
        ];
        for (figure, tally) in tallies {
            for (key, count) in tally {
                push(figure, key, count.to_string());
            }
        }
        let mut ratio = |figure: &str, dimension: &str, r: &Ratio| {
            push(&format!("{figure}.met"), dimension, r.met.to_string());
            push(
                &format!("{figure}.counted"),
                dimension,
                r.counted.to_string(),
            );
            push(&format!("{figure}.share"), dimension, optional(r.share));
        };
        ratio("verified_in_time", "", &self.verified_in_time);
        ratio("followed_up_in_time", "", &self.followed_up_in_time);
        ratio("resolved_in_time", "", &self.resolved_in_time);
        for (agency, t) in &self.timeliness_by_agency {
            ratio("verified_in_time", agency, &t.verified);
            ratio("followed_up_in_time", agency, &t.followed_up);
            ratio("resolved_in_time", agency, &t.resolved);
        }
        for (figure, d) in [
            ("days_to_verify", &self.days_to_verify),
            ("days_to_follow_up", &self.days_to_follow_up),
            ("days_to_resolve", &self.days_to_resolve),
        ] {
            push(&format!("{figure}.count"), "", d.count.to_string());
            push(&format!("{figure}.median"), "", optional(d.median));
            push(&format!("{figure}.p90"), "", optional(d.p90));
        }
        push("held", "", self.held.to_string());
        push("forwarded", "", self.forwarded.to_string());
        push("returned", "", self.returned.to_string());
        push("reopened", "", self.reopened.to_string());
        let s = &self.satisfaction;
        push("satisfaction.replies", "", s.replies.to_string());
        push("satisfaction.satisfied", "", s.satisfied.to_string());
        push(
            "satisfaction.share_satisfied",
            "",
            optional(s.share_satisfied),
        );
        push("satisfaction.ratings", "", s.ratings.to_string());
        push(
            "satisfaction.average_rating",
            "",
            optional(s.average_rating),
        );
        push("overdue_at_end", "", self.overdue_at_end.to_string());
        for (agency, count) in &self.overdue_by_agency {
            push("overdue_by_agency", agency, count.to_string());
        }
        for problem in &self.recurring {
            push(
                "recurring",
                &format!("{}@{}", problem.category, problem.kelurahan),
                problem.count.to_string(),
            );
        }
        rows
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A quarter's figures with those of the previous quarter and of the same
/// quarter a year earlier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuarterlyReport {
    pub year: i16,
    pub quarter: u8,
    pub current: Figures,
    pub previous_quarter: Figures,
    pub year_earlier: Figures,
    /// Headline counts of this quarter minus those of the previous quarter.
    pub change_from_previous_quarter: Headline,
    /// Headline counts of this quarter minus those a year earlier.
    pub change_from_year_earlier: Headline,
}

impl QuarterlyReport {
    /// Writes the report as CSV with the header `figure,dimension,value`.
    /// The figures of the compared periods carry the prefixes
    /// `previous_quarter.` and `year_earlier.`, and the differences the
    /// prefixes `change_from_previous_quarter.` and `change_from_year_earlier.`.
    pub fn to_csv(&self) -> Result<String, ServiceError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let failed = |e: csv::Error| ServiceError::Internal(format!("CSV writing failed: {e}"));
        writer
            .write_record(["figure", "dimension", "value"])
            .map_err(failed)?;
        for (prefix, figures) in [
            ("", &self.current),
            ("previous_quarter.", &self.previous_quarter),
            ("year_earlier.", &self.year_earlier),
        ] {
            for (figure, dimension, value) in figures.rows() {
                writer
                    .write_record([format!("{prefix}{figure}"), dimension, value])
                    .map_err(failed)?;
            }
        }
        for (prefix, change) in [
            (
                "change_from_previous_quarter.",
                &self.change_from_previous_quarter,
            ),
            ("change_from_year_earlier.", &self.change_from_year_earlier),
        ] {
            for (name, value) in Headline::NAMES.iter().zip(change.values()) {
                writer
                    .write_record([format!("{prefix}{name}"), String::new(), value.to_string()])
                    .map_err(failed)?;
            }
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| ServiceError::Internal(format!("CSV writing failed: {e}")))?;
        String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

impl Services {
    /// Computes the figures of `period`. Only roles that may see every
    /// complaint (central admin, Sekda, complaint team) may ask.
    pub async fn report_figures(
        &self,
        principal: &Principal,
        period: Period,
    ) -> Result<Figures, ServiceError> {
        if scope_for(principal)? != Scope::All {
            return Err(ServiceError::Forbidden);
        }
        let calendar = self.calendar();
        let standards = self.standards();
        let (from, to) = period.instants(&calendar)?;
        let mut figures = self.figures_of(from, to, &calendar, &standards).await?;
        figures.period = Some(period);
        Ok(figures)
    }

    /// Computes a quarter's figures with the comparison periods.
    pub async fn quarterly_report(
        &self,
        principal: &Principal,
        year: i16,
        quarter: u8,
    ) -> Result<QuarterlyReport, ServiceError> {
        let period = Period::quarter(year, quarter)?;
        // The three periods are read at the same time, so the database's
        // work on one overlaps the replay of another.
        let (current, previous_quarter, year_earlier) = tokio::try_join!(
            self.report_figures(principal, period),
            self.report_figures(principal, period.shifted_months(-3)?),
            self.report_figures(principal, period.shifted_months(-12)?),
        )?;
        let headline = current.headline();
        Ok(QuarterlyReport {
            year,
            quarter,
            change_from_previous_quarter: headline.minus(&previous_quarter.headline()),
            change_from_year_earlier: headline.minus(&year_earlier.headline()),
            current,
            previous_quarter,
            year_earlier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_bounds() {
        let q4 = Period::quarter(2025, 4).expect("valid quarter");
        assert_eq!(q4.from, jiff::civil::date(2025, 10, 1));
        assert_eq!(q4.to, jiff::civil::date(2026, 1, 1));
        let previous = q4.shifted_months(-3).expect("valid shift");
        assert_eq!(previous, Period::quarter(2025, 3).expect("valid quarter"));
        assert!(Period::quarter(2025, 5).is_err());
        assert!(Period::quarter(2025, 0).is_err());
    }

    #[test]
    fn durations_median_and_p90() {
        let d = Durations::of(vec![5, 1, 3, 2, 4, 6, 7, 8, 9, 10]);
        assert_eq!(d.count, 10);
        assert_eq!(d.median, Some(5.5));
        assert_eq!(d.p90, Some(9));
        let single = Durations::of(vec![4]);
        assert_eq!(single.median, Some(4.0));
        assert_eq!(single.p90, Some(4));
        assert_eq!(Durations::of(Vec::new()).median, None);
    }
}
