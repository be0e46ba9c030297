//! HTTP layer of Tanggap: the JSON API (`/api/v1`, with its OpenAPI
//! document) and the health checks. Handlers are thin: extract, call a
//! service, render. Every decision about who may do what is in the services.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tanggap_service::Services;

mod api;
mod auth;
mod error;
pub mod i18n;
mod ui;

pub use api::ApiDoc;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tanggap_session";

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Marks the session cookie `Secure`; turn off only for plain-HTTP
    /// development on localhost.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub services: Services,
    pub config: WebConfig,
}

/// Builds the application's router.
pub fn router(services: Services, config: WebConfig) -> Router {
    let state = AppState { services, config };
    let pages = ui::routes().layer(axum::middleware::from_fn(ui::csrf_cookie));
    Router::new()
        .merge(api::routes())
        .merge(pages)
        .fallback(ui::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(error::localise_problems))
        .layer(axum::middleware::from_fn(ui::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
