//! The SOP documents as PDF, read back with poppler's `pdftotext`.

use crate::App;
use reqwest::{Client, StatusCode};
use std::process::Command;
use tanggap_store::testing::backends;

/// Returns the text of a PDF in content order (`pdftotext -raw`) with
/// every run of whitespace turned into one space, so that text wrapped in
/// a narrow table cell reads as one phrase. Without poppler the test
/// fails when `CI=true` and is skipped with a message otherwise.
pub(crate) fn pdf_words(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write PDF");
    match Command::new("pdftotext")
        .arg("-raw")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => {
            assert!(output.status.success(), "pdftotext failed: {output:?}");
            let text = String::from_utf8(output.stdout).expect("UTF-8 text");
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
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

/// The SOP 05 PDF against the regulation's table: the identity part, four
/// performer columns, six activities in order with 1 day each, and 6 days
/// in total.
#[tokio::test]
async fn sop05_pdf_matches_regulation() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = Client::new();
        let page = client
            .get(format!("{}/sop/05-humpro", app.base))
            .send()
            .await
            .expect("page request")
            .text()
            .await
            .expect("page body");
        assert!(
            page.contains("href=\"/sop/05-humpro/pdf?versi=1\""),
            "{kind}: the page links its PDF"
        );

        let response = client
            .get(format!("{}/sop/05-humpro/pdf", app.base))
            .header("accept-language", "id")
            .send()
            .await
            .expect("PDF request");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        assert_eq!(
            response.headers()["content-type"],
            "application/pdf",
            "{kind}"
        );
        let pdf = response.bytes().await.expect("PDF body");
        assert!(pdf.starts_with(b"%PDF-"), "{kind}");
        let Some(text) = pdf_words(&pdf) else {
            app.stop().await;
            return;
        };

        // Identity part.
        for expected in [
            "PEMERINTAH KOTA BANJARMASIN",
            "Nomor SOP 05/humpro",
            "Tanggal Pembuatan 07 Oktober 2019",
            "Drs. H. Hamli Kursani, M. Si",
            "NIP. 19601217 198503 1 007",
            "Pemantauan dan Evaluasi Pengaduan Masyarakat",
            "Dasar Hukum",
            "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik;",
            "Pencatatan dan Pendataan",
        ] {
            assert!(text.contains(expected), "{kind}: {expected:?} in {text}");
        }

        // Flowchart part: performer columns, then the six rows in order.
        let (_, flow) = text
            .split_once("Mutu Baku")
            .expect("the flowchart table's header");
        for performer in [
            "Tim Pengaduan",
            "Pimpinan SKPD/Instansi",
            "Sekda",
            "Komunitas dan Masyarakat Sipil",
        ] {
            assert!(flow.contains(performer), "{kind}: {performer} in {flow}");
        }
        let descriptions = [
            "Persiapan pelaksanaan pemantauan oleh Tim Pengelola Pengaduan",
            "Kunjungan ke lokasi aduan dan SKPD/Instansi terlapor",
            "Rapat koordinasi dengan SKPD/Instansi terlapor",
            "Analisa laporan hasil rapat dan pemantauan",
            "Rapat koordinasi bersama Komunitas LAPOR Baiman dan masyarakat sipil",
            "Mengarsipkan Laporan periodik",
        ];
        let mut rest = flow;
        for (i, description) in descriptions.iter().enumerate() {
            let at = rest
                .find(description)
                .unwrap_or_else(|| panic!("{kind}: row {} {description:?} in {rest}", i + 1));
            rest = &rest[at + description.len()..];
        }
        assert_eq!(flow.matches("1 hari").count(), 6, "{kind}: 1 day per row");
        assert!(
            flow.contains("TOTAL WAKTU 6 hari"),
            "{kind}: total of 6 working days in {flow}"
        );

        // An unknown version is not found, like the page.
        let missing = client
            .get(format!("{}/sop/05-humpro/pdf?versi=9", app.base))
            .send()
            .await
            .expect("PDF request");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{kind}");
        app.stop().await;
    }
}

/// SOP 01's flowchart table runs over several pages: every flow line that
/// crosses a page break ends in an off-page connector on one page and
/// starts from one with the same letter on the next.
#[tokio::test]
async fn sop_pdf_connects_page_breaks() {
    // The document does not depend on the database, so SQLite suffices.
    let app = App::spawn("sqlite").await;
    let response = Client::new()
        .get(format!("{}/sop/01-humpro/pdf", app.base))
        .send()
        .await
        .expect("PDF request");
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.expect("PDF body");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sop.pdf");
    std::fs::write(&path, &pdf).expect("write PDF");
    let output = match Command::new("pdftotext")
        .arg("-raw")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pdftotext (poppler-utils) is missing: {error}"
            );
            eprintln!("pdftotext is missing ({error}); install poppler-utils to check PDF text");
            app.stop().await;
            return;
        }
    };
    let text = String::from_utf8(output.stdout).expect("UTF-8 text");

    // A connector label is a line of one capital letter; the jump
    // connectors inside the chart read like "Y:7".
    let mut pages_of: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (page, content) in text.split('\u{c}').enumerate() {
        for line in content.lines() {
            let line = line.trim();
            if line.len() == 1 && line.chars().all(|c| c.is_ascii_uppercase()) {
                pages_of.entry(line.to_owned()).or_default().push(page);
            }
        }
    }
    assert!(pages_of.contains_key("A"), "connectors: {pages_of:?}");
    for (label, pages) in &pages_of {
        assert_eq!(pages.len(), 2, "connector {label} on pages {pages:?}");
        assert_eq!(
            pages[1],
            pages[0] + 1,
            "connector {label} on pages {pages:?}"
        );
    }
    app.stop().await;
}
