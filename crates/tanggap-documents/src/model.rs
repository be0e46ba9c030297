//! The document model shared by the PDF template, the XLSX writer and the
//! DOCX writer: an official report with letterhead, cover, sections and
//! signature blocks. Every text is already in the reader's language.

use serde::{Deserialize, Serialize};

/// An official report of a government unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Language tag of the texts (`id` or `en`), for hyphenation and the
    /// document metadata.
    pub lang: String,
    pub letterhead: Letterhead,
    pub cover: Cover,
    /// Running header of the pages after the cover.
    pub header: String,
    /// Version label printed in the running header, e.g. "Versi 2".
    pub version: String,
    /// Running footer, left of the page number.
    pub footer: String,
    pub labels: Labels,
    pub sections: Vec<Section>,
    pub signatures: Signatures,
    /// Lampiran: sections after the signatures, each on a new page.
    #[serde(default)]
    pub appendices: Vec<Section>,
}

/// Kop surat: the government, the office and the unit, then the address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Letterhead {
    pub lines: Vec<String>,
    pub address: String,
}

/// The cover page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cover {
    pub title: String,
    pub subtitle: String,
    /// The reporting period in words.
    pub period: String,
    /// Label and value pairs under the title (version, date, document number).
    pub meta: Vec<LabelValue>,
    /// The issuing unit, one line each, at the foot of the cover.
    pub issuer: Vec<String>,
}

/// A label with its value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelValue {
    pub label: String,
    pub value: String,
}

/// Short texts the template prints around the data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// "Halaman" before the page number.
    pub page: String,
    /// "dari" between the page number and the page count.
    pub of: String,
    /// Shown under a table without rows.
    pub no_data: String,
    /// "NIP" before a civil servant's registration number.
    pub nip: String,
}

/// A numbered section of the body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// One block of a section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    /// A text the team completes; `placeholder` shows while it is empty.
    Field {
        label: String,
        text: String,
        placeholder: String,
    },
    Table(Table),
    BarChart(Chart),
    LineChart(Chart),
}

/// A table with a header row. Column 0 holds labels.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub title: String,
    /// Short name for a worksheet (at most 31 characters are used).
    pub sheet: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Indexes of the columns that hold numbers, aligned right.
    pub numeric: Vec<usize>,
}

/// A table cell: a count or a text (a label, a share such as "85.0%").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Number(i64),
    Text(String),
}

impl Cell {
    /// Returns the cell as it is printed.
    pub fn display(&self) -> String {
        match self {
            Cell::Number(n) => n.to_string(),
            Cell::Text(text) => text.clone(),
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n)
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A chart: one value per category in each series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    /// Short name for a worksheet (at most 31 characters are used).
    pub sheet: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// One named series of a chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// The place and date line and the people who sign.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Signatures {
    /// "Banjarmasin, 6 Oktober 2026".
    pub place_date: String,
    /// In signing order: preparer, head of section, Sekda.
    pub people: Vec<Signatory>,
}

/// A signature block: caption ("Disusun oleh,"), position, name, rank and NIP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Signatory {
    pub caption: String,
    pub position: String,
    /// Empty prints a dotted line to fill in by hand.
    pub name: String,
    /// Civil-service rank (pangkat/golongan), may be empty.
    pub rank: String,
    /// Nomor Induk Pegawai; empty prints a dotted line.
    pub nip: String,
}

impl Document {
    /// Returns the tables of every section, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections
            .iter()
            .chain(&self.appendices)
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
    }

    /// Returns the charts of every section, in order, with `true` for a
    /// line chart.
    pub fn charts(&self) -> impl Iterator<Item = (&Chart, bool)> {
        self.sections
            .iter()
            .chain(&self.appendices)
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::BarChart(c) => Some((c, false)),
                Block::LineChart(c) => Some((c, true)),
                _ => None,
            })
    }
}
