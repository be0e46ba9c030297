//! Errors as `application/problem+json` (RFC 9457) in the request's language.
//!
//! Handlers return [`ApiError`]. Its response carries a [`Problem`] in the
//! response extensions and no body; the [`localise_problems`] middleware,
//! which knows the request's `Accept-Language`, renders the body. That way
//! handlers need not pass the language around, and malformed-request
//! rejections from extractors get the same treatment.

use crate::i18n::Lang;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tanggap_core::Status;
use tanggap_core::lifecycle::Action;
use tanggap_core::monev::{TaskError, TaskStatus};
use tanggap_core::validate::FieldError;
use tanggap_service::ServiceError;

/// An argument of a message; statuses and actions are translated too.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Text(String),
    Status(Status),
    Action(Action),
    TaskStatus(TaskStatus),
}

/// A problem before it is rendered in a language.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    /// Stable code; `error-<code>` is the message key.
    code: &'static str,
    args: Vec<(&'static str, Arg)>,
    errors: Vec<FieldError>,
    current_status: Option<Status>,
    current_version: Option<i64>,
    /// Technical detail (a parser message), shown as is in `detail`.
    technical: Option<String>,
}

impl Problem {
    fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            args: Vec::new(),
            errors: Vec::new(),
            current_status: None,
            current_version: None,
            technical: None,
        }
    }

    fn technical(mut self, detail: &str) -> Self {
        self.technical = Some(detail.to_owned());
        self
    }

    fn arg(mut self, name: &'static str, value: Arg) -> Self {
        self.args.push((name, value));
        self
    }

    fn render(&self, lang: Lang) -> serde_json::Value {
        let args: Vec<(&'static str, String)> = self
            .args
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    Arg::Text(text) => text.clone(),
                    Arg::Status(status) => lang.text(&format!("status-{}", status.code()), &[]),
                    Arg::Action(action) => lang.text(&format!("action-{}", action.code()), &[]),
                    Arg::TaskStatus(status) => {
                        lang.text(&format!("monev-task-{}", status.code()), &[])
                    }
                };
                (*name, text)
            })
            .collect();
        let title = lang.text(&format!("error-{}", self.code), &args);
        let mut body = json!({
            "type": format!("urn:tanggap:error:{}", self.code),
            "title": title,
            "status": self.status.as_u16(),
            "code": self.code,
        });
        if !self.errors.is_empty() {
            let errors: Vec<serde_json::Value> = self
                .errors
                .iter()
                .map(|e| {
                    let limit = e.limit.map(|l| l.to_string()).unwrap_or_default();
                    json!({
                        "field": e.field,
                        "code": e.code,
                        "message": lang.text(&format!("field-{}", e.code), &[("limit", limit)]),
                    })
                })
                .collect();
            let detail = errors
                .iter()
                .filter_map(|e| {
                    Some(format!(
                        "{}: {}",
                        e["field"].as_str()?,
                        e["message"].as_str()?
                    ))
                })
                .collect::<Vec<_>>()
                .join("; ");
            body["detail"] = json!(detail);
            body["errors"] = json!(errors);
        }
        if let Some(technical) = &self.technical {
            body["detail"] = json!(technical);
        }
        if let Some(status) = self.current_status {
            body["current_status"] = json!(status.code());
        }
        if let Some(version) = self.current_version {
            body["current_version"] = json!(version);
        }
        body
    }
}

/// Every way a request can fail.
#[derive(Debug)]
pub(crate) enum ApiError {
    Service(ServiceError),
    MalformedJson(String),
    UnsupportedMediaType,
    PayloadTooLarge,
    BadRequest(String),
    UnknownAction(String),
    IdempotencyKeyInvalid,
    RouteNotFound,
    MethodNotAllowed,
    /// A webhook request whose signature or shared secret does not match.
    InvalidSignature,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError::Service(e)
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match rejection {
            R::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            R::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            other => ApiError::MalformedJson(other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl ApiError {
    fn problem(&self) -> Problem {
        use ServiceError as S;
        match self {
            ApiError::Service(e) => {
                let status = match e {
                    S::Unauthenticated | S::InvalidCredentials | S::TotpRequired => {
                        StatusCode::UNAUTHORIZED
                    }
                    S::AccountLocked { .. } => StatusCode::LOCKED,
                    S::Forbidden => StatusCode::FORBIDDEN,
                    S::NotFound { .. } => StatusCode::NOT_FOUND,
                    S::Validation(_) | S::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
                    S::InvalidTransition { .. }
                    | S::Conflict { .. }
                    | S::UsernameTaken
                    | S::Task(_) => StatusCode::CONFLICT,
                    S::Internal(_) | S::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let mut problem = Problem::new(status, e.code());
                match e {
                    S::AccountLocked { until } => {
                        let minutes = until
                            .duration_since(jiff::Timestamp::now())
                            .as_secs()
                            .div_euclid(60)
                            .max(0)
                            + 1;
                        problem = problem.arg("minutes", Arg::Text(minutes.to_string()));
                    }
                    S::Validation(errors) => problem.errors = errors.clone(),
                    S::InvalidTransition { action, status } => {
                        problem = problem
                            .arg("action", Arg::Action(*action))
                            .arg("status", Arg::Status(*status));
                        problem.current_status = Some(*status);
                    }
                    S::Conflict { current } => {
                        problem = problem.arg("current", Arg::Text(current.to_string()));
                        problem.current_version = Some(*current);
                    }
                    S::Task(TaskError::RequirementMissing { requirement }) => {
                        problem = problem.arg("requirement", Arg::Text(requirement.clone()));
                    }
                    S::Task(TaskError::WrongState { status }) => {
                        problem = problem.arg("status", Arg::TaskStatus(*status));
                    }
                    _ => {}
                }
                problem
            }
            ApiError::MalformedJson(detail) => {
                Problem::new(StatusCode::BAD_REQUEST, "malformed_json").technical(detail)
            }
            ApiError::UnsupportedMediaType => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::PayloadTooLarge => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            ApiError::BadRequest(detail) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad_request").technical(detail)
            }
            ApiError::MethodNotAllowed => {
                Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            ApiError::UnknownAction(action) => {
                Problem::new(StatusCode::NOT_FOUND, "unknown_action")
                    .arg("action", Arg::Text(action.clone()))
            }
            ApiError::IdempotencyKeyInvalid => {
                Problem::new(StatusCode::BAD_REQUEST, "idempotency_key_invalid")
            }
            ApiError::RouteNotFound => Problem::new(StatusCode::NOT_FOUND, "route_not_found"),
            ApiError::InvalidSignature => {
                Problem::new(StatusCode::UNAUTHORIZED, "invalid_signature")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Service(e @ (ServiceError::Internal(_) | ServiceError::Store(_))) = &self {
            // The one place server errors are logged; users see a generic message.
            tracing::error!(error = %e, "request failed");
        }
        let problem = self.problem();
        let mut response = problem.status.into_response();
        response.extensions_mut().insert(problem);
        response
    }
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Returns the status, the translated title and the translated field
/// messages of an error, for HTML pages.
pub(crate) fn describe(error: &ApiError, lang: Lang) -> (StatusCode, String, Vec<String>) {
    if let ApiError::Service(e @ (ServiceError::Internal(_) | ServiceError::Store(_))) = error {
        tracing::error!(error = %e, "page request failed");
    }
    let problem = error.problem();
    let body = problem.render(lang);
    let title = body["title"].as_str().unwrap_or_default().to_owned();
    let fields = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    Some(format!(
                        "{}: {}",
                        e["field"].as_str()?,
                        e["message"].as_str()?
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    (problem.status, title, fields)
}

/// Renders problems in the request's language.
pub(crate) async fn localise_problems(request: Request, next: Next) -> Response {
    let lang = Lang::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut response = next.run(request).await;
    let Some(problem) = response.extensions_mut().remove::<Problem>() else {
        return response;
    };
    let body = problem.render(lang);
    let mut rendered = (problem.status, axum::Json(body)).into_response();
    let headers = rendered.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    // Keep headers set by the handler (such as WWW-Authenticate).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            headers.insert(name.clone(), value.clone());
        }
    }
    rendered
}
