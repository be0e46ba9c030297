//! Complaint endpoints: intake, list, read, history, lifecycle actions.

use super::dto::{
    ActionRequest, ComplaintDto, CreateComplaintRequest, CreatedDto, EventDto, PageDto, Problem,
};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::i18n::Lang;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tanggap_core::complaint::ArchiveReason;
use tanggap_core::lifecycle::{Command, Visibility};
use tanggap_core::validate::FieldError;
use tanggap_core::{Channel, ComplaintId, ComplaintType, Status};
use tanggap_service::ServiceError;
use tanggap_service::complaints::ListQuery;
use tanggap_store::Sort;

/// The request's language, for labels in responses.
pub(crate) struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(Lang::from_accept_language(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )))
    }
}

const IDEMPOTENCY_KEY_MAX: usize = 200;

fn dto(
    state: &AppState,
    lang: Lang,
    view: tanggap_service::complaints::ComplaintView,
) -> ComplaintDto {
    ComplaintDto::new(view, &state.services.calendar(), lang)
}

/// Records a complaint that arrived through a channel (central admin: any
/// channel, SOP 02; liaison admin: their agency's channels, SOP 03).
///
/// With `Idempotency-Key`, a retry with the same body returns the same
/// complaint (200, `Idempotency-Replayed: true`); the first request
/// returns 201 only after the complaint is committed to disk.
#[utoipa::path(post, path = "/api/v1/complaints", request_body = CreateComplaintRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key, at most 200 visible ASCII characters")),
    responses((status = 201, body = CreatedDto), (status = 200, body = CreatedDto, description = "Replayed"),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| ApiError::IdempotencyKeyInvalid)?
                .trim();
            let valid = !key.is_empty()
                && key.len() <= IDEMPOTENCY_KEY_MAX
                && key.bytes().all(|b| b.is_ascii_graphic());
            if !valid {
                return Err(ApiError::IdempotencyKeyInvalid);
            }
            Some(key.to_owned())
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let request: CreateComplaintRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let created = state
        .services
        .create_complaint(&principal, request.into(), key.map(|k| (k, body.to_vec())))
        .await?;
    let replayed = created.replayed;
    let payload = CreatedDto {
        complaint: dto(&state, lang, created.view),
        secret: created.secret,
    };
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(payload)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotency-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Query parameters of the complaint list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Comma-separated statuses.
    status: Option<String>,
    /// Lead or supporting agency code.
    agency: Option<String>,
    #[serde(rename = "type")]
    complaint_type: Option<String>,
    channel: Option<String>,
    /// Only complaints past their current deadline.
    overdue: Option<bool>,
    /// RFC 3339 instant.
    #[param(value_type = Option<String>)]
    received_from: Option<jiff::Timestamp>,
    #[param(value_type = Option<String>)]
    received_until: Option<jiff::Timestamp>,
    /// Text contained in the title or body.
    q: Option<String>,
    /// due_at (default), received_newest or received_oldest.
    #[param(value_type = Option<String>)]
    sort: Option<Sort>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn parse_list<T>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for part in value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        out.push(parse(part).ok_or_else(|| {
            ApiError::from(ServiceError::Validation(vec![FieldError::new(
                field,
                "invalid_value",
            )]))
        })?);
    }
    Ok(out)
}

/// Lists complaints in the caller's scope, filtered and sorted.
#[utoipa::path(get, path = "/api/v1/complaints", params(ListParams),
    responses((status = 200, body = PageDto), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PageDto>, ApiError> {
    let statuses = parse_list("status", params.status.as_deref(), Status::from_code)?;
    let complaint_type = parse_list(
        "type",
        params.complaint_type.as_deref(),
        ComplaintType::from_code,
    )?
    .into_iter()
    .next();
    let channel = parse_list("channel", params.channel.as_deref(), Channel::from_code)?
        .into_iter()
        .next();
    let query = ListQuery {
        statuses,
        agency: params.agency.filter(|a| !a.trim().is_empty()),
        complaint_type,
        channel,
        overdue: params.overdue.unwrap_or(false),
        received_from: params.received_from,
        received_until: params.received_until,
        text: params.q,
        sort: params.sort.unwrap_or_default(),
        page: params.page.unwrap_or(1),
        per_page: params.per_page.unwrap_or(0),
    };
    let page = state.services.list_complaints(&principal, query).await?;
    Ok(Json(PageDto {
        items: page
            .items
            .into_iter()
            .map(|v| dto(&state, lang, v))
            .collect(),
        total: page.total,
        total_capped: page.total_capped,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// Reads one complaint; 404 also when it is outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ComplaintDto), (status = 404, body = Problem)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ComplaintDto>, ApiError> {
    let view = state
        .services
        .get_complaint(&principal, ComplaintId(id))
        .await?;
    Ok(Json(dto(&state, lang, view)))
}

/// Reads one complaint by tracking number.
#[utoipa::path(get, path = "/api/v1/complaints/by-tracking/{tracking_number}", params(("tracking_number" = String, Path)),
    responses((status = 200, body = ComplaintDto), (status = 404, body = Problem)))]
pub(crate) async fn by_tracking(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Json<ComplaintDto>, ApiError> {
    let view = state
        .services
        .find_complaint(&principal, &tracking_number)
        .await?;
    Ok(Json(dto(&state, lang, view)))
}

/// The complaint's history, oldest first.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/events", params(("id" = i64, Path)),
    responses((status = 200, body = [EventDto]), (status = 404, body = Problem)))]
pub(crate) async fn events(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    let events = state
        .services
        .complaint_history(&principal, ComplaintId(id))
        .await?;
    Ok(Json(
        events
            .into_iter()
            .map(|stored| {
                let e = stored.event;
                EventDto {
                    id: stored.id,
                    action_label: lang.text(&format!("action-{}", e.action.code()), &[]),
                    action: e.action.code().into(),
                    at: e.at,
                    actor: e.actor.label,
                    from_status: e.from_status.map(|s| s.code().into()),
                    to_status: e.to_status.code().into(),
                    sop_activity: e.sop_activity,
                    visibility: match e.visibility {
                        Visibility::Public => "public".into(),
                        Visibility::Internal => "internal".into(),
                    },
                    text: e.text,
                    data: e.data,
                }
            })
            .collect(),
    ))
}

fn required<T>(field: &'static str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ServiceError::Validation(vec![FieldError::new(field, "required")]).into())
}

/// Builds the lifecycle command of an action name from the request body.
pub(crate) fn command(action: &str, r: ActionRequest) -> Result<Command, ApiError> {
    Ok(match action {
        "verify" => Command::Verify {
            complaint_type: required("complaint_type", r.complaint_type)?,
            supervision: r.supervision.unwrap_or(false),
            title: r.title,
            category: r.category,
            subcategory: r.subcategory,
            tags: r.tags.unwrap_or_default(),
        },
        "hold" => Command::Hold {
            question: required("question", r.question)?,
        },
        "complete" => Command::Complete {
            text: required("text", r.text)?,
        },
        "archive" => {
            let reason = match required("reason", r.reason)?.as_str() {
                "spam" => ArchiveReason::Spam,
                "duplicate" => ArchiveReason::Duplicate {
                    of: ComplaintId(required("duplicate_of", r.duplicate_of)?),
                },
                "not_a_complaint" => ArchiveReason::NotAComplaint,
                "unintelligible" => ArchiveReason::Unintelligible,
                "no_response" => ArchiveReason::NoResponse,
                _ => {
                    return Err(ServiceError::Validation(vec![FieldError::new(
                        "reason",
                        "invalid_value",
                    )])
                    .into());
                }
            };
            Command::Archive {
                reason,
                note: r.note,
            }
        }
        "dispatch" => Command::Dispatch {
            lead_agency: required("lead_agency", r.lead_agency)?,
            supporting_agencies: r.supporting_agencies.unwrap_or_default(),
            instruction: r.instruction,
        },
        "return" => Command::Return {
            reason: required("reason", r.reason)?,
        },
        "forward" => Command::Forward {
            institution: required("institution", r.institution)?,
            note: r.note,
        },
        "follow-up" => Command::FollowUp {
            text: required("text", r.text)?,
        },
        "respond" => Command::Respond {
            text: required("text", r.text)?,
        },
        "reporter-reply" => Command::ReporterReply {
            satisfied: required("satisfied", r.satisfied)?,
            rating: r.rating,
            comment: r.comment,
        },
        "resolve" => Command::Resolve { note: r.note },
        "reopen" => Command::Reopen {
            reason: required("reason", r.reason)?,
        },
        "note" => Command::Note {
            text: required("text", r.text)?,
        },
        "link" => Command::Link {
            related: ComplaintId(required("related", r.related)?),
        },
        other => return Err(ApiError::UnknownAction(other.chars().take(50).collect())),
    })
}

/// Applies a lifecycle action: verify, hold, complete, archive, dispatch,
/// return, forward, follow-up, respond, reporter-reply, resolve, reopen,
/// note, link. A stale `version` gets 409 and changes nothing.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/actions/{action}", request_body = ActionRequest,
    params(("id" = i64, Path), ("action" = String, Path)),
    responses((status = 200, body = ComplaintDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn act(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<ComplaintDto>, ApiError> {
    let version = request.version;
    let command = command(&action, request)?;
    let view = state
        .services
        .act(&principal, ComplaintId(id), version, command)
        .await?;
    Ok(Json(dto(&state, lang, view)))
}
