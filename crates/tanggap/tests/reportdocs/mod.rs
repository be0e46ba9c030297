//! The quarterly report as documents: the PDF text checked with poppler's
//! `pdftotext` against figures worked out by hand for the report fixture,
//! the XLSX read back with calamine, and the command line's formats.

mod workflow;

use crate::REFERENCE;
use crate::report::build;
use calamine::{Reader, Xlsx};
use jiff::civil::date;
use std::process::Command;
use tanggap_core::Role;
use tanggap_service::report::Period;
use tanggap_service::report_versions::{Narrative, Signer, Signers};
use tanggap_service::{Principal, ServiceConfig, Services};
use tanggap_store::testing::TestDatabase;
use tanggap_web::i18n::Lang;
use tanggap_web::report_document::{DocumentFormat, QuarterlyInputs, quarterly_document, render};

fn sekda() -> Principal {
    Principal {
        user_id: 0,
        username: "sekda".into(),
        display_name: "Sekda".into(),
        role: Role::CitySecretary,
        agency: None,
    }
}

/// Returns the text of a PDF through `pdftotext -layout`. Without poppler
/// the test fails when `CI=true` and is skipped with a message otherwise.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("write PDF");
    match Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => {
            assert!(output.status.success(), "pdftotext failed: {output:?}");
            Some(String::from_utf8(output.stdout).expect("UTF-8 text"))
        }
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pdftotext (poppler-utils) is missing: {error}"
            );
            eprintln!("pdftotext is missing ({error}); install poppler-utils to check PDF text");
            None
        }
    }
}

/// Finds the line that starts with `label` and returns its other words.
fn row<'t>(text: &'t str, label: &str) -> Vec<&'t str> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line starts with {label:?} in:\n{text}"));
    line[label.len()..].split_whitespace().collect()
}

#[tokio::test]
async fn pdf_and_xlsx_show_fixture_figures() {
    let db = TestDatabase::create("sqlite").await.expect("test database");
    let store = db.store().await.expect("store");
    let services = Services::new(store, ServiceConfig::default())
        .await
        .expect("services");
    services.seed_reference(REFERENCE).await.expect("seed");
    let f = build(services).await;
    let report = f
        .services
        .quarterly_report(&sekda(), 2025, 4)
        .await
        .expect("report");
    let period = Period::quarter(2025, 4).expect("quarter");
    let overdue = f
        .services
        .overdue_at_end(&sekda(), period)
        .await
        .expect("overdue list");
    let narrative = Narrative {
        summary: "Ringkasan uji".into(),
        findings: "Temuan uji: jalan rusak di Mantuil".into(),
        recommendations: String::new(),
        follow_up: "Rencana uji".into(),
    };
    let signers = Signers {
        preparer: Signer {
            name: "Penyusun Rekaan".into(),
            nip: "199001012020121001".into(),
        },
        head_of_section: Signer::default(),
        city_secretary: Signer {
            name: "Sekda Rekaan".into(),
            nip: "197001011990031001".into(),
        },
    };
    let inputs = QuarterlyInputs {
        report: &report,
        overdue: &overdue,
        narrative: &narrative,
        signers: &signers,
        version: Some(3),
        issued_on: date(2026, 1, 7),
    };
    let document = quarterly_document(&f.services, Lang::Id, &inputs);

    let pdf = render(&document, DocumentFormat::Pdf).expect("PDF");
    if let Some(text) = pdf_text(&pdf) {
        // Worked out by hand in the report fixture: 7 complaints arrived in
        // Q4 2025, 4 of the 5 counted were verified in time, 2 resolved.
        assert_eq!(row(&text, "Pengaduan diterima")[0], "7", "{text}");
        assert_eq!(row(&text, "Diverifikasi tepat waktu"), ["4", "5", "80.0%"]);
        assert_eq!(row(&text, "Selesai pada akhir periode")[0], "2");
        assert!(text.contains("PEMERINTAH KOTA BANJARMASIN"));
        assert!(text.contains("BAGIAN HUMAS DAN PROTOKOL"));
        assert!(text.contains("TRIWULAN IV TAHUN 2025"));
        assert!(text.contains("1 Oktober 2025 – 31 Desember 2025"));
        assert!(text.contains("Temuan uji: jalan rusak di Mantuil"));
        assert!(text.contains("(Belum diisi oleh Tim Pengaduan.)"));
        assert!(text.contains("Sekda Rekaan"));
        assert!(text.contains("197001011990031001"));
        assert!(text.contains("Kepala Bagian Humas dan Protokol"));
        assert!(text.contains("Sekretaris Daerah Kota Banjarmasin"));
        assert!(text.contains("Banjarmasin, 7 Januari 2026"));
        assert!(!overdue.is_empty(), "the fixture has overdue complaints");
        for complaint in &overdue {
            assert!(
                text.contains(&complaint.tracking_number),
                "{} is in the appendix",
                complaint.tracking_number
            );
        }
    }

    let xlsx = render(&document, DocumentFormat::Xlsx).expect("XLSX");
    let mut workbook = Xlsx::new(std::io::Cursor::new(xlsx)).expect("XLSX opens");
    let sheet = workbook
        .worksheet_range("Ketepatan waktu")
        .expect("timeliness sheet");
    let cell = |row: u32, column: u32| {
        sheet
            .get_value((row, column))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert_eq!(cell(3, 0), "Diverifikasi tepat waktu");
    assert_eq!(cell(3, 1), "4");
    assert_eq!(cell(3, 2), "5");

    let docx = render(&document, DocumentFormat::Docx).expect("DOCX");
    assert!(docx.starts_with(b"PK"), "a DOCX file is a zip archive");

    let english = quarterly_document(&f.services, Lang::En, &inputs);
    let pdf = render(&english, DocumentFormat::Pdf).expect("English PDF");
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("CITY GOVERNMENT OF BANJARMASIN"));
        assert_eq!(row(&text, "Complaints received")[0], "7");
    }

    f.services.close().await;
    db.cleanup().await;
}

#[test]
fn report_command_writes_documents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("report.db").display());
    let status = crate::process::tanggap(&url, &["seed"])
        .status()
        .expect("seed runs");
    assert!(status.success());
    let out = dir.path().join("laporan");
    let out_arg = out.display().to_string();
    let args = [
        "report",
        "quarterly",
        "--year",
        "2025",
        "--quarter",
        "4",
        "--format",
        "pdf,docx,xlsx,csv,json",
        "--out",
        &out_arg,
    ];
    let output = crate::process::tanggap(&url, &args)
        .output()
        .expect("report runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for extension in ["pdf", "docx", "xlsx", "csv", "json"] {
        let path = out.join(format!("laporan-triwulan-2025-q4.{extension}"));
        assert!(path.exists(), "{} is written", path.display());
        assert!(stdout.contains(&path.display().to_string()), "{stdout}");
    }
    let pdf = std::fs::read(out.join("laporan-triwulan-2025-q4.pdf")).expect("PDF file");
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("TRIWULAN IV TAHUN 2025"));
        assert!(text.contains("Draf"));
    }
}
