//! SMS gateway webhook bodies, as a form and as JSON, and the shared
//! secret and HMAC header checks. The first line of the input is the
//! header value, the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_intake::signature::sign_hmac_sha256_hex;
use tanggap_intake::sms;
use tanggap_service::triage::SmsConfig;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let config = SmsConfig {
        token: Some("rahasia-gateway-fuzz".into()),
        hmac_secret: Some("rahasia-hmac-fuzz".into()),
        ..SmsConfig::default()
    };
    let _ = sms::authenticate(&config, |_| Some(header.as_ref()), body);

    // A correct token and signature must always pass.
    let signature = sign_hmac_sha256_hex(b"rahasia-hmac-fuzz", body);
    let accepted = sms::authenticate(
        &config,
        |name| match name {
            "X-Gateway-Token" => Some("rahasia-gateway-fuzz"),
            "X-Gateway-Signature" => Some(signature.as_str()),
            _ => None,
        },
        body,
    );
    assert!(accepted);

    let _ = sms::parse(&config, false, body);
    let _ = sms::parse(&config, true, body);
});
