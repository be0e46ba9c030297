//! The JSON API, `/api/v1`.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts};
use axum::routing::{get, post, put};
use utoipa::OpenApi;

pub(crate) mod complaints;
pub(crate) mod dto;
mod health;
mod monev;
mod reference;
mod report_versions;
mod session;
mod triage;
mod webhooks;

/// JSON body whose rejection is a localised problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct ApiJson<T>(pub T);

/// Query string whose rejection is a localised problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct ApiQuery<T>(pub T);

/// Path parameters whose rejection is a localised problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub T);

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tanggap API",
        version = "1",
        description = "Public-complaint management: intake, lifecycle, reference data, quarterly report versions and monitoring and evaluation runs. Messages are Indonesian unless Accept-Language asks for English."
    ),
    paths(
        session::login,
        session::logout,
        session::me,
        complaints::create,
        complaints::list,
        complaints::get_one,
        complaints::by_tracking,
        complaints::events,
        complaints::act,
        reference::agencies,
        reference::regions,
        reference::categories,
        reference::holidays,
        triage::list,
        triage::get_one,
        triage::convert,
        triage::attach,
        triage::dismiss,
        monev::list,
        monev::get_one,
        monev::start,
        monev::step,
        monev::add_minutes,
        monev::edit_minutes,
        monev::add_action_item,
        report_versions::list,
        report_versions::get_one,
        report_versions::generate,
        report_versions::narrative,
        report_versions::submit,
        report_versions::review,
        report_versions::approve,
        report_versions::publish,
    ),
    components(schemas(dto::Problem, dto::FieldProblem))
)]
pub struct ApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/me", get(session::me))
        .route(
            "/api/v1/complaints",
            post(complaints::create).get(complaints::list),
        )
        .route("/api/v1/complaints/{id}", get(complaints::get_one))
        .route(
            "/api/v1/complaints/by-tracking/{tracking_number}",
            get(complaints::by_tracking),
        )
        .route("/api/v1/complaints/{id}/events", get(complaints::events))
        .route(
            "/api/v1/complaints/{id}/actions/{action}",
            post(complaints::act),
        )
        .route("/api/v1/reference/agencies", get(reference::agencies))
        .route("/api/v1/reference/regions", get(reference::regions))
        .route("/api/v1/reference/categories", get(reference::categories))
        .route("/api/v1/reference/holidays", get(reference::holidays))
        // Central admin only; the triage service checks the role.
        .route("/api/v1/triage", get(triage::list))
        .route("/api/v1/triage/{id}", get(triage::get_one))
        .route("/api/v1/triage/{id}/convert", post(triage::convert))
        .route("/api/v1/triage/{id}/attach", post(triage::attach))
        .route("/api/v1/triage/{id}/dismiss", post(triage::dismiss))
        // Monitoring and evaluation (SOP 05). The complaint team starts a
        // run, each task's performers take its steps, and the Sekda approves
        // the analysis. These roles and the others that may read runs can
        // list them. The monev service checks the roles.
        .route("/api/v1/monev/runs", get(monev::list).post(monev::start))
        .route("/api/v1/monev/runs/{id}", get(monev::get_one))
        .route(
            "/api/v1/monev/runs/{id}/tasks/{activity}/{action}",
            post(monev::step),
        )
        .route(
            "/api/v1/monev/runs/{id}/tasks/{activity}/minutes",
            post(monev::add_minutes),
        )
        .route(
            "/api/v1/monev/runs/{id}/tasks/{activity}/minutes/{meeting}",
            put(monev::edit_minutes),
        )
        .route(
            "/api/v1/monev/runs/{id}/tasks/{activity}/minutes/{meeting}/action-items",
            post(monev::add_action_item),
        )
        // Quarterly report versions (SOP 04). The complaint team generates,
        // revises and submits, the head of section reviews, the Sekda
        // approves and the central admin publishes. The report-version
        // service checks the roles.
        .route(
            "/api/v1/report-versions",
            get(report_versions::list).post(report_versions::generate),
        )
        .route(
            "/api/v1/report-versions/{id}",
            get(report_versions::get_one),
        )
        .route(
            "/api/v1/report-versions/{id}/narrative",
            post(report_versions::narrative),
        )
        .route(
            "/api/v1/report-versions/{id}/submit",
            post(report_versions::submit),
        )
        .route(
            "/api/v1/report-versions/{id}/review",
            post(report_versions::review),
        )
        .route(
            "/api/v1/report-versions/{id}/approve",
            post(report_versions::approve),
        )
        .route(
            "/api/v1/report-versions/{id}/publish",
            post(report_versions::publish),
        )
        // Authenticated by the provider's signature or shared secret.
        .route(
            "/webhooks/whatsapp",
            get(webhooks::whatsapp_verify).post(webhooks::whatsapp_receive),
        )
        .route("/webhooks/sms", post(webhooks::sms_receive))
}

async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
