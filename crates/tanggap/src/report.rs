//! `tanggap report`: the quarterly report as documents (PDF, DOCX, XLSX)
//! and as open-data files (CSV, JSON).

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use tanggap_core::Role;
use tanggap_service::report::Period;
use tanggap_service::report_versions::{Narrative, Signers};
use tanggap_service::{Principal, Services};
use tanggap_web::i18n::Lang;
use tanggap_web::report_document::{DocumentFormat, QuarterlyInputs, quarterly_document, render};

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Writes a quarter's report: PDF, DOCX and XLSX documents, and the
    /// figures with the previous quarter and the same quarter a year earlier
    /// as CSV and JSON files without personal data.
    Quarterly {
        /// Calendar year, e.g. 2026.
        #[arg(long)]
        year: i16,
        /// Quarter from 1 (January to March) to 4 (October to December).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=4))]
        quarter: u8,
        /// Formats to write, separated by commas.
        #[arg(long, value_delimiter = ',', default_value = "csv,json")]
        format: Vec<Format>,
        /// Directory for the files, created when missing.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Language of the documents.
        #[arg(long, value_enum, default_value = "id")]
        lang: DocumentLang,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Pdf,
    Docx,
    Xlsx,
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocumentLang {
    Id,
    En,
}

/// Returns the principal of the operator at the command line, who may read
/// every complaint, like the central admin.
fn operator() -> Principal {
    Principal {
        user_id: 0,
        username: "cli".into(),
        display_name: "command line".into(),
        role: Role::CentralAdmin,
        agency: None,
    }
}

/// Computes the report and writes one file per requested format to `out`,
/// with a progress bar over the steps.
pub async fn run(services: &Services, command: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Quarterly {
        year,
        quarter,
        format,
        out,
        lang,
    } = command;
    let lang = match lang {
        DocumentLang::Id => Lang::Id,
        DocumentLang::En => Lang::En,
    };
    let wants_document = format
        .iter()
        .any(|f| matches!(f, Format::Pdf | Format::Docx | Format::Xlsx));
    let bar = indicatif::ProgressBar::new(format.len() as u64 + 1 + u64::from(wants_document));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    bar.set_message("computing the figures");
    let report = services
        .quarterly_report(&operator(), year, quarter)
        .await
        .with_context(|| format!("cannot compute the report for {year} Q{quarter}"))?;
    bar.inc(1);
    let document = if wants_document {
        bar.set_message("listing the overdue complaints");
        let period = Period::quarter(year, quarter)?;
        let overdue = services
            .overdue_at_end(&operator(), period)
            .await
            .with_context(|| format!("cannot list the overdue complaints of {year} Q{quarter}"))?;
        bar.inc(1);
        let issued_on = services.calendar().local_date(jiff::Timestamp::now());
        let inputs = QuarterlyInputs {
            report: &report,
            overdue: &overdue,
            narrative: &Narrative::default(),
            signers: &Signers::default(),
            version: None,
            issued_on,
        };
        Some(quarterly_document(services, lang, &inputs))
    } else {
        None
    };

    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the directory {}", out.display()))?;
    let stem = format!("laporan-triwulan-{year}-q{quarter}");
    for format in format {
        let extension = format!("{format:?}").to_lowercase();
        bar.set_message(format!("writing {extension}"));
        let content = match (format, &document) {
            (Format::Csv, _) => report.to_csv()?.into_bytes(),
            (Format::Json, _) => serde_json::to_vec_pretty(&report)?,
            (Format::Pdf, Some(document)) => render(document, DocumentFormat::Pdf)?,
            (Format::Docx, Some(document)) => render(document, DocumentFormat::Docx)?,
            (Format::Xlsx, Some(document)) => render(document, DocumentFormat::Xlsx)?,
            (_, None) => anyhow::bail!("no document was built for {extension}"),
        };
        let path = out.join(format!("{stem}.{extension}"));
        write(&path, &content)?;
        bar.suspend(|| println!("Wrote {}.", path.display()));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

fn write(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}
