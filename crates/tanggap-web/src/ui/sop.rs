//! The SOP documents as pages in the standard layout of PermenPANRB
//! 35/2012: the identity table, then the flowchart table whose performer
//! columns carry the flowchart, drawn vertically with the five permitted
//! symbols (capsule, rectangle, diamond, arrow, pentagon off-page connector).
//! The pages are public: anyone may read the procedures.

use super::session::render;
use super::{CsrfToken, Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::fmt::Write;
use tanggap_core::Role;
use tanggap_core::sop::{Activity, Sop, Symbol, TimeUnit};
use tanggap_service::sops::{SopVersion, number_from_slug};

/// Width and height of one flowchart cell, in SVG user units (pixels).
const W: i32 = 120;
const H: i32 = 96;
const MID: i32 = W / 2;
/// Height of the horizontal connector between performer columns.
const LANE_Y: i32 = 10;

pub(crate) struct SopLink {
    pub slug: String,
    pub number: String,
    pub name: String,
    pub draft: bool,
}

#[derive(Template)]
#[template(path = "sop_index.html")]
pub(crate) struct SopIndexPage {
    pub l: Layout,
    pub sops: Vec<SopLink>,
}

pub(crate) struct SopRow {
    pub number: usize,
    pub description: String,
    /// One SVG per performer column.
    pub cells: Vec<String>,
    pub requirement: String,
    pub time: String,
    pub output: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "sop.html")]
pub(crate) struct SopPage {
    pub l: Layout,
    pub sop: Sop,
    pub made_on: String,
    pub revised_on: String,
    pub effective_on: String,
    pub performers: Vec<String>,
    pub rows: Vec<SopRow>,
    pub total: String,
    pub draft: bool,
    pub slug: String,
    pub version_line: String,
    /// Shown when the page is not the version in effect now.
    pub older_note: Option<String>,
    /// (version, description, shown) of every version.
    pub versions: Vec<(i64, String, bool)>,
    pub can_edit: bool,
}

#[derive(Template)]
#[template(path = "sop_edit.html")]
pub(crate) struct SopEditPage {
    pub l: Layout,
    pub slug: String,
    pub number: String,
    pub heading: String,
    pub source: String,
    pub errors: Vec<String>,
    pub parser_message: Option<String>,
    pub checked_ok: bool,
    pub performers: Vec<String>,
    pub rows: Vec<SopRow>,
    pub total: String,
}

/// Query of an SOP page: `?versi=2` shows an earlier version.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct SopQuery {
    versi: Option<i64>,
    ok: Option<String>,
}

fn slug(number: &str) -> String {
    number.replace('/', "-")
}

/// Formats a TOML date as `07 Oktober 2019` in the page's language.
fn long_date(lang: Lang, date: Option<&tanggap_core::sop::SopDate>) -> String {
    let Some(date) = date.and_then(|d| d.date) else {
        return "-".into();
    };
    let month = lang.text(&format!("month-{}", date.month), &[]);
    format!("{:02} {month} {}", date.day, date.year)
}

fn time_text(lang: Lang, value: u32, unit: TimeUnit) -> String {
    let key = match unit {
        TimeUnit::WorkingDays => "sop-unit-days",
        TimeUnit::Hours => "sop-unit-hours",
        TimeUnit::Minutes => "sop-unit-minutes",
    };
    lang.text(key, &[("value", value.to_string())])
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Tells whether the flow goes from activity `from` straight to `from + 1`.
fn flows_to_next(sop: &Sop, from: usize) -> bool {
    let (Some(a), Some(b)) = (sop.activities.get(from), sop.activities.get(from + 1)) else {
        return false;
    };
    match a.symbol {
        Symbol::Decision => a.branches.iter().any(|br| br.next == b.id),
        // A terminator after the first activity ends the flow.
        Symbol::Terminator if from > 0 && a.next.is_none() => false,
        _ => a.next.as_deref().is_none_or(|next| next == b.id),
    }
}

/// Jumps from an activity to one that is not the next row: (label, row number).
fn jumps(sop: &Sop, index: usize, a: &Activity) -> Vec<(String, usize)> {
    let next_id = sop.activities.get(index + 1).map(|b| b.id.as_str());
    let mut out = Vec::new();
    for branch in &a.branches {
        if Some(branch.next.as_str()) != next_id
            && let Some(target) = sop.activity_index(&branch.next)
        {
            out.push((branch.label.clone(), target + 1));
        }
    }
    if let Some(next) = &a.next
        && Some(next.as_str()) != next_id
        && let Some(target) = sop.activity_index(next)
    {
        out.push((String::new(), target + 1));
    }
    out
}

fn arrow_down(svg: &mut String, x: i32, y1: i32, y2: i32) {
    let _ = write!(
        svg,
        r#"<line x1="{x}" y1="{y1}" x2="{x}" y2="{}" class="flow"/><polygon points="{},{} {},{} {x},{y2}" class="head"/>"#,
        y2 - 5,
        x - 4,
        y2 - 6,
        x + 4,
        y2 - 6
    );
}

fn line(svg: &mut String, x1: i32, y1: i32, x2: i32, y2: i32) {
    let _ = write!(
        svg,
        r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="flow"/>"#
    );
}

/// Draws the shape of an activity centred in its cell; returns its top and bottom.
fn shape(svg: &mut String, symbol: Symbol, number: usize, co_performer: bool) -> (i32, i32) {
    let class = if co_performer { "shape co" } else { "shape" };
    let (top, bottom) = match symbol {
        Symbol::Terminator => {
            let _ = write!(
                svg,
                r#"<rect x="18" y="30" width="84" height="36" rx="18" class="{class}"/>"#
            );
            (30, 66)
        }
        Symbol::Process => {
            let _ = write!(
                svg,
                r#"<rect x="18" y="30" width="84" height="36" class="{class}"/>"#
            );
            (30, 66)
        }
        Symbol::Decision => {
            let _ = write!(
                svg,
                r#"<polygon points="60,22 104,48 60,74 16,48" class="{class}"/>"#
            );
            (22, 74)
        }
    };
    if !co_performer {
        let _ = write!(svg, r#"<text x="60" y="53" class="num">{number}</text>"#);
    }
    (top, bottom)
}

/// Draws the off-page connector (pentagon) that points to another row.
fn connector(svg: &mut String, slot: usize, label: &str, target: usize) {
    // Connectors sit below the shape, side by side from the centre rightwards.
    let y = 78;
    let x = 70 + i32::try_from(slot).unwrap_or(0) * 26;
    let _ = write!(
        svg,
        r#"<polygon points="{x},{y} {},{y} {},{} {},{} {x},{}" class="connector"/><text x="{}" y="{}" class="conn">{}{target}</text>"#,
        x + 22,
        x + 22,
        y + 9,
        x + 11,
        y + 16,
        y + 9,
        x + 11,
        y + 11,
        if label.is_empty() {
            String::new()
        } else {
            format!("{}:", escape(&label[..1]))
        },
    );
}

/// Draws the cell of performer column `col` in row `index`.
fn cell(sop: &Sop, index: usize, col: usize) -> String {
    let a = &sop.activities[index];
    let here = sop.performer_index(&a.performer).unwrap_or(0);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" aria-hidden="true" focusable="false">"#
    );

    // Connector from the previous activity, along the top of the row.
    if index > 0 && flows_to_next(sop, index - 1) {
        let prev = &sop.activities[index - 1];
        let from = sop.performer_index(&prev.performer).unwrap_or(0);
        let (lo, hi) = (from.min(here), from.max(here));
        if from != here {
            if col == from {
                line(&mut svg, MID, 0, MID, LANE_Y);
                line(
                    &mut svg,
                    MID,
                    LANE_Y,
                    if here > from { W } else { 0 },
                    LANE_Y,
                );
            } else if col == here {
                line(
                    &mut svg,
                    if here > from { 0 } else { W },
                    LANE_Y,
                    MID,
                    LANE_Y,
                );
            } else if col > lo && col < hi {
                line(&mut svg, 0, LANE_Y, W, LANE_Y);
            }
        }
        if col == here {
            let top = if a.symbol == Symbol::Decision { 22 } else { 30 };
            let start = if from == here { 0 } else { LANE_Y };
            arrow_down(&mut svg, MID, start, top);
        }
    }

    if col == here {
        let (_, bottom) = shape(&mut svg, a.symbol, index + 1, false);
        if flows_to_next(sop, index) {
            line(&mut svg, MID, bottom, MID, H);
        }
        for (slot, (label, target)) in jumps(sop, index, a).into_iter().enumerate() {
            connector(&mut svg, slot, &label, target);
        }
    } else if a
        .co_performers
        .iter()
        .any(|p| sop.performer_index(p) == Some(col))
    {
        shape(&mut svg, a.symbol, index + 1, true);
    }
    svg.push_str("</svg>");
    svg
}

pub(crate) async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = page_lang(&headers);
    let user = current_user(&state, &headers).await;
    let sops = match state.services.sops_in_effect().await {
        Ok(sops) => sops,
        Err(e) => {
            let csrf = crate::auth::cookie(&headers, super::CSRF_COOKIE)
                .unwrap_or_default()
                .to_owned();
            return super::complaints::error_page(&state, lang, user, csrf, e.into());
        }
    };
    let sops = sops
        .into_iter()
        .map(|v| v.sop)
        .map(|s| SopLink {
            slug: slug(&s.number),
            draft: s.status != "approved",
            number: s.number,
            name: s.name,
        })
        .collect();
    let page = SopIndexPage {
        l: Layout {
            lang,
            user,
            csrf: crate::auth::cookie(&headers, super::CSRF_COOKIE)
                .unwrap_or_default()
                .to_owned(),
            path: "/sop".into(),
            title: lang.text("sop-title", &[]),
            flash: None,
        },
        sops,
    };
    render(StatusCode::OK, &page)
}

/// Builds the flowchart table of an SOP: performer names, rows, total time.
fn flow(lang: Lang, sop: &Sop) -> (Vec<String>, Vec<SopRow>, String) {
    let rows = sop
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| SopRow {
            number: i + 1,
            description: a.description.clone(),
            cells: (0..sop.performers.len())
                .map(|col| cell(sop, i, col))
                .collect(),
            requirement: a.requirement.clone(),
            time: time_text(lang, a.time.value, a.time.unit),
            output: a.output.clone(),
            note: a.note.clone().unwrap_or_default(),
        })
        .collect();
    let total = sop.total_time();
    let mut parts = vec![time_text(lang, total.working_days, TimeUnit::WorkingDays)];
    if total.hours > 0 {
        parts.push(time_text(lang, total.hours, TimeUnit::Hours));
    }
    parts.push(time_text(lang, total.minutes, TimeUnit::Minutes));
    let performers = sop.performers.iter().map(|p| p.name.clone()).collect();
    (performers, rows, parts.join(" "))
}

/// Describes when a version applies, in the page's language.
fn version_text(lang: Lang, services: &tanggap_service::Services, v: &SopVersion) -> String {
    match v.saved_at {
        None => lang.text("sop-version-shipped", &[("value", v.version.to_string())]),
        Some(_) => {
            let date = v
                .effective_from
                .to_zoned(services.calendar().time_zone().clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string();
            lang.text(
                "sop-version-line",
                &[("value", v.version.to_string()), ("date", date)],
            )
        }
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<SopQuery>,
) -> Response {
    let lang = page_lang(&headers);
    let user = current_user(&state, &headers).await;
    let csrf = crate::auth::cookie(&headers, super::CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let s = &state.services;
    let number = number_from_slug(&name);
    let (versions, current) = match (
        s.sop_versions(&number).await,
        s.sop_in_effect(&number, jiff::Timestamp::now()).await,
    ) {
        (Ok(versions), Ok(current)) => (versions, current),
        (Err(e), _) | (_, Err(e)) => {
            return super::complaints::error_page(&state, lang, user, csrf, e.into());
        }
    };
    let wanted = query.versi.unwrap_or(current.version);
    let Some(shown) = versions.iter().find(|v| v.version == wanted).cloned() else {
        return super::complaints::error_page(
            &state,
            lang,
            user,
            csrf,
            crate::error::ApiError::RouteNotFound,
        );
    };
    let sop = shown.sop.clone();
    let (performers, rows, total) = flow(lang, &sop);
    let version_list = versions
        .iter()
        .map(|v| {
            let mut text = version_text(lang, s, v);
            if v.version == current.version {
                text = format!("{text} ({})", lang.text("sop-version-current", &[]));
            }
            (v.version, text, v.version == shown.version)
        })
        .collect();
    let can_edit = user.as_ref().is_some_and(|u| u.role == Role::SystemAdmin);
    let flash = query.ok.map(|_| lang.text("sop-edit-saved", &[]));
    let page = SopPage {
        l: Layout {
            lang,
            user,
            csrf,
            path: format!("/sop/{name}"),
            title: format!("SOP {} — {}", sop.number, sop.name),
            flash,
        },
        made_on: long_date(lang, Some(&sop.made_on)),
        revised_on: long_date(lang, sop.revised_on.as_ref()),
        effective_on: long_date(lang, sop.effective_on.as_ref()),
        performers,
        rows,
        total,
        draft: sop.status != "approved",
        version_line: version_text(lang, s, &shown),
        older_note: (shown.version != current.version).then(|| {
            lang.text(
                "sop-version-showing",
                &[("value", shown.version.to_string())],
            )
        }),
        versions: version_list,
        can_edit,
        slug: name,
        sop,
    };
    render(StatusCode::OK, &page)
}

/// Raises the `version = N` line of an SOP text by one, for the editor.
fn next_version_text(source: &str, version: i64) -> String {
    source.replacen(
        &format!("\nversion = {version}\n"),
        &format!("\nversion = {}\n", version + 1),
        1,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "the editor page has that many independent parts"
)]
fn edit_form(
    lang: Lang,
    user: tanggap_service::Principal,
    csrf: String,
    slug: String,
    number: String,
    source: String,
    errors: Vec<String>,
    parser_message: Option<String>,
    preview: Option<&Sop>,
) -> SopEditPage {
    let (performers, rows, total) = preview.map(|sop| flow(lang, sop)).unwrap_or_default();
    let heading = lang.text("sop-edit-title", &[("name", number.clone())]);
    SopEditPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: format!("/sop/{slug}/ubah"),
            title: heading.clone(),
            flash: None,
        },
        heading,
        checked_ok: preview.is_some(),
        slug,
        number,
        source,
        errors,
        parser_message,
        performers,
        rows,
        total,
    }
}

/// Shows the SOP editor with the latest version's text, its version raised.
pub(crate) async fn edit_page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/sop/{name}/ubah")).into_response();
    };
    if user.role != Role::SystemAdmin {
        let e = tanggap_service::ServiceError::Forbidden;
        return super::complaints::error_page(&state, lang, Some(user), csrf, e.into());
    }
    let number = number_from_slug(&name);
    let versions = match state.services.sop_versions(&number).await {
        Ok(versions) => versions,
        Err(e) => return super::complaints::error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let source = versions
        .last()
        .map(|v| next_version_text(&v.source, v.version))
        .unwrap_or_default();
    let page = edit_form(
        lang,
        user,
        csrf,
        name,
        number,
        source,
        Vec::new(),
        None,
        None,
    );
    render(StatusCode::OK, &page)
}

/// Checks an edited SOP text and shows a preview, or saves it as a new version.
pub(crate) async fn edit(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/sop/{name}/ubah")).into_response();
    };
    let pairs = super::form_pairs(&body);
    let source = pairs
        .iter()
        .find(|(k, _)| k == "source")
        .map(|(_, v)| v.replace("\r\n", "\n"))
        .unwrap_or_default();
    let number = number_from_slug(&name);
    let save = super::form_value(&pairs, "aksi") == Some("simpan");
    let s = &state.services;
    let result = if !super::csrf_valid(&headers, &pairs) {
        Err(crate::error::ApiError::BadRequest(
            lang.text("error-csrf", &[]),
        ))
    } else if save {
        s.save_sop_version(&user, &number, &source)
            .await
            .map(|v| Some(v.sop))
            .map_err(Into::into)
    } else if user.role != Role::SystemAdmin {
        Err(tanggap_service::ServiceError::Forbidden.into())
    } else {
        s.check_sop_version(&number, &source)
            .await
            .map(|(sop, _)| Some(sop))
            .map_err(Into::into)
    };
    match result {
        Ok(_) if save => Redirect::to(&format!("/sop/{name}?ok=1")).into_response(),
        Ok(preview) => {
            let page = edit_form(
                lang,
                user,
                csrf,
                name,
                number,
                source,
                Vec::new(),
                None,
                preview.as_ref(),
            );
            render(StatusCode::OK, &page)
        }
        Err(e @ crate::error::ApiError::Service(tanggap_service::ServiceError::Forbidden)) => {
            super::complaints::error_page(&state, lang, Some(user), csrf, e)
        }
        Err(e) => {
            let (status, title, fields) = crate::error::describe(&e, lang);
            let errors = if fields.is_empty() {
                vec![title]
            } else {
                fields
            };
            let parser_message = Sop::check(&source).parser_message;
            let page = edit_form(
                lang,
                user,
                csrf,
                name,
                number,
                source,
                errors,
                parser_message,
                None,
            );
            render(status, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_core::sop::SHIPPED;

    #[test]
    fn sop05_draws_one_shape_per_row_in_its_column() {
        let sop = Sop::parse(SHIPPED[4]).expect("SOP 05");
        for (i, a) in sop.activities.iter().enumerate() {
            let col = sop.performer_index(&a.performer).expect("performer");
            let main = cell(&sop, i, col);
            assert!(
                main.contains(&format!(r#"class="num">{}<"#, i + 1)),
                "row {}",
                i + 1
            );
            for other in 0..sop.performers.len() {
                if other != col {
                    assert!(
                        !cell(&sop, i, other).contains("class=\"num\""),
                        "row {} col {other}",
                        i + 1
                    );
                }
            }
        }
        // The last activity ends the flow: no line leaves its shape.
        assert!(!flows_to_next(&sop, 5));
        assert!(flows_to_next(&sop, 0));
    }

    #[test]
    fn decisions_point_to_far_targets_with_connectors() {
        let sop = Sop::parse(SHIPPED[1]).expect("SOP 02");
        let decision = sop
            .activities
            .iter()
            .position(|a| a.symbol == Symbol::Decision)
            .expect("a decision");
        let col = sop
            .performer_index(&sop.activities[decision].performer)
            .expect("performer");
        assert!(cell(&sop, decision, col).contains("class=\"connector\""));
    }
}
