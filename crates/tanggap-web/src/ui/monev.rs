//! Staff pages of monitoring and evaluation runs (SOP 05): the list of
//! runs, one run with a section per task, the archive, and the archive
//! bundle itself, one PDF rendered here in Indonesian.

use super::attachments::{FILE_FIELD, file_response, read_form};
use super::complaints::error_page;
use super::session::render;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;
use tanggap_core::Role;
use tanggap_core::monev::{
    Analysis, Attendee, DocumentKind, Minutes, MonitoringReport, Notes, RunStatus, SiteVisit,
    TaskStatus,
};
use tanggap_service::monev::{
    Bundle, BundlePhoto, BundleRenderer, DocumentEdit, NewActionItem, RunView,
};
use tanggap_service::{Principal, ServiceError, Services};
use tanggap_store::monev::ActionItemRecord;

/// Message keys a run page may confirm a change with.
const CONFIRMATIONS: &[&str] = &[
    "monev-started",
    "monev-saved",
    "monev-completed",
    "monev-approved",
    "monev-archived",
];

/// Query of a page after a change: which confirmation to show.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    ok: Option<String>,
}

pub(crate) struct RunLink {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub sop_version: i64,
}

#[derive(Template)]
#[template(path = "monev_list.html")]
pub(crate) struct ListPage {
    pub l: Layout,
    pub runs: Vec<RunLink>,
    pub can_start: bool,
    pub year: i16,
    pub quarter: u8,
    pub errors: Vec<String>,
}

pub(crate) struct TaskRow {
    pub number: usize,
    pub activity: String,
    pub description: String,
    pub performer: String,
    pub due: String,
    pub overdue: bool,
    pub status_code: &'static str,
    pub status: String,
    pub requirement: String,
    pub output: String,
    pub waiting: Option<String>,
    pub can_start: bool,
}

pub(crate) struct PhotoItem {
    pub id: i64,
    pub href: String,
    pub caption: String,
}

pub(crate) struct VisitItem {
    pub number: usize,
    pub complaints: String,
    pub agency: String,
    pub visited_on: String,
    pub location: String,
    pub findings: String,
    pub explanation: String,
    pub photos: Vec<PhotoItem>,
}

pub(crate) struct ActionItemRow {
    pub id: i64,
    pub description: String,
    pub owner: String,
    pub due_on: String,
    pub done: bool,
}

/// The minutes of one meeting of a meeting task, with its action items.
pub(crate) struct MeetingSection {
    /// 1 for the first meeting; forms send it as `rapat`.
    pub number: usize,
    pub title: String,
    pub minutes: Minutes,
    pub attendees_text: String,
    pub attendee_lines: Vec<String>,
    pub items: Vec<ActionItemRow>,
}

/// One task's section: its document, read-only or as forms.
pub(crate) struct TaskSection {
    pub number: usize,
    pub activity: String,
    pub description: String,
    pub output: String,
    pub kind: &'static str,
    pub status_code: &'static str,
    /// The caller may change the document now.
    pub editable: bool,
    pub can_complete: bool,
    pub has_document: bool,
    pub hash: String,
    pub recap: Vec<(String, String)>,
    pub visits: Vec<VisitItem>,
    pub summary: String,
    pub meetings: Vec<MeetingSection>,
    /// Action items whose meeting has no minutes (stored before several
    /// meetings were possible, when items could precede the minutes).
    pub other_items: Vec<ActionItemRow>,
    pub can_complete_items: bool,
    pub analysis: Analysis,
    pub approval: String,
    pub can_approve: bool,
    pub notes: String,
    pub archive_href: Option<String>,
}

#[derive(Template)]
#[template(path = "monev_run.html")]
pub(crate) struct RunPage {
    pub l: Layout,
    pub run_id: i64,
    pub heading: String,
    pub sop_line: String,
    /// The approved report version the run started from, and its page.
    pub report_line: Option<(String, String)>,
    pub status: String,
    pub tasks: Vec<TaskRow>,
    pub sections: Vec<TaskSection>,
    pub errors: Vec<String>,
    /// (code, name) of every agency, for the site-visit form.
    pub agencies: Vec<(String, String)>,
}

pub(crate) struct ArchiveRow {
    pub title: String,
    pub run_href: String,
    pub href: String,
    pub file_name: String,
    pub sha256: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "monev_archive.html")]
pub(crate) struct ArchivePage {
    pub l: Layout,
    pub rows: Vec<ArchiveRow>,
}

fn layout(lang: Lang, user: Principal, csrf: String, path: String, title: String) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path,
        title,
        flash: None,
    }
}

fn run_title(lang: Lang, year: i64, quarter: i64) -> String {
    lang.text(
        "monev-run-title",
        &[("year", year.to_string()), ("quarter", quarter.to_string())],
    )
}

fn local_time(services: &Services, micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| {
            t.to_zoned(services.calendar().time_zone().clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Describes the approved report version a run started from; `None` for
/// runs started before runs required one.
fn report_line(lang: Lang, view: &RunView) -> Option<String> {
    let source = view.recap().report?;
    Some(lang.text(
        "monev-run-report",
        &[
            ("number", source.number.to_string()),
            ("value", source.sha256),
        ],
    ))
}

fn agency_label(services: &Services, code: &str) -> String {
    services
        .agency_name(code)
        .map_or_else(|| code.to_owned(), |name| format!("{name} ({code})"))
}

fn task_rows(services: &Services, lang: Lang, view: &RunView) -> Vec<TaskRow> {
    let calendar = services.calendar();
    let now = jiff::Timestamp::now();
    let open = view.status != RunStatus::Archived;
    view.tasks
        .iter()
        .enumerate()
        .map(|(i, t)| TaskRow {
            number: i + 1,
            activity: t.activity.id.clone(),
            description: t.activity.description.clone(),
            performer: t.performer_name.clone(),
            due: calendar.due_date(t.due_at).to_string(),
            overdue: t.status != TaskStatus::Done && t.due_at < now,
            status_code: t.status.code(),
            status: lang.text(&format!("monev-task-{}", t.status.code()), &[]),
            requirement: t.activity.requirement.clone(),
            output: t.activity.output.clone(),
            waiting: t.waiting_for.as_ref().map(|requirement| {
                lang.text("monev-waiting", &[("requirement", requirement.clone())])
            }),
            can_start: open && t.may_act && t.status == TaskStatus::Pending,
        })
        .collect()
}

/// Builds the section of task `i`; `user` is `None` for the archive bundle.
fn task_section(
    services: &Services,
    lang: Lang,
    view: &RunView,
    i: usize,
    user: Option<&Principal>,
) -> TaskSection {
    let task = &view.tasks[i];
    let activity = task.activity.id.clone();
    let open = view.status != RunStatus::Archived;
    let editable = user.is_some() && open && task.may_act && task.status == TaskStatus::InProgress;
    let document = view.document(&activity);
    let mut section = TaskSection {
        number: i + 1,
        description: task.activity.description.clone(),
        output: task.activity.output.clone(),
        kind: task.kind.code(),
        status_code: task.status.code(),
        editable,
        can_complete: editable && task.kind != DocumentKind::Archive,
        has_document: document.is_some(),
        hash: document.map(|d| d.sha256.clone()).unwrap_or_default(),
        recap: Vec::new(),
        visits: Vec::new(),
        summary: String::new(),
        meetings: Vec::new(),
        other_items: Vec::new(),
        can_complete_items: user
            .is_some_and(|u| matches!(u.role, Role::ComplaintTeam | Role::AgencyHead)),
        analysis: Analysis::default(),
        approval: String::new(),
        can_approve: false,
        notes: String::new(),
        archive_href: None,
        activity: activity.clone(),
    };
    match task.kind {
        DocumentKind::Recap => {
            let recap = view.recap();
            section.recap = recap
                .figures
                .iter()
                .map(|(name, value)| {
                    (
                        lang.text(&format!("report-headline-{name}"), &[]),
                        value.to_string(),
                    )
                })
                .collect();
        }
        DocumentKind::MonitoringReport => {
            let report: MonitoringReport = view.content(&activity);
            section.summary = report.summary.clone();
            section.visits = report
                .visits
                .iter()
                .enumerate()
                .map(|(v, visit)| VisitItem {
                    number: v + 1,
                    complaints: visit.complaints.join(", "),
                    agency: agency_label(services, &visit.agency),
                    visited_on: visit.visited_on.clone(),
                    location: visit.location.clone(),
                    findings: visit.findings.clone(),
                    explanation: visit.agency_explanation.clone(),
                    photos: view
                        .photos
                        .iter()
                        .filter(|p| usize::try_from(p.visit).ok() == Some(v))
                        .map(|p| PhotoItem {
                            id: p.id,
                            href: format!("/monev/{}/foto/{}", view.run.id, p.id),
                            caption: format!(
                                "{} · {:.6}, {:.6} · SHA-256 {}",
                                p.file_name, p.latitude, p.longitude, p.sha256
                            ),
                        })
                        .collect(),
                })
                .collect();
        }
        DocumentKind::Minutes => {
            let (meetings, other_items) = meeting_sections(lang, view, &activity);
            section.meetings = meetings;
            section.other_items = other_items;
        }
        DocumentKind::Analysis => {
            section.analysis = view.content(&activity);
            let approval = document.and_then(|d| d.approved_sha256.clone());
            section.approval = match approval {
                None => lang.text("monev-approval-none", &[]),
                Some(_) if view.approved(&activity) => {
                    lang.text("monev-approval-valid", &[("value", section.hash.clone())])
                }
                Some(_) => lang.text("monev-approval-stale", &[]),
            };
            section.can_approve = user.is_some_and(|u| u.role == Role::CitySecretary)
                && open
                && task.status == TaskStatus::InProgress
                && !view.approved(&activity);
        }
        DocumentKind::Notes => {
            let notes: Notes = view.content(&activity);
            section.notes = notes.text;
        }
        DocumentKind::Archive => {
            section.archive_href = view
                .archive
                .as_ref()
                .map(|_| format!("/monev/{}/arsip", view.run.id));
        }
    }
    section
}

fn action_item_row(item: &ActionItemRecord) -> ActionItemRow {
    ActionItemRow {
        id: item.id,
        description: item.description.clone(),
        owner: item.owner.clone(),
        due_on: item.due_on.clone(),
        done: item.done_at.is_some(),
    }
}

/// Builds the minutes of every meeting of `activity`, each with its action
/// items, and the action items that belong to no stored minutes.
fn meeting_sections(
    lang: Lang,
    view: &RunView,
    activity: &str,
) -> (Vec<MeetingSection>, Vec<ActionItemRow>) {
    let document = view.minutes(activity);
    let items: Vec<&ActionItemRecord> = view
        .action_items
        .iter()
        .filter(|item| item.activity == activity)
        .collect();
    let meetings: Vec<MeetingSection> = document
        .meetings
        .into_iter()
        .enumerate()
        .map(|(index, minutes)| {
            let number = index + 1;
            MeetingSection {
                number,
                title: lang.text("monev-meeting-title", &[("number", number.to_string())]),
                attendees_text: minutes
                    .attendees
                    .iter()
                    .map(|a| format!("{}; {}", a.name, a.institution))
                    .collect::<Vec<_>>()
                    .join("\n"),
                attendee_lines: minutes
                    .attendees
                    .iter()
                    .map(|a| {
                        lang.text(
                            "monev-attendee-line",
                            &[("name", a.name.clone()), ("value", a.institution.clone())],
                        )
                    })
                    .collect(),
                minutes,
                items: items
                    .iter()
                    .filter(|item| usize::try_from(item.meeting).ok() == Some(index))
                    .map(|item| action_item_row(item))
                    .collect(),
            }
        })
        .collect();
    let other_items = items
        .iter()
        .filter(|item| usize::try_from(item.meeting).map_or(true, |m| m >= meetings.len()))
        .map(|item| action_item_row(item))
        .collect();
    (meetings, other_items)
}

/// What a run page reports at its top: errors with their status, or a
/// confirmation.
struct Notice {
    status: StatusCode,
    errors: Vec<String>,
    flash: Option<String>,
}

impl Notice {
    fn errors(status: StatusCode, errors: Vec<String>) -> Self {
        Self {
            status,
            errors,
            flash: None,
        }
    }
}

async fn run_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    notice: Notice,
) -> Response {
    let Notice {
        status,
        errors,
        flash,
    } = notice;
    let s = &state.services;
    let view = match s.monev_run(&user, id).await {
        Ok(view) => view,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let heading = run_title(lang, view.run.year, view.run.quarter);
    let sections = (0..view.tasks.len())
        .map(|i| task_section(s, lang, &view, i, Some(&user)))
        .collect();
    let mut l = layout(lang, user, csrf, format!("/monev/{id}"), heading.clone());
    l.flash = flash;
    let page = RunPage {
        run_id: id,
        sop_line: lang.text(
            "monev-run-sop",
            &[("value", view.run.sop_version.to_string())],
        ),
        report_line: report_line(lang, &view).map(|line| {
            let href = format!("/laporan/versi/{}", view.run.report_version_id.unwrap_or(0));
            (line, href)
        }),
        status: lang.text(&format!("monev-status-{}", view.status.code()), &[]),
        tasks: task_rows(s, lang, &view),
        sections,
        errors,
        agencies: s.agency_options(),
        heading,
        l,
    };
    render(status, &page)
}

/// Lists the runs and offers the complaint team to start one.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/monev").into_response();
    };
    list_page(
        &state,
        page_lang(&headers),
        user,
        csrf,
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    let s = &state.services;
    let runs = match s.monev_runs(&user).await {
        Ok(runs) => runs,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let today = s.calendar().local_date(jiff::Timestamp::now());
    let runs = runs
        .iter()
        .map(|r| RunLink {
            id: r.id,
            title: run_title(lang, r.year, r.quarter),
            status: lang.text(&format!("monev-status-{}", r.status), &[]),
            sop_version: r.sop_version,
        })
        .collect();
    let page = ListPage {
        can_start: user.role == Role::ComplaintTeam,
        l: layout(
            lang,
            user,
            csrf,
            "/monev".into(),
            lang.text("monev-title", &[]),
        ),
        runs,
        year: today.year(),
        quarter: u8::try_from((today.month() - 1) / 3 + 1).unwrap_or(1),
        errors,
    };
    render(status, &page)
}

/// Starts the run of the quarter in the form.
pub(crate) async fn start(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/monev").into_response();
    };
    let lang = page_lang(&headers);
    let pairs = super::form_pairs(&body);
    let result = if csrf_valid(&headers, &pairs) {
        let year = form_value(&pairs, "tahun").and_then(|v| v.parse::<i16>().ok());
        let quarter = form_value(&pairs, "triwulan").and_then(|v| v.parse::<u8>().ok());
        match (year, quarter) {
            (Some(year), Some(quarter)) => state
                .services
                .start_monev_run(&user, year, quarter)
                .await
                .map_err(ApiError::from),
            (None, _) => Err(ServiceError::field("tahun", "invalid_value").into()),
            (_, None) => Err(ServiceError::field("triwulan", "invalid_value").into()),
        }
    } else {
        Err(ApiError::BadRequest(lang.text("error-csrf", &[])))
    };
    match result {
        Ok(id) => Redirect::to(&format!("/monev/{id}?ok=monev-started")).into_response(),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            list_page(&state, lang, user, csrf, status, errors).await
        }
    }
}

/// Shows one run.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/monev/{id}")).into_response();
    };
    let lang = page_lang(&headers);
    let flash = done
        .ok
        .filter(|key| CONFIRMATIONS.contains(&key.as_str()))
        .map(|key| lang.text(&key, &[]));
    let notice = Notice {
        status: StatusCode::OK,
        errors: Vec::new(),
        flash,
    };
    run_page(&state, lang, user, csrf, id, notice).await
}

/// Splits the attendees field: one per line, `name; institution`.
fn attendees(text: &str) -> Vec<Attendee> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, institution) = line.split_once(';').unwrap_or((line, ""));
            Attendee {
                name: name.trim().to_owned(),
                institution: institution.trim().to_owned(),
            }
        })
        .collect()
}

/// Reads the `rapat` field of a form: the meeting's number, 1 for the
/// first, as an index.
fn meeting_index(value: &str) -> Result<usize, ApiError> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .ok_or_else(|| ServiceError::field("rapat", "invalid_value").into())
}

/// Applies one step of a task; returns the confirmation's key.
async fn apply(
    state: &AppState,
    user: &Principal,
    id: i64,
    activity: &str,
    action: &str,
    pairs: &[(String, String)],
    uploads: Vec<tanggap_service::attachments::Upload>,
) -> Result<&'static str, ApiError> {
    let s = &state.services;
    let get = |key: &str| form_value(pairs, key).unwrap_or("").to_owned();
    match action {
        "mulai" => {
            s.start_monev_task(user, id, activity).await?;
            Ok("monev-started")
        }
        "selesai" => {
            s.complete_monev_task(user, id, activity).await?;
            Ok("monev-completed")
        }
        "kunjungan" => {
            let visit = SiteVisit {
                complaints: get("complaints")
                    .split([',', ' ', '\n'])
                    .map(str::to_owned)
                    .collect(),
                agency: get("agency"),
                visited_on: get("visited_on"),
                location: get("location"),
                findings: get("findings"),
                agency_explanation: get("agency_explanation"),
            };
            s.edit_monev_document(user, id, activity, DocumentEdit::AddVisit(visit))
                .await?;
            Ok("monev-saved")
        }
        "ringkasan" => {
            let edit = DocumentEdit::MonitoringSummary(get("summary"));
            s.edit_monev_document(user, id, activity, edit).await?;
            Ok("monev-saved")
        }
        "notulen-baru" | "notulen" => {
            let minutes = Minutes {
                held_on: get("held_on"),
                place: get("place"),
                attendees: attendees(&get("attendees")),
                agenda: get("agenda"),
                discussion: get("discussion"),
                decisions: get("decisions"),
            };
            let edit = if action == "notulen-baru" {
                DocumentEdit::AddMinutes(minutes)
            } else {
                DocumentEdit::EditMinutes {
                    meeting: meeting_index(&get("rapat"))?,
                    minutes,
                }
            };
            s.edit_monev_document(user, id, activity, edit).await?;
            Ok("monev-saved")
        }
        "analisa" => {
            let analysis = Analysis {
                summary: get("summary"),
                findings: get("findings"),
                recommendations: get("recommendations"),
            };
            s.edit_monev_document(user, id, activity, DocumentEdit::Analysis(analysis))
                .await?;
            Ok("monev-saved")
        }
        "catatan" => {
            let notes = Notes { text: get("text") };
            s.edit_monev_document(user, id, activity, DocumentEdit::Notes(notes))
                .await?;
            Ok("monev-saved")
        }
        "tindak" => {
            let item = NewActionItem {
                meeting: meeting_index(&get("rapat"))?,
                description: get("description"),
                owner: get("owner"),
                due_on: get("due_on"),
            };
            s.add_monev_action_item(user, id, activity, item).await?;
            Ok("monev-saved")
        }
        "foto" => {
            if uploads.is_empty() {
                return Err(ServiceError::field(FILE_FIELD, "required").into());
            }
            let visit = get("visit")
                .parse::<usize>()
                .ok()
                .and_then(|v| v.checked_sub(1))
                .unwrap_or(usize::MAX);
            let latitude = get("latitude").parse::<f64>().ok();
            let longitude = get("longitude").parse::<f64>().ok();
            let mut checked = s.check_uploads(uploads).await?;
            let upload = checked.remove(0);
            s.add_monev_photo(user, id, visit, upload, latitude, longitude)
                .await?;
            Ok("monev-saved")
        }
        "setujui" => {
            s.approve_monev_analysis(user, id, &get("sha256")).await?;
            Ok("monev-approved")
        }
        "arsipkan" => {
            // The bundle is the archive of record, so it is in Indonesian.
            s.archive_monev_run(user, id, bundle_renderer(s.clone(), Lang::Id))
                .await?;
            Ok("monev-archived")
        }
        _ => Err(ApiError::UnknownAction(action.to_owned())),
    }
}

/// Handles every form of a task: `action` names the step.
pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    Path((id, activity, action)): Path<(i64, String, String)>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/monev/{id}")).into_response();
    };
    let form = match read_form(&state, request).await {
        Ok(form) => form,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e),
    };
    let result = if csrf_valid(&headers, &form.pairs) {
        apply(
            &state,
            &user,
            id,
            &activity,
            &action,
            &form.pairs,
            form.uploads,
        )
        .await
    } else {
        Err(ApiError::BadRequest(lang.text("error-csrf", &[])))
    };
    match result {
        Ok(key) => Redirect::to(&format!("/monev/{id}?ok={key}#tahap-{activity}")).into_response(),
        Err(e @ ApiError::Service(ServiceError::NotFound { .. })) => {
            error_page(&state, lang, Some(user), csrf, e)
        }
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            run_page(&state, lang, user, csrf, id, Notice::errors(status, errors)).await
        }
    }
}

/// Marks a meeting's action item done.
pub(crate) async fn complete_item(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/monev/{id}")).into_response();
    };
    let pairs = super::form_pairs(&body);
    let result = if csrf_valid(&headers, &pairs) {
        state
            .services
            .complete_monev_action_item(&user, id, item)
            .await
            .map_err(ApiError::from)
    } else {
        Err(ApiError::BadRequest(lang.text("error-csrf", &[])))
    };
    match result {
        Ok(()) => Redirect::to(&format!("/monev/{id}?ok=monev-saved")).into_response(),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            run_page(&state, lang, user, csrf, id, Notice::errors(status, errors)).await
        }
    }
}

/// Labels of the archive bundle's template, in `lang`.
fn bundle_labels(lang: Lang) -> serde_json::Value {
    let label = |key: &str| lang.text(key, &[]);
    serde_json::json!({
        "page": label("sop-pdf-page"),
        "no": label("monev-no"),
        "activity": label("monev-activity"),
        "output": label("monev-output"),
        "status": label("monev-status"),
        "recap": label("monev-recap"),
        "visits": label("monev-visits"),
        "visit": label("monev-bundle-visit"),
        "visit_none": label("monev-visit-none"),
        "visit_complaints": label("monev-bundle-visit-complaints"),
        "visit_agency": label("monev-visit-agency"),
        "visit_date": label("monev-visit-date"),
        "visit_location": label("monev-visit-location"),
        "visit_findings": label("monev-visit-findings"),
        "visit_explanation": label("monev-visit-explanation"),
        "photos": label("monev-photos"),
        "summary": label("monev-summary"),
        "minutes_date": label("monev-minutes-date"),
        "minutes_place": label("monev-minutes-place"),
        "minutes_attendees": label("monev-minutes-attendees-shown"),
        "minutes_agenda": label("monev-minutes-agenda"),
        "minutes_discussion": label("monev-minutes-discussion"),
        "minutes_decisions": label("monev-minutes-decisions"),
        "action_items": label("monev-action-items"),
        "item_description": label("monev-item-description"),
        "item_owner": label("monev-item-owner"),
        "item_due": label("monev-item-due"),
        "analysis_summary": label("monev-analysis-summary"),
        "analysis_findings": label("monev-analysis-findings"),
        "analysis_recommendations": label("monev-analysis-recommendations"),
        "approval": label("monev-approval"),
    })
}

/// Builds the template data of one task's document in the bundle.
fn bundle_part(lang: Lang, section: &TaskSection) -> serde_json::Value {
    let mut part = serde_json::json!({
        "kind": section.kind,
        "number": section.number,
        "description": section.description,
        "output": section.output,
        "hash_line": if section.has_document {
            lang.text("monev-document-hash", &[("value", section.hash.clone())])
        } else {
            String::new()
        },
    });
    let extra = match section.kind {
        "recap" => serde_json::json!({ "recap": section.recap }),
        "monitoring_report" => {
            let visits: Vec<serde_json::Value> = section
                .visits
                .iter()
                .map(|v| {
                    serde_json::json!({
                        "number": v.number,
                        "complaints": v.complaints,
                        "agency": v.agency,
                        "visited_on": v.visited_on,
                        "location": v.location,
                        "findings": v.findings,
                        "explanation": v.explanation,
                        "photos": v.photos.iter().map(|p| serde_json::json!({
                            "path": bundle_photo_path(p.id),
                            "caption": p.caption,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::json!({ "visits": visits, "summary": section.summary })
        }
        "minutes" => {
            let items = |rows: &[ActionItemRow]| -> Vec<serde_json::Value> {
                rows.iter()
                    .map(|item| {
                        let status = if item.done {
                            "monev-item-completed"
                        } else {
                            "monev-item-open"
                        };
                        serde_json::json!({
                            "description": item.description,
                            "owner": item.owner,
                            "due_on": item.due_on,
                            "status": lang.text(status, &[]),
                        })
                    })
                    .collect()
            };
            let minutes: Vec<serde_json::Value> = section
                .meetings
                .iter()
                .map(|meeting| {
                    let m = &meeting.minutes;
                    serde_json::json!({
                        "title": meeting.title,
                        "held_on": m.held_on,
                        "place": m.place,
                        "attendees": meeting.attendee_lines,
                        "agenda": m.agenda,
                        "discussion": m.discussion,
                        "decisions": m.decisions,
                        "items": items(&meeting.items),
                    })
                })
                .collect();
            serde_json::json!({
                "minutes": minutes,
                "minutes_none": lang.text("monev-meeting-none", &[]),
                "other_items": items(&section.other_items),
            })
        }
        "analysis" => serde_json::json!({
            "analysis": {
                "summary": section.analysis.summary,
                "findings": section.analysis.findings,
                "recommendations": section.analysis.recommendations,
            },
            "approval": section.approval,
        }),
        _ => serde_json::json!({ "notes": section.notes }),
    };
    if let (Some(part), serde_json::Value::Object(extra)) = (part.as_object_mut(), extra) {
        part.extend(extra);
    }
    part
}

/// Path under which the archive template finds a site-visit photo.
fn bundle_photo_path(id: i64) -> String {
    format!("/photos/{id}.jpg")
}

/// Returns the archive renderer for [`Services::archive_monev_run`].
pub(crate) fn bundle_renderer(services: Services, lang: Lang) -> BundleRenderer {
    Arc::new(move |view: &RunView, photos: Vec<BundlePhoto>| bundle(&services, lang, view, photos))
}

/// Renders the archive bundle as one PDF: an index page, then every
/// task's document except the archive's own, each from a new page. The
/// site-visit photos are embedded, scaled down, each with its file name,
/// location and SHA-256 as caption.
pub(crate) fn bundle(
    services: &Services,
    lang: Lang,
    view: &RunView,
    photos: Vec<BundlePhoto>,
) -> Result<Bundle, String> {
    let sections: Vec<TaskSection> = (0..view.tasks.len())
        .filter(|i| view.tasks[*i].kind != DocumentKind::Archive)
        .map(|i| task_section(services, lang, view, i, None))
        .collect();
    let common = serde_json::json!({
        "lang": lang.code(),
        "labels": bundle_labels(lang),
        "bundle_title": lang.text("monev-bundle-title", &[]),
        "period": lang.text(
            "monev-bundle-period",
            &[
                ("year", view.run.year.to_string()),
                ("quarter", view.run.quarter.to_string()),
            ],
        ),
        "sop_line": lang.text(
            "monev-run-sop",
            &[("value", view.run.sop_version.to_string())],
        ),
    });
    let with_common = |part: serde_json::Value| {
        let mut data = common.clone();
        if let (Some(data), serde_json::Value::Object(part)) = (data.as_object_mut(), part) {
            data.extend(part);
        }
        data
    };
    let entries: Vec<serde_json::Value> = sections
        .iter()
        .map(|s| {
            serde_json::json!({
                "number": s.number,
                "description": s.description,
                "output": s.output,
            })
        })
        .collect();
    let mut parts = vec![with_common(serde_json::json!({
        "kind": "index",
        "index_title": lang.text("monev-bundle-index", &[]),
        "source_line": report_line(lang, view).unwrap_or_default(),
        "generated": lang.text(
            "monev-bundle-generated",
            &[(
                "value",
                local_time(services, jiff::Timestamp::now().as_microsecond()),
            )],
        ),
        "entries": entries,
    }))];
    parts.extend(
        sections
            .iter()
            .map(|section| with_common(bundle_part(lang, section))),
    );
    let pdf_parts: Vec<tanggap_documents::PdfPart<'_>> = parts
        .iter()
        .map(|data| tanggap_documents::PdfPart {
            template: tanggap_documents::MONEV_TEMPLATE,
            data,
        })
        .collect();
    let files = photos
        .into_iter()
        .map(|photo| tanggap_documents::PdfFile {
            path: bundle_photo_path(photo.id),
            content: photo.jpeg,
        })
        .collect();
    let pdf = tanggap_documents::render_pdf_bundle_with_files(&pdf_parts, files)
        .map_err(|e| e.to_string())?;
    Ok(Bundle {
        file_name: format!("monev-{}-triwulan-{}.pdf", view.run.year, view.run.quarter),
        media_type: "application/pdf".into(),
        content: pdf,
    })
}

/// Lists the archive bundles.
pub(crate) async fn archive_list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/monev/arsip").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let archives = match s.monev_archives(&user).await {
        Ok(archives) => archives,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let rows = archives
        .iter()
        .map(|(run, a)| ArchiveRow {
            title: run_title(lang, run.year, run.quarter),
            run_href: format!("/monev/{}", run.id),
            href: format!("/monev/{}/arsip", run.id),
            file_name: a.file_name.clone(),
            sha256: a.sha256.clone(),
            created: local_time(s, a.created_at),
        })
        .collect();
    let page = ArchivePage {
        l: layout(
            lang,
            user,
            csrf,
            "/monev/arsip".into(),
            lang.text("monev-archive-page", &[]),
        ),
        rows,
    };
    render(StatusCode::OK, &page)
}

/// Sends a run's archive bundle as a download.
pub(crate) async fn archive_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.monev_archive_file(&user, id).await {
        Ok(file) => file_response(&file.file_name, file.media_type, false, file.content),
        Err(ServiceError::Forbidden) => StatusCode::FORBIDDEN.into_response(),
        Err(ServiceError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, run_id = id, "serving an M&E archive failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Sends a site-visit photo (its copy without metadata).
pub(crate) async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, photo)): Path<(i64, i64)>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.monev_photo_file(&user, id, photo).await {
        Ok(file) => file_response(&file.file_name, file.media_type, true, file.content),
        Err(ServiceError::Forbidden) => StatusCode::FORBIDDEN.into_response(),
        Err(ServiceError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, run_id = id, photo_id = photo, "serving an M&E photo failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
