//! Monitoring and evaluation runs (pemantauan dan evaluasi, SOP 05).
//!
//! A run covers one quarter. Each activity of the SOP version the run
//! started under becomes a task for its performer, due a number of working
//! days after the run started (the sum of the time standards up to and
//! including the activity). A task may start only when the task before it
//! is done, because each activity's requirement is the previous one's
//! output. The documents each task produces are typed here.

use crate::WorkingCalendar;
use crate::complaint::coded_enum;
use crate::role::Role;
use crate::sop::{Sop, TimeUnit};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Number of the SOP that monitoring and evaluation runs follow.
pub const SOP_NUMBER: &str = "05/humpro";

coded_enum! {
    /// Progress of one task of a run.
    TaskStatus {
        /// Waiting for the previous task's output.
        Pending = "pending",
        InProgress = "in_progress",
        Done = "done",
    }
}

coded_enum! {
    /// Progress of a whole run.
    RunStatus {
        InProgress = "in_progress",
        /// The archive bundle exists; nothing changes any more.
        Archived = "archived",
    }
}

coded_enum! {
    /// Kind of document an activity produces, chosen by the activity id.
    DocumentKind {
        /// The quarterly recap the run starts from (`prepare`).
        Recap = "recap",
        /// Monitoring report of site visits (`site_visit`).
        MonitoringReport = "monitoring_report",
        /// Minutes of a coordination meeting (`agency_meeting`, `community_meeting`).
        Minutes = "minutes",
        /// Analysis report approved with the Sekda's paraf (`analysis`).
        Analysis = "analysis",
        /// The archived bundle of every document (`archive`).
        Archive = "archive",
        /// Notes, for activities that a later SOP version adds.
        Notes = "notes",
    }
}

impl DocumentKind {
    /// Picks the document kind of an SOP 05 activity.
    pub fn for_activity(activity: &str) -> DocumentKind {
        match activity {
            "prepare" => DocumentKind::Recap,
            "site_visit" => DocumentKind::MonitoringReport,
            "agency_meeting" | "community_meeting" => DocumentKind::Minutes,
            "analysis" => DocumentKind::Analysis,
            "archive" => DocumentKind::Archive,
            _ => DocumentKind::Notes,
        }
    }

    /// Tells whether the task needs the Sekda's approval before it is done.
    pub fn needs_approval(self) -> bool {
        self == DocumentKind::Analysis
    }
}

/// Returns the staff roles that may carry out a task of `performer` (an SOP
/// performer id). The community and civil society have no accounts, so the
/// complaint team records their meeting; every task's co-performers may
/// work on it too (see [`task_roles`]).
pub fn performer_roles(performer: &str) -> &'static [Role] {
    match performer {
        "complaint_team" | "civil_society" => &[Role::ComplaintTeam],
        "agency_head" => &[Role::AgencyHead, Role::ComplaintTeam],
        "city_secretary" => &[Role::CitySecretary],
        _ => &[Role::ComplaintTeam],
    }
}

/// Returns the roles that may start, edit and finish the task of an activity.
pub fn task_roles(sop: &Sop, activity: &str) -> Vec<Role> {
    let Some(a) = sop.activities.iter().find(|a| a.id == activity) else {
        return Vec::new();
    };
    let mut roles: Vec<Role> = Vec::new();
    for performer in std::iter::once(&a.performer).chain(&a.co_performers) {
        for role in performer_roles(performer) {
            // The Sekda approves the analysis but does not write it.
            if *role == Role::CitySecretary && a.performer != "city_secretary" {
                continue;
            }
            if !roles.contains(role) {
                roles.push(*role);
            }
        }
    }
    roles
}

/// A task as planned when the run starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTask {
    pub activity: String,
    pub position: usize,
    pub performer: String,
    pub due_at: Timestamp,
}

/// Plans the tasks of a run that starts at `start`: activity `k` is due
/// at the end of the working day reached by adding the time standards of
/// activities `0..=k`. Hours and minutes are added as clock time after
/// that working-day deadline.
pub fn plan(sop: &Sop, start: Timestamp, calendar: &WorkingCalendar) -> Vec<PlannedTask> {
    let mut working_days = 0u32;
    let mut minutes = 0i64;
    sop.activities
        .iter()
        .enumerate()
        .map(|(position, a)| {
            match a.time.unit {
                TimeUnit::WorkingDays => working_days += a.time.value,
                TimeUnit::Hours => minutes += i64::from(a.time.value) * 60,
                TimeUnit::Minutes => minutes += i64::from(a.time.value),
            }
            let base = calendar.deadline(start, working_days);
            let due_at = base
                .checked_add(jiff::SignedDuration::from_mins(minutes))
                .unwrap_or(base);
            PlannedTask {
                activity: a.id.clone(),
                position,
                performer: a.performer.clone(),
                due_at,
            }
        })
        .collect()
}

/// Why a task may not change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskError {
    /// The previous activity's output (the requirement) does not exist yet.
    RequirementMissing { requirement: String },
    /// The task is not in a state that allows the step.
    WrongState { status: TaskStatus },
    /// The analysis has no approval for its current content.
    ApprovalMissing,
    /// The quarter has a run already.
    QuarterHasRun,
    /// The quarter has no report version approved by the Sekda, which a
    /// run starts from.
    ReportNotApproved,
    /// The run is archived and changes no more.
    RunArchived,
}

/// Checks that the task at `position` may start, given every task's status
/// in order.
pub fn check_start(sop: &Sop, statuses: &[TaskStatus], position: usize) -> Result<(), TaskError> {
    let status = statuses
        .get(position)
        .copied()
        .unwrap_or(TaskStatus::Pending);
    if status != TaskStatus::Pending {
        return Err(TaskError::WrongState { status });
    }
    if position > 0 && statuses.get(position - 1) != Some(&TaskStatus::Done) {
        let requirement = sop
            .activities
            .get(position)
            .map(|a| a.requirement.clone())
            .unwrap_or_default();
        return Err(TaskError::RequirementMissing { requirement });
    }
    Ok(())
}

/// One site visit of the monitoring report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteVisit {
    /// Tracking numbers of the complaints visited.
    pub complaints: Vec<String>,
    /// Code of the agency visited.
    pub agency: String,
    pub visited_on: String,
    pub location: String,
    pub findings: String,
    /// The agency's explanation of the findings.
    pub agency_explanation: String,
}

/// Monitoring report of site visits (laporan hasil pemantauan).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitoringReport {
    pub visits: Vec<SiteVisit>,
    pub summary: String,
}

/// One attendee of a meeting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: String,
    pub institution: String,
}

/// Minutes of a coordination meeting (notulen rapat). Action items are
/// kept apart so that they can be tracked to completion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    pub held_on: String,
    pub place: String,
    pub attendees: Vec<Attendee>,
    pub agenda: String,
    pub discussion: String,
    pub decisions: String,
}

/// The minutes of every meeting of one meeting activity, in the order the
/// meetings were added. A step may take several meetings, one per reported
/// agency for example, and each keeps its own minutes.
///
/// Runs started before several meetings were possible stored one
/// [`Minutes`] object as the document. That shape is read as a list of one
/// set (or of none, for minutes still empty), and the stored bytes stay as
/// they were until the next edit, because the audit log and an archive
/// bundle name the SHA-256 of those bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MeetingMinutes {
    pub meetings: Vec<Minutes>,
}

impl<'de> Deserialize<'de> for MeetingMinutes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Sets {
            meetings: Vec<Minutes>,
        }

        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Sets(Sets),
            Single(Minutes),
        }

        Ok(match Shape::deserialize(deserializer)? {
            Shape::Sets(sets) => MeetingMinutes {
                meetings: sets.meetings,
            },
            Shape::Single(minutes) if minutes == Minutes::default() => MeetingMinutes::default(),
            Shape::Single(minutes) => MeetingMinutes {
                meetings: vec![minutes],
            },
        })
    }
}

/// Analysis report of the meeting and the monitoring.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub summary: String,
    pub findings: String,
    pub recommendations: String,
}

/// The quarterly recap a run starts from: its basis and the headline figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recap {
    pub year: i16,
    pub quarter: u8,
    /// `approved_report` (the figures frozen in the quarter's approved
    /// report version) or, for runs started before runs required an
    /// approved version, `figures` (computed when the run started).
    pub basis: String,
    /// Headline figures as (label key, value).
    pub figures: Vec<(String, i64)>,
    /// The approved report version of basis `approved_report`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportSource>,
}

/// The approved report version a run started from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportSource {
    pub id: i64,
    /// Number of the version within its quarter, 1 for the first.
    pub number: i64,
    /// SHA-256 of the version's PDF as the Sekda approved it.
    pub sha256: String,
}

/// Notes of an activity that has no dedicated document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Notes {
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sop::SHIPPED;
    use jiff::civil::date;

    fn sop05() -> Sop {
        Sop::parse(SHIPPED[4]).expect("SOP 05")
    }

    #[test]
    fn plan_counts_working_days() {
        let tz = jiff::tz::TimeZone::get("Asia/Makassar").expect("WITA");
        // Friday 19 December 2025; 25 and 26 December are holidays.
        let calendar = WorkingCalendar::new(tz.clone(), [date(2025, 12, 25), date(2025, 12, 26)]);
        let start = date(2025, 12, 19)
            .at(9, 0, 0, 0)
            .to_zoned(tz.clone())
            .expect("start")
            .timestamp();
        let due: Vec<jiff::civil::Date> = plan(&sop05(), start, &calendar)
            .iter()
            .map(|t| calendar.due_date(t.due_at))
            .collect();
        assert_eq!(
            due,
            [
                date(2025, 12, 22),
                date(2025, 12, 23),
                date(2025, 12, 24),
                date(2025, 12, 29),
                date(2025, 12, 30),
                date(2025, 12, 31),
            ]
        );
    }

    #[test]
    fn task_needs_previous_output() {
        let sop = sop05();
        let statuses = [
            TaskStatus::Done,
            TaskStatus::Pending,
            TaskStatus::Pending,
            TaskStatus::Pending,
            TaskStatus::Pending,
            TaskStatus::Pending,
        ];
        assert_eq!(check_start(&sop, &statuses, 1), Ok(()));
        assert_eq!(
            check_start(&sop, &statuses, 2),
            Err(TaskError::RequirementMissing {
                requirement: "Laporan hasil pemantauan".into()
            })
        );
        assert_eq!(
            check_start(&sop, &statuses, 0),
            Err(TaskError::WrongState {
                status: TaskStatus::Done
            })
        );
    }

    #[test]
    fn meeting_minutes_read_single_shape() {
        let single = r#"{"held_on":"2026-10-05","place":"Aula","attendees":[],"agenda":"a","discussion":"d","decisions":"k"}"#;
        let read: MeetingMinutes = serde_json::from_str(single).expect("single minutes");
        assert_eq!(read.meetings.len(), 1);
        assert_eq!(read.meetings[0].place, "Aula");

        let empty = serde_json::to_string(&Minutes::default()).expect("json");
        let read: MeetingMinutes = serde_json::from_str(&empty).expect("empty minutes");
        assert!(read.meetings.is_empty());

        let sets = MeetingMinutes {
            meetings: vec![Minutes::default(), read_place("Ruang B")],
        };
        let text = serde_json::to_string(&sets).expect("json");
        assert!(text.starts_with(r#"{"meetings":["#));
        let back: MeetingMinutes = serde_json::from_str(&text).expect("sets");
        assert_eq!(back, sets);
    }

    fn read_place(place: &str) -> Minutes {
        Minutes {
            place: place.into(),
            ..Minutes::default()
        }
    }

    #[test]
    fn roles_follow_performers() {
        let sop = sop05();
        assert_eq!(task_roles(&sop, "site_visit"), [Role::ComplaintTeam]);
        assert_eq!(
            task_roles(&sop, "agency_meeting"),
            [Role::AgencyHead, Role::ComplaintTeam]
        );
        assert_eq!(task_roles(&sop, "analysis"), [Role::ComplaintTeam]);
        assert_eq!(task_roles(&sop, "community_meeting"), [Role::ComplaintTeam]);
    }
}
