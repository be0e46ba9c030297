//! Signing in and out, and API tokens.

use super::ApiJson;
use super::dto::{LoginRequest, UserDto};
use crate::auth::{Auth, cookie};
use crate::error::ApiError;
use crate::{AppState, SESSION_COOKIE};
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

fn session_cookie(state: &AppState, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signs in and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = LoginRequest,
    responses((status = 200, body = UserDto), (status = 401, body = super::dto::Problem), (status = 423, body = super::dto::Problem)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = state
        .services
        .login(
            &request.username,
            &request.password,
            request.code.as_deref(),
        )
        .await?;
    let max_age = state.services.config().session_hours * 3600;
    let mut response = Json(UserDto::from(&session.principal)).into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, session_cookie(&state, &session.token, max_age));
    Ok(response)
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", responses((status = 204)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&request_headers, SESSION_COOKIE) {
        state.services.logout(token).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, session_cookie(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Returns the signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserDto), (status = 401, body = super::dto::Problem)))]
pub(crate) async fn me(Auth(principal): Auth) -> Json<UserDto> {
    Json(UserDto::from(&principal))
}
