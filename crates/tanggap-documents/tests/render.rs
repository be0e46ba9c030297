//! Renders a sample document in every format and reads the files back:
//! the PDF with poppler's `pdftotext`, the XLSX with calamine and the DOCX
//! by unpacking its XML parts.

use calamine::{Reader, Xlsx};
use std::io::Read;
use std::process::Command;
use tanggap_documents::model::{
    Block, Cell, Chart, Cover, Document, LabelValue, Labels, Letterhead, Section, Series,
    Signatory, Signatures, Table,
};
use tanggap_documents::{PdfPart, render_docx, render_pdf_bundle, render_report_pdf, render_xlsx};

/// A narrative that would run typst code if the template pasted it as markup.
const INJECTION: &str = "#panic(\"injected\") *bold* $x^2$ <label> [link]";

fn sample() -> Document {
    Document {
        lang: "id".into(),
        letterhead: Letterhead {
            lines: vec![
                "PEMERINTAH KOTA CONTOH".into(),
                "SEKRETARIAT DAERAH".into(),
                "BAGIAN HUMAS DAN PROTOKOL".into(),
            ],
            address: "Jalan Contoh No. 1".into(),
        },
        cover: Cover {
            title: "LAPORAN PENGADUAN".into(),
            subtitle: "TRIWULAN III TAHUN 2026".into(),
            period: "Periode 1 Juli – 30 September 2026".into(),
            meta: vec![LabelValue {
                label: "Versi dokumen".into(),
                value: "2".into(),
            }],
            issuer: vec!["Bagian Humas dan Protokol".into()],
        },
        header: "Laporan Triwulan III".into(),
        version: "Versi 2".into(),
        footer: "Bagian Humas".into(),
        labels: Labels {
            page: "Halaman".into(),
            of: "dari".into(),
            no_data: "Tidak ada data.".into(),
            nip: "NIP.".into(),
        },
        sections: vec![Section {
            heading: "RINGKASAN".into(),
            blocks: vec![
                Block::Paragraph {
                    text: "Pengaduan diterima pada triwulan ini.".into(),
                },
                Block::Field {
                    label: "Temuan".into(),
                    text: INJECTION.into(),
                    placeholder: "(kosong)".into(),
                },
                Block::Field {
                    label: "Rekomendasi".into(),
                    text: String::new(),
                    placeholder: "(Belum diisi)".into(),
                },
                Block::Table(Table {
                    title: "Per kanal".into(),
                    sheet: "Per kanal".into(),
                    columns: vec![String::new(), "Jumlah".into()],
                    rows: vec![
                        vec![Cell::from("WhatsApp"), Cell::from(4321_i64)],
                        vec![Cell::from("LAPOR!"), Cell::from(17_i64)],
                    ],
                    numeric: vec![1],
                }),
                Block::Table(Table {
                    title: "Kosong".into(),
                    sheet: "Kosong".into(),
                    columns: vec![String::new(), "Jumlah".into()],
                    rows: vec![],
                    numeric: vec![1],
                }),
                Block::BarChart(Chart {
                    title: "Grafik kanal".into(),
                    sheet: "Grafik kanal".into(),
                    categories: vec!["WhatsApp".into(), "LAPOR!".into()],
                    series: vec![Series {
                        name: "Jumlah".into(),
                        values: vec![4321.0, 17.0],
                    }],
                }),
                Block::LineChart(Chart {
                    title: "Per bulan".into(),
                    sheet: "Per bulan".into(),
                    categories: vec!["Juli".into(), "Agustus".into(), "September".into()],
                    series: vec![
                        Series {
                            name: "2026".into(),
                            values: vec![10.0, 25.0, 18.0],
                        },
                        Series {
                            name: "2025".into(),
                            values: vec![8.0, 0.0, 12.0],
                        },
                    ],
                }),
            ],
        }],
        signatures: Signatures {
            place_date: "Kota Contoh, 5 Oktober 2026".into(),
            people: vec![
                Signatory {
                    caption: "Disusun oleh,".into(),
                    position: "Tim Pengaduan".into(),
                    name: "Rina Contoh".into(),
                    rank: String::new(),
                    nip: "199001012020122001".into(),
                },
                Signatory {
                    caption: "Diperiksa oleh,".into(),
                    position: "Kepala Bagian Humas dan Protokol".into(),
                    name: String::new(),
                    rank: String::new(),
                    nip: String::new(),
                },
                Signatory {
                    caption: "Mengetahui,".into(),
                    position: "Sekretaris Daerah".into(),
                    name: "Budi Contoh".into(),
                    rank: "Pembina Utama Madya".into(),
                    nip: "197001011995031001".into(),
                },
            ],
        },
        appendices: vec![Section {
            heading: "LAMPIRAN".into(),
            blocks: vec![Block::Paragraph {
                text: "Isi lampiran".into(),
            }],
        }],
    }
}

/// Returns the text of a PDF through `pdftotext -layout`. Without poppler
/// the test fails when `CI=true` and is skipped with a message otherwise.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("document.pdf");
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

#[test]
fn pdf_contains_texts_and_figures() {
    let pdf = render_report_pdf(&sample()).expect("PDF renders");
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("PEMERINTAH KOTA CONTOH"), "{text}");
    assert!(text.contains("TRIWULAN III TAHUN 2026"));
    assert!(text.contains("4321"));
    assert!(text.contains("Rina Contoh"));
    assert!(text.contains("199001012020122001"));
    assert!(text.contains("(Belum diisi)"));
    assert!(text.contains("Halaman 2 dari"));
    assert!(
        text.find("Isi lampiran") > text.find("Budi Contoh"),
        "the appendix follows the signatures"
    );
}

#[test]
fn pdf_prints_narrative_as_text() {
    let pdf = render_report_pdf(&sample()).expect("markup in the data is not evaluated");
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("#panic(\"injected\")"), "{text}");
    assert!(text.contains("*bold*"));
}

#[test]
fn pdf_is_deterministic() {
    let first = render_report_pdf(&sample()).expect("PDF renders");
    let second = render_report_pdf(&sample()).expect("PDF renders");
    assert_eq!(
        tanggap_documents::sha256_hex(&first),
        tanggap_documents::sha256_hex(&second)
    );
}

#[test]
fn bundle_keeps_each_part_data() {
    let template = "#let data = json(\"data.json\")\n= #data.title\n#data.body";
    let first = serde_json::json!({"title": "Bagian Satu", "body": "isi pertama"});
    let second = serde_json::json!({"title": "Bagian Dua", "body": "isi kedua"});
    let pdf = render_pdf_bundle(&[
        PdfPart {
            template,
            data: &first,
        },
        PdfPart {
            template,
            data: &second,
        },
    ])
    .expect("bundle renders");
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("Bagian Satu"));
    assert!(text.contains("isi pertama"));
    assert!(text.contains("Bagian Dua"));
    assert!(text.contains("isi kedua"));
    assert!(
        text.contains('\u{c}'),
        "the second part starts on a new page"
    );
}

#[test]
fn bundle_rejects_no_parts() {
    assert!(render_pdf_bundle(&[]).is_err());
}

#[test]
fn template_error_is_reported() {
    let error = tanggap_documents::render_pdf("#let x = ", &serde_json::json!({}))
        .expect_err("invalid markup fails");
    assert!(error.to_string().contains("typst failed"), "{error}");
}

#[test]
fn xlsx_has_tables_and_native_charts() {
    let bytes = render_xlsx(&sample()).expect("XLSX renders");
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("XLSX opens");
    let names = workbook.sheet_names();
    assert!(names.contains(&"Per kanal".to_owned()), "{names:?}");
    assert!(names.contains(&"Grafik kanal".to_owned()), "{names:?}");
    let range = workbook.worksheet_range("Per kanal").expect("sheet");
    assert_eq!(
        range.get_value((3, 0)).map(ToString::to_string).as_deref(),
        Some("WhatsApp")
    );
    assert_eq!(
        range.get_value((3, 1)).map(ToString::to_string).as_deref(),
        Some("4321")
    );
    let summary = workbook.worksheet_range(&names[0]).expect("summary sheet");
    assert!(
        summary
            .cells()
            .any(|(_, _, v)| matches!(v, calamine::Data::String(s) if s == INJECTION)),
        "the narrative is on the summary sheet"
    );

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let charts: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("xl/charts/chart"))
        .map(|n| n.into_owned())
        .collect();
    assert_eq!(charts.len(), 2, "{charts:?}");
    let mut xml = String::new();
    archive
        .by_name("xl/charts/chart2.xml")
        .expect("chart part")
        .read_to_string(&mut xml)
        .expect("chart XML");
    assert!(
        xml.contains("<c:lineChart>"),
        "the second chart is a line chart"
    );
}

#[test]
fn docx_parts_are_well_formed() {
    let bytes = render_docx(&sample()).expect("DOCX renders");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
        "docProps/core.xml",
    ] {
        let mut xml = String::new();
        archive
            .by_name(part)
            .unwrap_or_else(|e| panic!("{part}: {e}"))
            .read_to_string(&mut xml)
            .expect("UTF-8 XML");
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{part} is not XML: {e}"));
    }
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("document part")
        .read_to_string(&mut xml)
        .expect("document XML");
    assert!(xml.contains("PEMERINTAH KOTA CONTOH"));
    assert!(xml.contains("4321"));
    assert!(xml.contains("&lt;label&gt;"), "user text is escaped");
    assert!(xml.contains("197001011995031001"));
}
