//! Attachments in the staff application: reading multipart forms, the
//! "Lampiran" form of the complaint page, and serving files.
//!
//! Files are served only through these routes, after the service has
//! applied the complaint's access rules. Responses carry their own strict
//! Content-Security-Policy and `nosniff`, so a file can never run as a page.

use super::complaints::error_page;
use super::{CsrfToken, csrf_valid, current_user, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tanggap_core::ComplaintId;
use tanggap_core::attachment::{MAX_FILE_BYTES, MAX_FILES_PER_COMPLAINT};
use tanggap_core::lifecycle::Action;
use tanggap_service::attachments::{AttachmentView, Upload, Variant};
use tanggap_service::complaints::ComplaintView;

/// Largest multipart request: every file at its maximum size, plus 1 MiB
/// for the form's text fields.
pub(crate) const UPLOAD_BODY_LIMIT: usize = MAX_FILES_PER_COMPLAINT * MAX_FILE_BYTES + 1024 * 1024;

/// Policy of served files: no script, no style, no embedding, and a sandbox
/// in case a browser renders one as a document.
const FILE_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox";

/// Name of the file input on both forms.
pub(crate) const FILE_FIELD: &str = "lampiran";

/// A submitted form: its text fields in order and its files.
pub(crate) struct FormData {
    pub pairs: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
}

/// Reads a form sent as `multipart/form-data` or as
/// `application/x-www-form-urlencoded` (which carries no files).
///
/// A file larger than [`MAX_FILE_BYTES`] is kept at its first
/// `MAX_FILE_BYTES + 1` bytes and the rest is read and dropped, so the
/// service rejects it by size and the user sees the form again.
pub(crate) async fn read_form(state: &AppState, request: Request) -> Result<FormData, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        return Ok(FormData {
            pairs: super::form_pairs(&body),
            uploads: Vec::new(),
        });
    }

    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut data = FormData {
        pairs: Vec::new(),
        uploads: Vec::new(),
    };
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let mut content = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    let room = (MAX_FILE_BYTES + 1).saturating_sub(content.len());
                    content.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                // An empty file input sends a part with no name and no content.
                if name == FILE_FIELD && !(file_name.is_empty() && content.is_empty()) {
                    data.uploads.push(Upload { file_name, content });
                }
            }
            None => {
                let value = field.text().await.map_err(malformed)?;
                data.pairs.push((name, value));
            }
        }
    }
    Ok(data)
}

/// An attachment as the complaint page lists it.
pub(crate) struct AttachmentItem {
    pub file_name: String,
    /// URL of the file as the viewer may see it: the re-encoded copy of an
    /// image, the file itself otherwise.
    pub href: String,
    pub is_image: bool,
    /// URL of the original with its metadata, for the central admin.
    pub original_href: Option<String>,
    /// Media type and size, e.g. `application/pdf · 120 KiB`.
    pub description: String,
}

/// The attachments section of the complaint page.
pub(crate) struct AttachmentSection {
    pub items: Vec<AttachmentItem>,
    /// The viewer may upload files now.
    pub can_upload: bool,
    /// The help text of the upload form: kinds and limits.
    pub help: String,
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// Builds the attachments section for a complaint the viewer can see.
pub(crate) fn section(
    lang: Lang,
    view: &ComplaintView,
    attachments: Vec<AttachmentView>,
) -> AttachmentSection {
    let id = view.complaint.id.0;
    let items = attachments
        .into_iter()
        .map(|v| {
            let a = v.attachment;
            let media_type = a.meta.media_type.split(';').next().unwrap_or_default();
            AttachmentItem {
                href: format!("/pengaduan/{id}/lampiran/{}", a.id),
                original_href: (v.is_image && v.original_available)
                    .then(|| format!("/pengaduan/{id}/lampiran/{}/asli", a.id)),
                description: format!("{media_type} · {}", size_text(a.meta.size_bytes)),
                is_image: v.is_image,
                file_name: a.meta.file_name,
            }
        })
        .collect();
    AttachmentSection {
        items,
        can_upload: view.allowed_actions.contains(&Action::Attach),
        help: upload_help(lang),
    }
}

/// Returns the help text of a file input: accepted kinds and limits.
pub(crate) fn upload_help(lang: Lang) -> String {
    lang.text(
        "attachment-help",
        &[
            ("total", MAX_FILES_PER_COMPLAINT.to_string()),
            ("limit", (MAX_FILE_BYTES / (1024 * 1024)).to_string()),
        ],
    )
}

/// Receives the "Lampiran" form of the complaint page.
pub(crate) async fn upload(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/pengaduan/{id}")).into_response();
    };
    let form = match read_form(&state, request).await {
        Ok(form) => form,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e),
    };
    if !csrf_valid(&headers, &form.pairs) {
        let errors = vec![lang.text("error-csrf", &[])];
        return super::complaints::detail_with_errors(
            &state,
            lang,
            user,
            csrf,
            id,
            StatusCode::FORBIDDEN,
            errors,
        )
        .await;
    }
    let result = async {
        if form.uploads.is_empty() {
            return Err(tanggap_service::ServiceError::field(FILE_FIELD, "required").into());
        }
        let checked = state.services.check_uploads(form.uploads).await?;
        state
            .services
            .attach(&user, ComplaintId(id), checked, false)
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/pengaduan/{id}?ok=attach")).into_response(),
        Err(e @ ApiError::Service(tanggap_service::ServiceError::NotFound { .. })) => {
            error_page(&state, lang, Some(user), csrf, e)
        }
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            super::complaints::detail_with_errors(&state, lang, user, csrf, id, status, errors)
                .await
        }
    }
}

async fn serve(
    state: AppState,
    headers: HeaderMap,
    id: i64,
    attachment_id: i64,
    variant: Variant,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let file = match state
        .services
        .attachment_content(&user, ComplaintId(id), attachment_id, variant)
        .await
    {
        Ok(file) => file,
        Err(tanggap_service::ServiceError::NotFound { .. }) => {
            return StatusCode::NOT_FOUND.into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, complaint_id = id, attachment_id, "serving an attachment failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };

    file_response(&file.file_name, file.media_type, file.inline, file.content)
}

/// Builds the response that sends a stored file: inline or as a download,
/// under the restrictive file policy and without caching.
pub(crate) fn file_response(
    file_name: &str,
    media_type: String,
    inline: bool,
    content: Vec<u8>,
) -> Response {
    let disposition_type = if inline { "inline" } else { "attachment" };
    // RFC 6266: an ASCII fallback name and the exact name in UTF-8.
    let ascii_name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded_name: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
    let disposition = format!(
        "{disposition_type}; filename=\"{ascii_name}\"; filename*=UTF-8''{}",
        encoded_name.replace('+', "%20")
    );

    let mut response = content.into_response();
    let response_headers = response.headers_mut();
    let pairs = [
        (header::CONTENT_TYPE, media_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_SECURITY_POLICY, FILE_POLICY.to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    for (name, value) in pairs {
        match HeaderValue::from_str(&value) {
            Ok(value) => {
                response_headers.insert(name, value);
            }
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Serves an attachment as the viewer may see it.
pub(crate) async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> Response {
    serve(state, headers, id, attachment_id, Variant::Shown).await
}

/// Serves the original of an image, with its metadata; central admin only.
pub(crate) async fn download_original(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> Response {
    serve(state, headers, id, attachment_id, Variant::Original).await
}
