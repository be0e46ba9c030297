//! Monitoring and evaluation runs (SOP 05): list, read, start, and the
//! steps of a task. The services decide every permission, as for the
//! staff pages: the complaint team starts runs, each task's performers
//! start and complete it, the Sekda approves the analysis, and the roles
//! of `VIEW_ROLES` read.

use super::dto::Problem;
use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::i18n::Lang;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tanggap_core::monev::{Attendee, DocumentKind, MeetingMinutes, Minutes};
use tanggap_service::ServiceError;
use tanggap_service::monev::{DocumentEdit, NewActionItem, RunView};
use tanggap_store::monev::{DocumentRecord, RunRecord};
use utoipa::ToSchema;

fn instant(micros: i64) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(micros).ok()
}

/// A run in the list.
#[derive(Serialize, ToSchema)]
pub(crate) struct RunDto {
    id: i64,
    year: i64,
    quarter: i64,
    /// Version of SOP 05 the run follows.
    sop_version: i64,
    /// `approved_report`, or `figures` for runs started before runs
    /// required an approved report version.
    basis: String,
    /// `in_progress` or `archived`.
    status: String,
    /// The approved report version the run started from.
    report_version_id: Option<i64>,
    /// SHA-256 of that version's PDF as the Sekda approved it.
    report_sha256: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    archived_at: Option<jiff::Timestamp>,
}

impl From<&RunRecord> for RunDto {
    fn from(run: &RunRecord) -> Self {
        Self {
            id: run.id,
            year: run.year,
            quarter: run.quarter,
            sop_version: run.sop_version,
            basis: run.basis.clone(),
            status: run.status.clone(),
            report_version_id: run.report_version_id,
            report_sha256: run.report_sha256.clone(),
            started_at: instant(run.started_at).unwrap_or_default(),
            archived_at: run.archived_at.and_then(instant),
        }
    }
}

/// A task: one activity of SOP 05.
#[derive(Serialize, ToSchema)]
pub(crate) struct TaskDto {
    activity: String,
    description: String,
    performer: String,
    /// `pending`, `in_progress` or `done`.
    status: String,
    /// Kind of the task's document: recap, monitoring_report, minutes,
    /// analysis, notes or archive.
    document_kind: String,
    requirement: String,
    output: String,
    #[schema(value_type = String, format = DateTime)]
    due_at: jiff::Timestamp,
    /// The caller's role may carry out this task.
    may_act: bool,
    /// The requirement still missing before the task can start.
    waiting_for: Option<String>,
}

/// A task's document with its hash and approval.
#[derive(Serialize, ToSchema)]
pub(crate) struct DocumentDto {
    activity: String,
    kind: String,
    /// The document as JSON; its shape depends on `kind`.
    #[schema(value_type = Object)]
    content: serde_json::Value,
    sha256: String,
    /// The hash the Sekda approved; the approval holds only while it
    /// equals `sha256`.
    approved_sha256: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    approved_at: Option<jiff::Timestamp>,
}

/// An action item of a meeting, tracked until done.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActionItemDto {
    id: i64,
    activity: String,
    /// Number of the meeting whose minutes decided the item, 1 for the
    /// first set in the document's `meetings`.
    meeting: i64,
    description: String,
    owner: String,
    due_on: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    done_at: Option<jiff::Timestamp>,
}

/// The run's archive bundle, one PDF.
#[derive(Serialize, ToSchema)]
pub(crate) struct ArchiveDto {
    file_name: String,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    /// Download path of the bundle.
    href: String,
}

/// A run with its tasks, documents, action items and archive.
#[derive(Serialize, ToSchema)]
pub(crate) struct RunDetailDto {
    #[serde(flatten)]
    run: RunDto,
    tasks: Vec<TaskDto>,
    documents: Vec<DocumentDto>,
    action_items: Vec<ActionItemDto>,
    archive: Option<ArchiveDto>,
}

impl From<&RunView> for RunDetailDto {
    fn from(view: &RunView) -> Self {
        Self {
            run: RunDto::from(&view.run),
            tasks: view
                .tasks
                .iter()
                .map(|t| TaskDto {
                    activity: t.activity.id.clone(),
                    description: t.activity.description.clone(),
                    performer: t.performer_name.clone(),
                    status: t.status.code().to_owned(),
                    document_kind: t.kind.code().to_owned(),
                    requirement: t.activity.requirement.clone(),
                    output: t.activity.output.clone(),
                    due_at: t.due_at,
                    may_act: t.may_act,
                    waiting_for: t.waiting_for.clone(),
                })
                .collect(),
            documents: view
                .documents
                .iter()
                .map(|d| DocumentDto {
                    activity: d.activity.clone(),
                    kind: d.kind.clone(),
                    content: document_content(d),
                    sha256: d.sha256.clone(),
                    approved_sha256: d.approved_sha256.clone(),
                    approved_at: d.approved_at.and_then(instant),
                })
                .collect(),
            action_items: view
                .action_items
                .iter()
                .map(|item| ActionItemDto {
                    id: item.id,
                    activity: item.activity.clone(),
                    meeting: item.meeting.saturating_add(1),
                    description: item.description.clone(),
                    owner: item.owner.clone(),
                    due_on: item.due_on.clone(),
                    done_at: item.done_at.and_then(instant),
                })
                .collect(),
            archive: view.archive.as_ref().map(|a| ArchiveDto {
                file_name: a.file_name.clone(),
                media_type: a.media_type.clone(),
                size_bytes: a.size_bytes,
                sha256: a.sha256.clone(),
                href: format!("/monev/{}/arsip", view.run.id),
            }),
        }
    }
}

/// Returns a document's content as JSON. Minutes are always shown as
/// `{"meetings": [...]}`, also those stored as one set before several
/// meetings were possible; `sha256` stays the hash of the stored bytes.
fn document_content(document: &DocumentRecord) -> serde_json::Value {
    if document.kind == DocumentKind::Minutes.code() {
        let minutes: Option<MeetingMinutes> = serde_json::from_str(&document.content).ok();
        if let Some(value) = minutes.and_then(|m| serde_json::to_value(m).ok()) {
            return value;
        }
    }
    serde_json::from_str(&document.content).unwrap_or(serde_json::Value::Null)
}

/// One attendee of a meeting.
#[derive(Deserialize, ToSchema)]
pub(crate) struct AttendeeRequest {
    name: String,
    institution: String,
}

/// The minutes of one meeting. Every part may be left empty while the
/// task is in progress. The task completes only when every set of minutes
/// has the date, place, at least one attendee, agenda, discussion and
/// decisions.
#[derive(Deserialize, ToSchema)]
pub(crate) struct MinutesRequest {
    /// Date of the meeting, `YYYY-MM-DD`.
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    attendees: Vec<AttendeeRequest>,
    #[serde(default)]
    agenda: String,
    #[serde(default)]
    discussion: String,
    #[serde(default)]
    decisions: String,
}

impl From<MinutesRequest> for Minutes {
    fn from(request: MinutesRequest) -> Self {
        Minutes {
            held_on: request.held_on,
            place: request.place,
            attendees: request
                .attendees
                .into_iter()
                .map(|a| Attendee {
                    name: a.name,
                    institution: a.institution,
                })
                .collect(),
            agenda: request.agenda,
            discussion: request.discussion,
            decisions: request.decisions,
        }
    }
}

/// A new action item of a meeting.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ActionItemRequest {
    description: String,
    /// Person or institution responsible for the item.
    owner: String,
    /// `YYYY-MM-DD`.
    due_on: String,
}

/// Converts a meeting number from a path (1 for the first) to an index.
fn meeting_index(meeting: i64) -> Result<usize, ApiError> {
    usize::try_from(meeting)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .ok_or_else(|| ServiceError::NotFound { entity: "minutes" }.into())
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct StartRunRequest {
    year: i16,
    /// 1 to 4.
    quarter: u8,
}

/// Body of a task step; only `approve` reads it.
#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct TaskStepRequest {
    /// For `approve`: the SHA-256 of the analysis the Sekda read. The
    /// approval fails when the analysis changed since.
    sha256: Option<String>,
}

/// Lists the runs, newest quarter first.
#[utoipa::path(get, path = "/api/v1/monev/runs", operation_id = "monev_runs_list",
    responses((status = 200, body = Vec<RunDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<RunDto>>, ApiError> {
    let runs = state.services.monev_runs(&principal).await?;
    Ok(Json(runs.iter().map(RunDto::from).collect()))
}

/// Returns a run with its tasks, documents, action items and archive.
#[utoipa::path(get, path = "/api/v1/monev/runs/{id}", operation_id = "monev_runs_get",
    params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, body = RunDetailDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RunDetailDto>, ApiError> {
    let view = state.services.monev_run(&principal, id).await?;
    Ok(Json(RunDetailDto::from(&view)))
}

/// Starts the run of a quarter from its report version approved by the
/// Sekda (complaint team only). A quarter without an approved version,
/// or with a run already, is a conflict (409).
#[utoipa::path(post, path = "/api/v1/monev/runs", operation_id = "monev_runs_start",
    request_body = StartRunRequest,
    responses((status = 201, body = RunDetailDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn start(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiJson(request): ApiJson<StartRunRequest>,
) -> Result<(StatusCode, Json<RunDetailDto>), ApiError> {
    if !(1..=4).contains(&request.quarter) {
        return Err(ServiceError::field("quarter", "invalid_value").into());
    }
    let s = &state.services;
    let id = s
        .start_monev_run(&principal, request.year, request.quarter)
        .await?;
    let view = s.monev_run(&principal, id).await?;
    Ok((StatusCode::CREATED, Json(RunDetailDto::from(&view))))
}

/// Takes a step of a task: `start`, `complete`, `approve` (the Sekda's
/// paraf on the analysis, with the SHA-256 read) or `archive` (renders
/// and stores the run's bundle as one PDF, then closes the run). Returns
/// the run after the step.
#[utoipa::path(post, path = "/api/v1/monev/runs/{id}/tasks/{activity}/{action}", operation_id = "monev_task_step",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("activity" = String, Path, description = "Activity id of the task, such as site_visit"),
        ("action" = String, Path, description = "start, complete, approve or archive"),
    ),
    request_body(content = TaskStepRequest, description = "Needed for approve only"),
    responses((status = 200, body = RunDetailDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn step(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((id, activity, action)): ApiPath<(i64, String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<RunDetailDto>, ApiError> {
    // Only `approve` has a body, so an empty one is accepted.
    let request: TaskStepRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TaskStepRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?
    };
    let s = &state.services;
    match action.as_str() {
        "start" => s.start_monev_task(&principal, id, &activity).await?,
        "complete" => s.complete_monev_task(&principal, id, &activity).await?,
        "approve" => {
            if activity != "analysis" {
                return Err(ApiError::UnknownAction(action));
            }
            let seen = request.sha256.unwrap_or_default();
            s.approve_monev_analysis(&principal, id, &seen).await?;
        }
        "archive" => {
            if activity != "archive" {
                return Err(ApiError::UnknownAction(action));
            }
            // The bundle is the archive of record, so it is rendered in
            // Indonesian whatever language the request names.
            let render = crate::ui::monev::bundle_renderer(s.clone(), Lang::Id);
            s.archive_monev_run(&principal, id, render).await?;
        }
        _ => return Err(ApiError::UnknownAction(action)),
    }
    let view = s.monev_run(&principal, id).await?;
    Ok(Json(RunDetailDto::from(&view)))
}

/// Adds the minutes of one more meeting to a meeting task in progress
/// (`agency_meeting` or `community_meeting`). Returns the run; the new
/// set is the last of the document's `meetings`.
#[utoipa::path(post, path = "/api/v1/monev/runs/{id}/tasks/{activity}/minutes", operation_id = "monev_minutes_add",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("activity" = String, Path, description = "agency_meeting or community_meeting"),
    ),
    request_body = MinutesRequest,
    responses((status = 201, body = RunDetailDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_minutes(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((id, activity)): ApiPath<(i64, String)>,
    ApiJson(request): ApiJson<MinutesRequest>,
) -> Result<(StatusCode, Json<RunDetailDto>), ApiError> {
    let s = &state.services;
    let edit = DocumentEdit::AddMinutes(request.into());
    s.edit_monev_document(&principal, id, &activity, edit)
        .await?;
    let view = s.monev_run(&principal, id).await?;
    Ok((StatusCode::CREATED, Json(RunDetailDto::from(&view))))
}

/// Replaces the minutes of meeting `meeting` (1 for the first) of a
/// meeting task in progress. Returns the run.
#[utoipa::path(put, path = "/api/v1/monev/runs/{id}/tasks/{activity}/minutes/{meeting}", operation_id = "monev_minutes_edit",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("activity" = String, Path, description = "agency_meeting or community_meeting"),
        ("meeting" = i64, Path, description = "Number of the meeting, 1 for the first"),
    ),
    request_body = MinutesRequest,
    responses((status = 200, body = RunDetailDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn edit_minutes(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((id, activity, meeting)): ApiPath<(i64, String, i64)>,
    ApiJson(request): ApiJson<MinutesRequest>,
) -> Result<Json<RunDetailDto>, ApiError> {
    let s = &state.services;
    let edit = DocumentEdit::EditMinutes {
        meeting: meeting_index(meeting)?,
        minutes: request.into(),
    };
    s.edit_monev_document(&principal, id, &activity, edit)
        .await?;
    let view = s.monev_run(&principal, id).await?;
    Ok(Json(RunDetailDto::from(&view)))
}

/// Adds an action item to the minutes of meeting `meeting` (1 for the
/// first) of a meeting task in progress. Items are marked done on the
/// run page, also after the run is archived. Returns the run.
#[utoipa::path(post, path = "/api/v1/monev/runs/{id}/tasks/{activity}/minutes/{meeting}/action-items", operation_id = "monev_action_item_add",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("activity" = String, Path, description = "agency_meeting or community_meeting"),
        ("meeting" = i64, Path, description = "Number of the meeting, 1 for the first"),
    ),
    request_body = ActionItemRequest,
    responses((status = 201, body = RunDetailDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_action_item(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((id, activity, meeting)): ApiPath<(i64, String, i64)>,
    ApiJson(request): ApiJson<ActionItemRequest>,
) -> Result<(StatusCode, Json<RunDetailDto>), ApiError> {
    let s = &state.services;
    let item = NewActionItem {
        meeting: meeting_index(meeting)?,
        description: request.description,
        owner: request.owner,
        due_on: request.due_on,
    };
    s.add_monev_action_item(&principal, id, &activity, item)
        .await?;
    let view = s.monev_run(&principal, id).await?;
    Ok((StatusCode::CREATED, Json(RunDetailDto::from(&view))))
}
