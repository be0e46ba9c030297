//! `tanggap report`: the quarterly report's figures as open-data files.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use tanggap_core::Role;
use tanggap_service::{Principal, Services};

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Writes a quarter's figures, with the previous quarter and the same
    /// quarter a year earlier, as CSV and JSON files without personal data.
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
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
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

/// Computes the report and writes one file per requested format to `out`.
pub async fn run(services: &Services, command: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Quarterly {
        year,
        quarter,
        format,
        out,
    } = command;
    let report = services
        .quarterly_report(&operator(), year, quarter)
        .await
        .with_context(|| format!("cannot compute the report for {year} Q{quarter}"))?;
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the directory {}", out.display()))?;
    let stem = format!("laporan-triwulan-{year}-q{quarter}");
    for format in format {
        let (extension, content) = match format {
            Format::Csv => ("csv", report.to_csv()?),
            Format::Json => ("json", serde_json::to_string_pretty(&report)?),
        };
        let path = out.join(format!("{stem}.{extension}"));
        write(&path, &content)?;
        println!("Wrote {}.", path.display());
    }
    Ok(())
}

fn write(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}
