//! The replay of a complaint's events and the tallies of the figures.
//!
//! [`FigureTally`] takes the report's population one complaint at a time,
//! so the figures of a period are computed while the store pages through
//! it (see [`Services::figures_of`]). Its memory grows with the number of
//! distinct keys (agencies, categories, kelurahan, working-day durations),
//! not with the number of complaints.

use super::{Figures, NONE_KEY, RECURRING_MIN, RecurringProblem, Tally, Timeliness};
use crate::Services;
use crate::error::ServiceError;
use jiff::Timestamp;
use std::collections::BTreeMap;
use tanggap_core::lifecycle::Action;
use tanggap_core::{ComplaintType, Status, TimeStandards, WorkingCalendar};
use tanggap_store::{ReportComplaint, micros};

/// Complaints read from the store per query. With 10,000, the report of the
/// 100,000-complaint benchmark (three periods read at once) peaked 170 MB
/// above the process's resident memory for an empty period.
// NOTE: the peak with 1,000 has not been measured yet.
const CHUNK_COMPLAINTS: i64 = 1_000;

/// How many durations had each number of working days.
pub(super) type DayCounts = BTreeMap<i64, u64>;

/// A complaint's state at an instant, rebuilt from its events.
#[derive(Debug)]
pub(super) struct Replay {
    pub(super) status: Status,
    pub(super) lead_agency: Option<String>,
    /// The deadline that applies in the current status, as the lifecycle sets it.
    pub(super) due_at: Option<Timestamp>,
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
pub(super) fn replay(
    complaint: &ReportComplaint,
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
    for event in complaint.events.iter().filter(|e| e.at < until) {
        let at = event.at;
        state.status = event.to_status;
        match event.action {
            Action::Register => state.due_at = Some(verification_deadline(0)),
            Action::Verify => {
                state.verified_at.get_or_insert(at);
                state.paused_days_at_verification = paused;
                if let Some(code) = event.data.complaint_type.as_deref()
                    && let Some(parsed) = ComplaintType::from_code(code)
                {
                    complaint_type = parsed;
                }
                if let Some(flag) = event.data.supervision {
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
                state.lead_agency.clone_from(&event.data.lead_agency);
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
    let key = key.unwrap_or(NONE_KEY);
    match tally.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            tally.insert(key.to_owned(), 1);
        }
    }
}

/// The running tallies of one period's figures.
pub(super) struct FigureTally<'a> {
    from: Timestamp,
    to: Timestamp,
    calendar: &'a WorkingCalendar,
    standards: &'a TimeStandards,
    figures: Figures,
    verify_days: DayCounts,
    followup_days: DayCounts,
    resolve_days: DayCounts,
    overdue: Tally,
    recurring: BTreeMap<(String, String), u64>,
    rating_sum: u64,
}

impl<'a> FigureTally<'a> {
    pub(super) fn new(
        from: Timestamp,
        to: Timestamp,
        calendar: &'a WorkingCalendar,
        standards: &'a TimeStandards,
    ) -> Self {
        Self {
            from,
            to,
            calendar,
            standards,
            figures: Figures::default(),
            verify_days: DayCounts::new(),
            followup_days: DayCounts::new(),
            resolve_days: DayCounts::new(),
            overdue: Tally::new(),
            recurring: BTreeMap::new(),
            rating_sum: 0,
        }
    }

    /// Adds one complaint of the population. Each complaint must be added
    /// once, because the activity counts of distinct complaints rely on it.
    pub(super) fn add(&mut self, complaint: &ReportComplaint) {
        let (from, to) = (self.from, self.to);
        let calendar = self.calendar;
        let standards = self.standards;
        let figures = &mut self.figures;
        let state = replay(complaint, to, calendar, standards);

        // Open book.
        if !state.status.is_terminal() && state.due_at.is_some_and(|due| due <= to) {
            figures.overdue_at_end += 1;
            bump(&mut self.overdue, state.lead_agency.as_deref());
        }

        // Activity.
        let (mut held, mut forwarded, mut returned, mut reopened) = (false, false, false, false);
        for event in complaint
            .events
            .iter()
            .filter(|e| from <= e.at && e.at < to)
        {
            match event.action {
                Action::Hold => held = true,
                Action::Forward => forwarded = true,
                Action::Return => returned = true,
                Action::Reopen | Action::ReporterReject => reopened = true,
                Action::Archive | Action::AutoArchive => {
                    bump(&mut figures.archived_by_reason, event.data.code.as_deref());
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
                if let Some(rating) = event.data.rating {
                    s.ratings += 1;
                    self.rating_sum += rating;
                }
            }
        }
        figures.held += u64::from(held);
        figures.forwarded += u64::from(forwarded);
        figures.returned += u64::from(returned);
        figures.reopened += u64::from(reopened);

        // Cohort.
        if complaint.received_at < from {
            return;
        }
        figures.received += 1;
        let local = complaint.received_at.to_zoned(calendar.time_zone().clone());
        let month = format!("{:04}-{:02}", local.year(), local.month());
        bump(&mut figures.received_by_month, Some(&month));
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
        let kelurahan = complaint.kelurahan_code.as_deref();
        bump(
            &mut figures.received_by_kecamatan,
            kelurahan.map(|code| code.get(..8).unwrap_or(code)),
        );
        bump(&mut figures.received_by_kelurahan, kelurahan);
        bump(&mut figures.status_at_end, Some(state.status.code()));
        if let (Some(category), Some(kelurahan)) = (&complaint.category, kelurahan) {
            *self
                .recurring
                .entry((category.clone(), kelurahan.to_owned()))
                .or_default() += 1;
        }

        let agency = state.lead_agency.as_deref().unwrap_or(NONE_KEY);
        let mut timeliness = Timeliness::default();

        let arrival = calendar.effective_date(calendar.local_date(complaint.received_at));
        let paused = u32::try_from(state.paused_days_at_verification).unwrap_or(0);
        let verification_due = calendar
            .end_of_day(calendar.add_working_days(arrival, standards.verification_days + paused));
        if let Some(verified) = state.verified_at {
            timeliness.verified.add(verified < verification_due);
            let days = calendar.working_days_elapsed(complaint.received_at, verified);
            *self
                .verify_days
                .entry((days - state.paused_days_at_verification).max(0))
                .or_default() += 1;
        } else if state.status == Status::Received && verification_due <= to {
            timeliness.verified.add(false);
        }

        if let Some(dispatched) = state.first_dispatch_at {
            let followup_due = calendar.deadline(dispatched, standards.followup_days);
            if let Some(followed_up) = state.first_followup_at {
                timeliness.followed_up.add(followed_up < followup_due);
                *self
                    .followup_days
                    .entry(calendar.working_days_elapsed(dispatched, followed_up))
                    .or_default() += 1;
            } else if state.status == Status::Dispatched && followup_due <= to {
                timeliness.followed_up.add(false);
            }

            let resolution_days =
                standards.resolution_days_for(complaint.complaint_type, complaint.supervision);
            let resolution_due = calendar.deadline(dispatched, resolution_days);
            if let Some(responded) = state.first_response_at {
                timeliness.resolved.add(responded < resolution_due);
                *self
                    .resolve_days
                    .entry(calendar.working_days_elapsed(dispatched, responded))
                    .or_default() += 1;
            } else if matches!(state.status, Status::Dispatched | Status::InProgress)
                && resolution_due <= to
            {
                timeliness.resolved.add(false);
            }
        }

        figures.verified_in_time.merge(timeliness.verified);
        figures.followed_up_in_time.merge(timeliness.followed_up);
        figures.resolved_in_time.merge(timeliness.resolved);
        let by_agency = match figures.timeliness_by_agency.get_mut(agency) {
            Some(by_agency) => by_agency,
            None => figures
                .timeliness_by_agency
                .entry(agency.to_owned())
                .or_default(),
        };
        by_agency.verified.merge(timeliness.verified);
        by_agency.followed_up.merge(timeliness.followed_up);
        by_agency.resolved.merge(timeliness.resolved);
    }

    /// Returns the figures of the complaints added so far.
    pub(super) fn finish(self) -> Figures {
        let mut figures = self.figures;
        figures.days_to_verify = super::Durations::from_counts(&self.verify_days);
        figures.days_to_follow_up = super::Durations::from_counts(&self.followup_days);
        figures.days_to_resolve = super::Durations::from_counts(&self.resolve_days);
        let s = &mut figures.satisfaction;
        s.share_satisfied = (s.replies > 0).then(|| s.satisfied as f64 / s.replies as f64);
        s.average_rating = (s.ratings > 0).then(|| self.rating_sum as f64 / s.ratings as f64);

        let mut overdue: Vec<(String, u64)> = self.overdue.into_iter().collect();
        overdue.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        figures.overdue_by_agency = overdue;
        let mut problems: Vec<RecurringProblem> = self
            .recurring
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
}

impl Services {
    /// Calls `visit` for every complaint of the population of a report on
    /// `[from, to)`, in chunks of [`CHUNK_COMPLAINTS`] read from the store.
    pub(super) async fn for_each_report_complaint(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut visit: impl FnMut(&ReportComplaint),
    ) -> Result<(), ServiceError> {
        let mut after = i64::MIN;
        loop {
            let chunk = self
                .store
                .report_chunk(micros(from), micros(to), after, CHUNK_COMPLAINTS)
                .await?;
            chunk.iter().for_each(&mut visit);
            match chunk.last() {
                Some(last) if chunk.len() as i64 == CHUNK_COMPLAINTS => after = last.id.0,
                _ => return Ok(()),
            }
        }
    }

    /// Computes the figures of `[from, to)` while paging through the
    /// population, so memory stays bounded by one chunk and the tallies.
    pub(crate) async fn figures_of(
        &self,
        from: Timestamp,
        to: Timestamp,
        calendar: &WorkingCalendar,
        standards: &TimeStandards,
    ) -> Result<Figures, ServiceError> {
        let mut tally = FigureTally::new(from, to, calendar, standards);
        self.for_each_report_complaint(from, to, |complaint| tally.add(complaint))
            .await?;
        Ok(tally.finish())
    }
}
