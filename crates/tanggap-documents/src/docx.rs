//! DOCX file of a [`Document`] for editing in a word processor.
//!
//! A small WordprocessingML writer over the `zip` crate: paragraphs,
//! headings, tables and a signature table. A chart becomes a table of its
//! values, because a native Word chart needs an embedded workbook; the
//! XLSX file carries the native charts.

use crate::RenderError;
use crate::model::{Block, Chart, Document, Signatory, Table};
use std::io::{Cursor, Write};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

impl From<zip::result::ZipError> for RenderError {
    fn from(error: zip::result::ZipError) -> Self {
        RenderError::Docx(error.to_string())
    }
}

impl From<std::io::Error> for RenderError {
    fn from(error: std::io::Error) -> Self {
        RenderError::Docx(error.to_string())
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:cs="Arial"/><w:sz w:val="22"/><w:lang w:val="id-ID"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="160" w:after="80"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="22"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:left w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:right w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="808080"/></w:tblBorders></w:tblPr></w:style></w:styles>"#;

/// Writes the document as a DOCX file.
pub fn render_docx(document: &Document) -> Result<Vec<u8>, RenderError> {
    let body = document_xml(document);
    let core = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:language>{}</dc:language></cp:coreProperties>"#,
        escape(&format!(
            "{} {}",
            document.cover.title, document.cover.subtitle
        )),
        escape(&document.lang)
    );

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/styles.xml", STYLES),
        ("docProps/core.xml", core.as_str()),
        ("word/document.xml", body.as_str()),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Returns `word/document.xml`.
pub fn document_xml(document: &Document) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );

    for (index, line) in document.letterhead.lines.iter().enumerate() {
        let size = if index + 1 == document.letterhead.lines.len() {
            30
        } else {
            26
        };
        xml.push_str(&paragraph(line, Some("center"), true, size, None));
    }
    xml.push_str(&paragraph_with_border(&document.letterhead.address));
    xml.push_str(&paragraph(
        &document.cover.title,
        Some("center"),
        true,
        36,
        Some("Title"),
    ));
    xml.push_str(&paragraph(
        &document.cover.subtitle,
        Some("center"),
        true,
        28,
        None,
    ));
    xml.push_str(&paragraph(
        &document.cover.period,
        Some("center"),
        false,
        22,
        None,
    ));
    let meta: Vec<Vec<String>> = document
        .cover
        .meta
        .iter()
        .map(|m| vec![m.label.clone(), m.value.clone()])
        .collect();
    xml.push_str(&table(&[], &meta, false));
    xml.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);

    for (number, section) in document.sections.iter().enumerate() {
        let heading = format!("{}. {}", roman(number + 1), section.heading);
        xml.push_str(&paragraph(&heading, None, true, 26, Some("Heading1")));
        for block in &section.blocks {
            xml.push_str(&block_xml(block));
        }
    }

    xml.push_str(&paragraph(
        &document.signatures.place_date,
        Some("right"),
        false,
        22,
        None,
    ));
    xml.push_str(&signature_table(
        &document.labels.nip,
        &document.signatures.people,
    ));
    for appendix in &document.appendices {
        xml.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
        xml.push_str(&paragraph(
            &appendix.heading,
            None,
            true,
            26,
            Some("Heading1"),
        ));
        for block in &appendix.blocks {
            xml.push_str(&block_xml(block));
        }
    }
    xml.push_str(
        r#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1247" w:right="1134" w:bottom="1247" w:left="1418" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
    );
    xml
}

fn block_xml(block: &Block) -> String {
    match block {
        Block::Paragraph { text } => paragraph(text, Some("both"), false, 22, None),
        Block::Field {
            label,
            text,
            placeholder,
        } => {
            let mut xml = paragraph(label, None, true, 22, Some("Heading2"));
            if text.trim().is_empty() {
                xml.push_str(&italic_paragraph(placeholder));
            } else {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    xml.push_str(&paragraph(line, Some("both"), false, 22, None));
                }
            }
            xml
        }
        Block::Table(t) => table_block(t),
        Block::BarChart(chart) | Block::LineChart(chart) => chart_table(chart),
    }
}

fn table_block(t: &Table) -> String {
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|row| row.iter().map(|c| c.display()).collect())
        .collect();
    let mut xml = paragraph(&t.title, None, true, 22, Some("Heading2"));
    xml.push_str(&table(&t.columns, &rows, true));
    xml
}

fn chart_table(chart: &Chart) -> String {
    let mut columns = vec![String::new()];
    columns.extend(chart.series.iter().map(|s| s.name.clone()));
    let rows: Vec<Vec<String>> = chart
        .categories
        .iter()
        .enumerate()
        .map(|(i, category)| {
            let mut row = vec![category.clone()];
            row.extend(chart.series.iter().map(|s| {
                s.values
                    .get(i)
                    .map(|v| format_number(*v))
                    .unwrap_or_default()
            }));
            row
        })
        .collect();
    let mut xml = paragraph(&chart.title, None, true, 22, Some("Heading2"));
    xml.push_str(&table(&columns, &rows, true));
    xml
}

fn format_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn run(text: &str, bold: bool, italic: bool, size: u32) -> String {
    let mut properties = String::new();
    if bold {
        properties.push_str("<w:b/>");
    }
    if italic {
        properties.push_str("<w:i/>");
    }
    properties.push_str(&format!(r#"<w:sz w:val="{size}"/>"#));
    format!(
        r#"<w:r><w:rPr>{properties}</w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#,
        escape(text)
    )
}

fn paragraph(
    text: &str,
    align: Option<&str>,
    bold: bool,
    size: u32,
    style: Option<&str>,
) -> String {
    let mut properties = String::new();
    if let Some(style) = style {
        properties.push_str(&format!(r#"<w:pStyle w:val="{style}"/>"#));
    }
    if let Some(align) = align {
        properties.push_str(&format!(r#"<w:jc w:val="{align}"/>"#));
    }
    format!(
        "<w:p><w:pPr>{properties}</w:pPr>{}</w:p>",
        run(text, bold, false, size)
    )
}

fn italic_paragraph(text: &str) -> String {
    format!("<w:p>{}</w:p>", run(text, false, true, 22))
}

/// The address line of the letterhead, above the double rule of a kop surat.
fn paragraph_with_border(text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:pBdr><w:bottom w:val="thickThinSmallGap" w:sz="18" w:space="4" w:color="000000"/></w:pBdr><w:spacing w:after="360"/><w:jc w:val="center"/></w:pPr>{}</w:p>"#,
        run(text, false, false, 18)
    )
}

fn cell(text: &str, bold: bool, width: u32, font_size: u32) -> String {
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr><w:p>{}</w:p></w:tc>",
        run(text, bold, false, font_size)
    )
}

/// Text width of the page between the margins, in twentieths of a point.
const TEXT_WIDTH: u32 = 9000;

/// Approximate width of one character per point of font size, and the cell
/// margins, in twentieths of a point.
const CHARACTER_WIDTH_PER_POINT: usize = 11;
const CELL_MARGINS: usize = 220;

/// Font sizes of table text in half-points: 10 pt, or 8 pt for a table whose
/// longest words do not fit across the page at 10 pt.
const TABLE_FONT_SIZE: u32 = 20;
const WIDE_TABLE_FONT_SIZE: u32 = 16;

/// Longest body cell text, in characters, that is kept on one line as if it
/// were one word: dates such as "30 September 2025" and tracking numbers.
const UNBROKEN_CELL_CHARS: usize = 18;

/// Estimates the width of `text` in tenths of an average character. Capital
/// letters count 13 tenths, because in Arial and Liberation Sans they are
/// about a third wider than lower-case ones. Category names are often set
/// in capitals.
fn text_tenths(text: &str) -> usize {
    text.chars()
        .map(|c| if c.is_uppercase() { 13 } else { 10 })
        .sum()
}

/// Divides the text width between the columns: each first gets room for its
/// longest word, so no word is broken, and the rest is shared in proportion
/// to how much longer the column's text is. A body cell of at most
/// [`UNBROKEN_CELL_CHARS`] characters counts as one word. Texts count at most
/// 40 characters because longer ones wrap anyway. When the words alone do
/// not fit, every column shrinks in proportion.
fn column_widths(
    columns: &[String],
    rows: &[Vec<String>],
    count: usize,
    font_size: u32,
) -> (Vec<u32>, bool) {
    let character_width = CHARACTER_WIDTH_PER_POINT * font_size as usize / 2;
    let mut minimums = Vec::with_capacity(count);
    let mut extras = Vec::with_capacity(count);
    for index in 0..count {
        let header = columns.get(index).map(|text| (text, false));
        let body = rows
            .iter()
            .filter_map(|row| row.get(index))
            .map(|text| (text, true));
        // Widths in tenths of an average character.
        let (mut word, mut length) = (10, 10);
        for (text, in_body) in header.into_iter().chain(body) {
            let characters = text.chars().count();
            let longest_word = if in_body && characters <= UNBROKEN_CELL_CHARS {
                text_tenths(text)
            } else {
                let words = text.split_whitespace().map(text_tenths);
                words.max().unwrap_or(0)
            };
            word = word.max(longest_word);
            let counted: String = text.chars().take(40).collect();
            length = length.max(text_tenths(&counted));
        }
        minimums.push(word * character_width / 10 + CELL_MARGINS);
        extras.push(length.saturating_sub(word) * character_width / 10);
    }

    let text_width = TEXT_WIDTH as usize;
    let needed: usize = minimums.iter().sum();
    let fits = needed <= text_width;
    let widths: Vec<usize> = if !fits {
        minimums.iter().map(|m| m * text_width / needed).collect()
    } else {
        let spare = text_width - needed;
        let extra_total: usize = extras.iter().sum::<usize>().max(1);
        minimums
            .iter()
            .zip(&extras)
            .map(|(minimum, extra)| minimum + spare * extra / extra_total)
            .collect()
    };
    let widths = widths
        .into_iter()
        .map(|width| u32::try_from(width).unwrap_or(TEXT_WIDTH))
        .collect();
    (widths, fits)
}

fn table(columns: &[String], rows: &[Vec<String>], borders: bool) -> String {
    let style = if borders {
        r#"<w:tblStyle w:val="TableGrid"/>"#
    } else {
        ""
    };
    let mut xml =
        format!(r#"<w:tbl><w:tblPr>{style}<w:tblW w:w="5000" w:type="pct"/></w:tblPr><w:tblGrid>"#);
    let count = columns
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(1))
        .max(1);
    let mut font_size = TABLE_FONT_SIZE;
    let (mut widths, fits) = column_widths(columns, rows, count, font_size);
    if !fits {
        font_size = WIDE_TABLE_FONT_SIZE;
        widths = column_widths(columns, rows, count, font_size).0;
    }
    for width in &widths {
        xml.push_str(&format!(r#"<w:gridCol w:w="{width}"/>"#));
    }
    xml.push_str("</w:tblGrid>");
    if !columns.is_empty() {
        xml.push_str("<w:tr><w:trPr><w:tblHeader/></w:trPr>");
        for (column, width) in columns.iter().zip(&widths) {
            xml.push_str(&cell(column, true, *width, font_size));
        }
        xml.push_str("</w:tr>");
    }
    for row in rows {
        xml.push_str("<w:tr>");
        for (index, width) in widths.iter().enumerate() {
            let text = row.get(index).map(String::as_str).unwrap_or("");
            xml.push_str(&cell(text, false, *width, font_size));
        }
        xml.push_str("</w:tr>");
    }
    xml.push_str("</w:tbl><w:p/>");
    xml
}

fn signature_table(nip_label: &str, people: &[Signatory]) -> String {
    let mut xml = String::from(
        r#"<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/></w:tblPr><w:tblGrid><w:gridCol w:w="4500"/><w:gridCol w:w="4500"/></w:tblGrid>"#,
    );
    for pair in people.chunks(2) {
        xml.push_str("<w:tr>");
        for person in pair {
            xml.push_str(&signature_cell(nip_label, person));
        }
        if pair.len() == 1 {
            xml.push_str("<w:tc><w:p/></w:tc>");
        }
        xml.push_str("</w:tr>");
    }
    xml.push_str("</w:tbl>");
    xml
}

fn signature_cell(nip_label: &str, person: &Signatory) -> String {
    let dotted = |value: &str, length: usize| {
        if value.is_empty() {
            ".".repeat(length)
        } else {
            value.to_owned()
        }
    };
    let mut xml = String::from("<w:tc>");
    xml.push_str(&paragraph(&person.caption, Some("center"), false, 22, None));
    xml.push_str(&paragraph(&person.position, Some("center"), true, 22, None));
    for _ in 0..3 {
        xml.push_str("<w:p/>");
    }
    xml.push_str(&format!(
        r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        escape(&dotted(&person.name, 40))
    ));
    if !person.rank.is_empty() {
        xml.push_str(&paragraph(&person.rank, Some("center"), false, 22, None));
    }
    xml.push_str(&paragraph(
        &format!("{nip_label} {}", dotted(&person.nip, 24)),
        Some("center"),
        false,
        22,
        None,
    ));
    xml.push_str("</w:tc>");
    xml
}

fn roman(number: usize) -> String {
    const NUMERALS: [(usize, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut rest = number;
    let mut text = String::new();
    for (value, numeral) in NUMERALS {
        while rest >= value {
            text.push_str(numeral);
            rest -= value;
        }
    }
    text
}

/// Escapes text for XML content and drops the control characters XML 1.0
/// forbids, so user text cannot break the document.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\t' | '\n' | '\r' => escaped.push(' '),
            c if (c as u32) < 0x20 => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cells_stay_on_one_line() {
        let columns = ["No.", "Nomor", "Diterima", "Judul"].map(String::from);
        let rows = vec![
            [
                "1",
                "BJM-25-000123",
                "30 September 2025",
                "Saluran air tersumbat sampah di depan pasar",
            ]
            .map(String::from)
            .to_vec(),
        ];
        let (widths, fits) = column_widths(&columns, &rows, 4, TABLE_FONT_SIZE);
        assert!(fits);
        let character_width = CHARACTER_WIDTH_PER_POINT * TABLE_FONT_SIZE as usize / 2;
        let date_width = text_tenths("30 September 2025") * character_width / 10 + CELL_MARGINS;
        assert!(widths[2] as usize >= date_width, "{widths:?}");
        let total: u32 = widths.iter().sum();
        assert!(total <= TEXT_WIDTH, "{widths:?}");
        assert!(total + 4 >= TEXT_WIDTH, "{widths:?}");
    }

    #[test]
    fn capitals_count_wider() {
        assert_eq!(text_tenths("abc"), 30);
        assert_eq!(text_tenths("ABC"), 39);
        assert!(text_tenths("KEPENDUDUKAN") > text_tenths("kependudukan"));
    }

    #[test]
    fn escape_removes_markup_and_control_characters() {
        assert_eq!(escape("a<b>&\"c\u{1}"), "a&lt;b&gt;&amp;&quot;c");
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman(1), "I");
        assert_eq!(roman(4), "IV");
        assert_eq!(roman(9), "IX");
        assert_eq!(roman(14), "XIV");
    }
}
