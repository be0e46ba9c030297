//! `POST requests`: an Open311 client files a service request, which
//! becomes a complaint on the `web` channel through the portal's intake.

use super::xml::Node;
use super::{Format, Open311Error, request_lang, respond, split_format};
use crate::AppState;
use crate::ui::form_value;
use crate::ui::portal::{allow_contact_reports, allow_report, client_key};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tanggap_core::lifecycle::Intake;
use tanggap_core::{ComplaintType, Location, Reporter};
use tanggap_service::open311::service_code;

/// Tag of a request whose position lies outside every kelurahan of the
/// city, the same tag the portal's report form uses.
const OUTSIDE_CITY_TAG: &str = "lokasi-di-luar-kota";

/// Handles `POST requests.{json,xml}` with form-encoded fields.
pub(crate) async fn create_request(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    request: Request,
) -> Response {
    let lang = request_lang(request.headers());
    let Some((name, format)) = split_format(&resource) else {
        return Open311Error::new(StatusCode::NOT_FOUND, "open311-format")
            .render(Format::Xml, lang);
    };
    if name != "requests" {
        return Open311Error::new(StatusCode::METHOD_NOT_ALLOWED, "open311-method")
            .render(format, lang);
    }
    match create(&state, request).await {
        Ok(response) => response(format),
        Err(e) => e.render(format, lang),
    }
}

type Render = Box<dyn FnOnce(Format) -> Response + Send>;

async fn create(state: &AppState, request: Request) -> Result<Render, Open311Error> {
    let client = client_key(state, &request);
    let body = axum::body::to_bytes(request.into_body(), crate::BODY_LIMIT)
        .await
        .map_err(|_| Open311Error::new(StatusCode::PAYLOAD_TOO_LARGE, "open311-too-large"))?;
    let pairs = super::body_pairs(&body);
    let value = |name: &str| form_value(&pairs, name).map(str::to_owned);

    // The key comes first, so an unknown client learns nothing else.
    let key = value("api_key").unwrap_or_default();
    let key = state
        .services
        .check_open311_key(&key)
        .await
        .map_err(Open311Error::from_service)?;
    if !allow_report(state, &client) {
        return Err(Open311Error::new(
            StatusCode::TOO_MANY_REQUESTS,
            "open311-rate-limited",
        ));
    }

    let Some(code) = value("service_code") else {
        return Err(missing("service_code"));
    };
    let Some(category) = state
        .services
        .category_names()
        .into_iter()
        .find(|name| service_code(name) == code)
    else {
        return Err(
            Open311Error::new(StatusCode::BAD_REQUEST, "open311-service-unknown")
                .arg("value", code),
        );
    };
    let position = position(value("lat"), value("long"))?;
    let address = value("address_string");
    let address_id = value("address_id");
    if position.is_none() && address.is_none() && address_id.is_none() {
        return Err(missing("lat, long, address_string, address_id"));
    }
    if let Some(id) = &address_id
        && !state
            .services
            .kelurahan_options()
            .iter()
            .any(|(code, _)| code == id)
    {
        return Err(super::invalid("address_id"));
    }
    let Some(description) = value("description") else {
        return Err(missing("description"));
    };

    let full_name = [value("first_name"), value("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let reporter = Reporter {
        name: (!full_name.is_empty()).then_some(full_name),
        phone: value("phone"),
        email: value("email"),
        nik: None,
        address: None,
    };
    let contacts: Vec<&str> = [reporter.phone.as_deref(), reporter.email.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !allow_contact_reports(state, &contacts) {
        return Err(Open311Error::new(
            StatusCode::TOO_MANY_REQUESTS,
            "open311-rate-limited",
        ));
    }

    let pin_kelurahan =
        position.and_then(|(lat, lng)| crate::ui::portal_map::kelurahan_at(lat, lng));
    let tags = match position {
        Some(_) if pin_kelurahan.is_none() => vec![OUTSIDE_CITY_TAG.to_owned()],
        _ => Vec::new(),
    };
    let intake = Intake {
        complaint_type: Some(ComplaintType::Complaint),
        tags,
        body: Some(description),
        category: Some(category),
        location: Location {
            text: address,
            kelurahan_code: address_id.or(pin_kelurahan),
            latitude: position.map(|(lat, _)| lat),
            longitude: position.map(|(_, lng)| lng),
        },
        // Anonymous unless the client sent a name or a contact.
        anonymous: reporter.is_empty(),
        reporter,
        ..Intake::default()
    };
    let posted = state
        .services
        .open311_post(intake)
        .await
        .map_err(Open311Error::from_service)?;
    tracing::info!(key_id = key.id, "Open311 service request received");

    Ok(Box::new(move |format: Format| {
        let json = json!([{
            "service_request_id": posted.tracking_number,
            "token": posted.token,
            "service_notice": null,
            "account_id": null,
        }]);
        let xml = Node::Parent(
            "service_requests",
            vec![Node::Parent(
                "request",
                vec![
                    Node::Text("service_request_id", posted.tracking_number.clone()),
                    Node::Text("token", posted.token.clone()),
                    Node::Empty("service_notice"),
                    Node::Empty("account_id"),
                ],
            )],
        );
        respond(format, StatusCode::CREATED, json, &xml)
    }))
}

fn missing(names: &str) -> Open311Error {
    Open311Error::new(StatusCode::BAD_REQUEST, "open311-missing").arg("value", names.to_owned())
}

/// Parses `lat` and `long`: both or neither, in decimal degrees (WGS 84).
fn position(lat: Option<String>, long: Option<String>) -> Result<Option<(f64, f64)>, Open311Error> {
    match (lat, long) {
        (None, None) => Ok(None),
        (Some(lat), Some(long)) => {
            let lat = lat
                .parse::<f64>()
                .ok()
                .filter(|v| (-90.0..=90.0).contains(v))
                .ok_or_else(|| super::invalid("lat"))?;
            let long = long
                .parse::<f64>()
                .ok()
                .filter(|v| (-180.0..=180.0).contains(v))
                .ok_or_else(|| super::invalid("long"))?;
            Ok(Some((lat, long)))
        }
        (Some(_), None) => Err(missing("long")),
        (None, Some(_)) => Err(missing("lat")),
    }
}
