//! Staff screens of the quarterly report's workflow (SOP 04/humpro):
//! generate a version, complete the narrative, submit, review, approve,
//! publish; and the public list of published reports.
//!
//! Every decision about who may take a step is in
//! `tanggap_service::report_versions`; these handlers only show the forms
//! that the service would accept.

use super::complaints::error_page;
use super::session::render;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use crate::report_document::VersionRenderer;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_core::report_workflow::{ReportState, ReportStep, next_state};
use tanggap_service::report_versions::{
    Narrative, ReportVersion, Signer, Signers, may_read_versions, may_take,
};
use tanggap_service::{Principal, ServiceError};

/// Content-Security-Policy of downloaded documents: nothing runs.
const FILE_POLICY: &str = "default-src 'none'; sandbox";

/// One row of the list of versions.
pub(crate) struct VersionRow {
    pub id: i64,
    pub period: String,
    pub number: i64,
    pub state: String,
    pub created: String,
    pub sha256: String,
    pub public: bool,
}

/// A recorded step of a version: what, who, when.
pub(crate) struct HistoryRow {
    pub step: String,
    pub by: String,
    pub at: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "report_versions.html")]
pub(crate) struct VersionsPage {
    pub l: Layout,
    pub can_generate: bool,
    pub year: i16,
    pub quarter: u8,
    pub versions: Vec<VersionRow>,
    pub archive: Vec<VersionRow>,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "report_version.html")]
pub(crate) struct VersionPage {
    pub l: Layout,
    pub id: i64,
    pub heading: String,
    pub state: String,
    pub sha256: String,
    pub approved_sha256: String,
    pub history: Vec<HistoryRow>,
    pub narrative: Narrative,
    pub signers: Signers,
    pub can_revise: bool,
    pub can_submit: bool,
    pub can_review: bool,
    pub can_decide: bool,
    pub can_publish: bool,
    pub errors: Vec<String>,
    pub notice: String,
}

fn local_time(state: &AppState, at: jiff::Timestamp) -> String {
    let calendar = state.services.calendar();
    at.to_zoned(calendar.time_zone().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

fn period_label(lang: Lang, version: &ReportVersion) -> String {
    lang.text(
        "report-heading",
        &[
            ("quarter", version.quarter.to_string()),
            ("year", version.year.to_string()),
        ],
    )
}

fn row(state: &AppState, lang: Lang, version: &ReportVersion) -> VersionRow {
    VersionRow {
        id: version.id,
        period: period_label(lang, version),
        number: version.number,
        state: lang.text(&format!("docs-state-{}", version.state.code()), &[]),
        created: local_time(state, version.created_at),
        sha256: version.pdf_sha256.clone(),
        public: version.published.is_some(),
    }
}

fn layout(lang: Lang, user: Principal, csrf: String, path: String) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path,
        title: lang.text("docs-title", &[]),
        flash: None,
    }
}

async fn versions_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let s = &state.services;
    let versions = match s.report_versions(&user).await {
        Ok(versions) => versions,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let archive = versions
        .iter()
        .filter(|v| v.state == ReportState::Approved)
        .map(|v| row(state, lang, v))
        .collect();
    let today = s.calendar().local_date(jiff::Timestamp::now());
    // The report is written after the quarter ends, so the form proposes
    // the quarter before the current one.
    let current = u8::try_from((today.month() - 1) / 3 + 1).unwrap_or(1);
    let (year, quarter) = if current == 1 {
        (today.year() - 1, 4)
    } else {
        (today.year(), current - 1)
    };
    let page = VersionsPage {
        can_generate: may_take(&user, ReportStep::Generate),
        l: layout(lang, user, csrf, "/laporan/versi".into()),
        year,
        quarter,
        versions: versions.iter().map(|v| row(state, lang, v)).collect(),
        archive,
        errors,
    };
    render(status, &page)
}

/// `GET /laporan/versi`: the versions of every quarter and the archive.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan/versi").into_response();
    };
    let lang = page_lang(&headers);
    versions_page(&state, lang, user, csrf, Vec::new(), StatusCode::OK).await
}

/// `POST /laporan/versi`: generates a draft version of a quarter.
pub(crate) async fn generate(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan/versi").into_response();
    };
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    let result: Result<ReportVersion, ApiError> = async {
        if !csrf_valid(&headers, &pairs) {
            return Err(ApiError::BadRequest(lang.text("error-csrf", &[])));
        }
        let year = form_value(&pairs, "tahun")
            .and_then(|v| v.parse::<i16>().ok())
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| ServiceError::field("tahun", "invalid_value"))?;
        let quarter = form_value(&pairs, "triwulan")
            .and_then(|v| v.parse::<u8>().ok())
            .ok_or_else(|| ServiceError::field("triwulan", "invalid_value"))?;
        let document_lang = match form_value(&pairs, "bahasa") {
            Some("en") => "en",
            _ => "id",
        };
        let renderer = VersionRenderer {
            services: state.services.clone(),
        };
        Ok(state
            .services
            .generate_report_version(&user, year, quarter, document_lang, &renderer)
            .await?)
    }
    .await;
    match result {
        Ok(version) => Redirect::to(&format!("/laporan/versi/{}?ok=1", version.id)).into_response(),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            versions_page(&state, lang, user, csrf, errors, status).await
        }
    }
}

fn history(state: &AppState, lang: Lang, v: &ReportVersion) -> Vec<HistoryRow> {
    let mut rows = vec![HistoryRow {
        step: lang.text("docs-step-generate", &[]),
        by: v.created_by.clone(),
        at: local_time(state, v.created_at),
        note: String::new(),
    }];
    let mut push = |key: &str, step: &Option<(String, jiff::Timestamp)>| {
        if let Some((by, at)) = step {
            rows.push(HistoryRow {
                step: lang.text(key, &[]),
                by: by.clone(),
                at: local_time(state, *at),
                note: String::new(),
            });
        }
    };
    push("docs-step-submit", &v.submitted);
    push("docs-step-accept", &v.reviewed);
    if let Some((note, by, at)) = &v.returned {
        rows.push(HistoryRow {
            step: lang.text("docs-step-return", &[]),
            by: by.clone(),
            at: local_time(state, *at),
            note: note.clone(),
        });
    }
    if let Some((by, at, _)) = &v.approved {
        rows.push(HistoryRow {
            step: lang.text("docs-step-approve", &[]),
            by: by.clone(),
            at: local_time(state, *at),
            note: String::new(),
        });
    }
    if let Some((by, at)) = &v.published {
        rows.push(HistoryRow {
            step: lang.text("docs-step-publish", &[]),
            by: by.clone(),
            at: local_time(state, *at),
            note: String::new(),
        });
    }
    rows.sort_by(|a, b| a.at.cmp(&b.at));
    rows
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page's parts, each named at the two call sites"
)]
async fn version_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    errors: Vec<String>,
    status: StatusCode,
    notice: String,
) -> Response {
    let v = match state.services.report_version(&user, id).await {
        Ok(v) => v,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let allowed = |step: ReportStep| may_take(&user, step) && next_state(step, v.state).is_some();
    let page = VersionPage {
        id,
        heading: format!(
            "{} · {}",
            period_label(lang, &v),
            lang.text("doc-version", &[("version", v.number.to_string())])
        ),
        state: lang.text(&format!("docs-state-{}", v.state.code()), &[]),
        sha256: v.pdf_sha256.clone(),
        approved_sha256: v.approved.as_ref().map(|a| a.2.clone()).unwrap_or_default(),
        history: history(state, lang, &v),
        can_revise: allowed(ReportStep::Revise),
        can_submit: allowed(ReportStep::Submit),
        can_review: allowed(ReportStep::Accept),
        can_decide: allowed(ReportStep::Approve),
        can_publish: allowed(ReportStep::Publish) && v.published.is_none(),
        narrative: v.narrative.clone(),
        signers: v.signers.clone(),
        l: layout(lang, user, csrf, format!("/laporan/versi/{id}")),
        errors,
        notice,
    };
    render(status, &page)
}

/// `GET /laporan/versi/{id}`: one version with the forms of its next steps.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    uri: axum::http::Uri,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan/versi").into_response();
    };
    let lang = page_lang(&headers);
    let notice = if uri.query().is_some_and(|q| q.contains("ok=1")) {
        lang.text("docs-saved", &[])
    } else {
        String::new()
    };
    version_page(
        &state,
        lang,
        user,
        csrf,
        id,
        Vec::new(),
        StatusCode::OK,
        notice,
    )
    .await
}

fn text(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.replace("\r\n", "\n").trim().to_owned())
        .unwrap_or_default()
}

fn signer(pairs: &[(String, String)], prefix: &str) -> Signer {
    Signer {
        name: text(pairs, &format!("{prefix}_name")),
        nip: text(pairs, &format!("{prefix}_nip")),
    }
}

/// `POST /laporan/versi/{id}/{step}`: takes a step of the workflow.
pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((id, step)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan/versi").into_response();
    };
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    let s = &state.services;
    let note = text(&pairs, "catatan");
    let result: Result<ReportVersion, ApiError> = async {
        if !csrf_valid(&headers, &pairs) {
            return Err(ApiError::BadRequest(lang.text("error-csrf", &[])));
        }
        let version = match step.as_str() {
            "ubah" => {
                let narrative = Narrative {
                    summary: text(&pairs, "summary"),
                    findings: text(&pairs, "findings"),
                    recommendations: text(&pairs, "recommendations"),
                    follow_up: text(&pairs, "follow_up"),
                };
                let signers = Signers {
                    preparer: signer(&pairs, "preparer"),
                    head_of_section: signer(&pairs, "head_of_section"),
                    city_secretary: signer(&pairs, "city_secretary"),
                };
                let renderer = VersionRenderer {
                    services: s.clone(),
                };
                s.revise_report_version(&user, id, &narrative, &signers, &renderer)
                    .await?
            }
            "ajukan" => s.submit_report_version(&user, id).await?,
            "terima" => s.review_report_version(&user, id, true, "").await?,
            "kembalikan" => s.review_report_version(&user, id, false, &note).await?,
            "setujui" => {
                let seen = text(&pairs, "sha256");
                s.decide_report_version(&user, id, true, &seen, "").await?
            }
            "tolak" => s.decide_report_version(&user, id, false, "", &note).await?,
            "terbitkan" => s.publish_report_version(&user, id).await?,
            _ => return Err(ApiError::RouteNotFound),
        };
        Ok(version)
    }
    .await;
    match result {
        Ok(version) => Redirect::to(&format!("/laporan/versi/{}?ok=1", version.id)).into_response(),
        Err(e @ (ApiError::RouteNotFound | ApiError::Service(ServiceError::NotFound { .. }))) => {
            error_page(&state, lang, Some(user), csrf, e)
        }
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            version_page(&state, lang, user, csrf, id, errors, status, String::new()).await
        }
    }
}

fn file_response(file: tanggap_store::report_versions::ReportFile, name: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = file.content.into_response();
    let headers = response.headers_mut();
    for (header_name, value) in [
        (header::CONTENT_TYPE, file.media_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_SECURITY_POLICY, FILE_POLICY.to_owned()),
    ] {
        match HeaderValue::from_str(&value) {
            Ok(value) => {
                headers.insert(header_name, value);
            }
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "x-content-sha256",
        HeaderValue::from_str(&file.sha256).unwrap_or(HeaderValue::from_static("")),
    );
    response
}

/// `GET /laporan/versi/{id}/berkas/{format}`: a file of a version.
pub(crate) async fn download(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((id, format)): Path<(i64, String)>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan/versi").into_response();
    };
    let lang = page_lang(&headers);
    if !may_read_versions(&user) {
        return error_page(
            &state,
            lang,
            Some(user),
            csrf,
            ServiceError::Forbidden.into(),
        );
    }
    let version = match state.services.report_version(&user, id).await {
        Ok(version) => version,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    match state.services.report_file(&user, id, &format).await {
        Ok(file) => {
            let name = format!(
                "laporan-triwulan-{}-q{}-versi-{}.{}",
                version.year, version.quarter, version.number, file.format
            );
            file_response(file, name)
        }
        Err(e) => error_page(&state, lang, Some(user), csrf, e.into()),
    }
}

/// One published report on the public page.
pub(crate) struct PublishedRow {
    pub id: i64,
    pub period: String,
    pub number: i64,
    pub approved: String,
    pub sha256: String,
}

#[derive(Template)]
#[template(path = "report_public.html")]
pub(crate) struct PublicPage {
    pub l: Layout,
    pub reports: Vec<PublishedRow>,
}

/// `GET /publikasi/laporan`: the published quarterly reports, for everyone.
pub(crate) async fn public_list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(&headers);
    let user = current_user(&state, &headers).await;
    let versions = match state.services.published_report_versions().await {
        Ok(versions) => versions,
        Err(e) => return error_page(&state, lang, user, csrf, e.into()),
    };
    let reports = versions
        .iter()
        .map(|v| PublishedRow {
            id: v.id,
            period: period_label(lang, v),
            number: v.number,
            approved: v
                .approved
                .as_ref()
                .map(|a| local_time(&state, a.1))
                .unwrap_or_default(),
            sha256: v.pdf_sha256.clone(),
        })
        .collect();
    let page = PublicPage {
        l: Layout {
            lang,
            user,
            csrf,
            path: "/publikasi/laporan".into(),
            title: lang.text("docs-public-title", &[]),
            flash: None,
        },
        reports,
    };
    render(StatusCode::OK, &page)
}

/// `GET /publikasi/laporan/{id}`: the PDF of a published report.
pub(crate) async fn public_pdf(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match state.services.published_report_pdf(id).await {
        Ok(file) => file_response(file, format!("laporan-triwulan-{id}.pdf")),
        Err(ServiceError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, version = id, "serving a published report failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
