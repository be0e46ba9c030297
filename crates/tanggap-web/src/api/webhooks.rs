//! Webhooks of the inbound channels: WhatsApp Cloud API and a generic SMS
//! gateway. Each is off (404) until configured. A request whose signature
//! or secret does not match is rejected with 401 before anything is
//! parsed or stored.

use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tanggap_intake::{sms, whatsapp};

/// Query of Meta's subscription handshake.
#[derive(Deserialize)]
pub(crate) struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Answers the WhatsApp webhook subscription handshake: echoes
/// `hub.challenge` when `hub.verify_token` matches, 403 otherwise.
pub(crate) async fn whatsapp_verify(
    State(state): State<AppState>,
    Query(query): Query<Handshake>,
) -> Result<Response, ApiError> {
    let config = state
        .services
        .config()
        .triage
        .whatsapp
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    match whatsapp::verify_subscription(
        &config.verify_token,
        query.mode.as_deref(),
        query.verify_token.as_deref(),
        query.challenge.as_deref(),
    ) {
        Some(challenge) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge.to_owned(),
        )
            .into_response()),
        None => Err(ApiError::Service(tanggap_service::ServiceError::Forbidden)),
    }
}

/// Receives WhatsApp messages signed with the app secret
/// (`X-Hub-Signature-256`). Text, image and document messages go to the
/// triage inbox; a message id seen before is skipped; status callbacks
/// are ignored.
pub(crate) async fn whatsapp_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let config = state
        .services
        .config()
        .triage
        .whatsapp
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !whatsapp::verify_signature(&config.app_secret, signature, &body) {
        tracing::warn!("WhatsApp webhook rejected: invalid signature");
        return Err(ApiError::InvalidSignature);
    }
    let messages =
        whatsapp::parse_payload(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // NOTE: media is downloaded before the response, so a slow Graph API
    // delays it; Meta retries an unanswered delivery, which deduplication
    // by message id makes harmless.
    let delivery = whatsapp::ingest(&state.services, &state.http_client, &config, messages).await?;
    Ok(Json(delivery).into_response())
}

/// Receives an SMS from the configured gateway, authenticated by a shared
/// secret header or an HMAC-SHA256 signature header.
pub(crate) async fn sms_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let config = state
        .services
        .config()
        .triage
        .sms
        .clone()
        .ok_or(ApiError::RouteNotFound)?;
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if !sms::authenticate(&config, header_value, &body) {
        tracing::warn!("SMS webhook rejected: invalid secret or signature");
        return Err(ApiError::InvalidSignature);
    }
    let is_json = header_value(header::CONTENT_TYPE.as_str())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let message =
        sms::parse(&config, is_json, &body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let stored = sms::ingest(&state.services, message).await?;
    Ok(Json(json!({ "stored": stored, "duplicate": !stored })).into_response())
}
