//! The served OpenAPI document of `/api/v1` against the OpenAPI 3.1
//! structure: it parses into the `oas3` model, declares a supported
//! version, and every reference, response and path parameter resolves.

use super::App;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

/// Collects every `$ref` string in a JSON document.
fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        found.insert(target.clone());
                    }
                    _ => references(child, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_is_valid() {
    // The document does not depend on the database, so SQLite suffices.
    let app = App::spawn("sqlite").await;
    let response = Client::new()
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");

    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3");
    let version = spec
        .validate_version()
        .expect("a supported OpenAPI version");
    assert_eq!(version.major, 3);
    assert!(!spec.info.title.is_empty(), "info.title");
    assert!(!spec.info.version.is_empty(), "info.version");

    // Every JSON reference points into this document's components.
    let raw: Value = serde_json::from_str(&text).expect("JSON");
    let mut targets = BTreeSet::new();
    references(&raw, &mut targets);
    for target in &targets {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target}: only local references"));
        assert!(raw.pointer(pointer).is_some(), "{target} does not resolve");
    }

    let operations: Vec<_> = spec.operations().collect();
    assert!(!operations.is_empty(), "the document has operations");
    let mut operation_ids = BTreeSet::new();
    for (path, method, operation) in operations {
        let name = format!("{method} {path}");
        if let Some(id) = &operation.operation_id {
            assert!(
                operation_ids.insert(id.clone()),
                "{name}: operationId {id} repeats"
            );
        }

        let responses = operation.responses.as_ref().expect("responses");
        assert!(!responses.is_empty(), "{name}: at least one response");
        for (code, response) in responses {
            let valid_code = code == "default"
                || code
                    .parse::<u16>()
                    .is_ok_and(|status| (100..=599).contains(&status));
            assert!(valid_code, "{name}: response code {code}");
            let response = response
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{name} {code}: {e}"));
            for (media_type, content) in &response.content {
                if let Some(schema) = &content.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{name} {code} {media_type}: {e}"));
                }
            }
        }

        let parameters = operation
            .parameters(&spec)
            .unwrap_or_else(|e| panic!("{name}: parameters: {e}"));
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for variable in templated {
            assert!(
                parameters.iter().any(|p| p.name == variable
                    && p.location == oas3::spec::ParameterIn::Path
                    && p.required == Some(true)),
                "{name}: path parameter {variable} is declared and required"
            );
        }
        if let Some(body) = operation
            .request_body(&spec)
            .unwrap_or_else(|e| panic!("{name}: request body: {e}"))
        {
            assert!(!body.content.is_empty(), "{name}: request body content");
        }
    }
    app.stop().await;
}
