//! Responses of the LAPOR! integration API as the client decodes them: a
//! page of reports, with each report's checks and intake, and a push
//! acknowledgement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::lapor::{PushAck, parse_page};

fuzz_target!(|body: &[u8]| {
    if let Ok(page) = parse_page(body) {
        for report in &page.items {
            if report.check().is_ok() {
                let intake = report.intake(|_, _| true);
                let _ = intake.validated(jiff::Timestamp::now());
            }
        }
    }
    let _ = serde_json::from_slice::<PushAck>(body);
});
