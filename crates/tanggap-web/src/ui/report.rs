//! The quarterly report page (`/laporan`) and its open-data downloads.
//!
//! The figures come from `tanggap_service::report`, the same code as the
//! command line, so the page, the CSV and the JSON always agree.

use super::home::{CountTable, count_table};
use super::session::render;
use super::{CsrfToken, Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_service::Services;
use tanggap_service::report::{Durations, Figures, Headline, QuarterlyReport, Ratio, Tally};

/// Query of the page and of the downloads: `?tahun=2026&triwulan=3`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportParams {
    pub tahun: Option<i16>,
    pub triwulan: Option<u8>,
}

impl ReportParams {
    /// Returns the requested quarter, or the current one in local time.
    fn quarter(&self, services: &Services) -> (i16, u8) {
        let calendar = services.calendar();
        let today = calendar.local_date(jiff::Timestamp::now());
        let year = self.tahun.unwrap_or(today.year());
        let quarter = self
            .triwulan
            .unwrap_or_else(|| u8::try_from((today.month() - 1) / 3 + 1).unwrap_or(1));
        (year, quarter)
    }
}

/// One row of a table of shares.
pub(crate) struct RatioRow {
    pub label: String,
    pub met: u64,
    pub counted: u64,
    pub percent: String,
}

/// One row of the comparison table.
pub(crate) struct ComparisonRow {
    pub label: String,
    pub current: i64,
    pub previous: i64,
    pub change_previous: String,
    pub year_earlier: i64,
    pub change_year_earlier: String,
}

/// One row of the durations table.
pub(crate) struct DurationRow {
    pub label: String,
    pub count: u64,
    pub median: String,
    pub p90: String,
}

/// One agency's three shares.
pub(crate) struct AgencyRow {
    pub agency: String,
    pub verified: String,
    pub followed_up: String,
    pub resolved: String,
}

#[derive(Template)]
#[template(path = "report.html")]
pub(crate) struct ReportPage {
    pub l: Layout,
    pub year: i16,
    /// The quarters 1 to 4, with the shown one marked.
    pub quarters: Vec<(u8, bool)>,
    pub heading: String,
    pub cards: Vec<(String, String)>,
    pub comparison: Vec<ComparisonRow>,
    pub shares: Vec<RatioRow>,
    pub agencies: Vec<AgencyRow>,
    pub durations: Vec<DurationRow>,
    pub satisfaction: Vec<(String, String)>,
    pub tables: Vec<CountTable>,
    /// Category, kelurahan name and count.
    pub recurring: Vec<(String, String, u64)>,
    pub csv_href: String,
    pub json_href: String,
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn ratio_text(r: &Ratio) -> String {
    format!("{} ({}/{})", percent(r.share), r.met, r.counted)
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn tally_counts(tally: &Tally) -> Vec<(Option<String>, i64)> {
    tally
        .iter()
        .map(|(key, count)| {
            let key = (key != tanggap_service::report::NONE_KEY).then(|| key.clone());
            (key, i64::try_from(*count).unwrap_or(i64::MAX))
        })
        .collect()
}

fn duration_row(lang: Lang, key: &str, d: &Durations) -> DurationRow {
    DurationRow {
        label: lang.text(key, &[]),
        count: d.count,
        median: d
            .median
            .map_or_else(|| "–".to_owned(), |m| format!("{m:.1}")),
        p90: d.p90.map_or_else(|| "–".to_owned(), |p| p.to_string()),
    }
}

/// Compares the headline counts with the previous quarter and a year earlier.
fn comparison_rows(lang: Lang, report: &QuarterlyReport) -> Vec<ComparisonRow> {
    let headline = report.current.headline();
    let previous = report.previous_quarter.headline();
    let year_earlier = report.year_earlier.headline();
    Headline::NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| ComparisonRow {
            label: lang.text(&format!("report-headline-{name}"), &[]),
            current: headline.values()[i],
            previous: previous.values()[i],
            change_previous: signed(report.change_from_previous_quarter.values()[i]),
            year_earlier: year_earlier.values()[i],
            change_year_earlier: signed(report.change_from_year_earlier.values()[i]),
        })
        .collect()
}

/// Builds the count tables with bar lengths, labelled in the user's language.
fn count_tables(services: &Services, lang: Lang, f: &Figures) -> Vec<CountTable> {
    let agency = |code: &str| {
        services
            .agency_name(code)
            .unwrap_or_else(|| code.to_owned())
    };
    let region = |code: &str| {
        services
            .region_name(code)
            .unwrap_or_else(|| code.to_owned())
    };
    let status = |code: &str| lang.text(&format!("status-{code}"), &[]);
    let channel = |code: &str| lang.text(&format!("channel-{code}"), &[]);
    let complaint_type = |code: &str| lang.text(&format!("type-{code}"), &[]);
    let reason = |code: &str| lang.text(&format!("archive-{code}"), &[]);
    let month = |code: &str| code.to_owned();
    let category = |name: &str| name.to_owned();
    let overdue: Vec<(Option<String>, i64)> = f
        .overdue_by_agency
        .iter()
        .map(|(code, n)| {
            let key = (code != tanggap_service::report::NONE_KEY).then(|| code.clone());
            (key, i64::try_from(*n).unwrap_or(i64::MAX))
        })
        .collect();
    vec![
        count_table(
            lang,
            "report-by-month",
            &tally_counts(&f.received_by_month),
            month,
        ),
        count_table(
            lang,
            "report-by-channel",
            &tally_counts(&f.received_by_channel),
            channel,
        ),
        count_table(
            lang,
            "report-by-type",
            &tally_counts(&f.received_by_type),
            complaint_type,
        ),
        count_table(
            lang,
            "report-by-category",
            &tally_counts(&f.received_by_category),
            category,
        ),
        count_table(
            lang,
            "report-by-agency",
            &tally_counts(&f.received_by_agency),
            agency,
        ),
        count_table(
            lang,
            "report-by-kecamatan",
            &tally_counts(&f.received_by_kecamatan),
            region,
        ),
        count_table(
            lang,
            "report-by-kelurahan",
            &tally_counts(&f.received_by_kelurahan),
            region,
        ),
        count_table(
            lang,
            "report-status-at-end",
            &tally_counts(&f.status_at_end),
            status,
        ),
        count_table(
            lang,
            "report-archived-by-reason",
            &tally_counts(&f.archived_by_reason),
            reason,
        ),
        count_table(lang, "report-overdue-by-agency", &overdue, agency),
    ]
}

fn build_page(services: &Services, lang: Lang, l: Layout, report: &QuarterlyReport) -> ReportPage {
    let f: &Figures = &report.current;
    let agency = |code: &str| {
        services
            .agency_name(code)
            .unwrap_or_else(|| code.to_owned())
    };
    let region = |code: &str| {
        services
            .region_name(code)
            .unwrap_or_else(|| code.to_owned())
    };
    let comparison = comparison_rows(lang, report);
    let shares = [
        ("report-verified-in-time", &f.verified_in_time),
        ("report-followed-up-in-time", &f.followed_up_in_time),
        ("report-resolved-in-time", &f.resolved_in_time),
    ]
    .into_iter()
    .map(|(key, r)| RatioRow {
        label: lang.text(key, &[]),
        met: r.met,
        counted: r.counted,
        percent: percent(r.share),
    })
    .collect();
    let agencies = f
        .timeliness_by_agency
        .iter()
        .map(|(code, t)| AgencyRow {
            agency: if code == tanggap_service::report::NONE_KEY {
                lang.text("dash-none", &[])
            } else {
                agency(code)
            },
            verified: ratio_text(&t.verified),
            followed_up: ratio_text(&t.followed_up),
            resolved: ratio_text(&t.resolved),
        })
        .collect();
    let s = &f.satisfaction;
    let satisfaction = vec![
        (lang.text("report-replies", &[]), s.replies.to_string()),
        (
            lang.text("report-share-satisfied", &[]),
            percent(s.share_satisfied),
        ),
        (lang.text("report-ratings", &[]), s.ratings.to_string()),
        (
            lang.text("report-average-rating", &[]),
            s.average_rating
                .map_or_else(|| "–".to_owned(), |r| format!("{r:.2}")),
        ),
    ];
    let tables = count_tables(services, lang, f);
    let query = format!("tahun={}&triwulan={}", report.year, report.quarter);
    let year = report.year.to_string();
    let quarter = report.quarter.to_string();
    ReportPage {
        heading: lang.text("report-heading", &[("quarter", quarter), ("year", year)]),
        l,
        year: report.year,
        quarters: (1..=4).map(|q| (q, q == report.quarter)).collect(),
        cards: vec![
            (
                lang.text("report-headline-received", &[]),
                f.received.to_string(),
            ),
            (
                lang.text("report-headline-overdue_at_end", &[]),
                f.overdue_at_end.to_string(),
            ),
            (lang.text("report-headline-held", &[]), f.held.to_string()),
            (
                lang.text("report-headline-reopened", &[]),
                f.reopened.to_string(),
            ),
        ],
        comparison,
        shares,
        agencies,
        durations: vec![
            duration_row(lang, "report-days-to-verify", &f.days_to_verify),
            duration_row(lang, "report-days-to-follow-up", &f.days_to_follow_up),
            duration_row(lang, "report-days-to-resolve", &f.days_to_resolve),
        ],
        satisfaction,
        tables,
        recurring: f
            .recurring
            .iter()
            .map(|p| (p.category.clone(), region(&p.kelurahan), p.count))
            .collect(),
        csv_href: format!("/laporan/data.csv?{query}"),
        json_href: format!("/laporan/data.json?{query}"),
    }
}

/// `GET /laporan`: the figures of a quarter as tables.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(params): Query<ReportParams>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/laporan").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let (year, quarter) = params.quarter(s);
    let report = match s.quarterly_report(&user, year, quarter).await {
        Ok(report) => report,
        Err(e) => return super::complaints::error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let l = Layout {
        lang,
        user: Some(user),
        csrf,
        path: format!("/laporan?tahun={year}&triwulan={quarter}"),
        title: lang.text("report-title", &[]),
        flash: None,
    };
    render(StatusCode::OK, &build_page(s, lang, l, &report))
}

async fn download(
    state: &AppState,
    headers: &HeaderMap,
    params: &ReportParams,
    extension: &str,
) -> Response {
    let Some(user) = current_user(state, headers).await else {
        return Redirect::to("/masuk?kembali=/laporan").into_response();
    };
    let lang = page_lang(headers);
    let s = &state.services;
    let (year, quarter) = params.quarter(s);
    let report = match s.quarterly_report(&user, year, quarter).await {
        Ok(report) => report,
        Err(e) => {
            return super::complaints::error_page(state, lang, Some(user), String::new(), e.into());
        }
    };
    let (content_type, body) = match extension {
        "csv" => ("text/csv; charset=utf-8", report.to_csv()),
        _ => (
            "application/json",
            serde_json::to_string_pretty(&report)
                .map_err(|e| tanggap_service::ServiceError::Internal(e.to_string())),
        ),
    };
    match body {
        Ok(body) => {
            let disposition =
                format!("attachment; filename=\"laporan-triwulan-{year}-q{quarter}.{extension}\"");
            (
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, year, quarter, "report download failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /laporan/data.csv`: the open-data CSV of a quarter.
pub(crate) async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ReportParams>,
) -> Response {
    download(&state, &headers, &params, "csv").await
}

/// `GET /laporan/data.json`: the open-data JSON of a quarter.
pub(crate) async fn json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ReportParams>,
) -> Response {
    download(&state, &headers, &params, "json").await
}
