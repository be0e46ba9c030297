//! Open311 GeoReport v2 at `/open311/v2/`, in XML and JSON.
//!
//! The format is the resource's extension (`services.json`,
//! `requests.xml`). Errors use the GeoReport error list (`errors` with
//! `code` and `description`) instead of problem+json, with the description
//! in the request's language. Every complaint comes from
//! [`tanggap_service::open311`], which builds the anonymised public view;
//! this module only maps it to the GeoReport fields (see `docs/open311.md`).

use crate::AppState;
use crate::i18n::Lang;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Value, json};
use tanggap_service::ServiceError;
use tanggap_service::open311::{Open311Service, PublicQuery, PublicRequest, service_code};
use xml::Node;

mod post;
mod xml;

/// Link to the specification that discovery names.
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// Page size of `GET requests` without `page_size`.
const DEFAULT_PAGE_SIZE: i64 = 50;
/// Days back that `GET requests` covers without `start_date`, the
/// specification's default query limit.
const DEFAULT_SPAN_DAYS: i64 = 90;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/open311/v2/{resource}",
            get(get_resource).post(post::create_request),
        )
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        .route("/publik/foto/{id}", get(photo))
}

/// Output format, chosen by the resource's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

/// Splits `name.json` or `name.xml` into the name and its format.
fn split_format(file: &str) -> Option<(&str, Format)> {
    if let Some(name) = file.strip_suffix(".json") {
        Some((name, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|name| (name, Format::Xml))
    }
}

/// An error in the GeoReport error format.
pub(crate) struct Open311Error {
    status: StatusCode,
    /// Message key in `open311.ftl`.
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Open311Error {
    pub(crate) fn new(status: StatusCode, key: &'static str) -> Self {
        Self {
            status,
            key,
            args: Vec::new(),
        }
    }

    pub(crate) fn arg(mut self, name: &'static str, value: String) -> Self {
        self.args.push((name, value));
        self
    }

    /// Maps a service error; server errors are logged here, once.
    pub(crate) fn from_service(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "open311-not-found"),
            ServiceError::Unauthenticated | ServiceError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, "open311-key-invalid")
            }
            ServiceError::Validation(errors) => {
                let fields = errors
                    .iter()
                    .map(|e| e.field.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                Self::new(StatusCode::BAD_REQUEST, "open311-invalid").arg("value", fields)
            }
            other => {
                tracing::error!(error = %other, "Open311 request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "open311-internal")
            }
        }
    }

    pub(crate) fn render(&self, format: Format, lang: Lang) -> Response {
        let code = self.status.as_u16();
        let description = lang.text(self.key, &self.args);
        let json = json!([{ "code": code, "description": description }]);
        let xml = Node::Parent(
            "errors",
            vec![Node::Parent(
                "error",
                vec![
                    Node::Text("code", code.to_string()),
                    Node::Text("description", description),
                ],
            )],
        );
        let mut response = respond(format, self.status, json, &xml);
        if let Ok(value) = HeaderValue::from_str(lang.code()) {
            response
                .headers_mut()
                .insert(header::CONTENT_LANGUAGE, value);
        }
        response
    }
}

pub(crate) fn request_lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Writes a response in the chosen format, UTF-8 as GeoReport v2 requires.
pub(crate) fn respond(format: Format, status: StatusCode, json: Value, xml: &Node) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            json.to_string(),
        )
            .into_response(),
        Format::Xml => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml::document(xml),
        )
            .into_response(),
    }
}

/// Formats an instant as ISO 8601 with the installation's UTC offset,
/// e.g. `2026-03-02T09:15:00+08:00` in Asia/Makassar.
fn datetime(state: &AppState, at: Timestamp) -> String {
    at.to_zoned(state.services.calendar().time_zone().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Returns the absolute URL of this server from the `Host` header: the
/// scheme is `https` when cookies are marked secure.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Handles `GET discovery`, `GET services` and `GET requests`.
async fn get_resource(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = request_lang(&headers);
    let Some((name, format)) = split_format(&resource) else {
        return Open311Error::new(StatusCode::NOT_FOUND, "open311-format")
            .render(Format::Xml, lang);
    };
    let result = match name {
        "discovery" => discovery(&state, &headers, format).await,
        "services" => services(&state, lang, format).await,
        "requests" => {
            let query = request.uri().query().unwrap_or_default().to_owned();
            list_requests(&state, &headers, &query, format).await
        }
        _ => Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            "open311-not-found",
        )),
    };
    result.unwrap_or_else(|e| e.render(format, lang))
}

async fn discovery(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
) -> Result<Response, Open311Error> {
    let changeset = state
        .services
        .open311_changeset()
        .await
        .map_err(Open311Error::from_service)?
        .map(|at| datetime(state, at));
    let base = base_url(state, headers);
    let url = format!("{base}/open311/v2");
    let contact = format!("{base}/lapor");
    let key_service = format!("{base}/masuk");
    let formats = ["text/xml", "application/json"];
    let json = json!({
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": changeset,
            "type": "production",
            "formats": formats,
        }],
    });
    let xml = Node::Parent(
        "discovery",
        vec![
            Node::opt("changeset", changeset.clone()),
            Node::Text("contact", contact),
            Node::Text("key_service", key_service),
            Node::Parent(
                "endpoints",
                vec![Node::Parent(
                    "endpoint",
                    vec![
                        Node::Text("specification", SPECIFICATION.into()),
                        Node::Text("url", url),
                        Node::opt("changeset", changeset),
                        Node::Text("type", "production".into()),
                        Node::Parent(
                            "formats",
                            formats
                                .iter()
                                .map(|f| Node::Text("format", (*f).into()))
                                .collect(),
                        ),
                    ],
                )],
            ),
        ],
    );
    Ok(respond(format, StatusCode::OK, json, &xml))
}

fn service_description(lang: Lang, service: &Open311Service) -> String {
    lang.text(
        "open311-service-description",
        &[("name", service.category.clone())],
    )
}

async fn services(state: &AppState, lang: Lang, format: Format) -> Result<Response, Open311Error> {
    let services = state
        .services
        .open311_services()
        .await
        .map_err(Open311Error::from_service)?;
    let json: Vec<Value> = services
        .iter()
        .map(|s| {
            json!({
                "service_code": s.code,
                "service_name": s.category,
                "description": service_description(lang, s),
                "metadata": false,
                "type": "realtime",
                "keywords": s.subcategories.join(","),
                "group": s.category,
            })
        })
        .collect();
    let xml = Node::Parent(
        "services",
        services
            .iter()
            .map(|s| {
                Node::Parent(
                    "service",
                    vec![
                        Node::Text("service_code", s.code.clone()),
                        Node::Text("service_name", s.category.clone()),
                        Node::Text("description", service_description(lang, s)),
                        Node::Text("metadata", "false".into()),
                        Node::Text("type", "realtime".into()),
                        Node::Text("keywords", s.subcategories.join(",")),
                        Node::Text("group", s.category.clone()),
                    ],
                )
            })
            .collect(),
    );
    Ok(respond(format, StatusCode::OK, Value::Array(json), &xml))
}

/// Handles `GET services/{code}`: the service definition. No service has
/// extra attributes, so the attribute list is empty.
async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&headers);
    let Some((code, format)) = split_format(&file) else {
        return Open311Error::new(StatusCode::NOT_FOUND, "open311-format")
            .render(Format::Xml, lang);
    };
    match state.services.open311_service(code).await {
        Ok(service) => {
            let json = json!({ "service_code": service.code, "attributes": [] });
            let xml = Node::Parent(
                "service_definition",
                vec![
                    Node::Text("service_code", service.code),
                    Node::Empty("attributes"),
                ],
            );
            respond(format, StatusCode::OK, json, &xml)
        }
        Err(ServiceError::NotFound { .. }) => {
            Open311Error::new(StatusCode::NOT_FOUND, "open311-service-unknown")
                .arg("value", code.to_owned())
                .render(format, lang)
        }
        Err(e) => Open311Error::from_service(e).render(format, lang),
    }
}

/// Parses a GeoReport date: ISO 8601 with an offset, or a plain local
/// date (the start of that day in the installation's time zone).
fn parse_datetime(state: &AppState, value: &str) -> Option<Timestamp> {
    if let Ok(at) = value.parse::<Timestamp>() {
        return Some(at);
    }
    let date = value.parse::<jiff::civil::Date>().ok()?;
    date.to_zoned(state.services.calendar().time_zone().clone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

fn invalid(name: &str) -> Open311Error {
    Open311Error::new(StatusCode::BAD_REQUEST, "open311-invalid").arg("value", name.to_owned())
}

/// Builds the query of `GET requests` from its parameters.
fn requests_query(state: &AppState, query: &str) -> Result<PublicQuery, Open311Error> {
    let pairs = crate::ui::form_pairs(query.as_bytes());
    let value = |name: &str| crate::ui::form_value(&pairs, name);
    let list = |name: &str| -> Vec<String> {
        value(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let date = |name: &str| -> Result<Option<Timestamp>, Open311Error> {
        value(name)
            .map(|v| parse_datetime(state, v).ok_or_else(|| invalid(name)))
            .transpose()
    };
    let number = |name: &str, default: i64, max: i64| -> Result<i64, Open311Error> {
        match value(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| invalid(name)),
        }
    };

    let tracking_numbers = list("service_request_id");
    let mut categories = Vec::new();
    let codes = list("service_code");
    if !codes.is_empty() {
        let names = state.services.category_names();
        for code in &codes {
            match names.iter().find(|name| service_code(name) == *code) {
                Some(name) => categories.push(name.clone()),
                None => {
                    return Err(Open311Error::new(
                        StatusCode::BAD_REQUEST,
                        "open311-service-unknown",
                    )
                    .arg("value", code.clone()));
                }
            }
        }
    }
    let statuses = list("status");
    let closed = match (
        statuses.iter().any(|s| s == "open"),
        statuses.iter().any(|s| s == "closed"),
    ) {
        _ if statuses.iter().any(|s| s != "open" && s != "closed") => {
            return Err(invalid("status"));
        }
        (true, false) => Some(false),
        (false, true) => Some(true),
        _ => None,
    };
    let end = date("end_date")?;
    let mut start = date("start_date")?;
    if start.is_none() && tracking_numbers.is_empty() {
        let until = end.unwrap_or_else(Timestamp::now);
        start = until
            .checked_sub(jiff::SignedDuration::from_hours(24 * DEFAULT_SPAN_DAYS))
            .ok();
    }
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        return Err(invalid("end_date"));
    }
    let page_size = number(
        "page_size",
        DEFAULT_PAGE_SIZE,
        tanggap_service::open311::MAX_PAGE_SIZE,
    )?;
    let page = number("page", 1, 1_000_000)?;
    Ok(PublicQuery {
        tracking_numbers,
        categories,
        closed,
        received_from: start,
        received_until: end,
        with_position: false,
        limit: page_size,
        offset: (page - 1) * page_size,
    })
}

async fn list_requests(
    state: &AppState,
    headers: &HeaderMap,
    query: &str,
    format: Format,
) -> Result<Response, Open311Error> {
    let query = requests_query(state, query)?;
    let page = state
        .services
        .public_requests(&query)
        .await
        .map_err(Open311Error::from_service)?;
    let base = base_url(state, headers);
    let mut response = render_requests(state, &base, &page.items, format);
    if let Ok(total) = HeaderValue::from_str(&page.total.to_string()) {
        response.headers_mut().insert("x-total-count", total);
    }
    Ok(response)
}

/// Handles `GET requests/{id}`.
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&headers);
    let Some((id, format)) = split_format(&file) else {
        return Open311Error::new(StatusCode::NOT_FOUND, "open311-format")
            .render(Format::Xml, lang);
    };
    match state.services.public_request(id).await {
        Ok(request) => {
            let base = base_url(&state, &headers);
            render_requests(&state, &base, std::slice::from_ref(&request), format)
        }
        Err(e) => Open311Error::from_service(e).render(format, lang),
    }
}

/// Handles `GET tokens/{token}`.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = request_lang(&headers);
    let Some((token, format)) = split_format(&file) else {
        return Open311Error::new(StatusCode::NOT_FOUND, "open311-format")
            .render(Format::Xml, lang);
    };
    match state.services.open311_token(token).await {
        Ok(id) => {
            let json = json!([{ "service_request_id": id, "token": token }]);
            let xml = Node::Parent(
                "service_requests",
                vec![Node::Parent(
                    "request",
                    vec![
                        Node::Text("service_request_id", id),
                        Node::Text("token", token.to_owned()),
                    ],
                )],
            );
            respond(format, StatusCode::OK, json, &xml)
        }
        Err(e) => Open311Error::from_service(e).render(format, lang),
    }
}

/// The GeoReport fields of one request, in the specification's order.
fn request_fields(state: &AppState, base: &str, r: &PublicRequest) -> Vec<(&'static str, Value)> {
    let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
    let code = r.category.as_deref().map(service_code);
    let agency = r
        .agency
        .as_deref()
        .map(|code| {
            state
                .services
                .agency_name(code)
                .unwrap_or_else(|| code.to_owned())
        })
        .or_else(|| r.forwarded_to.clone());
    let media = r
        .photos
        .first()
        .map(|id| format!("{base}/publik/foto/{id}"));
    let number = |v: Option<f64>| v.map_or(Value::Null, |n| json!(n));
    vec![
        ("service_request_id", json!(r.tracking_number)),
        (
            "status",
            json!(if r.is_closed() { "closed" } else { "open" }),
        ),
        ("status_notes", text(r.status_notes().map(str::to_owned))),
        ("service_name", text(r.category.clone())),
        ("service_code", text(code)),
        ("description", text(r.description.clone())),
        ("agency_responsible", text(agency)),
        ("service_notice", Value::Null),
        ("requested_datetime", json!(datetime(state, r.requested_at))),
        ("updated_datetime", json!(datetime(state, r.updated_at))),
        (
            "expected_datetime",
            text(r.expected_at.map(|at| datetime(state, at))),
        ),
        ("address", text(r.address.clone())),
        ("address_id", text(r.kelurahan_code.clone())),
        ("zipcode", Value::Null),
        ("lat", number(r.latitude)),
        ("long", number(r.longitude)),
        ("media_url", text(media)),
    ]
}

fn render_requests(
    state: &AppState,
    base: &str,
    requests: &[PublicRequest],
    format: Format,
) -> Response {
    let rows: Vec<Vec<(&'static str, Value)>> = requests
        .iter()
        .map(|r| request_fields(state, base, r))
        .collect();
    let json = Value::Array(
        rows.iter()
            .map(|fields| {
                Value::Object(
                    fields
                        .iter()
                        .map(|(name, value)| ((*name).to_owned(), value.clone()))
                        .collect(),
                )
            })
            .collect(),
    );
    let xml = Node::Parent(
        "service_requests",
        rows.iter()
            .map(|fields| {
                Node::Parent(
                    "request",
                    fields
                        .iter()
                        .map(|(name, value)| match value {
                            Value::Null => Node::Empty(name),
                            Value::String(text) => Node::Text(name, text.clone()),
                            other => Node::Text(name, other.to_string()),
                        })
                        .collect(),
                )
            })
            .collect(),
    );
    respond(format, StatusCode::OK, json, &xml)
}

/// Serves a published photo (the sanitised copy) for `media_url` and the
/// transparency page.
async fn photo(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.public_photo(id).await {
        Ok((media_type, content)) => {
            let media_type = HeaderValue::from_str(&media_type)
                .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
            (
                [
                    (header::CONTENT_TYPE, media_type),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=3600"),
                    ),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
                    ),
                ],
                content,
            )
                .into_response()
        }
        Err(ServiceError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, attachment_id = id, "reading a public photo failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads the body of a POST as form fields.
pub(crate) fn body_pairs(body: &Bytes) -> Vec<(String, String)> {
    crate::ui::form_pairs(body)
}
