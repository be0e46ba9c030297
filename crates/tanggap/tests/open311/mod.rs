//! Open311 GeoReport v2: every endpoint in JSON and XML, the JSON checked
//! against the schema in `docs/schemas/open311-georeport-v2.json`, the XML
//! against the specification's element names; keys, bad input, and that no
//! reporter identity or confidential text reaches a public response.

use super::{App, get, post};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tanggap_store::testing::backends;

mod privacy;

const SCHEMA: &str = include_str!("../../../../docs/schemas/open311-georeport-v2.json");
/// Service code of the category "TOPIK LAINNYA".
const SERVICE: &str = "topik-lainnya";

/// Validates `body` against the schema entry `name` of the committed schema.
fn assert_schema(name: &str, body: &Value) {
    let file: Value = serde_json::from_str(SCHEMA).expect("schema file is JSON");
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": file["$defs"],
        "$ref": format!("#/$defs/{name}"),
    });
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{body}");
}

/// Parses an XML response and checks the declaration, the root element and
/// that every `record` element has exactly the `fields` as children, in order.
fn assert_xml(text: &str, root: &str, record: &str, fields: &[&str]) -> usize {
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "XML declaration: {text}"
    );
    let document = roxmltree::Document::parse(text).expect("well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), root, "{text}");
    let records: Vec<_> = document
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == record)
        .collect();
    for node in &records {
        let children: Vec<&str> = node
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect();
        assert_eq!(children, fields, "children of <{record}>");
    }
    records.len()
}

/// Returns the text of the first element `name` in an XML document.
fn xml_text(text: &str, name: &str) -> Option<String> {
    let document = roxmltree::Document::parse(text).expect("well-formed XML");
    document
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .and_then(|n| n.text().map(str::to_owned))
}

const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

async fn fetch(client: &Client, url: String) -> (StatusCode, String, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

async fn post_form(client: &Client, url: String, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let response = client.post(url).form(fields).send().await.expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn complaint_total(app: &App) -> i64 {
    let admin = app.login("admin").await;
    let (status, page) = get(&admin, format!("{}/api/v1/complaints", app.base)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["total"].as_i64().expect("total")
}

#[tokio::test]
async fn discovery_and_services() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = Client::new();
        let base = format!("{}/open311/v2", app.base);

        let (status, content_type, body) = fetch(&client, format!("{base}/discovery.json")).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let discovery: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("discovery", &discovery);
        assert_eq!(discovery["endpoints"][0]["url"], base);
        let (status, content_type, body) = fetch(&client, format!("{base}/discovery.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/xml"), "{content_type}");
        assert_xml(
            &body,
            "discovery",
            "endpoint",
            &["specification", "url", "changeset", "type", "formats"],
        );
        assert!(xml_text(&body, "changeset").is_some_and(|c| c.ends_with("+08:00")));

        let (status, _, body) = fetch(&client, format!("{base}/services.json")).await;
        assert_eq!(status, StatusCode::OK);
        let services: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("services", &services);
        let other = services
            .as_array()
            .expect("list")
            .iter()
            .find(|s| s["service_code"] == SERVICE)
            .expect("TOPIK LAINNYA is a service");
        assert_eq!(other["service_name"], "TOPIK LAINNYA");
        let (status, _, body) = fetch(&client, format!("{base}/services.xml")).await;
        assert_eq!(status, StatusCode::OK);
        let count = assert_xml(
            &body,
            "services",
            "service",
            &[
                "service_code",
                "service_name",
                "description",
                "metadata",
                "type",
                "keywords",
                "group",
            ],
        );
        assert_eq!(count, services.as_array().map_or(0, Vec::len));

        let (status, _, body) = fetch(&client, format!("{base}/services/{SERVICE}.json")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_schema(
            "service_definition",
            &serde_json::from_str(&body).expect("JSON"),
        );
        let (status, _, body) = fetch(&client, format!("{base}/services/{SERVICE}.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert_xml(
            &body,
            "service_definition",
            "service_definition",
            &["service_code", "attributes"],
        );

        // Unknown service and unknown format: the GeoReport error list.
        let (status, _, body) = fetch(&client, format!("{base}/services/tidak-ada.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let errors: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("errors", &errors);
        assert_eq!(errors[0]["code"], 404);
        let (status, _, body) = fetch(&client, format!("{base}/services/tidak-ada.xml")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_xml(&body, "errors", "error", &["code", "description"]);
        let (status, _, body) = fetch(&client, format!("{base}/services.html")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_xml(&body, "errors", "error", &["code", "description"]);

        app.stop().await;
    }
}

#[tokio::test]
async fn post_and_read_back() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let key = app
            .services
            .issue_open311_key(None, "Aplikasi uji")
            .await
            .expect("key")
            .key;
        let client = Client::new();
        let base = format!("{}/open311/v2", app.base);

        // A request with a position inside Mantuil and no identity.
        let (status, body) = post_form(
            &client,
            format!("{base}/requests.json"),
            &[
                ("api_key", key.as_str()),
                ("service_code", SERVICE),
                ("lat", "-3.356462847762038"),
                ("long", "114.5468672298923"),
                ("address_string", "Jalan Mantuil dekat jembatan"),
                ("description", "Lampu jalan padam sejak seminggu"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
        let posted: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("post_response", &posted);
        let number = posted[0]["service_request_id"]
            .as_str()
            .expect("id")
            .to_owned();
        let token = posted[0]["token"].as_str().expect("token").to_owned();
        let stored = complaint_by_number(&app, &number).await;
        assert_eq!(stored["channel"], "web");
        assert_eq!(stored["anonymous"], true, "no identity given: anonymous");
        assert_eq!(stored["category"], "TOPIK LAINNYA");
        assert_eq!(stored["location"]["kelurahan_code"], "63.71.01.1001");

        // The same in XML, with a contact: not anonymous.
        let (status, body) = post_form(
            &client,
            format!("{base}/requests.xml"),
            &[
                ("api_key", key.as_str()),
                ("service_code", SERVICE),
                ("address_id", "63.71.01.1001"),
                ("description", "Saluran air tersumbat"),
                ("first_name", "Rina"),
                ("email", "rina.uji@example.org"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_xml(
            &body,
            "service_requests",
            "request",
            &[
                "service_request_id",
                "token",
                "service_notice",
                "account_id",
            ],
        );
        let second = xml_text(&body, "service_request_id").expect("id");
        let stored = complaint_by_number(&app, &second).await;
        assert_eq!(stored["anonymous"], false);

        // The token resource.
        let (status, _, body) = fetch(&client, format!("{base}/tokens/{token}.json")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let tokens: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("tokens", &tokens);
        assert_eq!(tokens[0]["service_request_id"], number.as_str());
        let (status, _, body) = fetch(&client, format!("{base}/tokens/{token}.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert_xml(
            &body,
            "service_requests",
            "request",
            &["service_request_id", "token"],
        );
        let (status, _, body) = fetch(&client, format!("{base}/tokens/abcdef.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_schema("errors", &serde_json::from_str(&body).expect("JSON"));

        // Read back before verification: open, the text withheld.
        let (status, _, body) = fetch(&client, format!("{base}/requests/{number}.json")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let read: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("requests", &read);
        assert_eq!(read[0]["status"], "open");
        assert_eq!(read[0]["description"], Value::Null);
        assert_eq!(read[0]["service_code"], SERVICE);
        assert!(
            read[0]["requested_datetime"]
                .as_str()
                .is_some_and(|t| t.ends_with("+08:00"))
        );
        let (status, _, body) = fetch(&client, format!("{base}/requests/{number}.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            assert_xml(&body, "service_requests", "request", REQUEST_FIELDS),
            1
        );

        // After verification, dispatch and the final response: published.
        let admin = app.login("admin").await;
        let id = stored_id(&app, &number).await;
        let (status, body) = post(
            &admin,
            format!("{}/api/v1/complaints/{id}/actions/verify", app.base),
            json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = post(
            &admin,
            format!("{}/api/v1/complaints/{id}/actions/dispatch", app.base),
            json!({ "version": 2, "lead_agency": "PUPR" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pupr = app.login("pupr").await;
        let (status, body) = post(
            &pupr,
            format!("{}/api/v1/complaints/{id}/actions/respond", app.base),
            json!({ "version": 3, "text": "Lampu sudah diganti" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _, body) = fetch(&client, format!("{base}/requests/{number}.json")).await;
        assert_eq!(status, StatusCode::OK);
        let read: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("requests", &read);
        assert_eq!(read[0]["description"], "Lampu jalan padam sejak seminggu");
        assert_eq!(read[0]["status_notes"], "Lampu sudah diganti");
        assert_eq!(read[0]["address"], "Jalan Mantuil dekat jembatan");
        assert!(read[0]["agency_responsible"].as_str().is_some());
        assert_eq!(read[0]["lat"], json!(-3.356462847762038));
        let (_, _, body) = fetch(&client, format!("{base}/requests/{number}.xml")).await;
        assert_eq!(
            xml_text(&body, "status_notes").as_deref(),
            Some("Lampu sudah diganti")
        );

        // The list with the standard filters.
        let list = |query: String| fetch(&client, format!("{base}/requests.json?{query}"));
        let (status, _, body) = list(format!("service_request_id={number},{second}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let both: Value = serde_json::from_str(&body).expect("JSON");
        assert_schema("requests", &both);
        assert_eq!(both.as_array().map(Vec::len), Some(2));
        let (_, _, body) = list(format!("service_code={SERVICE}&status=open")).await;
        let open: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(open.as_array().map(Vec::len), Some(2), "{open}");
        let (_, _, body) = list("status=closed".into()).await;
        let closed: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(closed.as_array().map(Vec::len), Some(0), "{closed}");
        let (_, _, body) = list("start_date=2000-01-01&end_date=2001-01-01".into()).await;
        let old: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(old.as_array().map(Vec::len), Some(0), "{old}");
        let (_, _, body) = list("page_size=1&page=2".into()).await;
        let paged: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(paged.as_array().map(Vec::len), Some(1), "{paged}");
        let (status, _, body) = fetch(&client, format!("{base}/requests.xml?status=open")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            assert_xml(&body, "service_requests", "request", REQUEST_FIELDS),
            2
        );
        let (status, _, body) = list("status=lost".into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_schema("errors", &serde_json::from_str(&body).expect("JSON"));
        let (status, _, body) = list("start_date=kemarin".into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _, body) = fetch(&client, format!("{base}/requests/BJM-00-999999.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_schema("errors", &serde_json::from_str(&body).expect("JSON"));

        app.stop().await;
    }
}

/// Reads a complaint through the staff API as the central admin.
async fn complaint_by_number(app: &App, number: &str) -> Value {
    let admin = app.login("admin").await;
    let (status, body) = get(
        &admin,
        format!("{}/api/v1/complaints/by-tracking/{number}", app.base),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn stored_id(app: &App, number: &str) -> i64 {
    complaint_by_number(app, number).await["id"]
        .as_i64()
        .expect("id")
}

#[tokio::test]
async fn bad_keys_and_input_save_nothing() {
    for kind in backends() {
        // Rejected requests count against the per-address limit, like the
        // report form's, so this test raises it.
        let app = App::spawn_with(kind, |config| config.portal.reports_per_address = 100).await;
        let issued = app
            .services
            .issue_open311_key(None, "Aplikasi uji")
            .await
            .expect("key");
        let client = Client::new();
        let url = format!("{}/open311/v2/requests.json", app.base);
        let before = complaint_total(&app).await;
        let valid = [
            ("service_code", SERVICE),
            ("address_string", "Jalan Uji"),
            ("description", "Uji"),
        ];

        let with_key = |key: &'static str| {
            let mut fields = valid.to_vec();
            fields.push(("api_key", key));
            fields
        };
        for key in ["", "o311_salah"] {
            let (status, body) = post_form(&client, url.clone(), &with_key(key)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{kind} key {key:?}: {body}");
            assert_schema("errors", &serde_json::from_str(&body).expect("JSON"));
        }

        let key = issued.key.as_str();
        let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
            (
                "no service_code",
                vec![("description", "Uji"), ("address_string", "Jalan")],
            ),
            (
                "unknown service_code",
                vec![
                    ("service_code", "tidak-ada"),
                    ("description", "Uji"),
                    ("address_string", "Jalan"),
                ],
            ),
            (
                "no location",
                vec![("service_code", SERVICE), ("description", "Uji")],
            ),
            (
                "no description",
                vec![("service_code", SERVICE), ("address_string", "Jalan")],
            ),
            (
                "latitude out of range",
                vec![
                    ("service_code", SERVICE),
                    ("description", "Uji"),
                    ("lat", "91"),
                    ("long", "114"),
                ],
            ),
            (
                "latitude without longitude",
                vec![
                    ("service_code", SERVICE),
                    ("description", "Uji"),
                    ("lat", "-3.3"),
                ],
            ),
            (
                "unknown address_id",
                vec![
                    ("service_code", SERVICE),
                    ("description", "Uji"),
                    ("address_id", "99.99"),
                ],
            ),
            (
                "invalid e-mail",
                vec![
                    ("service_code", SERVICE),
                    ("description", "Uji"),
                    ("address_string", "Jalan"),
                    ("email", "bukan-email"),
                ],
            ),
        ];
        for (case, mut fields) in cases {
            fields.push(("api_key", key));
            let response = client
                .post(&url)
                .header("accept-language", "en")
                .form(&fields)
                .send()
                .await
                .expect("request");
            let status = response.status();
            let body = response.text().await.expect("body");
            assert_eq!(status, StatusCode::BAD_REQUEST, "{kind} {case}: {body}");
            let errors: Value = serde_json::from_str(&body).expect("JSON");
            assert_schema("errors", &errors);
            assert!(
                errors[0]["description"]
                    .as_str()
                    .is_some_and(|d| d.is_ascii()),
                "{case}: English description expected: {body}"
            );
        }
        let (status, body) = post_form(
            &client,
            format!("{}/open311/v2/requests.xml", app.base),
            &[("api_key", key), ("service_code", SERVICE)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_xml(&body, "errors", "error", &["code", "description"]);

        // A revoked key is rejected.
        app.services
            .revoke_open311_key(None, issued.id)
            .await
            .expect("revoke");
        let (status, body) = post_form(&client, url.clone(), &with_key_owned(&valid, key)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let keys = app.services.open311_keys(None).await.expect("keys");
        assert!(keys[0].revoked_at.is_some());

        assert_eq!(complaint_total(&app).await, before, "{kind}: nothing saved");
        app.stop().await;
    }
}

fn with_key_owned<'a>(fields: &[(&'a str, &'a str)], key: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all = fields.to_vec();
    all.push(("api_key", key));
    all
}

#[tokio::test]
async fn post_shares_portal_rate_limit() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let key = app
            .services
            .issue_open311_key(None, "Aplikasi uji")
            .await
            .expect("key")
            .key;
        let client = Client::new();
        let url = format!("{}/open311/v2/requests.json", app.base);
        let limit = app.services.config().portal.reports_per_address;
        let fields = [
            ("api_key", key.as_str()),
            ("service_code", SERVICE),
            ("address_string", "Jalan Uji"),
            ("description", "Uji batas laporan"),
        ];
        for n in 0..limit {
            let (status, body) = post_form(&client, url.clone(), &fields).await;
            assert_eq!(status, StatusCode::CREATED, "{kind} request {n}: {body}");
        }
        let before = complaint_total(&app).await;
        let (status, body) = post_form(&client, url.clone(), &fields).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{kind}: {body}");
        assert_schema("errors", &serde_json::from_str(&body).expect("JSON"));
        assert_eq!(complaint_total(&app).await, before);
        app.stop().await;
    }
}

/// Returns the CSRF token from the hidden field of a page.
fn csrf_field(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("CSRF field on the page")
}

#[tokio::test]
async fn admin_page_issues_and_revokes_keys() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let url = format!("{}/admin/kunci-open311", app.base);

        let central = app.login("admin").await;
        let (status, _, _) = fetch(&central, url.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{kind}: only the system admin"
        );

        let sysadmin = app.login("sysadmin").await;
        let (status, _, page) = fetch(&sysadmin, url.clone()).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let csrf = csrf_field(&page);
        let (status, page) = post_form(
            &sysadmin,
            format!("{url}/tambah"),
            &[("csrf", csrf.as_str()), ("name", "Aplikasi Warga")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let key = page
            .split("<code>")
            .nth(1)
            .and_then(|rest| rest.split("</code>").next())
            .expect("the new key is shown")
            .to_owned();
        let checked = app
            .services
            .check_open311_key(&key)
            .await
            .expect("key works");
        assert_eq!(checked.name, "Aplikasi Warga");
        let (_, _, page) = fetch(&sysadmin, url.clone()).await;
        assert!(!page.contains(&key), "the key is shown only once");

        let (status, page) = post_form(
            &sysadmin,
            format!("{url}/tambah"),
            &[("csrf", csrf.as_str()), ("name", " ")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

        let id = checked.id.to_string();
        let (status, page) = post_form(
            &sysadmin,
            format!("{url}/cabut"),
            &[("csrf", csrf.as_str()), ("id", id.as_str())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "redirected to the list: {page}");
        assert!(app.services.check_open311_key(&key).await.is_err());
        app.stop().await;
    }
}
