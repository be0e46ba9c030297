//! The public transparency page (`/transparansi`): the report figures of
//! the last twelve months, a map of the public complaints with a table as
//! its text alternative, and the paginated list of non-confidential
//! complaints with their public responses. No reporter is ever shown; the
//! data comes from [`tanggap_service::open311`], which drops identities.

use super::session::render;
use super::views::{agency_label, local_time};
use super::{CsrfToken, Layout, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tanggap_core::Status;
use tanggap_service::open311::{PublicQuery, PublicRequest};
use tanggap_service::report::{Figures, NONE_KEY, Ratio, Tally};

const PATH: &str = "/transparansi";
/// Complaints per page of the list.
const PAGE_SIZE: i64 = 20;
/// Complaints with a map pin shown on the map, newest first.
const MAP_LIMIT: i64 = 100;
/// How long computed figures are reused. Computing them reads every
/// complaint of the twelve months with its events.
const FIGURES_TTL: Duration = Duration::from_secs(600);
const MAP_SCRIPT: &str = include_str!("../../static/transparansi-peta.js");

/// Figures computed at most once per [`FIGURES_TTL`] per server process.
#[derive(Default)]
pub(crate) struct FiguresCache {
    entry: Mutex<Option<(Instant, Arc<Figures>)>>,
}

impl FiguresCache {
    async fn get(&self, state: &AppState) -> Result<Arc<Figures>, tanggap_service::ServiceError> {
        let cached = {
            let entry = self.entry.lock().unwrap_or_else(|p| p.into_inner());
            entry
                .as_ref()
                .filter(|(at, _)| at.elapsed() < FIGURES_TTL)
                .map(|(_, figures)| Arc::clone(figures))
        };
        if let Some(figures) = cached {
            return Ok(figures);
        }
        // Two requests may compute at the same time after expiry; both
        // results are equal, and the later one is kept.
        let period = state.services.transparency_period()?;
        let figures = Arc::new(state.services.public_figures(period).await?);
        let mut entry = self.entry.lock().unwrap_or_else(|p| p.into_inner());
        *entry = Some((Instant::now(), Arc::clone(&figures)));
        Ok(figures)
    }
}

/// One row of a count table.
pub(crate) struct CountRow {
    pub label: String,
    pub count: u64,
}

/// One time-standard share.
pub(crate) struct ShareRow {
    pub label: String,
    pub met: u64,
    pub counted: u64,
    pub percent: String,
}

/// A complaint on the map and in its table.
pub(crate) struct MapPoint {
    pub tracking: String,
    pub place: String,
    pub latitude: String,
    pub longitude: String,
}

/// A public response in the list.
pub(crate) struct ResponseItem {
    pub when: String,
    pub by: String,
    pub text: String,
}

/// A complaint in the list.
pub(crate) struct ListItem {
    pub tracking: String,
    pub received: String,
    pub category: String,
    pub place: String,
    pub status: &'static str,
    pub status_label: String,
    pub title: Option<String>,
    /// `None` while the text awaits verification.
    pub description: Option<String>,
    pub photos: Vec<i64>,
    pub responses: Vec<ResponseItem>,
}

#[derive(Template)]
#[template(path = "transparency.html")]
pub(crate) struct TransparencyPage {
    pub l: Layout,
    pub period: String,
    pub received: u64,
    pub shares: Vec<ShareRow>,
    /// Count tables as (caption, rows): by month, category, agency and kecamatan.
    pub tables: Vec<(String, Vec<CountRow>)>,
    pub tiles: String,
    /// The map's points as JSON, for the map script.
    pub points_json: String,
    pub points: Vec<MapPoint>,
    pub items: Vec<ListItem>,
    pub page: i64,
    pub pages: i64,
    /// The number of complaints and the page, in words.
    pub pager_text: String,
}

fn percent(ratio: &Ratio) -> String {
    ratio
        .share
        .map(|share| format!("{:.0}%", share * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// Turns a tally into rows, largest first, with `label` naming each key.
fn rows(tally: &Tally, label: impl Fn(&str) -> String) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = tally
        .iter()
        .map(|(key, count)| CountRow {
            label: label(key),
            count: *count,
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    rows
}

fn place(state: &AppState, kelurahan: Option<&str>) -> String {
    let s = &state.services;
    let Some(code) = kelurahan else {
        return "—".into();
    };
    let name = s.region_name(code).unwrap_or_else(|| code.to_owned());
    match code.get(..8).and_then(|k| s.region_name(k)) {
        Some(kecamatan) => format!("{name}, {kecamatan}"),
        None => name,
    }
}

fn status_label(state: &AppState, lang: Lang, request: &PublicRequest) -> String {
    let agency = || agency_label(&state.services, request.agency.as_deref());
    match request.status {
        Status::Dispatched => lang.text("portal-status-dispatched", &[("name", agency())]),
        Status::InProgress => lang.text("portal-status-in_progress", &[("name", agency())]),
        Status::Forwarded => lang.text(
            "portal-status-forwarded",
            &[("name", request.forwarded_to.clone().unwrap_or_default())],
        ),
        status => lang.text(&format!("portal-status-{}", status.code()), &[]),
    }
}

fn list_item(state: &AppState, lang: Lang, request: PublicRequest) -> ListItem {
    let s = &state.services;
    let responses = request
        .responses
        .iter()
        .map(|r| ResponseItem {
            when: local_time(s, r.at),
            by: match &r.agency {
                Some(code) => agency_label(s, Some(code)),
                None => lang.text("portal-actor-admin", &[]),
            },
            text: r.text.clone(),
        })
        .collect();
    ListItem {
        status: request.status.code(),
        status_label: status_label(state, lang, &request),
        received: local_time(s, request.requested_at),
        category: request
            .category
            .clone()
            .unwrap_or_else(|| lang.text("transparency-no-category", &[])),
        place: place(state, request.kelurahan_code.as_deref()),
        tracking: request.tracking_number,
        title: request.title,
        description: request.description,
        photos: request.photos,
        responses,
    }
}

fn statistics(
    state: &AppState,
    lang: Lang,
    figures: &Figures,
) -> (Vec<ShareRow>, [Vec<CountRow>; 4]) {
    let s = &state.services;
    let none = |key: &str, text: String| {
        if key == NONE_KEY {
            lang.text("transparency-none", &[])
        } else {
            text
        }
    };
    let share = |key: &str, ratio: &Ratio| ShareRow {
        label: lang.text(key, &[]),
        met: ratio.met,
        counted: ratio.counted,
        percent: percent(ratio),
    };
    let shares = vec![
        share("report-verified-in-time", &figures.verified_in_time),
        share("report-followed-up-in-time", &figures.followed_up_in_time),
        share("report-resolved-in-time", &figures.resolved_in_time),
    ];
    let by_month = figures
        .received_by_month
        .iter()
        .map(|(month, count)| CountRow {
            label: month.clone(),
            count: *count,
        })
        .collect();
    let by_category = rows(&figures.received_by_category, |k| none(k, k.to_owned()));
    let by_agency = rows(&figures.received_by_agency, |k| {
        none(k, agency_label(s, Some(k)))
    });
    let by_kecamatan = rows(&figures.received_by_kecamatan, |k| {
        none(k, s.region_name(k).unwrap_or_else(|| k.to_owned()))
    });
    (shares, [by_month, by_category, by_agency, by_kecamatan])
}

/// Shows the transparency page; `halaman` picks the page of the list.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    request: Request,
) -> Response {
    let lang = page_lang(request.headers());
    let pairs = form_pairs(request.uri().query().unwrap_or_default().as_bytes());
    let page = form_value(&pairs, "halaman")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    match build(&state, lang, csrf.clone(), page).await {
        Ok(page) => {
            let mut response = render(StatusCode::OK, &page);
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            response
        }
        Err(e) => {
            let user = super::current_user(&state, request.headers()).await;
            super::complaints::error_page(&state, lang, user, csrf, e.into())
        }
    }
}

async fn build(
    state: &AppState,
    lang: Lang,
    csrf: String,
    page: i64,
) -> Result<TransparencyPage, tanggap_service::ServiceError> {
    let s = &state.services;
    let figures = state.transparency.get(state).await?;
    let (shares, [by_month, by_category, by_agency, by_kecamatan]) =
        statistics(state, lang, &figures);
    let period = figures
        .period
        .map(|p| {
            let last = p.to.yesterday().unwrap_or(p.to);
            lang.text(
                "transparency-period",
                &[("from", p.from.to_string()), ("until", last.to_string())],
            )
        })
        .unwrap_or_default();

    let listed = s
        .public_requests(&PublicQuery {
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
            ..PublicQuery::default()
        })
        .await?;
    let pinned = s
        .public_requests(&PublicQuery {
            limit: MAP_LIMIT,
            with_position: true,
            ..PublicQuery::default()
        })
        .await?;
    let points: Vec<MapPoint> = pinned
        .items
        .iter()
        .filter_map(|r| {
            Some(MapPoint {
                tracking: r.tracking_number.clone(),
                place: place(state, r.kelurahan_code.as_deref()),
                latitude: format!("{:.5}", r.latitude?),
                longitude: format!("{:.5}", r.longitude?),
            })
        })
        .collect();
    let points_json = serde_json::to_string(
        &points
            .iter()
            .map(|p| serde_json::json!([p.latitude, p.longitude, p.tracking]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());

    let pages = ((listed.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    Ok(TransparencyPage {
        l: Layout {
            lang,
            user: None,
            csrf,
            path: format!("{PATH}?halaman={page}"),
            title: lang.text("transparency-title", &[]),
            flash: None,
        },
        period,
        received: figures.received,
        shares,
        tables: vec![
            (lang.text("transparency-by-month", &[]), by_month),
            (lang.text("transparency-by-category", &[]), by_category),
            (lang.text("transparency-by-agency", &[]), by_agency),
            (lang.text("transparency-by-kecamatan", &[]), by_kecamatan),
        ],
        tiles: state.config.map_tile_url.clone().unwrap_or_default(),
        points_json,
        points,
        pages,
        pager_text: lang.text(
            "transparency-page",
            &[
                ("total", listed.total.to_string()),
                ("page", page.to_string()),
                ("pages", pages.to_string()),
            ],
        ),
        items: listed
            .items
            .into_iter()
            .map(|r| list_item(state, lang, r))
            .collect(),
        page,
    })
}

/// Serves the map script of the transparency page.
pub(crate) async fn script() -> Response {
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        MAP_SCRIPT,
    )
        .into_response()
}
