//! XLSX workbook of a [`Document`]: a summary sheet, one sheet per table
//! and one sheet per chart with its data and a native Excel chart.

use crate::RenderError;
use crate::model::{Block, Cell, Chart, Document, Table};
use rust_xlsxwriter::{Chart as XlsxChart, ChartType, Format, Workbook, Worksheet, XlsxError};
use std::collections::BTreeSet;

impl From<XlsxError> for RenderError {
    fn from(error: XlsxError) -> Self {
        RenderError::Xlsx(error.to_string())
    }
}

/// Writes the document's texts, tables and charts as an XLSX workbook.
pub fn render_xlsx(document: &Document) -> Result<Vec<u8>, RenderError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names = SheetNames::default();

    let summary = workbook.add_worksheet();
    summary.set_name(names.unique(&document.cover.subtitle, "Ringkasan"))?;
    write_summary(summary, document, &bold)?;

    for block in document
        .sections
        .iter()
        .chain(&document.appendices)
        .flat_map(|s| s.blocks.iter())
    {
        match block {
            Block::Table(table) => {
                let sheet = workbook.add_worksheet();
                let name = names.unique(&table.sheet, &table.title);
                sheet.set_name(&name)?;
                write_table(sheet, table, &bold)?;
            }
            Block::BarChart(chart) | Block::LineChart(chart) => {
                let line = matches!(block, Block::LineChart(_));
                let sheet = workbook.add_worksheet();
                let name = names.unique(&chart.sheet, &chart.title);
                sheet.set_name(&name)?;
                write_chart(sheet, &name, chart, line, &bold)?;
            }
            Block::Paragraph { .. } | Block::Field { .. } => {}
        }
    }
    Ok(workbook.save_to_buffer()?)
}

fn write_summary(
    sheet: &mut Worksheet,
    document: &Document,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(1, 80)?;
    let mut row = 0;
    for line in &document.letterhead.lines {
        sheet.write_string_with_format(row, 0, line, bold)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, &document.cover.title, bold)?;
    sheet.write_string(row + 1, 0, &document.cover.subtitle)?;
    sheet.write_string(row + 2, 0, &document.cover.period)?;
    row += 4;
    for meta in &document.cover.meta {
        sheet.write_string_with_format(row, 0, &meta.label, bold)?;
        sheet.write_string(row, 1, &meta.value)?;
        row += 1;
    }
    row += 1;
    for block in document.sections.iter().flat_map(|s| s.blocks.iter()) {
        if let Block::Field { label, text, .. } = block {
            sheet.write_string_with_format(row, 0, label, bold)?;
            sheet.write_string(row, 1, text)?;
            row += 1;
        }
    }
    Ok(())
}

fn write_table(sheet: &mut Worksheet, table: &Table, bold: &Format) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, &table.title, bold)?;
    for (column, name) in table.columns.iter().enumerate() {
        let column = column_number(column);
        sheet.write_string_with_format(2, column, name, bold)?;
        sheet.set_column_width(column, if column == 0 { 45 } else { 16 })?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        let row_number = 3 + u32::try_from(index).unwrap_or(u32::MAX - 3);
        for (column, cell) in row.iter().enumerate() {
            match cell {
                Cell::Number(n) => {
                    sheet.write_number(row_number, column_number(column), *n as f64)?
                }
                Cell::Text(text) => sheet.write_string(row_number, column_number(column), text)?,
            };
        }
    }
    Ok(())
}

fn write_chart(
    sheet: &mut Worksheet,
    sheet_name: &str,
    chart: &Chart,
    line: bool,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, &chart.title, bold)?;
    sheet.set_column_width(0, 40)?;
    for (index, category) in chart.categories.iter().enumerate() {
        sheet.write_string(row_number(index), 0, category)?;
    }
    let mut native = XlsxChart::new(if line {
        ChartType::Line
    } else {
        ChartType::Bar
    });
    native.title().set_name(&chart.title);
    let last_row = row_number(chart.categories.len().max(1) - 1);
    for (index, series) in chart.series.iter().enumerate() {
        let column = column_number(index + 1);
        sheet.write_string_with_format(2, column, &series.name, bold)?;
        sheet.set_column_width(column, 16)?;
        for (row, value) in series.values.iter().enumerate() {
            sheet.write_number(row_number(row), column, *value)?;
        }
        native
            .add_series()
            .set_name((sheet_name, 2, column))
            .set_categories((sheet_name, 3, 0, last_row, 0))
            .set_values((sheet_name, 3, column, last_row, column));
    }
    if chart.series.len() < 2 {
        native.legend().set_hidden();
    }
    sheet.insert_chart(2, column_number(chart.series.len() + 2), &native)?;
    Ok(())
}

fn row_number(index: usize) -> u32 {
    3 + u32::try_from(index).unwrap_or(u32::MAX - 3)
}

fn column_number(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// Worksheet names: unique, at most 31 characters, without the characters
/// Excel rejects.
#[derive(Default)]
struct SheetNames {
    used: BTreeSet<String>,
}

impl SheetNames {
    fn unique(&mut self, preferred: &str, fallback: &str) -> String {
        let source = if preferred.trim().is_empty() {
            fallback
        } else {
            preferred
        };
        let cleaned: String = source
            .chars()
            .map(|c| match c {
                '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\'' => ' ',
                c => c,
            })
            .collect();
        let base: String = cleaned.trim().chars().take(28).collect();
        let base = if base.is_empty() {
            "Sheet".to_owned()
        } else {
            base
        };
        let mut name = base.clone();
        let mut number = 2;
        while self.used.contains(&name.to_lowercase()) {
            name = format!("{base} {number}");
            number += 1;
        }
        self.used.insert(name.to_lowercase());
        name
    }
}
