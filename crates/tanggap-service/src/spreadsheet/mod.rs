//! Reading complaint spreadsheets (XLSX and CSV) exported from the LAPOR!
//! dashboard or kept by hand: cells, the header row, and the mapping of
//! columns to complaint fields. [`import`] turns the rows into complaints.

pub mod dates;
pub mod import;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest spreadsheet accepted, in bytes.
pub const FILE_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Largest number of rows read from one sheet.
pub const ROWS_MAX: usize = 50_000;
/// Largest number of columns read.
const COLUMNS_MAX: usize = 100;
/// Rows searched for the header row.
const HEADER_SEARCH_ROWS: usize = 30;

/// Format of an uploaded spreadsheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// Recognises the format from the content: XLSX files are ZIP archives.
    pub fn detect(content: &[u8]) -> Format {
        if content.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// A complaint field a column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    TrackingId,
    ReceivedAt,
    Title,
    Body,
    ReporterName,
    Phone,
    Email,
    Classification,
    Category,
    Subcategory,
    Address,
    Kelurahan,
    Anonymous,
    Confidential,
    Channel,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Field::TrackingId,
        Field::ReceivedAt,
        Field::Title,
        Field::Body,
        Field::ReporterName,
        Field::Phone,
        Field::Email,
        Field::Classification,
        Field::Category,
        Field::Subcategory,
        Field::Address,
        Field::Kelurahan,
        Field::Anonymous,
        Field::Confidential,
        Field::Channel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Field::TrackingId => "tracking_id",
            Field::ReceivedAt => "received_at",
            Field::Title => "title",
            Field::Body => "body",
            Field::ReporterName => "reporter_name",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Classification => "classification",
            Field::Category => "category",
            Field::Subcategory => "subcategory",
            Field::Address => "address",
            Field::Kelurahan => "kelurahan",
            Field::Anonymous => "anonymous",
            Field::Confidential => "confidential",
            Field::Channel => "channel",
        }
    }

    pub fn from_code(code: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.code() == code)
    }

    /// Fields without which a row cannot become a complaint.
    pub fn required(self) -> bool {
        matches!(self, Field::Body | Field::ReceivedAt)
    }

    /// Header texts recognised without a mapping, normalised (see [`normalise`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::TrackingId => &[
                "id tracking",
                "tracking id",
                "no tracking",
                "nomor tracking",
                "kode tracking",
                "tracking",
                "id laporan",
                "no laporan",
                "nomor laporan",
                "id lapor",
            ],
            Field::ReceivedAt => &[
                "tanggal",
                "tanggal laporan",
                "tanggal masuk",
                "tanggal lapor",
                "tgl",
                "tgl laporan",
                "tgl masuk",
                "waktu",
                "waktu laporan",
                "tanggal dibuat",
                "diterima",
                "diterima pada",
                "received at",
                "date",
            ],
            Field::Title => &["judul", "judul laporan", "title", "subjek", "perihal"],
            Field::Body => &[
                "isi",
                "isi laporan",
                "laporan",
                "uraian",
                "uraian laporan",
                "isi pengaduan",
                "isi aduan",
                "pengaduan",
                "deskripsi",
                "body",
            ],
            Field::ReporterName => &[
                "nama",
                "nama pelapor",
                "pelapor",
                "reporter",
                "reporter name",
            ],
            Field::Phone => &[
                "telepon",
                "no telepon",
                "nomor telepon",
                "no hp",
                "nomor hp",
                "hp",
                "telp",
                "no telp",
                "phone",
                "whatsapp",
                "no wa",
            ],
            Field::Email => &["email", "e mail", "surel", "alamat email"],
            Field::Classification => &[
                "klasifikasi",
                "jenis",
                "jenis laporan",
                "klasifikasi laporan",
                "classification",
                "type",
            ],
            Field::Category => &["kategori", "kategori laporan", "category"],
            Field::Subcategory => &["sub kategori", "subkategori", "subcategory"],
            Field::Address => &[
                "lokasi",
                "alamat",
                "alamat lokasi",
                "lokasi kejadian",
                "location",
                "address",
            ],
            Field::Kelurahan => &["kelurahan", "kode kelurahan", "desa kelurahan"],
            Field::Anonymous => &["anonim", "anonymous"],
            Field::Confidential => &["rahasia", "confidential"],
            Field::Channel => &["kanal", "channel", "sumber", "media"],
        }
    }
}

/// Lower-cases a header and turns every run of other characters than
/// letters and digits into one space: "No. Tracking" -> "no tracking".
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A sheet's cells as text, row by row, with merged cells filled with
/// the value of their top-left cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

/// Reason a file could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReadError {
    #[error("the file is larger than {FILE_MAX_BYTES} bytes")]
    TooLarge,
    #[error("the file is not a readable XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the file is not readable CSV: {0}")]
    Csv(String),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the sheet has more than {ROWS_MAX} rows")]
    TooManyRows,
    #[error("no header row found: a row must name at least the report text and the date columns")]
    NoHeader,
}

impl Table {
    pub fn read(content: &[u8], format: Format) -> Result<Table, ReadError> {
        if content.len() > FILE_MAX_BYTES {
            return Err(ReadError::TooLarge);
        }
        match format {
            Format::Xlsx => read_xlsx(content),
            Format::Csv => read_csv(content),
        }
    }
}

fn read_csv(content: &[u8]) -> Result<Table, ReadError> {
    // Byte order mark of Excel's "CSV UTF-8".
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let text = String::from_utf8_lossy(content);
    let first_line = text.lines().next().unwrap_or_default();
    // Indonesian Excel writes CSV with semicolons, because the comma is
    // the decimal separator there.
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        if rows.len() >= ROWS_MAX {
            return Err(ReadError::TooManyRows);
        }
        rows.push(
            record
                .iter()
                .take(COLUMNS_MAX)
                .map(|c| c.trim().to_owned())
                .collect(),
        );
    }
    Ok(Table { rows })
}

fn read_xlsx(content: &[u8]) -> Result<Table, ReadError> {
    use calamine::{DataRef, Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(content)).map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let sheet = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(ReadError::NoSheet)?;
    let merged = workbook
        .worksheet_merge_cells_at(0)
        .transpose()
        .map_err(|e| ReadError::Xlsx(e.to_string()))?
        .unwrap_or_default();

    // The cells are read one at a time instead of as a calamine `Range`.
    // A `Range` allocates every cell of the rectangle between the first and
    // the last used cell, so one value in A1 and one in XFD40000 would need
    // tens of gigabytes. Only cells inside the first COLUMNS_MAX columns
    // are kept, and empty cells are skipped.
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| ReadError::Xlsx(e.to_string()))?
    {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        if column >= COLUMNS_MAX {
            continue;
        }
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                s.trim().to_owned()
            }
            DataRef::SharedString(s) => s.trim().to_owned(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(dt) if dt.is_datetime() => {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
            }
            DataRef::DateTime(dt) => dt.as_f64().to_string(),
            DataRef::Error(e) => format!("#{e:?}"),
        };
        if row >= ROWS_MAX {
            return Err(ReadError::TooManyRows);
        }
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        let cells_of_row = &mut rows[row];
        if cells_of_row.len() <= column {
            cells_of_row.resize(column + 1, String::new());
        }
        cells_of_row[column] = text;
    }
    drop(cells);

    // Merged cells: the file stores the value in the top-left cell only.
    for region in merged {
        let (top, left) = (region.start.0 as usize, region.start.1 as usize);
        let (bottom, right) = (region.end.0 as usize, region.end.1 as usize);
        let Some(value) = rows.get(top).and_then(|r| r.get(left)).cloned() else {
            continue;
        };
        // The region's lower rows may hold no value at all, so they may
        // not have been read.
        let last_row = bottom.min(ROWS_MAX - 1);
        if rows.len() <= last_row {
            rows.resize(last_row + 1, Vec::new());
        }
        for row in rows.iter_mut().take(bottom.min(ROWS_MAX) + 1).skip(top) {
            if row.len() <= right.min(COLUMNS_MAX - 1) {
                row.resize(right.min(COLUMNS_MAX - 1) + 1, String::new());
            }
            for cell in row.iter_mut().take(right + 1).skip(left) {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
    Ok(Table { rows })
}

/// Column of each mapped field, and the header row's position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// 0-based index of the header row.
    pub header_row: usize,
    /// The header texts, one per column.
    pub headers: Vec<String>,
    pub columns: BTreeMap<Field, usize>,
}

/// A mapping given by the operator or remembered for a source: field to
/// header text, compared after [`normalise`].
pub type Mapping = BTreeMap<Field, String>;

/// Parses `field=Header,field=Header` as the command line takes it.
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    let mut mapping = Mapping::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, header) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not field=Header"))?;
        let field = Field::from_code(field.trim()).ok_or_else(|| {
            let known: Vec<&str> = Field::ALL.iter().map(|f| f.code()).collect();
            format!(
                "unknown field {:?}; use one of {}",
                field.trim(),
                known.join(", ")
            )
        })?;
        mapping.insert(field, header.trim().to_owned());
    }
    Ok(mapping)
}

impl Table {
    /// Finds the header row and the column of each field. `mapping` wins
    /// over the built-in header names.
    ///
    /// The header row is the row among the first 30 that names the most
    /// fields. For a two-row header (a merged group cell over sub-headers)
    /// a column whose own header names no field is tried with the group
    /// text from the row above.
    pub fn layout(&self, mapping: &Mapping) -> Result<Layout, ReadError> {
        let mut best: Option<Layout> = None;
        for (index, row) in self.rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
            let above = index.checked_sub(1).and_then(|i| self.rows.get(i));
            let layout = match_headers(index, row, above, mapping);
            let better = best
                .as_ref()
                .is_none_or(|b| layout.columns.len() > b.columns.len());
            if better && layout.columns.contains_key(&Field::Body) {
                best = Some(layout);
            }
        }
        best.filter(|b| b.columns.contains_key(&Field::ReceivedAt))
            .ok_or(ReadError::NoHeader)
    }
}

fn match_headers(
    index: usize,
    row: &[String],
    above: Option<&Vec<String>>,
    mapping: &Mapping,
) -> Layout {
    let wanted: BTreeMap<String, Field> = mapping
        .iter()
        .map(|(field, header)| (normalise(header), *field))
        .collect();
    let lookup = |text: &str| -> Option<Field> {
        let text = normalise(text);
        if text.is_empty() {
            return None;
        }
        if let Some(field) = wanted.get(&text) {
            return Some(*field);
        }
        Field::ALL
            .iter()
            .copied()
            .filter(|f| !mapping.contains_key(f))
            .find(|f| f.aliases().contains(&text.as_str()))
    };
    let mut columns = BTreeMap::new();
    for (column, header) in row.iter().enumerate() {
        let group = above.and_then(|r| r.get(column)).map(String::as_str);
        let field = lookup(header).or_else(|| {
            let group = group?;
            lookup(&format!("{group} {header}")).or_else(|| {
                if header.is_empty() {
                    lookup(group)
                } else {
                    None
                }
            })
        });
        if let Some(field) = field {
            columns.entry(field).or_insert(column);
        }
    }
    Layout {
        header_row: index,
        headers: row.to_vec(),
        columns,
    }
}

impl Layout {
    /// Returns the trimmed value of `field` in `row`, or `None` when the
    /// field is unmapped or the cell empty.
    pub fn value<'a>(&self, row: &'a [String], field: Field) -> Option<&'a str> {
        let column = *self.columns.get(&field)?;
        row.get(column).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Builds the mapping that reproduces this layout, to remember for a source.
    pub fn mapping(&self) -> Mapping {
        self.columns
            .iter()
            .filter_map(|(field, column)| {
                let header = self.headers.get(*column)?;
                (!header.trim().is_empty()).then(|| (*field, header.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
                .collect(),
        }
    }

    #[test]
    fn header_found_below_title_rows() {
        let t = table(&[
            &["Rekap Laporan LAPOR! Kota Banjarmasin", "", ""],
            &[],
            &[
                "No. Tracking",
                "Tanggal Laporan",
                "Isi Laporan",
                "Nama Pelapor",
            ],
            &["5000001", "14/07/2025", "Jalan rusak", "Warga"],
        ]);
        let layout = t.layout(&Mapping::new()).expect("layout");
        assert_eq!(layout.header_row, 2);
        assert_eq!(layout.columns.get(&Field::TrackingId), Some(&0));
        assert_eq!(layout.columns.get(&Field::Body), Some(&2));
        assert_eq!(layout.value(&t.rows[3], Field::ReporterName), Some("Warga"));
    }

    #[test]
    fn two_row_header_uses_group() {
        let t = table(&[
            &["Waktu", "Laporan", "Laporan", "Pelapor", "Pelapor"],
            &["", "Judul", "Isi", "Nama", "Telepon"],
            &["14/07/2025", "Jalan", "Jalan rusak", "Warga", "0812"],
        ]);
        let layout = t.layout(&Mapping::new()).expect("layout");
        assert_eq!(layout.header_row, 1);
        assert_eq!(layout.columns.get(&Field::ReceivedAt), Some(&0));
        assert_eq!(layout.columns.get(&Field::Body), Some(&2));
        assert_eq!(layout.columns.get(&Field::Phone), Some(&4));
    }

    #[test]
    fn mapping_overrides_names() {
        let t = table(&[&["Kapan", "Masalah", "Isi"], &["14/07/2025", "Banjir", "x"]]);
        let mapping = parse_mapping("received_at=Kapan, body=Masalah").expect("mapping");
        let layout = t.layout(&mapping).expect("layout");
        assert_eq!(layout.columns.get(&Field::Body), Some(&1));
        assert_eq!(
            layout.mapping().get(&Field::ReceivedAt).map(String::as_str),
            Some("Kapan")
        );
        assert!(parse_mapping("nothing=X").is_err());
        assert!(parse_mapping("body").is_err());
    }

    #[test]
    fn missing_header_is_an_error() {
        let t = table(&[&["a", "b"], &["1", "2"]]);
        assert_eq!(t.layout(&Mapping::new()), Err(ReadError::NoHeader));
    }

    #[test]
    fn csv_with_semicolons_and_bom() {
        let content = "\u{feff}Tanggal;Isi Laporan\n14/07/2025;\"Jalan; rusak\"\n".as_bytes();
        let t = Table::read(content, Format::Csv).expect("csv");
        assert_eq!(
            t.rows[1],
            vec!["14/07/2025".to_owned(), "Jalan; rusak".to_owned()]
        );
    }

    /// A stray value far to the right and far down must not make the
    /// reader allocate the whole rectangle of cells up to it.
    #[test]
    fn xlsx_far_apart_cells() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Tanggal").expect("cell");
        sheet.write_string(0, 1, "Isi Laporan").expect("cell");
        sheet.write_string(1, 0, "14/07/2025").expect("cell");
        sheet.write_string(1, 1, "Jalan rusak").expect("cell");
        sheet.write_string(40_000, 16_000, "jauh").expect("cell");
        sheet.write_string(45_000, 2, "bawah").expect("cell");
        let content = workbook.save_to_buffer().expect("xlsx");

        let t = Table::read(&content, Format::Xlsx).expect("xlsx");
        assert_eq!(t.rows.len(), 45_001);
        assert_eq!(
            t.rows[1],
            vec!["14/07/2025".to_owned(), "Jalan rusak".to_owned()]
        );
        assert!(t.rows[40_000].is_empty(), "{:?}", t.rows[40_000]);
        assert_eq!(
            t.rows[45_000],
            vec![String::new(), String::new(), "bawah".to_owned()]
        );
    }

    #[test]
    fn xlsx_past_row_limit() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Tanggal").expect("cell");
        let last = u32::try_from(ROWS_MAX).expect("row limit");
        sheet.write_string(last, 0, "terlalu jauh").expect("cell");
        let content = workbook.save_to_buffer().expect("xlsx");

        assert_eq!(
            Table::read(&content, Format::Xlsx).map(|t| t.rows.len()),
            Err(ReadError::TooManyRows)
        );
    }

    proptest::proptest! {
        #[test]
        fn reading_never_panics(content in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = Table::read(&content, Format::Csv).map(|t| t.layout(&Mapping::new()));
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend_from_slice(&content);
            let _ = Table::read(&zip, Format::Xlsx).map(|t| t.layout(&Mapping::new()));
        }
    }
}
