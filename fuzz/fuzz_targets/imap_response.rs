//! IMAP server responses as the mailbox poll reads them: lines, literals
//! and the values taken from them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_intake::imap::{number_after, read_response, search_uids};

/// Literal limit of the fuzzed reader, small so that oversized literals
/// are reached.
const LITERAL_MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut reader = data;
        let mut responses = Vec::new();
        while let Ok(response) = read_response(&mut reader, LITERAL_MAX).await {
            assert!(response.literals.iter().map(Vec::len).sum::<usize>() <= LITERAL_MAX);
            let _ = number_after(&response.text, "UIDVALIDITY");
            let _ = number_after(&response.text, "RFC822.SIZE");
            responses.push(response);
        }
        let _ = search_uids(&responses);
    });
});
