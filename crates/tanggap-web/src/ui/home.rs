//! The home page of each role and the dashboard.

use super::session::render;
use super::views::{Row, row};
use super::{CsrfToken, Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_core::{Role, Status};
use tanggap_service::complaints::ListQuery;
use tanggap_service::dashboard::Counts;
use tanggap_service::{Principal, Services};
use tanggap_store::Sort;

/// A list of complaints on the home page, with a link to the full list.
pub(crate) struct Section {
    pub title: String,
    pub rows: Vec<Row>,
    /// The count shown beside the title, with `+` when counting stopped at
    /// the cap.
    pub total: String,
    pub more_href: String,
}

/// A table of counts with bar lengths for the chart.
pub(crate) struct CountTable {
    pub title: String,
    pub rows: Vec<CountRow>,
}

pub(crate) struct CountRow {
    pub label: String,
    pub count: i64,
    /// Bar length in percent of the largest count.
    pub width: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub l: Layout,
    pub sections: Vec<Section>,
    pub tables: Vec<CountTable>,
    pub no_access: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    pub l: Layout,
    pub cards: Vec<(String, i64)>,
    pub tables: Vec<CountTable>,
}

pub(crate) async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match current_user(&state, &headers).await {
        Some(_) => Redirect::to("/beranda").into_response(),
        None => Redirect::to("/masuk").into_response(),
    }
}

async fn section(
    services: &Services,
    user: &Principal,
    lang: Lang,
    title_key: &str,
    statuses: &[Status],
    overdue: bool,
) -> Option<Section> {
    let query = ListQuery {
        statuses: statuses.to_vec(),
        overdue,
        sort: Sort::DueAt,
        per_page: 10,
        ..ListQuery::default()
    };
    let page = services.list_complaints(user, query).await.ok()?;
    let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
    let mut more_href = format!("/pengaduan?status={}", codes.join(","));
    if overdue {
        more_href.push_str("&overdue=true");
    }
    Some(Section {
        title: lang.text(title_key, &[]),
        rows: page.items.iter().map(|v| row(services, lang, v)).collect(),
        total: if page.total_capped {
            format!("{}+", page.total)
        } else {
            page.total.to_string()
        },
        more_href,
    })
}

/// Turns counts into a table with labels in the user's language.
pub(crate) fn count_table(
    lang: Lang,
    title_key: &str,
    counts: &Counts,
    label: impl Fn(&str) -> String,
) -> CountTable {
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    CountTable {
        title: lang.text(title_key, &[]),
        rows: counts
            .iter()
            .map(|(key, count)| CountRow {
                label: key
                    .as_deref()
                    .map_or_else(|| lang.text("dash-none", &[]), &label),
                count: *count,
                width: count * 100 / max,
            })
            .collect(),
    }
}

pub(crate) async fn home(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/beranda").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let open = [
        Status::Received,
        Status::OnHold,
        Status::Verified,
        Status::Dispatched,
        Status::InProgress,
        Status::Responded,
        Status::Returned,
    ];
    let mut sections = Vec::new();
    let mut tables = Vec::new();
    match user.role {
        Role::CentralAdmin => {
            sections.extend(
                section(
                    s,
                    &user,
                    lang,
                    "home-waiting-verification",
                    &[Status::Received, Status::Verified],
                    false,
                )
                .await,
            );
            sections
                .extend(section(s, &user, lang, "home-on-hold", &[Status::OnHold], false).await);
            sections
                .extend(section(s, &user, lang, "home-returned", &[Status::Returned], false).await);
            if let Ok(dashboard) = s.dashboard(&user).await {
                let agency = |code: &str| s.agency_name(code).unwrap_or_else(|| code.to_owned());
                tables.push(count_table(
                    lang,
                    "home-overdue-by-agency",
                    &dashboard.overdue_by_agency,
                    agency,
                ));
                let channel = |code: &str| lang.text(&format!("channel-{code}"), &[]);
                tables.push(count_table(
                    lang,
                    "home-today-by-channel",
                    &dashboard.today_by_channel,
                    channel,
                ));
            }
        }
        Role::LiaisonAdmin | Role::AgencyHead => {
            sections.extend(section(s, &user, lang, "home-overdue", &open, true).await);
            sections.extend(
                section(
                    s,
                    &user,
                    lang,
                    "home-to-follow-up",
                    &[Status::Dispatched],
                    false,
                )
                .await,
            );
            sections.extend(
                section(
                    s,
                    &user,
                    lang,
                    "home-in-progress",
                    &[Status::InProgress],
                    false,
                )
                .await,
            );
            sections.extend(
                section(
                    s,
                    &user,
                    lang,
                    "home-waiting-reporter",
                    &[Status::Responded],
                    false,
                )
                .await,
            );
        }
        Role::CitySecretary | Role::ComplaintTeam => {
            sections.extend(section(s, &user, lang, "home-overdue", &open, true).await);
            if let Ok(dashboard) = s.dashboard(&user).await {
                let agency = |code: &str| s.agency_name(code).unwrap_or_else(|| code.to_owned());
                tables.push(count_table(
                    lang,
                    "home-overdue-by-agency",
                    &dashboard.overdue_by_agency,
                    agency,
                ));
            }
        }
        Role::Inspectorate => {
            sections.extend(section(s, &user, lang, "home-supervision", &open, false).await);
        }
        Role::SystemAdmin => {}
    }
    let page = HomePage {
        l: Layout {
            lang,
            user: Some(user.clone()),
            csrf,
            path: "/beranda".into(),
            title: lang.text("home-title", &[]),
            flash: None,
        },
        sections,
        tables,
        no_access: user.role == Role::SystemAdmin,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/dasbor").into_response();
    };
    let lang = page_lang(&headers);
    let s = &state.services;
    let dashboard = match s.dashboard(&user).await {
        Ok(d) => d,
        Err(e) => return super::complaints::error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let agency = |code: &str| s.agency_name(code).unwrap_or_else(|| code.to_owned());
    let status = |code: &str| lang.text(&format!("status-{code}"), &[]);
    let channel = |code: &str| lang.text(&format!("channel-{code}"), &[]);
    let region = |code: &str| s.region_name(code).unwrap_or_else(|| code.to_owned());
    let category = |name: &str| name.to_owned();
    let page = DashboardPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: "/dasbor".into(),
            title: lang.text("dash-title", &[]),
            flash: None,
        },
        cards: vec![
            (lang.text("dash-total", &[]), dashboard.total),
            (lang.text("dash-open", &[]), dashboard.open),
            (lang.text("dash-overdue", &[]), dashboard.overdue),
        ],
        tables: vec![
            count_table(lang, "dash-by-status", &dashboard.by_status, status),
            count_table(lang, "dash-by-agency", &dashboard.by_agency, agency),
            count_table(lang, "dash-by-channel", &dashboard.by_channel, channel),
            count_table(lang, "dash-by-kecamatan", &dashboard.by_kecamatan, region),
            count_table(lang, "dash-by-category", &dashboard.by_category, category),
        ],
    };
    render(StatusCode::OK, &page)
}
