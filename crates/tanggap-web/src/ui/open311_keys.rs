//! The system admin's page of Open311 API keys: issue a key (shown once)
//! and revoke one.

use super::admin::{Tab, admin_user, tabs};
use super::complaints::error_page;
use super::session::render;
use super::views::local_time;
use super::{CsrfToken, Layout, csrf_valid, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_service::{Principal, ServiceError};

pub(crate) const PATH: &str = "/admin/kunci-open311";

pub(crate) struct KeyRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_open311.html")]
pub(crate) struct KeysPage {
    pub l: Layout,
    pub tabs: Vec<Tab>,
    pub errors: Vec<String>,
    pub keys: Vec<KeyRow>,
    /// A key issued by this request, shown once.
    pub new_key: Option<String>,
}

async fn keys_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    saved: bool,
) -> Result<KeysPage, ApiError> {
    let s = &state.services;
    let local = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|at| local_time(s, at))
            .unwrap_or_default()
    };
    let keys = s
        .open311_keys(Some(&user))
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            created: local(k.created_at),
            revoked: k.revoked_at.map(local),
            name: k.name,
        })
        .collect();
    Ok(KeysPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: PATH.into(),
            title: lang.text("open311-keys-title", &[]),
            flash: saved.then(|| lang.text("admin-saved", &[])),
        },
        tabs: tabs(lang, PATH),
        errors: Vec::new(),
        keys,
        new_key: None,
    })
}

/// Shows the keys.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(saved): Query<super::admin::Saved>,
) -> Response {
    let lang = page_lang(&headers);
    let user = match admin_user(&state, &headers, &csrf, PATH).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    match keys_page(&state, lang, user.clone(), csrf.clone(), saved.is_saved()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => error_page(&state, lang, Some(user), csrf, e),
    }
}

/// Issues (`tambah`) or revokes (`cabut`) a key. A new key is shown in
/// this response only, never stored in a redirect.
pub(crate) async fn change(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(what): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let user = match admin_user(&state, &headers, &csrf, PATH).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let pairs = form_pairs(&body);
    let s = &state.services;
    let result: Result<Option<String>, ApiError> = if !csrf_valid(&headers, &pairs) {
        Err(ApiError::BadRequest(lang.text("error-csrf", &[])))
    } else {
        match what.as_str() {
            "tambah" => s
                .issue_open311_key(Some(&user), form_value(&pairs, "name").unwrap_or_default())
                .await
                .map(|issued| Some(issued.key))
                .map_err(ApiError::from),
            "cabut" => match form_value(&pairs, "id").and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => s
                    .revoke_open311_key(Some(&user), id)
                    .await
                    .map(|()| None)
                    .map_err(ApiError::from),
                None => Err(ServiceError::field("id", "invalid_value").into()),
            },
            _ => Err(ApiError::RouteNotFound),
        }
    };
    let (status, errors, new_key) = match result {
        Ok(None) => return Redirect::to(&format!("{PATH}?ok=1")).into_response(),
        Ok(Some(key)) => (StatusCode::OK, Vec::new(), Some(key)),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            (status, errors, None)
        }
    };
    match keys_page(&state, lang, user.clone(), csrf.clone(), false).await {
        Ok(mut page) => {
            page.errors = errors;
            page.new_key = new_key;
            let mut response = render(status, &page);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error_page(&state, lang, Some(user), csrf, e),
    }
}
