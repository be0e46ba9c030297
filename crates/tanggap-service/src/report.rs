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

mod overdue;

pub use overdue::OverdueComplaint;

use crate::complaints::scope_for;
use crate::error::ServiceError;
use crate::{Principal, Services};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tanggap_core::lifecycle::Action;
use tanggap_core::{Complaint, ComplaintType, Status, TimeStandards, WorkingCalendar};
use tanggap_store::{Scope, StoredEvent, micros};

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
    fn of(mut days: Vec<i64>) -> Self {
        days.sort_unstable();
        let count = days.len();
        if count == 0 {
            return Self::default();
        }
        let median = if count % 2 == 1 {
            days[count / 2] as f64
        } else {
            (days[count / 2 - 1] + days[count / 2]) as f64 / 2.0
        };
        let rank = (count * 9).div_ceil(10);
        Self {
            count: count as u64,
            median: Some(median),
            p90: Some(days[rank - 1]),
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
        let complaints = self
            .store
            .complaints_for_report(micros(from), micros(to))
            .await?;
        let mut figures = compute(&complaints, from, to, &calendar, &standards);
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
        let current = self.report_figures(principal, period).await?;
        let previous_quarter = self
            .report_figures(principal, period.shifted_months(-3)?)
            .await?;
        let year_earlier = self
            .report_figures(principal, period.shifted_months(-12)?)
            .await?;
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

/// A complaint's state at an instant, rebuilt from its events.
#[derive(Debug)]
struct Replay {
    status: Status,
    lead_agency: Option<String>,
    /// The deadline that applies in the current status, as the lifecycle sets it.
    due_at: Option<Timestamp>,
    verified_at: Option<Timestamp>,
    /// Working days on hold before verification.
    paused_days_at_verification: i64,
    first_dispatch_at: Option<Timestamp>,
    first_followup_at: Option<Timestamp>,
    first_response_at: Option<Timestamp>,
}

/// Replays the events before `until`. Deadlines follow the lifecycle's
/// rules with the time standards in force now.
// NOTE: a change of the time standards also changes the deadlines of past
// periods, because the standards in force at the time are not stored.
fn replay(
    complaint: &Complaint,
    events: &[StoredEvent],
    until: Timestamp,
    calendar: &WorkingCalendar,
    standards: &TimeStandards,
) -> Replay {
    let verification_deadline = |paused: i64| {
        let arrival = calendar.effective_date(calendar.local_date(complaint.received_at));
        let days = standards.verification_days + u32::try_from(paused).unwrap_or(0);
        calendar.end_of_day(calendar.add_working_days(arrival, days))
    };
    let mut state = Replay {
        status: Status::Received,
        lead_agency: None,
        due_at: None,
        verified_at: None,
        paused_days_at_verification: 0,
        first_dispatch_at: None,
        first_followup_at: None,
        first_response_at: None,
    };
    let mut paused = 0;
    let mut held_at = None;
    let mut complaint_type = complaint.complaint_type;
    let mut supervision = complaint.supervision;
    let mut resolution_due = None;
    for stored in events.iter().filter(|e| e.event.at < until) {
        let event = &stored.event;
        let at = event.at;
        state.status = event.to_status;
        match event.action {
            Action::Register => state.due_at = Some(verification_deadline(0)),
            Action::Verify => {
                state.verified_at.get_or_insert(at);
                state.paused_days_at_verification = paused;
                if let Some(code) = event.data["complaint_type"].as_str()
                    && let Some(parsed) = ComplaintType::from_code(code)
                {
                    complaint_type = parsed;
                }
                if let Some(flag) = event.data["supervision"].as_bool() {
                    supervision = flag;
                }
            }
            Action::Hold => {
                held_at = Some(at);
                state.due_at = None;
            }
            Action::Complete => {
                if let Some(held) = held_at.take() {
                    paused += calendar
                        .working_days_between(calendar.local_date(held), calendar.local_date(at));
                }
                state.due_at = Some(verification_deadline(paused));
            }
            Action::Dispatch => {
                state.lead_agency = event.data["lead_agency"].as_str().map(str::to_owned);
                state.first_dispatch_at.get_or_insert(at);
                let resolution_days = standards.resolution_days_for(complaint_type, supervision);
                resolution_due = Some(calendar.deadline(at, resolution_days));
                state.due_at = Some(calendar.deadline(at, standards.followup_days));
            }
            Action::Return => {
                state.lead_agency = None;
                state.due_at = Some(calendar.deadline(at, standards.verification_days));
            }
            Action::FollowUp => {
                state.first_followup_at.get_or_insert(at);
                state.due_at = resolution_due;
            }
            Action::Respond => {
                state.first_followup_at.get_or_insert(at);
                state.first_response_at.get_or_insert(at);
                state.due_at = None;
            }
            Action::ReporterReject | Action::Reopen => {
                let due = calendar.deadline(at, standards.reopened_response_days);
                resolution_due = Some(due);
                state.due_at = Some(due);
            }
            Action::Archive
            | Action::AutoArchive
            | Action::Forward
            | Action::Resolve
            | Action::AutoResolve
            | Action::ReporterAccept => state.due_at = None,
            Action::Note
            | Action::Link
            | Action::Attach
            | Action::Reminder
            | Action::Escalation => {}
        }
    }
    state
}

fn bump(tally: &mut Tally, key: Option<&str>) {
    *tally.entry(key.unwrap_or(NONE_KEY).to_owned()).or_default() += 1;
}

/// Computes the figures of `[from, to)` from the complaints the store
/// returned for it.
pub(crate) fn compute(
    complaints: &[(Complaint, Vec<StoredEvent>)],
    from: Timestamp,
    to: Timestamp,
    calendar: &WorkingCalendar,
    standards: &TimeStandards,
) -> Figures {
    let mut figures = Figures::default();
    let mut verify_days = Vec::new();
    let mut followup_days = Vec::new();
    let mut resolve_days = Vec::new();
    let mut overdue: Tally = Tally::new();
    let mut recurring: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut held = BTreeSet::new();
    let mut forwarded = BTreeSet::new();
    let mut returned = BTreeSet::new();
    let mut reopened = BTreeSet::new();
    let mut rating_sum = 0u64;

    for (complaint, events) in complaints {
        let state = replay(complaint, events, to, calendar, standards);

        // Open book.
        if !state.status.is_terminal() && state.due_at.is_some_and(|due| due <= to) {
            figures.overdue_at_end += 1;
            bump(&mut overdue, state.lead_agency.as_deref());
        }

        // Activity.
        for stored in events
            .iter()
            .filter(|e| from <= e.event.at && e.event.at < to)
        {
            let event = &stored.event;
            let id = complaint.id;
            match event.action {
                Action::Hold => {
                    held.insert(id);
                }
                Action::Forward => {
                    forwarded.insert(id);
                }
                Action::Return => {
                    returned.insert(id);
                }
                Action::Reopen | Action::ReporterReject => {
                    reopened.insert(id);
                }
                Action::Archive | Action::AutoArchive => {
                    bump(&mut figures.archived_by_reason, event.data["code"].as_str());
                }
                _ => {}
            }
            if matches!(
                event.action,
                Action::ReporterAccept | Action::ReporterReject
            ) {
                let s = &mut figures.satisfaction;
                s.replies += 1;
                if event.action == Action::ReporterAccept {
                    s.satisfied += 1;
                }
                if let Some(rating) = event.data["rating"].as_u64() {
                    s.ratings += 1;
                    rating_sum += rating;
                }
            }
        }

        // Cohort.
        if complaint.received_at < from {
            continue;
        }
        figures.received += 1;
        let local = complaint.received_at.to_zoned(calendar.time_zone().clone());
        let month = format!("{:04}-{:02}", local.year(), local.month());
        figures
            .received_by_month
            .entry(month)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        bump(
            &mut figures.received_by_channel,
            Some(complaint.channel.code()),
        );
        bump(
            &mut figures.received_by_type,
            Some(complaint.complaint_type.code()),
        );
        bump(
            &mut figures.received_by_category,
            complaint.category.as_deref(),
        );
        bump(
            &mut figures.received_by_agency,
            state.lead_agency.as_deref(),
        );
        let kelurahan = complaint.location.kelurahan_code.as_deref();
        bump(
            &mut figures.received_by_kecamatan,
            kelurahan.map(|code| code.get(..8).unwrap_or(code)),
        );
        bump(&mut figures.received_by_kelurahan, kelurahan);
        bump(&mut figures.status_at_end, Some(state.status.code()));
        if let (Some(category), Some(kelurahan)) = (&complaint.category, kelurahan) {
            *recurring
                .entry((category.clone(), kelurahan.to_owned()))
                .or_default() += 1;
        }

        let agency = state.lead_agency.as_deref().unwrap_or(NONE_KEY).to_owned();
        let mut timeliness = Timeliness::default();

        let arrival = calendar.effective_date(calendar.local_date(complaint.received_at));
        let paused = u32::try_from(state.paused_days_at_verification).unwrap_or(0);
        let verification_due = calendar
            .end_of_day(calendar.add_working_days(arrival, standards.verification_days + paused));
        if let Some(verified) = state.verified_at {
            timeliness.verified.add(verified < verification_due);
            let days = calendar.working_days_elapsed(complaint.received_at, verified);
            verify_days.push((days - state.paused_days_at_verification).max(0));
        } else if state.status == Status::Received && verification_due <= to {
            timeliness.verified.add(false);
        }

        if let Some(dispatched) = state.first_dispatch_at {
            let followup_due = calendar.deadline(dispatched, standards.followup_days);
            if let Some(followed_up) = state.first_followup_at {
                timeliness.followed_up.add(followed_up < followup_due);
                followup_days.push(calendar.working_days_elapsed(dispatched, followed_up));
            } else if state.status == Status::Dispatched && followup_due <= to {
                timeliness.followed_up.add(false);
            }

            let resolution_days =
                standards.resolution_days_for(complaint.complaint_type, complaint.supervision);
            let resolution_due = calendar.deadline(dispatched, resolution_days);
            if let Some(responded) = state.first_response_at {
                timeliness.resolved.add(responded < resolution_due);
                resolve_days.push(calendar.working_days_elapsed(dispatched, responded));
            } else if matches!(state.status, Status::Dispatched | Status::InProgress)
                && resolution_due <= to
            {
                timeliness.resolved.add(false);
            }
        }

        merge(&mut figures.verified_in_time, timeliness.verified);
        merge(&mut figures.followed_up_in_time, timeliness.followed_up);
        merge(&mut figures.resolved_in_time, timeliness.resolved);
        let by_agency = figures.timeliness_by_agency.entry(agency).or_default();
        merge(&mut by_agency.verified, timeliness.verified);
        merge(&mut by_agency.followed_up, timeliness.followed_up);
        merge(&mut by_agency.resolved, timeliness.resolved);
    }

    figures.days_to_verify = Durations::of(verify_days);
    figures.days_to_follow_up = Durations::of(followup_days);
    figures.days_to_resolve = Durations::of(resolve_days);
    figures.held = held.len() as u64;
    figures.forwarded = forwarded.len() as u64;
    figures.returned = returned.len() as u64;
    figures.reopened = reopened.len() as u64;
    let s = &mut figures.satisfaction;
    s.share_satisfied = (s.replies > 0).then(|| s.satisfied as f64 / s.replies as f64);
    s.average_rating = (s.ratings > 0).then(|| rating_sum as f64 / s.ratings as f64);

    let mut overdue: Vec<(String, u64)> = overdue.into_iter().collect();
    overdue.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    figures.overdue_by_agency = overdue;
    let mut problems: Vec<RecurringProblem> = recurring
        .into_iter()
        .filter(|(_, count)| *count >= RECURRING_MIN)
        .map(|((category, kelurahan), count)| RecurringProblem {
            category,
            kelurahan,
            count,
        })
        .collect();
    problems.sort_by_key(|problem| std::cmp::Reverse(problem.count));
    figures.recurring = problems;
    figures
}

fn merge(total: &mut Ratio, part: Ratio) {
    total.met += part.met;
    total.counted += part.counted;
    total.share = (total.counted > 0).then(|| total.met as f64 / total.counted as f64);
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
