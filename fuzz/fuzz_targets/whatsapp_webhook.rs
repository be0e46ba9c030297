//! WhatsApp Cloud API webhook bodies and their `X-Hub-Signature-256`
//! header. The first line of the input is the header, the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_intake::signature::sign_hmac_sha256_hex;
use tanggap_intake::whatsapp;

const APP_SECRET: &str = "rahasia-aplikasi-fuzz";

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let _ = whatsapp::verify_signature(APP_SECRET, Some(&header), body);

    // A correct signature must always verify.
    let signed = format!(
        "sha256={}",
        sign_hmac_sha256_hex(APP_SECRET.as_bytes(), body)
    );
    assert!(whatsapp::verify_signature(APP_SECRET, Some(&signed), body));

    let _ = whatsapp::verify_subscription(APP_SECRET, Some("subscribe"), Some(&header), Some("1"));
    let _ = whatsapp::parse_payload(body);
});
