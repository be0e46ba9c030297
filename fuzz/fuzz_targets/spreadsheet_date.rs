//! Dates and times of spreadsheet cells, in the Indonesian and ISO forms
//! the import accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::spreadsheet::dates::parse_datetime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let _ = parse_datetime(text, &zone);
});
