//! The SOP documents as pages in the standard layout of PermenPANRB
//! 35/2012: the identity table, then the flowchart table whose performer
//! columns carry the flowchart, drawn vertically with the five permitted
//! symbols (capsule, rectangle, diamond, arrow, pentagon off-page connector).
//! The pages are public: anyone may read the procedures.

use super::session::render;
use super::{Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::fmt::Write;
use tanggap_core::sop::{Activity, SHIPPED, Sop, Symbol, TimeUnit};

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
}

fn slug(number: &str) -> String {
    number.replace('/', "-")
}

fn shipped() -> Vec<Sop> {
    SHIPPED
        .iter()
        .filter_map(|text| Sop::parse(text).ok())
        .collect()
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
    let sops = shipped()
        .into_iter()
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

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let lang = page_lang(&headers);
    let user = current_user(&state, &headers).await;
    let csrf = crate::auth::cookie(&headers, super::CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let Some(sop) = shipped().into_iter().find(|s| slug(&s.number) == name) else {
        return super::complaints::error_page(
            &state,
            lang,
            user,
            csrf,
            crate::error::ApiError::RouteNotFound,
        );
    };
    let rows = sop
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| SopRow {
            number: i + 1,
            description: a.description.clone(),
            cells: (0..sop.performers.len())
                .map(|col| cell(&sop, i, col))
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
    let page = SopPage {
        l: Layout {
            lang,
            user,
            csrf,
            path: format!("/sop/{name}"),
            title: format!("SOP {} — {}", sop.number, sop.name),
            flash: None,
        },
        made_on: long_date(lang, Some(&sop.made_on)),
        revised_on: long_date(lang, sop.revised_on.as_ref()),
        effective_on: long_date(lang, sop.effective_on.as_ref()),
        performers: sop.performers.iter().map(|p| p.name.clone()).collect(),
        rows,
        total: parts.join(" "),
        draft: sop.status != "approved",
        sop,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

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
