//! XLSX workbooks for the import: reading, finding the header row and
//! reading each mapped cell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::spreadsheet::{Field, Format, Mapping, Table};

fuzz_target!(|content: &[u8]| {
    let Ok(table) = Table::read(content, Format::Xlsx) else {
        return;
    };
    let Ok(layout) = table.layout(&Mapping::new()) else {
        return;
    };
    for row in table.rows.iter().skip(layout.header_row + 1) {
        for field in Field::ALL {
            let _ = layout.value(row, *field);
        }
    }
    let _ = layout.mapping();
});
