//! The map pin of the report form: finds the kelurahan of a position with
//! the shipped kelurahan boundaries, and serves the form's map script.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

const BOUNDARIES: &str = include_str!("../../../../data/kelurahan-banjarmasin.geojson");
const PIN_SCRIPT: &str = include_str!("../../static/lapor-peta.js");

/// A kelurahan's polygon as rings of (longitude, latitude): the outer
/// boundary first, then any holes.
struct Area {
    code: String,
    rings: Vec<Vec<(f64, f64)>>,
}

static AREAS: LazyLock<Vec<Area>> = LazyLock::new(|| {
    let Ok(collection) = serde_json::from_str::<serde_json::Value>(BOUNDARIES) else {
        tracing::error!("the shipped kelurahan boundaries are not valid GeoJSON");
        return Vec::new();
    };
    let mut areas = Vec::new();
    for feature in collection["features"].as_array().into_iter().flatten() {
        let Some(code) = feature["properties"]["kode"].as_str() else {
            continue;
        };
        // The shipped file has only Polygon geometries.
        if feature["geometry"]["type"] != "Polygon" {
            tracing::warn!(code, "kelurahan boundary is not a Polygon and is skipped");
            continue;
        }
        let rings = feature["geometry"]["coordinates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|ring| {
                ring.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|point| Some((point[0].as_f64()?, point[1].as_f64()?)))
                    .collect()
            })
            .collect();
        areas.push(Area {
            code: code.to_owned(),
            rings,
        });
    }
    areas
});

/// Returns whether a point lies inside a ring, by counting how often a ray
/// from the point towards +longitude crosses the ring's edges.
fn inside(ring: &[(f64, f64)], longitude: f64, latitude: f64) -> bool {
    let mut crossings = false;
    for (i, &(x1, y1)) in ring.iter().enumerate() {
        let (x2, y2) = ring[(i + 1) % ring.len()];
        if (y1 > latitude) != (y2 > latitude) {
            let x_at = x1 + (latitude - y1) / (y2 - y1) * (x2 - x1);
            if longitude < x_at {
                crossings = !crossings;
            }
        }
    }
    crossings
}

/// Returns the Kemendagri code of the kelurahan that contains the
/// position, or `None` when it lies outside every shipped boundary.
pub(crate) fn kelurahan_at(latitude: f64, longitude: f64) -> Option<String> {
    AREAS
        .iter()
        .find(|area| {
            let mut rings = area.rings.iter();
            rings
                .next()
                .is_some_and(|outer| inside(outer, longitude, latitude))
                && !rings.any(|hole| inside(hole, longitude, latitude))
        })
        .map(|area| area.code.clone())
}

/// Serves the report form's map script.
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PIN_SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::kelurahan_at;

    #[test]
    fn pin_finds_kelurahan() {
        // The centroid of Mantuil as given in the boundary file.
        assert_eq!(
            kelurahan_at(-3.356462847762038, 114.5468672298923).as_deref(),
            Some("63.71.01.1001")
        );
    }

    #[test]
    fn pin_outside_city_finds_none() {
        // Jakarta.
        assert_eq!(kelurahan_at(-6.2, 106.8), None);
    }
}
