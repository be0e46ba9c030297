//! The central admin's spreadsheet import: upload, preview with column
//! mapping controls (a dry run), import, and the result with the rows left
//! out.

use super::complaints::error_page;
use super::session::render;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_core::Role;
use tanggap_service::Principal;
use tanggap_service::spreadsheet::import::{SpreadsheetOptions, SpreadsheetReport};
use tanggap_service::spreadsheet::{self, Field, Format, Mapping};

pub(crate) const PATH: &str = "/impor";
/// Largest upload request: the largest spreadsheet plus 1 MiB for the fields.
pub(crate) const BODY_LIMIT: usize = spreadsheet::FILE_MAX_BYTES + 1024 * 1024;
/// Data rows shown in the preview.
const PREVIEW_ROWS: usize = 5;

/// One mapping control: a field and the column chosen for it.
pub(crate) struct FieldChoice {
    pub code: &'static str,
    pub label: String,
    pub required: bool,
    /// 0-based column, or `None` when unmapped.
    pub column: Option<usize>,
}

/// The preview of a staged file.
pub(crate) struct Preview {
    pub file_id: String,
    pub source: String,
    pub headers: Vec<String>,
    /// Column number and label of each non-empty header, for the controls.
    pub options: Vec<(usize, String)>,
    pub fields: Vec<FieldChoice>,
    pub rows: Vec<Vec<String>>,
    pub report: SpreadsheetReport,
}

#[derive(Template)]
#[template(path = "import.html")]
pub(crate) struct ImportPage {
    pub l: Layout,
    pub errors: Vec<String>,
    pub preview: Option<Preview>,
    /// The outcome of an import that ran.
    pub result: Option<SpreadsheetReport>,
    /// The counts of the dry run or of the import, as a sentence.
    pub summary: String,
}

fn layout(lang: Lang, user: Principal, csrf: String) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path: PATH.into(),
        title: lang.text("import-title", &[]),
        flash: None,
    }
}

async fn central_admin(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Principal, Response> {
    let lang = page_lang(headers);
    match current_user(state, headers).await {
        None => Err(Redirect::to(&format!("/masuk?kembali={PATH}")).into_response()),
        Some(user) if user.role == Role::CentralAdmin => Ok(user),
        Some(user) => Err(error_page(
            state,
            lang,
            Some(user),
            csrf.to_owned(),
            tanggap_service::ServiceError::Forbidden.into(),
        )),
    }
}

fn error_list(error: &ApiError, lang: Lang) -> (StatusCode, Vec<String>) {
    let (status, title, fields) = describe(error, lang);
    let mut errors = vec![title];
    errors.extend(fields);
    (status, errors)
}

/// Shows the upload form.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(&headers);
    let user = match central_admin(&state, &headers, &csrf).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let page = ImportPage {
        l: layout(lang, user, csrf),
        errors: Vec::new(),
        preview: None,
        result: None,
        summary: String::new(),
    };
    render(StatusCode::OK, &page)
}

/// Reads the upload form: its text fields and the file's content.
async fn read_upload(
    state: &AppState,
    request: Request,
) -> Result<(Vec<(String, String)>, Vec<u8>), ApiError> {
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    };
    let mut pairs = Vec::new();
    let mut content = Vec::new();
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            content = field.bytes().await.map_err(malformed)?.to_vec();
        } else {
            pairs.push((name, field.text().await.map_err(malformed)?));
        }
    }
    Ok((pairs, content))
}

/// Stages an uploaded file and shows its preview.
pub(crate) async fn upload(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = page_lang(&headers);
    let user = match central_admin(&state, &headers, &csrf).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let result = async {
        let (pairs, content) = read_upload(&state, request).await?;
        if !csrf_valid(&headers, &pairs) {
            return Err(ApiError::BadRequest(lang.text("error-csrf", &[])));
        }
        let source = form_value(&pairs, "source")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let format = Format::detect(&content);
        let file_id = state.services.stage_spreadsheet(&user, content).await?;
        preview(&state, &user, file_id, format, source, None).await
    }
    .await;
    respond(lang, user, csrf, result.map(|p| (Some(p), None)))
}

/// Previews again with the chosen mapping (`aksi=pratinjau`) or imports
/// (`aksi=impor`).
pub(crate) async fn process(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let user = match central_admin(&state, &headers, &csrf).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let pairs = form_pairs(&body);
    let result = async {
        if !csrf_valid(&headers, &pairs) {
            return Err(ApiError::BadRequest(lang.text("error-csrf", &[])));
        }
        let file_id = form_value(&pairs, "berkas").unwrap_or_default().to_owned();
        let source = form_value(&pairs, "source")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let content = state.services.staged_spreadsheet(&user, &file_id).await?;
        let format = Format::detect(&content);
        // The controls send column numbers, and hidden fields the header
        // texts that the mapping names.
        let mut mapping = Mapping::new();
        for field in Field::ALL {
            let Some(column) = form_value(&pairs, &format!("map_{}", field.code()))
                .and_then(|c| c.parse::<usize>().ok())
            else {
                continue;
            };
            let header = form_value(&pairs, &format!("header_{column}")).unwrap_or_default();
            if !header.is_empty() {
                mapping.insert(*field, header.to_owned());
            }
        }
        if form_value(&pairs, "aksi") == Some("impor") {
            let options = SpreadsheetOptions {
                source: (!source.is_empty()).then(|| source.clone()),
                mapping: Some(mapping),
                ..SpreadsheetOptions::default()
            };
            let report = state
                .services
                .import_spreadsheet(&user, &content, format, &options, |_, _| {})
                .await?;
            return Ok((None, Some(report)));
        }
        let preview = preview(&state, &user, file_id, format, source, Some(mapping)).await?;
        Ok((Some(preview), None))
    }
    .await;
    respond(lang, user, csrf, result)
}

/// Runs a dry run of the staged file and builds its preview.
async fn preview(
    state: &AppState,
    user: &Principal,
    file_id: String,
    format: Format,
    source: String,
    mapping: Option<Mapping>,
) -> Result<Preview, ApiError> {
    let s = &state.services;
    let content = s.staged_spreadsheet(user, &file_id).await?;
    let options = SpreadsheetOptions {
        source: (!source.is_empty()).then(|| source.clone()),
        mapping,
        dry_run: true,
        ..SpreadsheetOptions::default()
    };
    let (table, layout) = s.spreadsheet_layout(&content, format, &options).await?;
    let report = s
        .import_spreadsheet(user, &content, format, &options, |_, _| {})
        .await?;
    let rows = table
        .rows
        .iter()
        .skip(layout.header_row + 1)
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .take(PREVIEW_ROWS)
        .map(|r| r.iter().map(|c| c.chars().take(80).collect()).collect())
        .collect();
    let lang_fields = Field::ALL
        .iter()
        .map(|field| FieldChoice {
            code: field.code(),
            label: field.code().to_owned(),
            required: field.required(),
            column: layout.columns.get(field).copied(),
        })
        .collect();
    Ok(Preview {
        file_id,
        source,
        headers: layout.headers.clone(),
        options: Vec::new(),
        fields: lang_fields,
        rows,
        report,
    })
}

type Outcome = (Option<Preview>, Option<SpreadsheetReport>);

fn respond(
    lang: Lang,
    user: Principal,
    csrf: String,
    result: Result<Outcome, ApiError>,
) -> Response {
    let (status, errors, preview, result) = match result {
        Ok((preview, result)) => (StatusCode::OK, Vec::new(), preview, result),
        Err(e) => {
            let (status, errors) = error_list(&e, lang);
            (status, errors, None, None)
        }
    };
    let mut page = ImportPage {
        l: layout(lang, user, csrf),
        errors,
        preview,
        result,
        summary: String::new(),
    };
    if let Some(preview) = &mut page.preview {
        for field in &mut preview.fields {
            field.label = lang.text(&format!("import-field-{}", field.code), &[]);
        }
        preview.options = preview
            .headers
            .iter()
            .enumerate()
            .filter(|(_, header)| !header.trim().is_empty())
            .map(|(index, header)| {
                let args = [
                    ("number", (index + 1).to_string()),
                    ("header", header.clone()),
                ];
                (index, lang.text("import-column", &args))
            })
            .collect();
        let report = &preview.report;
        let args = [
            ("rows", report.rows.to_string()),
            ("valid", report.valid.to_string()),
            ("rejected", report.rejected.len().to_string()),
        ];
        page.summary = lang.text("import-dry-run", &args);
    }
    if let Some(report) = &page.result {
        let args = [
            ("imported", report.imported.to_string()),
            ("unchanged", report.unchanged.to_string()),
            ("rejected", report.rejected.len().to_string()),
        ];
        page.summary = lang.text("import-done", &args);
    }
    render(status, &page)
}
