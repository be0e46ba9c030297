//! The compliance page (`/kepatuhan`): how long each SOP activity took
//! against its time standard, by activity, agency and quarter, with a CSV
//! export of the same figures.

use super::complaints::error_page;
use super::session::render;
use super::{CsrfToken, Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_core::sop::TimeUnit;
use tanggap_service::Services;
use tanggap_service::compliance::{Compliance, ComplianceRow};

/// Query of the page and the download: `?tahun=2026&triwulan=3&instansi=PUPR`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ComplianceParams {
    tahun: Option<i16>,
    /// Empty for the whole year.
    triwulan: Option<String>,
    /// Empty for every agency.
    instansi: Option<String>,
}

impl ComplianceParams {
    fn resolve(&self, services: &Services) -> (i16, Option<u8>, Option<String>) {
        let today = services.calendar().local_date(jiff::Timestamp::now());
        let year = self.tahun.unwrap_or(today.year());
        let quarter = self.triwulan.as_deref().and_then(|q| q.parse::<u8>().ok());
        let agency = self
            .instansi
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        (year, quarter, agency)
    }
}

pub(crate) struct Row {
    pub sop: String,
    pub activity: String,
    pub agency: String,
    pub quarter: String,
    pub standard: String,
    pub measured: u64,
    pub within: String,
    pub median: String,
    pub worst: String,
}

pub(crate) struct RowTable {
    pub title: String,
    pub show_agency: bool,
    pub show_quarter: bool,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "compliance.html")]
pub(crate) struct CompliancePage {
    pub l: Layout,
    pub year: i16,
    /// Quarter options: (value, label, selected); the empty value is the whole year.
    pub quarters: Vec<(String, String, bool)>,
    pub agencies: Vec<(String, String, bool)>,
    pub csv_href: String,
    pub tables: Vec<RowTable>,
    pub empty: bool,
}

fn duration_text(lang: Lang, value: i64, unit: TimeUnit) -> String {
    match unit {
        TimeUnit::WorkingDays => lang.text("sop-unit-days", &[("value", value.to_string())]),
        TimeUnit::Hours | TimeUnit::Minutes => {
            lang.text("compliance-minutes", &[("value", value.to_string())])
        }
    }
}

fn row(services: &Services, lang: Lang, r: &ComplianceRow) -> Row {
    let unit = r.standard_unit;
    let standard = match unit {
        TimeUnit::WorkingDays => {
            lang.text("sop-unit-days", &[("value", r.standard_value.to_string())])
        }
        TimeUnit::Hours => lang.text("sop-unit-hours", &[("value", r.standard_value.to_string())]),
        TimeUnit::Minutes => lang.text(
            "sop-unit-minutes",
            &[("value", r.standard_value.to_string())],
        ),
    };
    let agency = if r.key.agency.is_empty() {
        lang.text("compliance-no-agency", &[])
    } else {
        services
            .agency_name(&r.key.agency)
            .unwrap_or_else(|| r.key.agency.clone())
    };
    let m = &r.measure;
    Row {
        sop: r.key.sop.clone(),
        activity: format!("{} ({})", r.description, r.key.activity),
        agency,
        quarter: r.key.quarter.to_string(),
        standard,
        measured: m.measured,
        within: m
            .percent_within()
            .map(|p| format!("{} ({p:.1}%)", m.within))
            .unwrap_or_default(),
        median: m
            .median()
            .map(|d| duration_text(lang, d, unit))
            .unwrap_or_default(),
        worst: m
            .worst
            .iter()
            .map(|(d, tracking)| format!("{tracking} ({})", duration_text(lang, *d, unit)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn tables(services: &Services, lang: Lang, figures: &Compliance) -> Vec<RowTable> {
    let table = |key: &str, rows: Vec<ComplianceRow>, agency: bool, quarter: bool| RowTable {
        title: lang.text(key, &[]),
        show_agency: agency,
        show_quarter: quarter,
        rows: rows.iter().map(|r| row(services, lang, r)).collect(),
    };
    vec![
        table("compliance-overall", figures.overall(), false, false),
        table("compliance-by-agency", figures.by_agency(), true, false),
        table("compliance-by-quarter", figures.by_quarter(), false, true),
    ]
}

fn query_string(year: i16, quarter: Option<u8>, agency: Option<&str>) -> String {
    let mut query = format!("tahun={year}");
    if let Some(q) = quarter {
        query.push_str(&format!("&triwulan={q}"));
    }
    if let Some(a) = agency {
        let encoded: String = form_urlencoded::byte_serialize(a.as_bytes()).collect();
        query.push_str(&format!("&instansi={encoded}"));
    }
    query
}

/// Shows the compliance figures.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(params): Query<ComplianceParams>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/kepatuhan").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let (year, quarter, agency) = params.resolve(s);
    let figures = match s.compliance(&user, year, quarter, agency.as_deref()).await {
        Ok(figures) => figures,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let query = query_string(year, quarter, agency.as_deref());
    let mut quarters = vec![(
        String::new(),
        lang.text("compliance-whole-year", &[]),
        quarter.is_none(),
    )];
    quarters.extend((1..=4u8).map(|q| (q.to_string(), q.to_string(), quarter == Some(q))));
    let mut agencies = vec![(
        String::new(),
        lang.text("compliance-all-agencies", &[]),
        agency.is_none(),
    )];
    agencies.extend(s.agency_options().into_iter().map(|(code, name)| {
        let selected = agency.as_deref() == Some(code.as_str());
        (code, name, selected)
    }));
    let page = CompliancePage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: format!("/kepatuhan?{query}"),
            title: lang.text("compliance-title", &[]),
            flash: None,
        },
        year,
        quarters,
        agencies,
        csv_href: format!("/kepatuhan/data.csv?{query}"),
        empty: figures.rows.is_empty(),
        tables: tables(s, lang, &figures),
    };
    render(StatusCode::OK, &page)
}

/// Sends the compliance figures as CSV.
pub(crate) async fn csv(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(params): Query<ComplianceParams>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/kepatuhan").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let (year, quarter, agency) = params.resolve(s);
    let text = match s
        .compliance(&user, year, quarter, agency.as_deref())
        .await
        .and_then(|figures| figures.to_csv())
    {
        Ok(text) => text,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let name = match quarter {
        Some(q) => format!("kepatuhan-{year}-triwulan-{q}.csv"),
        None => format!("kepatuhan-{year}.csv"),
    };
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
