//! Files attached to a complaint: the accepted kinds, detection of the kind
//! from the content, and the limits.
//!
//! The kind of a file is decided from its first bytes, never from its name
//! or from the media type the browser sent, so a renamed executable is
//! rejected and a PDF named `foto.jpg` is stored as a PDF.

use crate::complaint::{AttachmentMeta, ComplaintId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Maximum number of files attached to one complaint.
pub const MAX_FILES_PER_COMPLAINT: usize = 10;

/// Maximum size of one file, in bytes (10 MiB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Maximum length of a stored file name, in characters.
pub const FILE_NAME_MAX: usize = 120;

/// The kinds of file an upload may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileKind {
    Jpeg,
    Png,
    WebP,
    Pdf,
    /// UTF-8 text without control characters other than tab, line feed,
    /// carriage return and form feed.
    PlainText,
}

impl FileKind {
    /// Returns the media type stored and sent in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::WebP => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::PlainText => "text/plain; charset=utf-8",
        }
    }

    /// Parses a stored media type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        [
            FileKind::Jpeg,
            FileKind::Png,
            FileKind::WebP,
            FileKind::Pdf,
            FileKind::PlainText,
        ]
        .into_iter()
        .find(|kind| kind.media_type() == media_type)
    }

    /// Tells whether the file is a photo, which is re-encoded without its
    /// metadata before anyone but the central admin sees it.
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png | FileKind::WebP)
    }

    /// Returns the usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::WebP => "webp",
            FileKind::Pdf => "pdf",
            FileKind::PlainText => "txt",
        }
    }
}

/// Detects the kind of a file from its content, or returns `None` for a
/// kind that uploads do not accept.
pub fn detect_kind(content: &[u8]) -> Option<FileKind> {
    if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if content.len() >= 12 && &content[..4] == b"RIFF" && &content[8..12] == b"WEBP" {
        Some(FileKind::WebP)
    } else if content.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if is_plain_text(content) {
        Some(FileKind::PlainText)
    } else {
        None
    }
}

fn is_plain_text(content: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content) else {
        return false;
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
}

/// Makes an uploaded file name safe to store and to show: the last path
/// component only, without control characters and quotes, at most
/// [`FILE_NAME_MAX`] characters. An empty result becomes `lampiran.<ext>`.
pub fn sanitise_file_name(name: &str, kind: FileKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return format!("lampiran.{}", kind.extension());
    }
    trimmed.chars().take(FILE_NAME_MAX).collect()
}

/// A stored attachment: metadata in the database, content in file storage
/// under its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub meta: AttachmentMeta,
    /// A re-encoded copy without metadata exists; true for every image.
    pub has_sanitised_copy: bool,
    /// The file came from the reporter (it was uploaded with the recording
    /// form) rather than from staff handling the complaint.
    pub from_reporter: bool,
    /// User id of the uploader.
    pub uploaded_by: Option<i64>,
    pub uploaded_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kind_by_content() {
        assert_eq!(detect_kind(b"\xFF\xD8\xFF\xE0rest"), Some(FileKind::Jpeg));
        assert_eq!(detect_kind(b"\x89PNG\r\n\x1a\n\0\0"), Some(FileKind::Png));
        assert_eq!(detect_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileKind::WebP));
        assert_eq!(detect_kind(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            detect_kind("Jalan rusak di Jl. A. Yani\n".as_bytes()),
            Some(FileKind::PlainText)
        );
    }

    #[test]
    fn rejects_other_content() {
        assert_eq!(detect_kind(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(detect_kind(b"GIF89a\x01\x00\x01\x00\x80\x00\x00"), None);
        assert_eq!(detect_kind(b"text with \0 nul"), None);
        assert_eq!(detect_kind(b"\xC3\x28 invalid utf-8"), None);
        assert_eq!(detect_kind(b""), None);
    }

    #[test]
    fn media_type_round_trips() {
        for kind in [
            FileKind::Jpeg,
            FileKind::Png,
            FileKind::WebP,
            FileKind::Pdf,
            FileKind::PlainText,
        ] {
            assert_eq!(FileKind::from_media_type(kind.media_type()), Some(kind));
        }
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(
            sanitise_file_name("C:\\Users\\x\\foto jalan.jpg", FileKind::Jpeg),
            "foto jalan.jpg"
        );
        assert_eq!(
            sanitise_file_name("../../etc/passwd", FileKind::PlainText),
            "passwd"
        );
        assert_eq!(
            sanitise_file_name("\"<script>\".png", FileKind::Png),
            "script.png"
        );
        assert_eq!(sanitise_file_name("..", FileKind::Pdf), "lampiran.pdf");
        assert_eq!(
            sanitise_file_name(&"a".repeat(300), FileKind::Pdf)
                .chars()
                .count(),
            FILE_NAME_MAX
        );
    }
}
