//! E-mail messages as the IMAP poll receives them: MIME parsing, the
//! automatic-mail check and the tracking number scan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_intake::email::{self, Parsed};

fuzz_target!(|raw: &[u8]| {
    if let Parsed::Message(message) = email::parse(raw, "BJM") {
        // Every reference found must be one the scan finds again.
        for reference in &message.references {
            assert_eq!(
                email::find_tracking_numbers(reference, "BJM"),
                [reference.clone()]
            );
        }
    }
    let _ = email::find_tracking_numbers(&String::from_utf8_lossy(raw), "BJM");
});
