//! Versions of the quarterly report (SOP 04): list, read, generate, a new
//! narrative, submission, the head of section's review, the Sekda's
//! approval bound to the PDF's SHA-256, and publication. The services
//! decide every permission, as for the staff pages: the complaint team
//! generates, revises and submits; the head of section (the agency head
//! of the Bagian Humas dan Protokol) reviews; the Sekda approves or
//! returns; the central admin publishes.

use super::dto::Problem;
use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::report_document::VersionRenderer;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tanggap_service::ServiceError;
use tanggap_service::report_versions::{Narrative, ReportVersion, Signer, Signers};
use utoipa::ToSchema;

/// The narrative parts of a report, written by the complaint team.
#[derive(Serialize, Deserialize, ToSchema, Default)]
pub(crate) struct NarrativeDto {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    recommendations: String,
    #[serde(default)]
    follow_up: String,
}

/// A person who signs the report.
#[derive(Serialize, Deserialize, ToSchema, Default)]
pub(crate) struct SignerDto {
    #[serde(default)]
    name: String,
    /// Nomor Induk Pegawai: 18 digits, spaces allowed.
    #[serde(default)]
    nip: String,
}

/// The three signature blocks of the report.
#[derive(Serialize, Deserialize, ToSchema, Default)]
pub(crate) struct SignersDto {
    #[serde(default)]
    preparer: SignerDto,
    #[serde(default)]
    head_of_section: SignerDto,
    #[serde(default)]
    city_secretary: SignerDto,
}

/// The user who took a step, and the time.
#[derive(Serialize, ToSchema)]
pub(crate) struct StepDto {
    by: String,
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
}

/// The Sekda's approval: who, when, and the SHA-256 of the approved PDF.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApprovalDto {
    by: String,
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
    sha256: String,
}

/// The last return of a version, with its note.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReturnDto {
    note: String,
    by: String,
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
}

/// A version of the quarterly report.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportVersionDto {
    id: i64,
    year: i16,
    quarter: u8,
    /// 1 for the first version of the quarter.
    number: i64,
    /// draft, submitted, returned, reviewed, approved or superseded.
    state: String,
    lang: String,
    narrative: NarrativeDto,
    signers: SignersDto,
    issued_on: String,
    /// SHA-256 of this version's PDF; the Sekda's approval names it.
    pdf_sha256: String,
    created_by: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: jiff::Timestamp,
    submitted: Option<StepDto>,
    reviewed: Option<StepDto>,
    returned: Option<ReturnDto>,
    approved: Option<ApprovalDto>,
    published: Option<StepDto>,
    /// Download path of the files, to which staff append pdf, docx or xlsx.
    files_href: String,
}

fn signer_dto(signer: &Signer) -> SignerDto {
    SignerDto {
        name: signer.name.clone(),
        nip: signer.nip.clone(),
    }
}

fn step_dto(step: &Option<(String, jiff::Timestamp)>) -> Option<StepDto> {
    step.as_ref().map(|(by, at)| StepDto {
        by: by.clone(),
        at: *at,
    })
}

impl From<&ReportVersion> for ReportVersionDto {
    fn from(v: &ReportVersion) -> Self {
        Self {
            id: v.id,
            year: v.year,
            quarter: v.quarter,
            number: v.number,
            state: v.state.code().to_owned(),
            lang: v.lang.clone(),
            narrative: NarrativeDto {
                summary: v.narrative.summary.clone(),
                findings: v.narrative.findings.clone(),
                recommendations: v.narrative.recommendations.clone(),
                follow_up: v.narrative.follow_up.clone(),
            },
            signers: SignersDto {
                preparer: signer_dto(&v.signers.preparer),
                head_of_section: signer_dto(&v.signers.head_of_section),
                city_secretary: signer_dto(&v.signers.city_secretary),
            },
            issued_on: v.issued_on.clone(),
            pdf_sha256: v.pdf_sha256.clone(),
            created_by: v.created_by.clone(),
            created_at: v.created_at,
            submitted: step_dto(&v.submitted),
            reviewed: step_dto(&v.reviewed),
            returned: v.returned.as_ref().map(|(note, by, at)| ReturnDto {
                note: note.clone(),
                by: by.clone(),
                at: *at,
            }),
            approved: v.approved.as_ref().map(|(by, at, sha256)| ApprovalDto {
                by: by.clone(),
                at: *at,
                sha256: sha256.clone(),
            }),
            published: step_dto(&v.published),
            files_href: format!("/laporan/versi/{}/berkas/", v.id),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct GenerateRequest {
    year: i16,
    /// 1 to 4.
    quarter: u8,
    /// Language of the documents: id (default) or en.
    lang: Option<String>,
}

/// A new narrative and signers; the figures stay those of the version.
#[derive(Deserialize, ToSchema)]
pub(crate) struct NarrativeRequest {
    narrative: NarrativeDto,
    #[serde(default)]
    signers: SignersDto,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ReviewRequest {
    /// true accepts the version for the Sekda; false returns it.
    accept: bool,
    /// Reason for returning the version. It is required when `accept` is false.
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ApproveRequest {
    /// true approves; false returns the version with `note`.
    #[serde(default = "approve_default")]
    approve: bool,
    /// For an approval: the SHA-256 of the PDF the Sekda read.
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    note: String,
}

fn approve_default() -> bool {
    true
}

fn signer(dto: SignerDto) -> Signer {
    Signer {
        name: dto.name,
        nip: dto.nip,
    }
}

/// Lists the versions of every quarter, newest first.
#[utoipa::path(get, path = "/api/v1/report-versions", operation_id = "report_versions_list",
    responses((status = 200, body = Vec<ReportVersionDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<ReportVersionDto>>, ApiError> {
    let versions = state.services.report_versions(&principal).await?;
    Ok(Json(versions.iter().map(ReportVersionDto::from).collect()))
}

/// Returns one version.
#[utoipa::path(get, path = "/api/v1/report-versions/{id}", operation_id = "report_versions_get",
    params(("id" = i64, Path, description = "Version id")),
    responses((status = 200, body = ReportVersionDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReportVersionDto>, ApiError> {
    let version = state.services.report_version(&principal, id).await?;
    Ok(Json(ReportVersionDto::from(&version)))
}

/// Generates a new draft version of a quarter with the figures computed
/// now and renders its PDF, DOCX and XLSX (complaint team only).
#[utoipa::path(post, path = "/api/v1/report-versions", operation_id = "report_versions_generate",
    request_body = GenerateRequest,
    responses((status = 201, body = ReportVersionDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn generate(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiJson(request): ApiJson<GenerateRequest>,
) -> Result<(StatusCode, Json<ReportVersionDto>), ApiError> {
    if !(1..=4).contains(&request.quarter) {
        return Err(ServiceError::field("quarter", "invalid_value").into());
    }
    let lang = match request.lang.as_deref() {
        None | Some("id") => "id",
        Some("en") => "en",
        Some(_) => return Err(ServiceError::field("lang", "invalid_value").into()),
    };
    let renderer = VersionRenderer {
        services: state.services.clone(),
    };
    let version = state
        .services
        .generate_report_version(&principal, request.year, request.quarter, lang, &renderer)
        .await?;
    Ok((StatusCode::CREATED, Json(ReportVersionDto::from(&version))))
}

/// Makes a new draft version with a changed narrative and signers
/// (complaint team only); the figures stay those of version `id`.
#[utoipa::path(post, path = "/api/v1/report-versions/{id}/narrative", operation_id = "report_versions_narrative",
    params(("id" = i64, Path, description = "Version id")),
    request_body = NarrativeRequest,
    responses((status = 201, body = ReportVersionDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn narrative(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<NarrativeRequest>,
) -> Result<(StatusCode, Json<ReportVersionDto>), ApiError> {
    let n = request.narrative;
    let narrative = Narrative {
        summary: n.summary,
        findings: n.findings,
        recommendations: n.recommendations,
        follow_up: n.follow_up,
    };
    let signers = Signers {
        preparer: signer(request.signers.preparer),
        head_of_section: signer(request.signers.head_of_section),
        city_secretary: signer(request.signers.city_secretary),
    };
    let renderer = VersionRenderer {
        services: state.services.clone(),
    };
    let version = state
        .services
        .revise_report_version(&principal, id, &narrative, &signers, &renderer)
        .await?;
    Ok((StatusCode::CREATED, Json(ReportVersionDto::from(&version))))
}

/// Submits a draft for the head of section's review (complaint team only).
#[utoipa::path(post, path = "/api/v1/report-versions/{id}/submit", operation_id = "report_versions_submit",
    params(("id" = i64, Path, description = "Version id")),
    responses((status = 200, body = ReportVersionDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReportVersionDto>, ApiError> {
    let version = state.services.submit_report_version(&principal, id).await?;
    Ok(Json(ReportVersionDto::from(&version)))
}

/// The head of section accepts a submitted version for the Sekda, or
/// returns it to the team with a note.
#[utoipa::path(post, path = "/api/v1/report-versions/{id}/review", operation_id = "report_versions_review",
    params(("id" = i64, Path, description = "Version id")),
    request_body = ReviewRequest,
    responses((status = 200, body = ReportVersionDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn review(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> Result<Json<ReportVersionDto>, ApiError> {
    let version = state
        .services
        .review_report_version(&principal, id, request.accept, &request.note)
        .await?;
    Ok(Json(ReportVersionDto::from(&version)))
}

/// The Sekda approves a reviewed version, naming the SHA-256 of the PDF
/// read, or returns it with a note. An approval of other bytes than the
/// stored PDF fails.
#[utoipa::path(post, path = "/api/v1/report-versions/{id}/approve", operation_id = "report_versions_approve",
    params(("id" = i64, Path, description = "Version id")),
    request_body = ApproveRequest,
    responses((status = 200, body = ReportVersionDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ApproveRequest>,
) -> Result<Json<ReportVersionDto>, ApiError> {
    let version = state
        .services
        .decide_report_version(
            &principal,
            id,
            request.approve,
            &request.sha256,
            &request.note,
        )
        .await?;
    Ok(Json(ReportVersionDto::from(&version)))
}

/// Publishes an approved version on the public page (central admin only).
#[utoipa::path(post, path = "/api/v1/report-versions/{id}/publish", operation_id = "report_versions_publish",
    params(("id" = i64, Path, description = "Version id")),
    responses((status = 200, body = ReportVersionDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReportVersionDto>, ApiError> {
    let version = state
        .services
        .publish_report_version(&principal, id)
        .await?;
    Ok(Json(ReportVersionDto::from(&version)))
}
