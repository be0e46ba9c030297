//! E-mail messages as the IMAP poll receives them: MIME parsing, the
//! automatic-mail check and the tracking number scan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_intake::email::{self, Parsed};

fuzz_target!(
    init: {
        // mail-parser 0.11.9 panics on some malformed multipart messages,
        // and `email::parse` catches that panic and reports the message as
        // malformed (tested by `parser_panic_is_malformed`). libFuzzer's
        // panic hook aborts before any unwinding, so a caught panic would
        // still end the run. This hook lets panics raised inside
        // mail-parser unwind to that catch, and keeps aborting on every
        // other panic, our own code's included.
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_mail_parser = info
                .location()
                .is_some_and(|at| at.file().contains("mail-parser-0.11"));
            if !in_mail_parser {
                abort_hook(info);
            }
        }));
    },
    |raw: &[u8]| {
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
    }
);
