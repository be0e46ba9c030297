//! Who is calling: a session cookie from `POST /api/v1/session`, or an API
//! token in `Authorization: Bearer`.

use crate::error::ApiError;
use crate::{AppState, SESSION_COOKIE};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tanggap_service::{Principal, ServiceError};

/// The authenticated staff member; rejects the request with 401 otherwise.
pub(crate) struct Auth(pub Principal);

/// Returns the value of a cookie from the request headers.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let principal = if let Some(token) = bearer {
            state.services.authenticate_token(token).await?
        } else if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            state.services.authenticate_session(token).await?
        } else {
            return Err(ServiceError::Unauthenticated.into());
        };
        Ok(Auth(principal))
    }
}
