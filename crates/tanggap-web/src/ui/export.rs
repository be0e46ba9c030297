//! CSV export of the complaint list, with the same filters and scope as
//! the list page. The export never carries a reporter's identity or a
//! channel reference, whatever the caller's role.

use super::complaints::ListParams;
use super::views::{agency_label, local_time, title_of};
use super::{current_user, page_lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_service::complaints::PAGE_SIZE_MAX;

/// Most rows one export returns; narrow the filters for more.
pub(crate) const EXPORT_MAX_ROWS: i64 = 10_000;

/// Neutralises cells a spreadsheet would run as a formula.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/pengaduan").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "col-tracking",
        "col-received",
        "detail-channel",
        "detail-type",
        "col-status",
        "detail-category",
        "form-subcategory",
        "detail-kelurahan",
        "detail-lead",
        "col-due",
        "col-title",
    ]
    .map(|key| lang.text(key, &[]));
    if writer.write_record(&header_row).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut query = params.query();
    query.per_page = PAGE_SIZE_MAX;
    query.page = 1;
    let mut written = 0;
    loop {
        let page = match s.list_complaints(&user, query.clone()).await {
            Ok(page) => page,
            Err(e) => {
                let (status, title, _) = crate::error::describe(&e.into(), lang);
                return (status, title).into_response();
            }
        };
        for view in &page.items {
            let c = &view.complaint;
            let kelurahan = c
                .location
                .kelurahan_code
                .as_deref()
                .map(|code| s.region_name(code).unwrap_or_else(|| code.to_owned()))
                .unwrap_or_default();
            let due = c
                .deadlines
                .due_at
                .map(|at| s.calendar().due_date(at).to_string())
                .unwrap_or_default();
            let record = [
                c.tracking_number.clone(),
                local_time(s, c.received_at),
                lang.text(&format!("channel-{}", c.channel.code()), &[]),
                lang.text(&format!("type-{}", c.complaint_type.code()), &[]),
                lang.text(&format!("status-{}", c.status.code()), &[]),
                c.category.clone().unwrap_or_default(),
                c.subcategory.clone().unwrap_or_default(),
                kelurahan,
                if c.lead_agency.is_some() {
                    agency_label(s, c.lead_agency.as_deref())
                } else {
                    String::new()
                },
                due,
                title_of(view),
            ]
            .map(|text| cell(&text));
            if writer.write_record(&record).is_err() {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            written += 1;
        }
        if page.items.len() < PAGE_SIZE_MAX as usize || written >= EXPORT_MAX_ROWS {
            break;
        }
        query.page += 1;
    }
    let Ok(bytes) = writer.into_inner() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A byte order mark lets spreadsheet programs read the file as UTF-8.
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"pengaduan.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("-1"), "'-1");
        assert_eq!(super::cell("Jalan rusak"), "Jalan rusak");
    }
}
