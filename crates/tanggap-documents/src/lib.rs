//! Documents of Tanggap: PDF rendered by typst embedded as a library, XLSX
//! workbooks with native charts, and DOCX files for editing.
//!
//! This crate holds the heavy document dependencies so that everyday
//! builds of the other crates do not recompile them. It knows nothing of
//! the store or the services: callers pass the figures as JSON data.
//!
//! - [`render_pdf`] and [`render_pdf_bundle`] are the shared PDF renderer
//!   for every document (quarterly report, SOP documents, monitoring and
//!   evaluation bundles).
//! - [`quarterly`] holds the quarterly complaint report's template and its
//!   XLSX and DOCX writers.

pub mod docx;
pub mod model;
pub mod pdf;
pub mod xlsx;

pub use docx::render_docx;
pub use model::Document;
pub use pdf::{
    DATA_FILE, PdfFile, PdfPart, render_pdf, render_pdf_bundle, render_pdf_bundle_with_files,
};
pub use xlsx::render_xlsx;

/// The typst template of an official report of the Bagian Humas dan
/// Protokol: letterhead, cover, numbered sections and signature blocks. It
/// reads a [`Document`] from its data file.
pub const REPORT_TEMPLATE: &str = include_str!("../templates/report.typ");

/// The typst template of an SOP document in the layout of PermenPANRB
/// 35/2012: the identity part, then the flowchart table whose performer
/// columns carry the chart as drawing marks. Its data is built by the web
/// crate from an SOP definition.
pub const SOP_TEMPLATE: &str = include_str!("../templates/sop.typ");

/// The typst template of one part of a monitoring and evaluation archive
/// bundle: the index page or one task's document, chosen by the `kind`
/// of its data. The web crate joins the parts with [`render_pdf_bundle`].
pub const MONEV_TEMPLATE: &str = include_str!("../templates/monev.typ");

/// Renders a [`Document`] with [`REPORT_TEMPLATE`] to PDF.
pub fn render_report_pdf(document: &Document) -> Result<Vec<u8>, RenderError> {
    render_pdf(REPORT_TEMPLATE, &serde_json::to_value(document)?)
}

use sha2::{Digest, Sha256};

/// A document that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The typst compiler or PDF exporter reported errors in the template
    /// or its data.
    #[error("typst failed: {0}")]
    Typst(String),
    /// The data could not be serialised or has the wrong shape.
    #[error("invalid document data: {0}")]
    Data(#[from] serde_json::Error),
    /// The XLSX writer failed.
    #[error("XLSX writing failed: {0}")]
    Xlsx(String),
    /// The DOCX writer failed.
    #[error("DOCX writing failed: {0}")]
    Docx(String),
    /// A bundle needs at least one part.
    #[error("a PDF bundle needs at least one part")]
    EmptyBundle,
}

/// Returns the lowercase hexadecimal SHA-256 of `bytes`, the form in which
/// approvals record the exact document they approve.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
