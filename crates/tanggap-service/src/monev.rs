//! Monitoring and evaluation runs (SOP 05): who may start, work on,
//! approve and archive each task, and the documents the tasks produce.
//!
//! A run starts from the quarter's report version approved by the Sekda
//! (SOP 04's output, SOP 05's first requirement): its frozen figures are
//! the run's recap, and the run records the version's id and SHA-256.

use crate::attachments::{CheckedUpload, write_file_once};
use crate::error::ServiceError;
use crate::report_versions::FrozenFigures;
use crate::{Principal, Services, now, sha256_hex};
use jiff::Timestamp;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use tanggap_core::Role;
use tanggap_core::monev::{
    self, Analysis, DocumentKind, MeetingMinutes, Minutes, MonitoringReport, Notes, Recap,
    ReportSource, RunStatus, SiteVisit, TaskError, TaskStatus,
};
use tanggap_core::sop::{Activity, Sop};
use tanggap_core::validate::{FieldError, NAME_MAX, TEXT_MAX, Validator};
use tanggap_store::monev::{
    ActionItemRecord, ArchiveRecord, DocumentRecord, PhotoRecord, RunChange, RunRecord, RunState,
    TaskRecord,
};
use tanggap_store::{AuditDraft, from_micros, micros};

/// Roles that may open runs and their documents.
pub const VIEW_ROLES: &[Role] = &[
    Role::ComplaintTeam,
    Role::CitySecretary,
    Role::CentralAdmin,
    Role::AgencyHead,
];

/// Site visits one monitoring report may list.
pub const VISITS_MAX: usize = 50;
/// Attendees one set of minutes may list.
pub const ATTENDEES_MAX: usize = 200;
/// Sets of minutes (meetings) one meeting activity may hold.
pub const MEETINGS_MAX: usize = 30;
/// Photos one run may hold.
pub const PHOTOS_MAX: usize = 100;

/// A task with its SOP activity and what the caller may do with it.
#[derive(Clone, Debug)]
pub struct TaskView {
    pub record: TaskRecord,
    pub status: TaskStatus,
    pub activity: Activity,
    pub performer_name: String,
    pub roles: Vec<Role>,
    pub kind: DocumentKind,
    pub due_at: Timestamp,
    /// The caller's role may carry out the task.
    pub may_act: bool,
    /// The requirement that is still missing, for a pending task whose
    /// previous task is not done.
    pub waiting_for: Option<String>,
}

/// A run as the caller sees it.
#[derive(Clone, Debug)]
pub struct RunView {
    pub run: RunRecord,
    pub status: RunStatus,
    pub sop: Sop,
    pub tasks: Vec<TaskView>,
    pub documents: Vec<DocumentRecord>,
    pub action_items: Vec<ActionItemRecord>,
    pub photos: Vec<PhotoRecord>,
    pub archive: Option<ArchiveRecord>,
}

impl RunView {
    pub fn document(&self, activity: &str) -> Option<&DocumentRecord> {
        self.documents.iter().find(|d| d.activity == activity)
    }

    /// Parses an activity's document, or returns an empty one.
    pub fn content<T: serde::de::DeserializeOwned + Default>(&self, activity: &str) -> T {
        self.document(activity)
            .and_then(|d| serde_json::from_str(&d.content).ok())
            .unwrap_or_default()
    }

    /// Tells whether the Sekda's paraf holds for the document's current bytes.
    pub fn approved(&self, activity: &str) -> bool {
        self.document(activity)
            .is_some_and(|d| d.approved_sha256.as_deref() == Some(d.sha256.as_str()))
    }

    pub fn recap(&self) -> Recap {
        self.content("prepare")
    }

    /// Parses the minutes of a meeting activity, in either stored shape.
    pub fn minutes(&self, activity: &str) -> MeetingMinutes {
        self.content(activity)
    }
}

/// A change to one document.
#[derive(Clone, Debug)]
pub enum DocumentEdit {
    /// Adds a site visit to the monitoring report.
    AddVisit(SiteVisit),
    /// Replaces the monitoring report's summary.
    MonitoringSummary(String),
    /// Adds the minutes of one more meeting.
    AddMinutes(Minutes),
    /// Replaces the minutes of meeting `meeting` (0 for the first).
    EditMinutes {
        meeting: usize,
        minutes: Minutes,
    },
    Analysis(Analysis),
    Notes(Notes),
}

/// A new action item of a meeting.
#[derive(Clone, Debug)]
pub struct NewActionItem {
    /// Index of the meeting's minutes in the activity's document, 0 for
    /// the first.
    pub meeting: usize,
    pub description: String,
    pub owner: String,
    pub due_on: String,
}

/// Maximum side length of a site-visit photo as embedded in the archive bundle, in
/// pixels: about 180 dpi across the 16.8 cm text width of an A4 page.
pub const BUNDLE_PHOTO_SIDE: u32 = 1200;
/// Quality of the JPEG copies embedded in the archive bundle (1 to 100).
const BUNDLE_PHOTO_QUALITY: u8 = 80;
/// Memory the image decoder may allocate for one stored photo, in bytes.
const BUNDLE_PHOTO_ALLOC_MAX: u64 = 512 * 1024 * 1024;

/// A site-visit photo scaled down for the archive bundle, as JPEG.
#[derive(Clone, Debug)]
pub struct BundlePhoto {
    /// Id of the photo in the run ([`PhotoRecord::id`]).
    pub id: i64,
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Renders a run into its archive bundle, given the run and its photos
/// scaled down. It runs on the blocking thread pool.
pub type BundleRenderer =
    Arc<dyn Fn(&RunView, Vec<BundlePhoto>) -> Result<Bundle, String> + Send + Sync>;

/// A rendered archive bundle.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// A stored file of a run, ready to send.
#[derive(Clone, Debug)]
pub struct RunFile {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

fn require(principal: &Principal, roles: &[Role]) -> Result<(), ServiceError> {
    if roles.contains(&principal.role) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn audit(principal: &Principal, action: &str, run: i64, details: serde_json::Value) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor: principal.actor().audit_id(),
        action: action.into(),
        entity: format!("monev_run:{run}"),
        details,
    }
}

fn valid_date(text: &str) -> bool {
    text.parse::<jiff::civil::Date>().is_ok()
}

/// Checks the lengths of a site visit and trims it.
fn checked_visit(visit: SiteVisit) -> Result<SiteVisit, ServiceError> {
    let mut v = Validator::default();
    let agency = v.required_text("agency", Some(&visit.agency), 32);
    let visited_on = v.required_text("visited_on", Some(&visit.visited_on), 10);
    if !visited_on.is_empty() && !valid_date(&visited_on) {
        v.push(FieldError::new("visited_on", "invalid_value"));
    }
    let location = v.required_text("location", Some(&visit.location), NAME_MAX);
    let findings = v.required_text("findings", Some(&visit.findings), TEXT_MAX);
    let agency_explanation = v
        .optional_text(
            "agency_explanation",
            Some(&visit.agency_explanation),
            TEXT_MAX,
        )
        .unwrap_or_default();
    let complaints: Vec<String> = visit
        .complaints
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if complaints.is_empty() {
        v.push(FieldError::new("complaints", "required"));
    }
    v.finish().map_err(ServiceError::Validation)?;
    Ok(SiteVisit {
        complaints,
        agency,
        visited_on,
        location,
        findings,
        agency_explanation,
    })
}

/// Checks that a document contains every field its task's output needs.
fn completeness(kind: DocumentKind, content: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut required = |field: &str, value: &str| {
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, "required"));
        }
    };
    match kind {
        DocumentKind::Recap | DocumentKind::Archive => {}
        DocumentKind::MonitoringReport => {
            let report: MonitoringReport = serde_json::from_str(content).unwrap_or_default();
            if report.visits.is_empty() {
                required("visits", "");
            }
        }
        DocumentKind::Minutes => {
            let document: MeetingMinutes = serde_json::from_str(content).unwrap_or_default();
            if document.meetings.is_empty() {
                required("meetings", "");
            }
            for (i, minutes) in document.meetings.iter().enumerate() {
                let mut part = |field: &str, value: &str| {
                    required(&format!("meetings[{i}].{field}"), value);
                };
                part("held_on", &minutes.held_on);
                part("place", &minutes.place);
                part("agenda", &minutes.agenda);
                part("discussion", &minutes.discussion);
                part("decisions", &minutes.decisions);
                if minutes.attendees.is_empty() {
                    part("attendees", "");
                }
            }
        }
        DocumentKind::Analysis => {
            let analysis: Analysis = serde_json::from_str(content).unwrap_or_default();
            required("summary", &analysis.summary);
            required("findings", &analysis.findings);
            required("recommendations", &analysis.recommendations);
        }
        DocumentKind::Notes => {
            let notes: Notes = serde_json::from_str(content).unwrap_or_default();
            required("text", &notes.text);
        }
    }
    errors
}

fn checked_minutes(minutes: Minutes) -> Result<Minutes, ServiceError> {
    let mut v = Validator::default();
    let held_on = v
        .optional_text("held_on", Some(&minutes.held_on), 10)
        .unwrap_or_default();
    if !held_on.is_empty() && !valid_date(&held_on) {
        v.push(FieldError::new("held_on", "invalid_value"));
    }
    let place = v
        .optional_text("place", Some(&minutes.place), NAME_MAX)
        .unwrap_or_default();
    let mut text = |field: &str, value: &str| {
        v.optional_text(field, Some(value), TEXT_MAX)
            .unwrap_or_default()
    };
    let agenda = text("agenda", &minutes.agenda);
    let discussion = text("discussion", &minutes.discussion);
    let decisions = text("decisions", &minutes.decisions);
    if minutes.attendees.len() > ATTENDEES_MAX {
        v.push(FieldError::with_limit(
            "attendees",
            "too_many",
            ATTENDEES_MAX,
        ));
    }
    let mut attendees = Vec::new();
    for (i, a) in minutes.attendees.iter().enumerate() {
        let name = v.required_text(&format!("attendees[{i}].name"), Some(&a.name), NAME_MAX);
        let institution = v.required_text(
            &format!("attendees[{i}].institution"),
            Some(&a.institution),
            NAME_MAX,
        );
        attendees.push(monev::Attendee { name, institution });
    }
    v.finish().map_err(ServiceError::Validation)?;
    Ok(Minutes {
        held_on,
        place,
        attendees,
        agenda,
        discussion,
        decisions,
    })
}

fn checked_analysis(analysis: Analysis) -> Result<Analysis, ServiceError> {
    let mut v = Validator::default();
    let mut text = |field: &str, value: &str| {
        v.optional_text(field, Some(value), TEXT_MAX)
            .unwrap_or_default()
    };
    let checked = Analysis {
        summary: text("summary", &analysis.summary),
        findings: text("findings", &analysis.findings),
        recommendations: text("recommendations", &analysis.recommendations),
    };
    v.finish().map_err(ServiceError::Validation)?;
    Ok(checked)
}

/// Serialises a document; its SHA-256 is taken over exactly these bytes.
fn document_json<T: serde::Serialize>(content: &T) -> Result<String, ServiceError> {
    serde_json::to_string(content)
        .map_err(|e| ServiceError::Internal(format!("document serialisation failed: {e}")))
}

impl Services {
    async fn run_state(&self, principal: &Principal, id: i64) -> Result<RunState, ServiceError> {
        require(principal, VIEW_ROLES)?;
        self.store
            .monev_run(id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "run" })
    }

    async fn run_sop(&self, run: &RunRecord) -> Result<Sop, ServiceError> {
        let versions = self.sop_versions(monev::SOP_NUMBER).await?;
        versions
            .into_iter()
            .find(|v| v.version == run.sop_version)
            .map(|v| v.sop)
            .ok_or(ServiceError::NotFound { entity: "sop" })
    }

    /// Lists the runs, newest quarter first.
    pub async fn monev_runs(&self, principal: &Principal) -> Result<Vec<RunRecord>, ServiceError> {
        require(principal, VIEW_ROLES)?;
        Ok(self.store.list_monev_runs().await?)
    }

    /// Returns a run with its tasks and documents.
    pub async fn monev_run(&self, principal: &Principal, id: i64) -> Result<RunView, ServiceError> {
        let state = self.run_state(principal, id).await?;
        let sop = self.run_sop(&state.run).await?;
        let statuses: Vec<TaskStatus> = state
            .tasks
            .iter()
            .map(|t| TaskStatus::from_code(&t.status).unwrap_or(TaskStatus::Pending))
            .collect();
        let mut tasks = Vec::new();
        for (i, record) in state.tasks.iter().enumerate() {
            let Some(activity) = sop.activities.iter().find(|a| a.id == record.activity) else {
                return Err(ServiceError::Internal(format!(
                    "run {id}: activity {} is not in its SOP version",
                    record.activity
                )));
            };
            let roles = monev::task_roles(&sop, &activity.id);
            let waiting_for = match monev::check_start(&sop, &statuses, i) {
                Err(TaskError::RequirementMissing { requirement }) => Some(requirement),
                _ => None,
            };
            tasks.push(TaskView {
                status: statuses[i],
                performer_name: sop
                    .performers
                    .iter()
                    .find(|p| p.id == activity.performer)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                may_act: roles.contains(&principal.role),
                roles,
                kind: DocumentKind::for_activity(&activity.id),
                due_at: from_micros(record.due_at)?,
                activity: activity.clone(),
                record: record.clone(),
                waiting_for,
            });
        }
        Ok(RunView {
            status: RunStatus::from_code(&state.run.status).unwrap_or(RunStatus::InProgress),
            run: state.run,
            sop,
            tasks,
            documents: state.documents,
            action_items: state.action_items,
            photos: state.photos,
            archive: state.archive,
        })
    }

    /// Starts the run of a quarter under the SOP 05 version in effect now.
    /// The first task (preparation) starts at once with the quarter's
    /// recap as its document. Only the complaint team may start a run.
    pub async fn start_monev_run(
        &self,
        principal: &Principal,
        year: i16,
        quarter: u8,
    ) -> Result<i64, ServiceError> {
        require(principal, &[Role::ComplaintTeam])?;
        let (source, figures) = self.approved_report(year, quarter).await?;
        let started_at = now();
        let version = self.sop_in_effect(monev::SOP_NUMBER, started_at).await?;
        let plan = monev::plan(&version.sop, started_at, &self.calendar());
        let headline = figures.report.current.headline();
        let recap = Recap {
            year,
            quarter,
            basis: "approved_report".into(),
            figures: crate::report::Headline::NAMES
                .iter()
                .zip(headline.values())
                .map(|(name, value)| ((*name).to_owned(), value))
                .collect(),
            report: Some(source.clone()),
        };
        let content = document_json(&recap)?;
        let tasks: Vec<TaskRecord> = plan
            .iter()
            .map(|t| {
                let first = t.position == 0;
                TaskRecord {
                    activity: t.activity.clone(),
                    position: i64::try_from(t.position).unwrap_or(i64::MAX),
                    performer: t.performer.clone(),
                    due_at: micros(t.due_at),
                    status: if first {
                        TaskStatus::InProgress
                    } else {
                        TaskStatus::Pending
                    }
                    .code()
                    .into(),
                    started_at: first.then(|| micros(started_at)),
                    started_by: first.then_some(principal.user_id),
                    completed_at: None,
                    completed_by: None,
                }
            })
            .collect();
        let first_activity = plan.first().map(|t| t.activity.clone()).unwrap_or_default();
        let documents = vec![DocumentRecord {
            kind: DocumentKind::for_activity(&first_activity).code().into(),
            activity: first_activity,
            sha256: sha256_hex(content.as_bytes()),
            content,
            updated_by: Some(principal.user_id),
            updated_at: micros(started_at),
            approved_sha256: None,
            approved_by: None,
            approved_at: None,
        }];
        let run = RunRecord {
            id: 0,
            year: i64::from(year),
            quarter: i64::from(quarter),
            sop_version: version.version,
            basis: recap.basis.clone(),
            status: RunStatus::InProgress.code().into(),
            version: 1,
            started_by: Some(principal.user_id),
            started_at: micros(started_at),
            archived_at: None,
            report_version_id: Some(source.id),
            report_sha256: Some(source.sha256.clone()),
        };
        let draft = audit(
            principal,
            "monev.start",
            0,
            json!({
                "year": year,
                "quarter": quarter,
                "sop_version": version.version,
                "report_version_id": source.id,
                "report_sha256": source.sha256,
            }),
        );
        self.store
            .insert_monev_run(&run, &tasks, &documents, draft)
            .await?
            .ok_or(ServiceError::Task(TaskError::QuarterHasRun))
    }

    /// Finds the quarter's newest report version approved by the Sekda,
    /// with the figures frozen in it; a run starts from it.
    async fn approved_report(
        &self,
        year: i16,
        quarter: u8,
    ) -> Result<(ReportSource, FrozenFigures), ServiceError> {
        let approved = self
            .store
            .list_report_versions(true, false)
            .await?
            .into_iter()
            .filter(|r| r.year == i32::from(year) && r.quarter == i32::from(quarter))
            .filter_map(|r| {
                let (_, _, sha256) = r.approved.clone()?;
                Some((r, sha256))
            })
            .max_by_key(|(r, _)| r.number);
        let Some((listed, sha256)) = approved else {
            return Err(ServiceError::Task(TaskError::ReportNotApproved));
        };
        // The list leaves the frozen figures out; the version has them.
        let record =
            self.store
                .get_report_version(listed.id)
                .await?
                .ok_or(ServiceError::NotFound {
                    entity: "report_version",
                })?;
        let figures: FrozenFigures = serde_json::from_value(record.figures).map_err(|e| {
            ServiceError::Internal(format!(
                "stored figures of report version {}: {e}",
                record.id
            ))
        })?;
        let source = ReportSource {
            id: record.id,
            number: record.number,
            sha256,
        };
        Ok((source, figures))
    }

    /// Loads a run for a change by the caller on `activity`'s task: the
    /// caller must be one of its performers and the run not archived.
    async fn run_for_change(
        &self,
        principal: &Principal,
        id: i64,
        activity: &str,
    ) -> Result<(RunView, usize), ServiceError> {
        let view = self.monev_run(principal, id).await?;
        let Some(index) = view.tasks.iter().position(|t| t.activity.id == activity) else {
            return Err(ServiceError::NotFound { entity: "task" });
        };
        if !view.tasks[index].may_act {
            return Err(ServiceError::Forbidden);
        }
        if view.status == RunStatus::Archived {
            return Err(ServiceError::Task(TaskError::RunArchived));
        }
        Ok((view, index))
    }

    fn require_in_progress(view: &RunView, index: usize) -> Result<(), ServiceError> {
        let status = view.tasks[index].status;
        if status == TaskStatus::InProgress {
            Ok(())
        } else {
            Err(ServiceError::Task(TaskError::WrongState { status }))
        }
    }

    /// Starts a task. Its requirement, the previous task's output, must
    /// exist: otherwise the task stays pending and the error names it.
    pub async fn start_monev_task(
        &self,
        principal: &Principal,
        id: i64,
        activity: &str,
    ) -> Result<(), ServiceError> {
        let (view, index) = self.run_for_change(principal, id, activity).await?;
        let statuses: Vec<TaskStatus> = view.tasks.iter().map(|t| t.status).collect();
        monev::check_start(&view.sop, &statuses, index).map_err(ServiceError::Task)?;
        let at = micros(now());
        let mut task = view.tasks[index].record.clone();
        task.status = TaskStatus::InProgress.code().into();
        task.started_at = Some(at);
        task.started_by = Some(principal.user_id);
        let mut documents = Vec::new();
        if view.document(activity).is_none() {
            let kind = view.tasks[index].kind;
            let content = match kind {
                DocumentKind::MonitoringReport => document_json(&MonitoringReport::default())?,
                DocumentKind::Minutes => document_json(&MeetingMinutes::default())?,
                DocumentKind::Analysis => document_json(&Analysis::default())?,
                _ => document_json(&Notes::default())?,
            };
            documents.push(DocumentRecord {
                activity: activity.to_owned(),
                kind: kind.code().into(),
                sha256: sha256_hex(content.as_bytes()),
                content,
                updated_by: Some(principal.user_id),
                updated_at: at,
                approved_sha256: None,
                approved_by: None,
                approved_at: None,
            });
        }
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            tasks: vec![task],
            documents,
            ..RunChange::default()
        };
        let draft = audit(
            principal,
            "monev.task.start",
            id,
            json!({ "activity": activity }),
        );
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Changes the document of a task in progress. A change to an approved
    /// analysis leaves its approval bound to the old hash, so the analysis
    /// needs a new approval.
    pub async fn edit_monev_document(
        &self,
        principal: &Principal,
        id: i64,
        activity: &str,
        edit: DocumentEdit,
    ) -> Result<(), ServiceError> {
        let (view, index) = self.run_for_change(principal, id, activity).await?;
        Self::require_in_progress(&view, index)?;
        let kind = view.tasks[index].kind;
        let content = match (kind, edit) {
            (DocumentKind::MonitoringReport, DocumentEdit::AddVisit(visit)) => {
                let mut report: MonitoringReport = view.content(activity);
                if report.visits.len() >= VISITS_MAX {
                    return Err(ServiceError::Validation(vec![FieldError::with_limit(
                        "visits", "too_many", VISITS_MAX,
                    )]));
                }
                report.visits.push(checked_visit(visit)?);
                document_json(&report)?
            }
            (DocumentKind::MonitoringReport, DocumentEdit::MonitoringSummary(summary)) => {
                let mut report: MonitoringReport = view.content(activity);
                let mut v = Validator::default();
                report.summary = v
                    .optional_text("summary", Some(&summary), TEXT_MAX)
                    .unwrap_or_default();
                v.finish().map_err(ServiceError::Validation)?;
                document_json(&report)?
            }
            (DocumentKind::Minutes, DocumentEdit::AddMinutes(minutes)) => {
                let mut document = view.minutes(activity);
                if document.meetings.len() >= MEETINGS_MAX {
                    return Err(ServiceError::Validation(vec![FieldError::with_limit(
                        "meetings",
                        "too_many",
                        MEETINGS_MAX,
                    )]));
                }
                document.meetings.push(checked_minutes(minutes)?);
                document_json(&document)?
            }
            (DocumentKind::Minutes, DocumentEdit::EditMinutes { meeting, minutes }) => {
                let mut document = view.minutes(activity);
                let Some(slot) = document.meetings.get_mut(meeting) else {
                    return Err(ServiceError::NotFound { entity: "minutes" });
                };
                *slot = checked_minutes(minutes)?;
                document_json(&document)?
            }
            (DocumentKind::Analysis, DocumentEdit::Analysis(analysis)) => {
                document_json(&checked_analysis(analysis)?)?
            }
            (DocumentKind::Notes, DocumentEdit::Notes(notes)) => {
                let mut v = Validator::default();
                let text = v
                    .optional_text("text", Some(&notes.text), TEXT_MAX)
                    .unwrap_or_default();
                v.finish().map_err(ServiceError::Validation)?;
                document_json(&Notes { text })?
            }
            _ => return Err(ServiceError::field("document", "invalid_value")),
        };
        let mut document = view
            .document(activity)
            .cloned()
            .ok_or(ServiceError::NotFound { entity: "document" })?;
        document.sha256 = sha256_hex(content.as_bytes());
        document.content = content;
        document.updated_by = Some(principal.user_id);
        document.updated_at = micros(now());
        let draft = audit(
            principal,
            "monev.document.save",
            id,
            json!({ "activity": activity, "sha256": document.sha256 }),
        );
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            documents: vec![document],
            ..RunChange::default()
        };
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Adds an action item to a meeting's minutes while the meeting's task
    /// is in progress.
    pub async fn add_monev_action_item(
        &self,
        principal: &Principal,
        id: i64,
        activity: &str,
        item: NewActionItem,
    ) -> Result<(), ServiceError> {
        let (view, index) = self.run_for_change(principal, id, activity).await?;
        Self::require_in_progress(&view, index)?;
        if view.tasks[index].kind != DocumentKind::Minutes {
            return Err(ServiceError::field("activity", "invalid_value"));
        }
        if item.meeting >= view.minutes(activity).meetings.len() {
            return Err(ServiceError::NotFound { entity: "minutes" });
        }
        let mut v = Validator::default();
        let description = v.required_text("description", Some(&item.description), TEXT_MAX);
        let owner = v.required_text("owner", Some(&item.owner), NAME_MAX);
        let due_on = v.required_text("due_on", Some(&item.due_on), 10);
        if !due_on.is_empty() && !valid_date(&due_on) {
            v.push(FieldError::new("due_on", "invalid_value"));
        }
        v.finish().map_err(ServiceError::Validation)?;
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            action_items: vec![ActionItemRecord {
                id: 0,
                activity: activity.to_owned(),
                meeting: i64::try_from(item.meeting).unwrap_or(i64::MAX),
                description,
                owner,
                due_on,
                done_at: None,
                done_by: None,
            }],
            ..RunChange::default()
        };
        let draft = audit(
            principal,
            "monev.action_item.add",
            id,
            json!({ "activity": activity, "meeting": item.meeting }),
        );
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Marks an action item done. Action items are followed up after the
    /// meeting, so this is allowed in an archived run too.
    pub async fn complete_monev_action_item(
        &self,
        principal: &Principal,
        id: i64,
        item_id: i64,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::ComplaintTeam, Role::AgencyHead])?;
        let state = self.run_state(principal, id).await?;
        let Some(mut item) = state.action_items.iter().find(|i| i.id == item_id).cloned() else {
            return Err(ServiceError::NotFound {
                entity: "action_item",
            });
        };
        if item.done_at.is_some() {
            return Ok(());
        }
        item.done_at = Some(micros(now()));
        item.done_by = Some(principal.user_id);
        let change = RunChange {
            run_id: id,
            expected_version: state.run.version,
            action_items: vec![item],
            ..RunChange::default()
        };
        let draft = audit(
            principal,
            "monev.action_item.done",
            id,
            json!({ "action_item": item_id }),
        );
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Adds a photo taken at a site visit, with the place it was taken.
    /// Only the re-encoded copy, without the camera's metadata, is kept.
    pub async fn add_monev_photo(
        &self,
        principal: &Principal,
        id: i64,
        visit: usize,
        upload: CheckedUpload,
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> Result<(), ServiceError> {
        let activity = "site_visit";
        let (view, index) = self.run_for_change(principal, id, activity).await?;
        Self::require_in_progress(&view, index)?;
        let report: MonitoringReport = view.content(activity);
        let mut v = Validator::default();
        if visit >= report.visits.len() {
            v.push(FieldError::new("visit", "invalid_value"));
        }
        let latitude = v.coordinate("latitude", latitude, 90.0);
        let longitude = v.coordinate("longitude", longitude, 180.0);
        if latitude.is_none() {
            v.push(FieldError::new("latitude", "required"));
        }
        if longitude.is_none() {
            v.push(FieldError::new("longitude", "required"));
        }
        if view.photos.len() >= PHOTOS_MAX {
            v.push(FieldError::with_limit("photo", "too_many", PHOTOS_MAX));
        }
        let copy = match upload.sanitised() {
            Some(copy) if upload.is_image() => copy.to_vec(),
            _ => {
                v.push(FieldError::new(upload.file_name(), "file_type_not_allowed"));
                Vec::new()
            }
        };
        v.finish().map_err(ServiceError::Validation)?;
        let path = self.stored_path("sanitised", upload.sha256());
        tokio::task::spawn_blocking(move || write_file_once(&path, &copy))
            .await
            .map_err(|e| ServiceError::Internal(format!("photo write failed: {e}")))?
            .map_err(|e| ServiceError::Internal(format!("photo write failed: {e}")))?;
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            photos: vec![PhotoRecord {
                id: 0,
                visit: i64::try_from(visit).unwrap_or(0),
                file_name: upload.file_name().to_owned(),
                media_type: upload.media_type().to_owned(),
                sha256: upload.sha256().to_owned(),
                latitude: latitude.unwrap_or_default(),
                longitude: longitude.unwrap_or_default(),
                uploaded_by: Some(principal.user_id),
                uploaded_at: micros(now()),
            }],
            ..RunChange::default()
        };
        let draft = audit(
            principal,
            "monev.photo.add",
            id,
            json!({ "visit": visit, "sha256": upload.sha256() }),
        );
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Records the Sekda's paraf on the analysis, bound to the SHA-256 of
    /// the document's bytes. `sha256` is the hash of the version the Sekda
    /// read; if the document changed since, nothing is approved.
    pub async fn approve_monev_analysis(
        &self,
        principal: &Principal,
        id: i64,
        sha256: &str,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::CitySecretary])?;
        let activity = "analysis";
        let view = self.monev_run(principal, id).await?;
        if view.status == RunStatus::Archived {
            return Err(ServiceError::Task(TaskError::RunArchived));
        }
        let Some(index) = view.tasks.iter().position(|t| t.activity.id == activity) else {
            return Err(ServiceError::NotFound { entity: "task" });
        };
        Self::require_in_progress(&view, index)?;
        let mut document = view
            .document(activity)
            .cloned()
            .ok_or(ServiceError::NotFound { entity: "document" })?;
        let missing = completeness(DocumentKind::Analysis, &document.content);
        if !missing.is_empty() {
            return Err(ServiceError::Validation(missing));
        }
        if document.sha256 != sha256 {
            return Err(ServiceError::field("sha256", "document_changed"));
        }
        let at = micros(now());
        document.approved_sha256 = Some(document.sha256.clone());
        document.approved_by = Some(principal.user_id);
        document.approved_at = Some(at);
        let draft = audit(
            principal,
            "monev.analysis.approve",
            id,
            json!({ "activity": activity, "sha256": document.sha256 }),
        );
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            documents: vec![document],
            ..RunChange::default()
        };
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Finishes a task whose document is complete. The analysis needs the
    /// Sekda's approval of its current content; the archive task finishes
    /// through [`Services::archive_monev_run`].
    pub async fn complete_monev_task(
        &self,
        principal: &Principal,
        id: i64,
        activity: &str,
    ) -> Result<(), ServiceError> {
        let (view, index) = self.run_for_change(principal, id, activity).await?;
        Self::require_in_progress(&view, index)?;
        let kind = view.tasks[index].kind;
        if kind == DocumentKind::Archive {
            return Err(ServiceError::field("activity", "invalid_value"));
        }
        let content = view
            .document(activity)
            .map(|d| d.content.clone())
            .unwrap_or_default();
        let missing = completeness(kind, &content);
        if !missing.is_empty() {
            return Err(ServiceError::Validation(missing));
        }
        if kind.needs_approval() && !view.approved(activity) {
            return Err(ServiceError::Task(TaskError::ApprovalMissing));
        }
        let mut task = view.tasks[index].record.clone();
        task.status = TaskStatus::Done.code().into();
        task.completed_at = Some(micros(now()));
        task.completed_by = Some(principal.user_id);
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            tasks: vec![task],
            ..RunChange::default()
        };
        let draft = audit(
            principal,
            "monev.task.complete",
            id,
            json!({ "activity": activity, "sha256": view.document(activity).map(|d| d.sha256.clone()) }),
        );
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Archives the run: `render` turns the run into one bundle of every
    /// document with an index, which is stored by its SHA-256; then the
    /// archive task is done and the run changes no more.
    pub async fn archive_monev_run(
        &self,
        principal: &Principal,
        id: i64,
        render: BundleRenderer,
    ) -> Result<(), ServiceError> {
        let (view, index) = self.run_for_change(principal, id, "archive").await?;
        Self::require_in_progress(&view, index)?;
        // Scaling the photos and the typst rendering take CPU time that
        // grows with the photos and pages, so they run off the async
        // worker threads.
        let photo_paths: Vec<(i64, std::path::PathBuf)> = view
            .photos
            .iter()
            .map(|p| (p.id, self.stored_path("sanitised", &p.sha256)))
            .collect();
        let rendered = tokio::task::spawn_blocking(move || {
            let photos = photo_paths
                .iter()
                .map(|(photo_id, path)| bundle_photo(*photo_id, path))
                .collect::<Result<Vec<_>, String>>()?;
            let bundle = render(&view, photos)?;
            Ok::<_, String>((view, bundle))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("archive rendering task failed: {e}")))?;
        let (view, bundle) = rendered
            .map_err(|e| ServiceError::Internal(format!("archive rendering failed: {e}")))?;
        let sha256 = sha256_hex(&bundle.content);
        let path = self.stored_path("monev", &sha256);
        let content = bundle.content.clone();
        tokio::task::spawn_blocking(move || write_file_once(&path, &content))
            .await
            .map_err(|e| ServiceError::Internal(format!("archive write failed: {e}")))?
            .map_err(|e| ServiceError::Internal(format!("archive write failed: {e}")))?;
        let at = micros(now());
        let mut task = view.tasks[index].record.clone();
        task.status = TaskStatus::Done.code().into();
        task.completed_at = Some(at);
        task.completed_by = Some(principal.user_id);
        let change = RunChange {
            run_id: id,
            expected_version: view.run.version,
            status: Some(RunStatus::Archived.code().into()),
            archived_at: Some(at),
            tasks: vec![task],
            archive: Some(ArchiveRecord {
                run_id: id,
                file_name: bundle.file_name,
                media_type: bundle.media_type,
                size_bytes: i64::try_from(bundle.content.len()).unwrap_or(i64::MAX),
                sha256: sha256.clone(),
                created_by: Some(principal.user_id),
                created_at: at,
            }),
            ..RunChange::default()
        };
        let draft = audit(principal, "monev.archive", id, json!({ "sha256": sha256 }));
        Ok(self.store.save_monev_change(&change, draft).await?)
    }

    /// Lists the archive bundles with their runs, newest first.
    pub async fn monev_archives(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(RunRecord, ArchiveRecord)>, ServiceError> {
        require(principal, VIEW_ROLES)?;
        let runs = self.store.list_monev_runs().await?;
        let archives = self.store.list_monev_archives().await?;
        Ok(archives
            .into_iter()
            .filter_map(|a| {
                let run = runs.iter().find(|r| r.id == a.run_id)?.clone();
                Some((run, a))
            })
            .collect())
    }

    /// Reads a run's archive bundle.
    pub async fn monev_archive_file(
        &self,
        principal: &Principal,
        id: i64,
    ) -> Result<RunFile, ServiceError> {
        let state = self.run_state(principal, id).await?;
        let archive = state
            .archive
            .ok_or(ServiceError::NotFound { entity: "archive" })?;
        let content = self.read_run_file("monev", &archive.sha256).await?;
        Ok(RunFile {
            file_name: archive.file_name,
            media_type: archive.media_type,
            content,
        })
    }

    /// Reads a site-visit photo (its re-encoded copy).
    pub async fn monev_photo_file(
        &self,
        principal: &Principal,
        id: i64,
        photo_id: i64,
    ) -> Result<RunFile, ServiceError> {
        let state = self.run_state(principal, id).await?;
        let photo = state
            .photos
            .into_iter()
            .find(|p| p.id == photo_id)
            .ok_or(ServiceError::NotFound { entity: "photo" })?;
        let content = self.read_run_file("sanitised", &photo.sha256).await?;
        Ok(RunFile {
            file_name: photo.file_name,
            media_type: photo.media_type,
            content,
        })
    }

    async fn read_run_file(&self, folder: &str, sha256: &str) -> Result<Vec<u8>, ServiceError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ServiceError::Internal(format!(
                "stored hash {sha256:?} is invalid"
            )));
        }
        let path = self.stored_path(folder, sha256);
        tokio::fs::read(&path)
            .await
            .map_err(|e| ServiceError::Internal(format!("reading {folder}/{sha256} failed: {e}")))
    }
}

/// Reads a stored site-visit photo and scales it to fit
/// [`BUNDLE_PHOTO_SIDE`] as a JPEG. Only one full-size photo is decoded at
/// a time, so a run with many photos keeps only the scaled copies.
fn bundle_photo(id: i64, path: &Path) -> Result<BundlePhoto, String> {
    let fail = |e: &dyn std::fmt::Display| format!("photo {id} ({}): {e}", path.display());
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| fail(&e))?
        .with_guessed_format()
        .map_err(|e| fail(&e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(BUNDLE_PHOTO_ALLOC_MAX);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| fail(&e))?;
    let picture = if picture.width().max(picture.height()) > BUNDLE_PHOTO_SIDE {
        picture.resize(
            BUNDLE_PHOTO_SIDE,
            BUNDLE_PHOTO_SIDE,
            image::imageops::FilterType::Triangle,
        )
    } else {
        picture
    };
    let rgb = picture.to_rgb8();
    drop(picture);
    let mut jpeg = std::io::Cursor::new(Vec::new());
    let encoder =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, BUNDLE_PHOTO_QUALITY);
    rgb.write_with_encoder(encoder).map_err(|e| fail(&e))?;
    Ok(BundlePhoto {
        id,
        jpeg: jpeg.into_inner(),
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_photo_fits_the_page() {
        let dir = tempfile::tempdir().expect("directory");
        let path = dir.path().join("photo");
        let picture = image::RgbImage::from_pixel(3000, 1500, image::Rgb([200, 120, 40]));
        picture
            .save_with_format(&path, image::ImageFormat::Png)
            .expect("photo written");
        let photo = bundle_photo(7, &path).expect("scaled");
        assert_eq!(photo.id, 7);
        assert_eq!(
            (photo.width, photo.height),
            (BUNDLE_PHOTO_SIDE, BUNDLE_PHOTO_SIDE / 2)
        );
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");

        let missing = bundle_photo(8, &dir.path().join("absent"));
        assert!(missing.is_err());
    }

    fn fields(kind: DocumentKind, content: &str) -> Vec<String> {
        completeness(kind, content)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn minutes_need_one_meeting() {
        let none = document_json(&MeetingMinutes::default()).expect("json");
        assert_eq!(fields(DocumentKind::Minutes, &none), ["meetings"]);
        // Minutes stored in the single shape and never filled in count as none.
        let legacy = document_json(&Minutes::default()).expect("json");
        assert_eq!(fields(DocumentKind::Minutes, &legacy), ["meetings"]);
    }

    #[test]
    fn minutes_need_every_part() {
        let complete = Minutes {
            held_on: "2026-10-05".into(),
            place: "Aula".into(),
            attendees: vec![monev::Attendee {
                name: "Rina".into(),
                institution: "Dinas PUPR".into(),
            }],
            agenda: "Agenda".into(),
            discussion: "Pembahasan".into(),
            decisions: "Keputusan".into(),
        };
        let document = MeetingMinutes {
            meetings: vec![complete.clone(), Minutes::default()],
        };
        let content = document_json(&document).expect("json");
        assert_eq!(
            fields(DocumentKind::Minutes, &content),
            [
                "meetings[1].held_on",
                "meetings[1].place",
                "meetings[1].agenda",
                "meetings[1].discussion",
                "meetings[1].decisions",
                "meetings[1].attendees"
            ]
        );
        let both = MeetingMinutes {
            meetings: vec![complete.clone(), complete],
        };
        let content = document_json(&both).expect("json");
        assert!(fields(DocumentKind::Minutes, &content).is_empty());
    }
}
