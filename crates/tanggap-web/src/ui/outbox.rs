//! The notification outbox for the central admin and the system
//! administrator: each notification's occasion, channel, status and
//! attempts, without the recipient or the message, and a retry button for
//! failed ones.

use super::admin::{Tab, tabs};
use super::complaints::error_page;
use super::session::render;
use super::views::local_time;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_core::Role;
use tanggap_service::ServiceError;
use tanggap_service::notify::OUTBOX_PAGE;
use tanggap_store::outbox::NotificationStatus;

const PATH: &str = "/admin/pemberitahuan";

/// One outbox row as shown.
pub(crate) struct OutboxRow {
    pub id: i64,
    pub tracking_number: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub failed: bool,
    pub attempts: String,
    pub next_attempt: String,
    pub last_error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub(crate) struct OutboxPage {
    pub l: Layout,
    pub tabs: Vec<Tab>,
    /// (code, label, selected) of the status filter.
    pub statuses: Vec<(&'static str, String, bool)>,
    pub rows: Vec<OutboxRow>,
    pub older: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct OutboxQuery {
    status: Option<String>,
    before: Option<i64>,
    ok: Option<String>,
}

const STATUSES: [NotificationStatus; 5] = [
    NotificationStatus::Pending,
    NotificationStatus::Sending,
    NotificationStatus::Sent,
    NotificationStatus::Failed,
    NotificationStatus::Skipped,
];

fn row(state: &AppState, lang: Lang, n: tanggap_store::outbox::NotificationSummary) -> OutboxRow {
    let time = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| local_time(&state.services, t))
            .unwrap_or_default()
    };
    let pending = n.status == NotificationStatus::Pending;
    OutboxRow {
        id: n.id,
        tracking_number: n.tracking_number,
        kind: lang.text(&format!("outbox-kind-{}", n.kind), &[]),
        channel: lang.text(&format!("outbox-channel-{}", n.channel), &[]),
        status: lang.text(&format!("outbox-status-{}", n.status.code()), &[]),
        failed: n.status == NotificationStatus::Failed,
        attempts: format!("{}/{}", n.attempts, n.max_attempts),
        next_attempt: if pending {
            time(n.next_attempt_at)
        } else {
            String::new()
        },
        last_error: n.last_error.unwrap_or_default(),
        created: time(n.created_at),
    }
}

/// Shows the outbox, newest first.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(query): Query<OutboxQuery>,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali={PATH}")).into_response();
    };
    let status = query
        .status
        .as_deref()
        .and_then(NotificationStatus::from_code);
    let rows = match state
        .services
        .list_outbox(&user, status, query.before)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let older = (rows.len() == usize::try_from(OUTBOX_PAGE).unwrap_or(usize::MAX))
        .then(|| rows.last().map(|n| n.id))
        .flatten()
        .map(|last| {
            let mut pairs = form_urlencoded::Serializer::new(String::new());
            if let Some(status) = status {
                pairs.append_pair("status", status.code());
            }
            pairs.append_pair("before", &last.to_string());
            format!("{PATH}?{}", pairs.finish())
        });
    let tabs = if user.role == Role::SystemAdmin {
        tabs(lang, PATH)
    } else {
        Vec::new()
    };
    let page = OutboxPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: PATH.into(),
            title: lang.text("outbox-title", &[]),
            flash: query.ok.map(|_| lang.text("outbox-retried", &[])),
        },
        tabs,
        statuses: STATUSES
            .iter()
            .map(|s| {
                (
                    s.code(),
                    lang.text(&format!("outbox-status-{}", s.code()), &[]),
                    Some(*s) == status,
                )
            })
            .collect(),
        rows: rows.into_iter().map(|n| row(&state, lang, n)).collect(),
        older,
    };
    render(StatusCode::OK, &page)
}

/// Puts a failed notification back in the queue.
pub(crate) async fn retry(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali={PATH}")).into_response();
    };
    if !csrf_valid(&headers, &form_pairs(&body)) {
        return error_page(
            &state,
            lang,
            Some(user),
            csrf,
            ServiceError::Forbidden.into(),
        );
    }
    match state.services.retry_outbox(&user, id).await {
        Ok(()) => Redirect::to(&format!("{PATH}?ok=1")).into_response(),
        Err(e) => error_page(&state, lang, Some(user), csrf, e.into()),
    }
}
