//! The staff web application: server-rendered HTML with compiled templates
//! and htmx, Indonesian first with English.
//!
//! Every page goes through the same services as the API. Forms are plain
//! HTML forms that work without JavaScript; htmx only refreshes the list
//! when its filters change. Every state-changing request carries a CSRF
//! token (double-submit: a `SameSite=Strict` cookie and a hidden field that
//! must match).

use crate::AppState;
use crate::auth::cookie;
use crate::i18n::Lang;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use tanggap_service::Principal;

mod admin;
mod assets;
mod attachments;
mod complaints;
mod compliance;
mod export;
mod forwarded;
mod home;
mod import;
mod layout;
pub(crate) mod map;
pub(crate) mod monev;
mod open311_keys;
mod outbox;
pub(crate) mod portal;
pub(crate) mod portal_map;
mod report;
mod report_versions;
mod session;
mod sop;
mod sop_chart;
pub(crate) mod transparency;
mod triage;
mod views;

pub(crate) use layout::Layout;

/// Cookie of the CSRF token.
pub(crate) const CSRF_COOKIE: &str = "tanggap_csrf";
/// Cookie of the chosen language.
pub(crate) const LANG_COOKIE: &str = "tanggap_lang";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::root))
        .route("/beranda", get(home::home))
        .route("/dasbor", get(home::dashboard))
        .route("/masuk", get(session::login_page).post(session::login))
        .route("/keluar", post(session::logout))
        .route("/bahasa", get(session::switch_language))
        .route(
            "/akun/kata-sandi",
            get(session::password_page).post(session::change_password),
        )
        .route("/akun/dua-langkah", get(session::totp_page))
        .route("/akun/dua-langkah/{step}", post(session::totp_step))
        .route("/admin", get(admin::index))
        .route(open311_keys::PATH, get(open311_keys::show))
        .route("/admin/kunci-open311/{change}", post(open311_keys::change))
        .route("/admin/pemberitahuan", get(outbox::page))
        .route("/admin/pemberitahuan/{id}/ulang", post(outbox::retry))
        .route("/admin/{section}", get(admin::show))
        .route("/admin/{section}/{change}", post(admin::submit))
        .route("/audit", get(admin::audit))
        .route(
            "/lapor",
            get(portal::report_form)
                .post(portal::submit_report)
                .layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT)),
        )
        .route("/lapor/terkirim", get(portal::receipt))
        .route("/lacak", get(portal::track))
        .route("/lacak/{action}", post(portal::reporter_action))
        .route("/transparansi", get(transparency::page))
        .route("/static/transparansi-peta.js", get(transparency::script))
        .route("/laporan", get(report::page))
        .route("/laporan/data.csv", get(report::csv))
        .route("/laporan/data.json", get(report::json))
        .route(
            "/laporan/versi",
            get(report_versions::list).post(report_versions::generate),
        )
        .route("/laporan/versi/{id}", get(report_versions::show))
        .route("/laporan/versi/{id}/{step}", post(report_versions::act))
        .route(
            "/laporan/versi/{id}/berkas/{format}",
            get(report_versions::download),
        )
        .route("/publikasi/laporan", get(report_versions::public_list))
        .route("/publikasi/laporan/{id}", get(report_versions::public_pdf))
        .route("/sop", get(sop::index))
        .route("/sop/{name}", get(sop::show))
        .route("/sop/{name}/pdf", get(sop::pdf))
        .route("/sop/{name}/ubah", get(sop::edit_page).post(sop::edit))
        .route("/monev", get(monev::list))
        .route("/monev/mulai", post(monev::start))
        .route("/monev/arsip", get(monev::archive_list))
        .route("/monev/{id}", get(monev::show))
        .route("/monev/{id}/arsip", get(monev::archive_file))
        .route("/monev/{id}/foto/{photo}", get(monev::photo))
        .route(
            "/monev/{id}/tindak-lanjut/{item}/selesai",
            post(monev::complete_item),
        )
        .route(
            "/monev/{id}/{activity}/{action}",
            post(monev::act).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT)),
        )
        .route("/kepatuhan", get(compliance::page))
        .route("/kepatuhan/data.csv", get(compliance::csv))
        .route("/triase", get(triage::list))
        .route("/triase/{id}", get(triage::show))
        .route("/triase/{id}/{action}", post(triage::submit))
        .route("/pengaduan", get(complaints::list))
        .route(
            "/pengaduan/baru",
            get(complaints::new_page)
                .post(complaints::create)
                .layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT)),
        )
        .route(
            import::PATH,
            get(import::page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(import::BODY_LIMIT)),
        )
        .route("/impor/proses", post(import::process))
        .route("/pengaduan/ekspor.csv", get(export::csv))
        .route(
            "/pengaduan/disposisi-massal",
            post(complaints::bulk_dispatch),
        )
        .route("/pengaduan/{id}", get(complaints::detail))
        .route("/pengaduan/{id}/aksi/{action}", post(complaints::act))
        .route(
            "/pengaduan/{id}/lampiran",
            post(attachments::upload).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/pengaduan/{id}/lampiran/{attachment}",
            get(attachments::download),
        )
        .route(
            "/pengaduan/{id}/lampiran/{attachment}/asli",
            get(attachments::download_original),
        )
        .route("/peta/kelurahan/{code}", get(map::boundary))
        .route("/static/peta.js", get(map::script))
        .route("/static/lapor-peta.js", get(portal_map::script))
        .route("/static/vendor/leaflet-1.9.4/{file}", get(map::leaflet))
        .route(
            "/static/vendor/leaflet-1.9.4/images/{file}",
            get(map::leaflet_image),
        )
        .route("/static/app.css", get(assets::stylesheet))
        .route("/static/htmx.min.js", get(assets::htmx))
}

/// Handles unknown paths: a problem for API clients, a page for people.
pub(crate) async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    if path.starts_with("/api/") || path == "/api" || path.starts_with("/open311") {
        return crate::error::ApiError::RouteNotFound.into_response();
    }
    let lang = page_lang(&headers);
    let user = current_user(&state, &headers).await;
    let csrf = cookie(&headers, CSRF_COOKIE).unwrap_or_default().to_owned();
    complaints::error_page(
        &state,
        lang,
        user,
        csrf,
        crate::error::ApiError::RouteNotFound,
    )
}

/// Picks the language of a page: the `tanggap_lang` cookie, else `Accept-Language`.
pub(crate) fn page_lang(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("id") => Lang::Id,
        _ => Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// Returns the signed-in user of a page request, if any.
pub(crate) async fn current_user(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let token = cookie(headers, crate::SESSION_COOKIE)?;
    state.services.authenticate_session(token).await.ok()
}

/// The request's CSRF token, set by [`csrf_cookie`].
#[derive(Clone)]
pub(crate) struct CsrfToken(pub String);

/// Gives every request a CSRF token: the cookie's, or a new one that the
/// response then sets.
pub(crate) async fn csrf_cookie(mut request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let (token, fresh) = match existing {
        Some(token) => (token, false),
        None => (new_token(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if fresh
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // A failing OS generator leaves a token that never matches a cookie,
    // so forms fail closed.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tells whether a submitted form's `csrf` field matches the cookie.
pub(crate) fn csrf_valid(headers: &HeaderMap, pairs: &[(String, String)]) -> bool {
    let Some(cookie_token) = cookie(headers, CSRF_COOKIE) else {
        return false;
    };
    let submitted = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    !cookie_token.is_empty() && submitted == Some(cookie_token)
}

/// The Content-Security-Policy of pages, built once from the configuration.
#[derive(Clone)]
pub(crate) struct SecurityPolicy(HeaderValue);

impl SecurityPolicy {
    /// Builds the policy. Images may come from this origin and, when map
    /// tiles are configured, from the tile server; everything else stays
    /// on this origin. An invalid tile URL adds nothing, and
    /// [`crate::WebConfig::validate`] reports it at start.
    pub(crate) fn new(config: &crate::WebConfig) -> Self {
        let tile_source = config
            .map_tile_url
            .as_deref()
            .and_then(|url| map::tile_source(url).ok())
            .map(|source| format!(" {source}"))
            .unwrap_or_default();
        let policy = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; \
             img-src 'self' data:{tile_source}; connect-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        );
        Self(
            HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        )
    }
}

/// Security headers for every response. The Content-Security-Policy allows
/// no inline script or style; htmx and the map code are served from this
/// origin. A handler that sets its own policy (file downloads) keeps it.
pub(crate) async fn security_headers(
    axum::extract::State(policy): axum::extract::State<SecurityPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy.0);
    }
    let pairs = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Parses an `application/x-www-form-urlencoded` body into pairs, keeping
/// repeated keys (multi-selects) in order.
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}
