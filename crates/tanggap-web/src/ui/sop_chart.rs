//! The flowchart cells of an SOP table as drawing marks, shared by the
//! HTML page (written out as SVG) and the PDF document (drawn by typst).
//!
//! Each cell is `W` by `H` user units. Flow runs from top to bottom: an
//! arrow enters a shape from the top of its row, a line leaves it through
//! the bottom, and a change of performer runs along the top of the next
//! row. Only the five symbols of PermenPANRB 35/2012 appear: capsule,
//! rectangle, diamond, arrow and the pentagon off-page connector.

use serde::Serialize;
use std::fmt::Write;
use tanggap_core::sop::{Activity, Sop, Symbol};

/// Width and height of one flowchart cell, in SVG user units (pixels).
pub(crate) const W: i32 = 120;
pub(crate) const H: i32 = 96;
const MID: i32 = W / 2;
/// Height of the horizontal connector between performer columns.
const LANE_Y: i32 = 10;

/// Painting style of a mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Paint {
    /// The filled head of an arrow.
    Head,
    /// The outline of the performer's shape.
    Shape,
    /// The dashed outline of a co-performer's shape.
    CoShape,
    /// The outline of an off-page connector.
    Connector,
    /// The activity number inside a shape.
    Number,
    /// The label of an off-page connector.
    ConnectorLabel,
}

impl Paint {
    fn class(self) -> &'static str {
        match self {
            Paint::Head => "head",
            Paint::Shape => "shape",
            Paint::CoShape => "shape co",
            Paint::Connector => "connector",
            Paint::Number => "num",
            Paint::ConnectorLabel => "conn",
        }
    }
}

/// One drawing mark of a flowchart cell, in user units from the top left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Mark {
    /// A straight line. `to_bottom` marks the line that leaves a shape
    /// through the bottom of the cell, which a renderer with taller rows
    /// extends to the row's bottom edge.
    Line {
        x1: i32,
        y1: i32,
        x2: i32,
        y2: i32,
        to_bottom: bool,
    },
    /// A rectangle, with rounded ends (a capsule) when `radius` is half
    /// the height.
    Rect {
        x: i32,
        y: i32,
        width: i32,
        height: i32,
        radius: i32,
        paint: Paint,
    },
    /// A closed polygon: a diamond, an arrow head or a pentagon connector.
    Polygon { points: Vec<[i32; 2]>, paint: Paint },
    /// Text centred on (x, y), the baseline at y.
    Text {
        x: i32,
        y: i32,
        text: String,
        paint: Paint,
    },
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes the marks of one cell as an SVG element for the HTML page.
pub(crate) fn to_svg(marks: &[Mark]) -> String {
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" aria-hidden="true" focusable="false">"#
    );
    for mark in marks {
        let _ = match mark {
            Mark::Line { x1, y1, x2, y2, .. } => write!(
                svg,
                r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="flow"/>"#
            ),
            Mark::Rect {
                x,
                y,
                width,
                height,
                radius,
                paint,
            } => {
                let rounded = if *radius > 0 {
                    format!(r#" rx="{radius}""#)
                } else {
                    String::new()
                };
                write!(
                    svg,
                    r#"<rect x="{x}" y="{y}" width="{width}" height="{height}"{rounded} class="{}"/>"#,
                    paint.class()
                )
            }
            Mark::Polygon { points, paint } => {
                let points = points
                    .iter()
                    .map(|[x, y]| format!("{x},{y}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                write!(
                    svg,
                    r#"<polygon points="{points}" class="{}"/>"#,
                    paint.class()
                )
            }
            Mark::Text { x, y, text, paint } => write!(
                svg,
                r#"<text x="{x}" y="{y}" class="{}">{}</text>"#,
                paint.class(),
                escape(text)
            ),
        };
    }
    svg.push_str("</svg>");
    svg
}

/// Tells whether the flow goes from activity `from` straight to `from + 1`.
pub(crate) fn flows_to_next(sop: &Sop, from: usize) -> bool {
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

fn line(marks: &mut Vec<Mark>, x1: i32, y1: i32, x2: i32, y2: i32) {
    marks.push(Mark::Line {
        x1,
        y1,
        x2,
        y2,
        to_bottom: false,
    });
}

fn arrow_down(marks: &mut Vec<Mark>, x: i32, y1: i32, y2: i32) {
    line(marks, x, y1, x, y2 - 5);
    marks.push(Mark::Polygon {
        points: vec![[x - 4, y2 - 6], [x + 4, y2 - 6], [x, y2]],
        paint: Paint::Head,
    });
}

/// Draws the shape of an activity centred in its cell; returns its top and bottom.
fn shape(marks: &mut Vec<Mark>, symbol: Symbol, number: usize, co_performer: bool) -> (i32, i32) {
    let paint = if co_performer {
        Paint::CoShape
    } else {
        Paint::Shape
    };
    let (top, bottom) = match symbol {
        Symbol::Terminator | Symbol::Process => {
            marks.push(Mark::Rect {
                x: 18,
                y: 30,
                width: 84,
                height: 36,
                radius: if symbol == Symbol::Terminator { 18 } else { 0 },
                paint,
            });
            (30, 66)
        }
        Symbol::Decision => {
            marks.push(Mark::Polygon {
                points: vec![[60, 22], [104, 48], [60, 74], [16, 48]],
                paint,
            });
            (22, 74)
        }
    };
    if !co_performer {
        marks.push(Mark::Text {
            x: MID,
            y: 53,
            text: number.to_string(),
            paint: Paint::Number,
        });
    }
    (top, bottom)
}

/// Draws the off-page connector (pentagon) that points to another row.
fn connector(marks: &mut Vec<Mark>, slot: usize, label: &str, target: usize) {
    // Connectors sit below the shape, side by side from the centre rightwards.
    let y = 78;
    let x = 70 + i32::try_from(slot).unwrap_or(0) * 26;
    marks.push(Mark::Polygon {
        points: vec![
            [x, y],
            [x + 22, y],
            [x + 22, y + 9],
            [x + 11, y + 16],
            [x, y + 9],
        ],
        paint: Paint::Connector,
    });
    let prefix = label
        .chars()
        .next()
        .map(|first| format!("{first}:"))
        .unwrap_or_default();
    marks.push(Mark::Text {
        x: x + 11,
        y: y + 11,
        text: format!("{prefix}{target}"),
        paint: Paint::ConnectorLabel,
    });
}

/// Draws the cell of performer column `col` in row `index`.
pub(crate) fn cell(sop: &Sop, index: usize, col: usize) -> Vec<Mark> {
    let a = &sop.activities[index];
    let here = sop.performer_index(&a.performer).unwrap_or(0);
    let mut marks = Vec::new();

    // Connector from the previous activity, along the top of the row.
    if index > 0 && flows_to_next(sop, index - 1) {
        let prev = &sop.activities[index - 1];
        let from = sop.performer_index(&prev.performer).unwrap_or(0);
        let (lo, hi) = (from.min(here), from.max(here));
        if from != here {
            if col == from {
                line(&mut marks, MID, 0, MID, LANE_Y);
                let end = if here > from { W } else { 0 };
                line(&mut marks, MID, LANE_Y, end, LANE_Y);
            } else if col == here {
                let start = if here > from { 0 } else { W };
                line(&mut marks, start, LANE_Y, MID, LANE_Y);
            } else if col > lo && col < hi {
                line(&mut marks, 0, LANE_Y, W, LANE_Y);
            }
        }
        if col == here {
            let top = if a.symbol == Symbol::Decision { 22 } else { 30 };
            let start = if from == here { 0 } else { LANE_Y };
            arrow_down(&mut marks, MID, start, top);
        }
    }

    if col == here {
        let (_, bottom) = shape(&mut marks, a.symbol, index + 1, false);
        if flows_to_next(sop, index) {
            marks.push(Mark::Line {
                x1: MID,
                y1: bottom,
                x2: MID,
                y2: H,
                to_bottom: true,
            });
        }
        for (slot, (label, target)) in jumps(sop, index, a).into_iter().enumerate() {
            connector(&mut marks, slot, &label, target);
        }
    } else if a
        .co_performers
        .iter()
        .any(|p| sop.performer_index(p) == Some(col))
    {
        shape(&mut marks, a.symbol, index + 1, true);
    }
    marks
}
