//! The SOP documents as pages in the standard layout of PermenPANRB
//! 35/2012: the identity table, then the flowchart table whose performer
//! columns carry the flowchart, drawn vertically with the five permitted
//! symbols (capsule, rectangle, diamond, arrow, pentagon off-page connector).
//! The pages are public: anyone may read the procedures.

use super::session::render;
use super::sop_chart::{H, Mark, W, cell, flows_to_next, to_svg};
use super::{CsrfToken, Layout, current_user, page_lang};
use crate::AppState;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_core::Role;
use tanggap_core::sop::{Sop, TimeUnit};
use tanggap_service::sops::{SopVersion, number_from_slug};

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
    /// Version number of the SOP on the page, for the PDF link.
    pub shown_version: i64,
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
                .map(|col| to_svg(&cell(sop, i, col)))
                .collect(),
            requirement: a.requirement.clone(),
            time: time_text(lang, a.time.value, a.time.unit),
            output: a.output.clone(),
            note: a.note.clone().unwrap_or_default(),
        })
        .collect();
    let total = sop.total_time();
    // Units with nothing in them are left out ("6 hari", not "6 hari 0
    // menit"), but an SOP without times still shows "0 hari".
    let mut parts = Vec::new();
    if total.working_days > 0 || (total.hours == 0 && total.minutes == 0) {
        parts.push(time_text(lang, total.working_days, TimeUnit::WorkingDays));
    }
    if total.hours > 0 {
        parts.push(time_text(lang, total.hours, TimeUnit::Hours));
    }
    if total.minutes > 0 {
        parts.push(time_text(lang, total.minutes, TimeUnit::Minutes));
    }
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

/// Every version of an SOP, the version in effect now, and the version
/// `requested` (the one in effect when `None`); an unknown version is not
/// found.
async fn find_versions(
    state: &AppState,
    number: &str,
    requested: Option<i64>,
) -> Result<(Vec<SopVersion>, SopVersion, SopVersion), crate::error::ApiError> {
    let s = &state.services;
    let versions = s.sop_versions(number).await?;
    let current = s.sop_in_effect(number, jiff::Timestamp::now()).await?;
    let wanted = requested.unwrap_or(current.version);
    let shown = versions
        .iter()
        .find(|v| v.version == wanted)
        .cloned()
        .ok_or(crate::error::ApiError::RouteNotFound)?;
    Ok((versions, current, shown))
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
    let (versions, current, shown) = match find_versions(&state, &number, query.versi).await {
        Ok(found) => found,
        Err(e) => return super::complaints::error_page(&state, lang, user, csrf, e),
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
        shown_version: shown.version,
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

/// Builds the data of the SOP document template: the identity part, the
/// flowchart rows with their drawing marks, and the labels in `lang`.
fn sop_document_data(lang: Lang, sop: &Sop, version_line: &str) -> serde_json::Value {
    let (performers, _, total) = flow(lang, sop);
    let rows: Vec<serde_json::Value> = sop
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let cells: Vec<Vec<Mark>> = (0..sop.performers.len())
                .map(|col| cell(sop, i, col))
                .collect();
            serde_json::json!({
                "number": i + 1,
                "description": a.description,
                "cells": cells,
                // The PDF draws an off-page connector where the table
                // breaks after a row whose flow line continues to the next
                // row, in the performer column of the row's shape.
                "lane": sop.performer_index(&a.performer).unwrap_or(0),
                "flows_on": flows_to_next(sop, i),
                "requirement": a.requirement,
                "time": time_text(lang, a.time.value, a.time.unit),
                "output": a.output,
                "note": a.note.clone().unwrap_or_default(),
            })
        })
        .collect();
    let label = |key: &str| lang.text(key, &[]);
    let labels = serde_json::json!({
        "number": label("sop-number"),
        "made_on": label("sop-made-on"),
        "revised_on": label("sop-revised-on"),
        "effective_on": label("sop-effective-on"),
        "approved_by": label("sop-approved-by"),
        "name": label("sop-name"),
        "legal_basis": label("sop-legal-basis"),
        "qualifications": label("sop-qualifications"),
        "related": label("sop-related"),
        "equipment": label("sop-equipment"),
        "warnings": label("sop-warnings"),
        "recording": label("sop-recording"),
        "no": label("sop-no"),
        "activity": label("sop-activity"),
        "performers": label("sop-performers"),
        "quality": label("sop-quality"),
        "requirement": label("sop-requirement"),
        "time": label("sop-time"),
        "output": label("sop-output"),
        "note": label("sop-note"),
        "total": label("sop-total"),
        "page": label("sop-pdf-page"),
        "of": label("sop-pdf-of"),
    });
    let related: Vec<String> = sop
        .related_sops
        .iter()
        .map(|r| format!("{} ({})", r.name, r.number))
        .collect();
    serde_json::json!({
        "lang": lang.code(),
        "labels": labels,
        "draft": sop.status != "approved",
        "draft_note": label("sop-draft-note"),
        "version_line": version_line,
        "organisation": sop.organisation,
        "number": sop.number,
        "made_on": long_date(lang, Some(&sop.made_on)),
        "revised_on": long_date(lang, sop.revised_on.as_ref()),
        "effective_on": long_date(lang, sop.effective_on.as_ref()),
        "approved_by": {
            "position": sop.approved_by.position,
            "name": sop.approved_by.name,
            "nip": sop.approved_by.nip,
        },
        "name": sop.name,
        "legal_basis": sop.legal_basis,
        "qualifications": sop.executor_qualifications,
        "related": related,
        "equipment": sop.equipment,
        "warnings": sop.warnings,
        "recording": sop.recording,
        "performers": performers,
        "cell": { "width": W, "height": H },
        "rows": rows,
        "total": total,
    })
}

/// Renders an SOP as a PDF document in the layout of PermenPANRB 35/2012.
pub(crate) fn sop_pdf(lang: Lang, sop: &Sop, version_line: &str) -> Result<Vec<u8>, String> {
    let data = sop_document_data(lang, sop, version_line);
    tanggap_documents::render_pdf(tanggap_documents::SOP_TEMPLATE, &data).map_err(|e| e.to_string())
}

/// Serves an SOP as a PDF download, the version in effect or `?versi=N`.
/// Like the pages, the documents are public.
pub(crate) async fn pdf(
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
    let number = number_from_slug(&name);
    let shown = match find_versions(&state, &number, query.versi).await {
        Ok((_, _, shown)) => shown,
        Err(e) => return super::complaints::error_page(&state, lang, user, csrf, e),
    };
    let version_line = version_text(lang, &state.services, &shown);
    let file_name = format!("sop-{name}-versi-{}.pdf", shown.version);
    let rendered =
        tokio::task::spawn_blocking(move || sop_pdf(lang, &shown.sop, &version_line)).await;
    match rendered {
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(error)) => {
            tracing::error!(sop = %number, %error, "SOP document rendering failed");
            let e = tanggap_service::ServiceError::Internal(error);
            super::complaints::error_page(&state, lang, user, csrf, e.into())
        }
        Err(error) => {
            tracing::error!(sop = %number, %error, "SOP document rendering task failed");
            let e = tanggap_service::ServiceError::Internal(error.to_string());
            super::complaints::error_page(&state, lang, user, csrf, e.into())
        }
    }
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
    use super::super::sop_chart::flows_to_next;
    use super::*;
    use tanggap_core::sop::{SHIPPED, Symbol};

    #[test]
    fn sop05_draws_one_shape_per_row_in_its_column() {
        let sop = Sop::parse(SHIPPED[4]).expect("SOP 05");
        for (i, a) in sop.activities.iter().enumerate() {
            let col = sop.performer_index(&a.performer).expect("performer");
            let main = to_svg(&cell(&sop, i, col));
            assert!(
                main.contains(&format!(r#"class="num">{}<"#, i + 1)),
                "row {}",
                i + 1
            );
            for other in 0..sop.performers.len() {
                if other != col {
                    assert!(
                        !to_svg(&cell(&sop, i, other)).contains("class=\"num\""),
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
        assert!(to_svg(&cell(&sop, decision, col)).contains("class=\"connector\""));
    }
}
