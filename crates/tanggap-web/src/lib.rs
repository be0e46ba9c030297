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
mod open311;
pub mod report_document;
mod ui;

pub use api::ApiDoc;

/// Returns the renderer of a monitoring and evaluation run's archive
/// bundle (one PDF in `lang`) that the archive step passes to
/// [`Services::archive_monev_run`].
pub fn monev_bundle_renderer(
    services: Services,
    lang: i18n::Lang,
) -> tanggap_service::monev::BundleRenderer {
    ui::monev::bundle_renderer(services, lang)
}

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
    /// URL template of the map tiles, e.g.
    /// `https://{s}.tile.example.org/{z}/{x}/{y}.png`. `None` shows the
    /// kelurahan boundary and the pin on a blank background.
    pub map_tile_url: Option<String>,
}

impl WebConfig {
    /// Checks the configuration, so a bad tile URL stops the server at start.
    pub fn validate(&self) -> Result<(), String> {
        match &self.map_tile_url {
            Some(url) => ui::map::tile_source(url).map(|_| ()),
            None => Ok(()),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub services: Services,
    pub config: WebConfig,
    /// Rate limits of the public portal, per client address and contact.
    pub portal_limits: std::sync::Arc<ui::portal::RateLimiter>,
    /// Figures of the transparency page, reused for a few minutes.
    pub transparency: std::sync::Arc<ui::transparency::FiguresCache>,
    /// Client for outside services the inbound channels call (the
    /// WhatsApp Graph API's media download).
    pub http_client: reqwest::Client,
}

/// Builds the application's router.
pub fn router(services: Services, config: WebConfig) -> Router {
    let policy = ui::SecurityPolicy::new(&config);
    let state = AppState {
        services,
        config,
        portal_limits: std::sync::Arc::default(),
        transparency: std::sync::Arc::default(),
        http_client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default(),
    };
    let pages = ui::routes().layer(axum::middleware::from_fn(ui::csrf_cookie));
    Router::new()
        .merge(api::routes())
        .merge(open311::routes())
        .merge(pages)
        .fallback(ui::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(error::localise_problems))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            ui::security_headers,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
