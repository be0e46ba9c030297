//! The complaint map: Leaflet 1.9.4 (BSD-2-Clause, see
//! static/vendor/leaflet-1.9.4/LICENSE), the page's map code, and the
//! kelurahan boundaries, all compiled into the binary.
//!
//! The boundaries are public reference data, so they are served without
//! sign-in. Tiles come from a configured server only; without one the map
//! shows the boundary and the pin on a blank background.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::LazyLock;

const LEAFLET_JS: &str = include_str!("../../static/vendor/leaflet-1.9.4/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../static/vendor/leaflet-1.9.4/leaflet.css");
const MARKER_ICON: &[u8] =
    include_bytes!("../../static/vendor/leaflet-1.9.4/images/marker-icon.png");
const MARKER_ICON_2X: &[u8] =
    include_bytes!("../../static/vendor/leaflet-1.9.4/images/marker-icon-2x.png");
const MARKER_SHADOW: &[u8] =
    include_bytes!("../../static/vendor/leaflet-1.9.4/images/marker-shadow.png");
const MAP_SCRIPT: &str = include_str!("../../static/peta.js");
const BOUNDARIES: &str = include_str!("../../../../data/kelurahan-banjarmasin.geojson");

/// Each kelurahan's boundary as a GeoJSON feature, by Kemendagri code.
static BOUNDARY_BY_CODE: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut features = HashMap::new();
    let Ok(collection) = serde_json::from_str::<serde_json::Value>(BOUNDARIES) else {
        tracing::error!("the shipped kelurahan boundaries are not valid GeoJSON");
        return features;
    };
    for feature in collection["features"].as_array().into_iter().flatten() {
        if let Some(code) = feature["properties"]["kode"].as_str() {
            features.insert(code.to_owned(), feature.to_string());
        }
    }
    features
});

/// Tells whether a boundary is known for the kelurahan `code`.
pub(crate) fn has_boundary(code: &str) -> bool {
    BOUNDARY_BY_CODE.contains_key(code)
}

/// The map of a complaint page, passed to `peta.js` in data- attributes.
pub(crate) struct MapView {
    /// Latitude and longitude as decimal degrees, empty when unknown.
    pub latitude: String,
    pub longitude: String,
    /// URL of the kelurahan boundary, empty when unknown.
    pub boundary_url: String,
    /// Tile URL template, empty for the plain view.
    pub tiles: String,
    /// Accessible name of the map.
    pub label: String,
    /// Text equivalent: what the map shows, in words.
    pub description: String,
}

/// Builds the map of a location, or `None` when there is neither a
/// position nor a kelurahan with a known boundary.
pub(crate) fn map_view(
    lang: crate::i18n::Lang,
    location: &tanggap_core::Location,
    kelurahan_name: Option<String>,
    tile_url: Option<&str>,
) -> Option<MapView> {
    let position = location.latitude.zip(location.longitude);
    let boundary_code = location
        .kelurahan_code
        .as_deref()
        .filter(|code| has_boundary(code));
    if position.is_none() && boundary_code.is_none() {
        return None;
    }
    let place = kelurahan_name.unwrap_or_else(|| lang.text("map-unknown-kelurahan", &[]));
    let coordinates = position
        .map(|(lat, lng)| format!("{lat:.5}, {lng:.5}"))
        .unwrap_or_else(|| lang.text("map-no-coordinates", &[]));
    Some(MapView {
        latitude: position.map(|(lat, _)| lat.to_string()).unwrap_or_default(),
        longitude: position.map(|(_, lng)| lng.to_string()).unwrap_or_default(),
        boundary_url: boundary_code
            .map(|code| format!("/peta/kelurahan/{code}"))
            .unwrap_or_default(),
        tiles: tile_url.unwrap_or_default().to_owned(),
        label: lang.text("map-label", &[("name", place.clone())]),
        description: lang.text(
            "map-description",
            &[("name", place), ("detail", coordinates)],
        ),
    })
}

/// Returns the Content-Security-Policy source that allows a tile URL
/// template's images, e.g. `https://*.tile.example.org` for
/// `https://{s}.tile.example.org/{z}/{x}/{y}.png`, or why the URL is invalid.
pub(crate) fn tile_source(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("map_tile_url {url:?} has no scheme; use https://..."))?;
    if scheme != "https" && scheme != "http" {
        return Err(format!(
            "map_tile_url {url:?} must start with https:// or http://"
        ));
    }
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.replace("{s}", "*");
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'*'));
    if !valid_host {
        return Err(format!(
            "map_tile_url {url:?} has an invalid host; only {{s}} may stand in the host name"
        ));
    }
    if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
        return Err(format!(
            "map_tile_url {url:?} must contain {{z}}, {{x}} and {{y}}"
        ));
    }
    Ok(format!("{scheme}://{host}"))
}

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", MAP_SCRIPT)
}

pub(crate) async fn leaflet(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "leaflet.js" => asset("text/javascript; charset=utf-8", LEAFLET_JS),
        "leaflet.css" => asset("text/css; charset=utf-8", LEAFLET_CSS),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(crate) async fn leaflet_image(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "marker-icon.png" => asset("image/png", MARKER_ICON),
        "marker-icon-2x.png" => asset("image/png", MARKER_ICON_2X),
        "marker-shadow.png" => asset("image/png", MARKER_SHADOW),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves one kelurahan's boundary as a GeoJSON feature.
pub(crate) async fn boundary(Path(code): Path<String>) -> Response {
    let code = code.trim_end_matches(".geojson");
    match BOUNDARY_BY_CODE.get(code) {
        Some(feature) => asset("application/geo+json", feature.clone()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_source_of_templates() {
        assert_eq!(
            tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png"),
            Ok("https://*.tile.example.org".to_owned())
        );
        assert_eq!(
            tile_source("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png"),
            Ok("http://127.0.0.1:8081".to_owned())
        );
        assert!(tile_source("javascript:alert(1)//{z}{x}{y}").is_err());
        assert!(tile_source("https://tiles.example.org/map.png").is_err());
        assert!(tile_source("https://a b/{z}/{x}/{y}.png").is_err());
        assert!(tile_source("https://x.org';script-src */{z}/{x}/{y}").is_err());
    }

    #[test]
    fn boundaries_are_indexed() {
        assert_eq!(BOUNDARY_BY_CODE.len(), 52);
        assert!(has_boundary("63.71.01.1001"));
    }
}
