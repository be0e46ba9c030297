//! Reference data for forms and integrations; any signed-in user may read it.

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// Agencies (perangkat daerah).
#[utoipa::path(get, path = "/api/v1/reference/agencies", responses((status = 200, description = "Agencies")))]
pub(crate) async fn agencies(
    State(state): State<AppState>,
    Auth(_principal): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.services.agencies().await?)))
}

/// Kecamatan and kelurahan with Kemendagri codes.
#[utoipa::path(get, path = "/api/v1/reference/regions", responses((status = 200, description = "Regions")))]
pub(crate) async fn regions(
    State(state): State<AppState>,
    Auth(_principal): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.services.regions().await?)))
}

/// The LAPOR! category taxonomy; an empty subcategory is the category itself.
#[utoipa::path(get, path = "/api/v1/reference/categories", responses((status = 200, description = "Categories")))]
pub(crate) async fn categories(
    State(state): State<AppState>,
    Auth(_principal): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.services.categories().await?)))
}

/// National holidays and cuti bersama used for working-day deadlines.
#[utoipa::path(get, path = "/api/v1/reference/holidays", responses((status = 200, description = "Holidays")))]
pub(crate) async fn holidays(
    State(state): State<AppState>,
    Auth(_principal): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.services.holidays().await?)))
}
