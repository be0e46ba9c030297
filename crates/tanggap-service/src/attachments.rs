//! Attachments: checking uploads, storing files, and serving them under the
//! complaint's access rules.
//!
//! Access rules, on top of those of the complaint (a caller who may not see
//! the complaint gets "not found" for its files):
//! - the original of an image, with its metadata (GPS position, camera),
//!   goes to the central admin only; everyone else gets a copy that was
//!   decoded and re-encoded, which carries no metadata;
//! - on an anonymous or confidential complaint, the files that came from the
//!   reporter follow the identity rule: images are shown to others only as
//!   the re-encoded copy, and PDF and text files, which cannot be cleaned
//!   and often carry the reporter's name (a scanned letter), are listed and
//!   served to the central admin only.
//!
//! Files are stored under the configured upload directory, outside the web
//! root, named by the SHA-256 of the original: `original/<sha256>` and, for
//! images, `sanitised/<sha256>`.

use crate::error::ServiceError;
use crate::{Principal, Services, now, sha256_hex};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use tanggap_core::attachment::{
    Attachment, FileKind, MAX_FILE_BYTES, MAX_FILES_PER_COMPLAINT, detect_kind, sanitise_file_name,
};
use tanggap_core::lifecycle::{self, Actor, Command};
use tanggap_core::validate::FieldError;
use tanggap_core::{Complaint, ComplaintId, Role};
use tanggap_store::{AttachmentInsert, AuditDraft, NewAttachment, micros};

/// Largest image accepted for re-encoding, in pixels per side.
const IMAGE_SIDE_MAX: u32 = 12_000;
/// Memory the image decoder may allocate for one image, in bytes.
const IMAGE_ALLOC_MAX: u64 = 512 * 1024 * 1024;
/// Quality of re-encoded JPEG copies (1 to 100).
const JPEG_QUALITY: u8 = 85;

/// A file as the user sent it.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The name the browser sent; only shown, never used as a path.
    pub file_name: String,
    pub content: Vec<u8>,
}

/// An upload that passed the checks, ready to store.
#[derive(Clone, Debug)]
pub struct CheckedUpload {
    kind: FileKind,
    file_name: String,
    content: Vec<u8>,
    sha256: String,
    /// The re-encoded copy of an image.
    sanitised: Option<Vec<u8>>,
}

impl CheckedUpload {
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn media_type(&self) -> &'static str {
        self.kind.media_type()
    }

    pub(crate) fn is_image(&self) -> bool {
        self.kind.is_image()
    }

    pub(crate) fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Returns the re-encoded copy of an image, which carries no metadata.
    pub(crate) fn sanitised(&self) -> Option<&[u8]> {
        self.sanitised.as_deref()
    }

    pub(crate) fn content(&self) -> &[u8] {
        &self.content
    }
}

/// An attachment as the caller may see it.
#[derive(Clone, Debug)]
pub struct AttachmentView {
    pub attachment: Attachment,
    /// The file is an image, served inline as its re-encoded copy.
    pub is_image: bool,
    /// The caller may download the original with its metadata.
    pub original_available: bool,
}

/// Which stored file a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The re-encoded copy of an image, or the file itself for other kinds.
    Shown,
    /// The original of an image, with its metadata; central admin only.
    Original,
}

/// A file's content, ready to send.
#[derive(Clone, Debug)]
pub struct AttachmentContent {
    pub file_name: String,
    pub media_type: String,
    /// Send as `inline`: a re-encoded image. Everything else is a download.
    pub inline: bool,
    pub content: Vec<u8>,
}

fn upload_error(file_name: &str, code: &'static str) -> FieldError {
    FieldError::new(file_name, code)
}

/// Re-encodes an image from its pixels alone, which drops EXIF (GPS
/// position, camera), XMP and comments. The EXIF orientation is applied
/// to the pixels first, so the copy shows the right way up.
fn reencode_image(content: &[u8], kind: FileKind) -> Result<Vec<u8>, image::ImageError> {
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
    let format = match kind {
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Png => ImageFormat::Png,
        _ => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(content), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(IMAGE_SIDE_MAX);
    limits.max_image_height = Some(IMAGE_SIDE_MAX);
    limits.max_alloc = Some(IMAGE_ALLOC_MAX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut picture = DynamicImage::from_decoder(decoder)?;
    picture.apply_orientation(orientation);

    let mut output = std::io::Cursor::new(Vec::new());
    match kind {
        FileKind::Jpeg => {
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut output, JPEG_QUALITY);
            DynamicImage::ImageRgb8(picture.to_rgb8()).write_with_encoder(encoder)?;
        }
        // The WebP encoder of the `image` crate writes lossless WebP.
        _ => picture.write_to(&mut output, format)?,
    }
    Ok(output.into_inner())
}

/// Checks one upload's content and re-encodes it when it is an image.
fn check_upload(upload: Upload) -> Result<CheckedUpload, FieldError> {
    let shown_name = sanitise_file_name(&upload.file_name, FileKind::PlainText);
    if upload.content.is_empty() {
        return Err(upload_error(&shown_name, "file_empty"));
    }
    if upload.content.len() > MAX_FILE_BYTES {
        return Err(FieldError::with_limit(
            shown_name,
            "file_too_large",
            MAX_FILE_BYTES / (1024 * 1024),
        ));
    }
    let Some(kind) = detect_kind(&upload.content) else {
        return Err(upload_error(&shown_name, "file_type_not_allowed"));
    };
    let sanitised = if kind.is_image() {
        match reencode_image(&upload.content, kind) {
            Ok(copy) => Some(copy),
            Err(e) => {
                tracing::debug!(error = %e, media_type = kind.media_type(), "uploaded image could not be decoded");
                return Err(upload_error(&shown_name, "image_invalid"));
            }
        }
    } else {
        None
    };
    Ok(CheckedUpload {
        kind,
        file_name: sanitise_file_name(&upload.file_name, kind),
        sha256: sha256_hex(&upload.content),
        content: upload.content,
        sanitised,
    })
}

/// Writes `content` to `path` unless it exists: to a temporary file in the
/// same directory first, synced, then renamed, so a crash never leaves a
/// partial file under the final name.
pub(crate) fn write_file_once(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temporary = tempfile_in(dir)?;
    temporary.1.write_all(content)?;
    temporary.1.sync_all()?;
    std::fs::rename(&temporary.0, path)?;
    Ok(())
}

/// Creates a new file with a random name in `dir`.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let path = dir.join(format!(".upload-{}", hex::encode(bytes)));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

/// Tells whether a SHA-256 in hex is safe to use as a file name.
fn valid_sha256(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Services {
    pub(crate) fn stored_path(&self, folder: &str, sha256: &str) -> PathBuf {
        self.config.upload_dir.join(folder).join(sha256)
    }

    /// Checks uploads by content and size and re-encodes images, before
    /// anything is stored. Every rejected file is reported, each under its
    /// file name. The decoding runs on the blocking thread pool.
    pub async fn check_uploads(
        &self,
        uploads: Vec<Upload>,
    ) -> Result<Vec<CheckedUpload>, ServiceError> {
        if uploads.len() > MAX_FILES_PER_COMPLAINT {
            return Err(ServiceError::Validation(vec![FieldError::with_limit(
                "files",
                "too_many_files",
                MAX_FILES_PER_COMPLAINT,
            )]));
        }
        let results = tokio::task::spawn_blocking(move || {
            uploads.into_iter().map(check_upload).collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("upload check failed: {e}")))?;
        let mut checked = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(upload) => checked.push(upload),
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(checked)
        } else {
            Err(ServiceError::Validation(errors))
        }
    }

    /// Stores checked uploads and attaches them to a complaint, one history
    /// event and audit entry each. `from_reporter` marks files the reporter
    /// brought, which follow the identity rule on protected complaints.
    ///
    /// Files are written before their metadata, so a stored row always has
    /// its file. Stops at the first failure; the files attached before it
    /// stay attached.
    pub async fn attach(
        &self,
        principal: &Principal,
        id: ComplaintId,
        uploads: Vec<CheckedUpload>,
        from_reporter: bool,
    ) -> Result<Vec<Attachment>, ServiceError> {
        let complaint = self.visible_complaint(principal, id).await?;
        let actor = principal.actor();
        let row = lifecycle::transition(lifecycle::Action::Attach);
        if !row.from.contains(&complaint.status) {
            return Err(ServiceError::InvalidTransition {
                action: lifecycle::Action::Attach,
                status: complaint.status,
            });
        }
        if !row.permits(&actor, Some(&complaint)) {
            return Err(ServiceError::Forbidden);
        }
        self.store_uploads(
            &actor,
            &complaint,
            uploads,
            from_reporter,
            Some(principal.user_id),
        )
        .await
    }

    /// Stores checked uploads for `actor`, who must be allowed to attach
    /// files to `complaint`. `uploaded_by` is the staff user, `None` for
    /// the reporter.
    pub(crate) async fn store_uploads(
        &self,
        actor: &Actor,
        complaint: &Complaint,
        uploads: Vec<CheckedUpload>,
        from_reporter: bool,
        uploaded_by: Option<i64>,
    ) -> Result<Vec<Attachment>, ServiceError> {
        let id = complaint.id;
        let mut attached = Vec::new();
        for upload in uploads {
            let original = self.stored_path("original", &upload.sha256);
            let sanitised = self.stored_path("sanitised", &upload.sha256);
            let size_bytes = u64::try_from(upload.content.len()).unwrap_or(u64::MAX);
            let has_sanitised_copy = upload.sanitised.is_some();
            let content = upload.content;
            let copy = upload.sanitised;
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                write_file_once(&original, &content)?;
                if let Some(copy) = copy {
                    write_file_once(&sanitised, &copy)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("storing an upload failed: {e}")))?
            .map_err(|e| {
                ServiceError::Internal(format!(
                    "writing an upload under {} failed (check that upload_dir is writable): {e}",
                    self.config.upload_dir.display()
                ))
            })?;

            let at = now();
            let new = NewAttachment {
                complaint_id: id,
                file_name: upload.file_name.clone(),
                media_type: upload.kind.media_type().to_owned(),
                size_bytes,
                sha256: upload.sha256.clone(),
                has_sanitised_copy,
                from_reporter,
                uploaded_by,
                uploaded_at_micros: micros(at),
            };
            // The event is built (and the command validated) before the
            // store assigns the attachment id, which is then filled in.
            let command = Command::Attach {
                attachment_id: 0,
                file_name: new.file_name.clone(),
                media_type: new.media_type.clone(),
                size_bytes,
            };
            let (_, event) =
                self.with_context(|ctx| lifecycle::apply(complaint, command, actor, at, ctx))?;
            let make_event = |attachment_id: i64| {
                let mut event = event.clone();
                event.data["attachment_id"] = json!(attachment_id);
                event
            };
            let audit = AuditDraft {
                at_micros: micros(at),
                actor: actor.audit_id(),
                action: "complaint.attach".into(),
                entity: String::new(),
                // No file name: it may contain personal data.
                details: json!({
                    "complaint": id.0,
                    "media_type": new.media_type,
                    "size_bytes": new.size_bytes,
                    "sha256": new.sha256,
                }),
            };
            match self
                .store
                .insert_attachment(
                    &new,
                    i64::try_from(MAX_FILES_PER_COMPLAINT).unwrap_or(i64::MAX),
                    &make_event,
                    audit,
                )
                .await?
            {
                AttachmentInsert::Inserted(attachment) => {
                    tracing::debug!(
                        complaint_id = id.0,
                        attachment_id = attachment.id,
                        media_type = %attachment.meta.media_type,
                        "attachment stored"
                    );
                    attached.push(attachment);
                }
                AttachmentInsert::LimitReached => {
                    return Err(ServiceError::Validation(vec![FieldError::with_limit(
                        "files",
                        "too_many_files",
                        MAX_FILES_PER_COMPLAINT,
                    )]));
                }
            }
        }
        Ok(attached)
    }

    /// Lists the attachments of a complaint that the caller may see.
    pub async fn attachments(
        &self,
        principal: &Principal,
        id: ComplaintId,
    ) -> Result<Vec<AttachmentView>, ServiceError> {
        let complaint = self.visible_complaint(principal, id).await?;
        let central = principal.role == Role::CentralAdmin;
        let protected = complaint.identity_protected();
        Ok(self
            .store
            .list_attachments(id)
            .await?
            .into_iter()
            .filter(|a| central || !(protected && a.from_reporter && !a.has_sanitised_copy))
            .map(|attachment| AttachmentView {
                is_image: attachment.has_sanitised_copy,
                original_available: central,
                attachment,
            })
            .collect())
    }

    /// Reads a stored file for the caller. Anything the caller may not
    /// have is reported as not found, like a complaint outside their scope.
    pub async fn attachment_content(
        &self,
        principal: &Principal,
        complaint_id: ComplaintId,
        attachment_id: i64,
        variant: Variant,
    ) -> Result<AttachmentContent, ServiceError> {
        let not_found = || ServiceError::NotFound {
            entity: "attachment",
        };
        let view = self
            .attachments(principal, complaint_id)
            .await?
            .into_iter()
            .find(|v| v.attachment.id == attachment_id)
            .ok_or_else(not_found)?;
        let attachment = view.attachment;
        // The retention job empties the hash when it removes the file.
        if attachment.meta.sha256.is_empty() {
            return Err(not_found());
        }
        if !valid_sha256(&attachment.meta.sha256) {
            return Err(ServiceError::Internal(format!(
                "attachment {attachment_id} has an invalid sha256"
            )));
        }
        let (folder, inline) = match (variant, attachment.has_sanitised_copy) {
            (Variant::Shown, true) => ("sanitised", true),
            (Variant::Shown, false) => ("original", false),
            (Variant::Original, _) if view.original_available => ("original", false),
            (Variant::Original, _) => return Err(not_found()),
        };
        let path = self.stored_path(folder, &attachment.meta.sha256);
        let content = tokio::fs::read(&path).await.map_err(|e| {
            ServiceError::Internal(format!(
                "cannot read attachment {attachment_id} at {}: {e}",
                path.display()
            ))
        })?;
        Ok(AttachmentContent {
            file_name: attachment.meta.file_name,
            media_type: attachment.meta.media_type,
            inline,
            content,
        })
    }
}
