//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps,
//! 6 digits), the codes authenticator apps show, for optional two-factor
//! sign-in of staff.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Length of a time step in seconds.
pub const STEP_SECONDS: i64 = 30;
/// Steps accepted on either side of the current one, for clock drift.
pub const WINDOW_STEPS: i64 = 1;
const DIGITS: u32 = 6;

/// Encodes a secret the way authenticator apps expect it (base32, no padding).
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD
        .decode(text.trim().to_ascii_uppercase().as_bytes())
        .ok()
}

/// Computes the code of time step `step` (Unix seconds divided by 30).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // Dynamic truncation: the low 4 bits of the last byte pick 4 bytes.
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!(
        "{:0width$}",
        value % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// Checks `code` at Unix time `now`; returns the matching step, which the
/// caller stores so the same code cannot be used twice.
pub fn verify(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let current = now.div_euclid(STEP_SECONDS);
    (current - WINDOW_STEPS..=current + WINDOW_STEPS).find(|step| code_at(secret, *step) == code)
}

/// Builds the `otpauth://` URI that authenticator apps read from a QR code.
pub fn provisioning_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        encode_secret(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-1 test vectors of RFC 6238, appendix B, truncated to 6 digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                code_at(secret, time / STEP_SECONDS),
                expected,
                "time {time}"
            );
        }
    }

    #[test]
    fn verify_accepts_adjacent_steps_only() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = code_at(secret, now / STEP_SECONDS - 1);
        assert_eq!(verify(secret, &code, now), Some(now / STEP_SECONDS - 1));
        let old = code_at(secret, now / STEP_SECONDS - 3);
        assert_eq!(verify(secret, &old, now), None);
        assert_eq!(verify(secret, "12a456", now), None);
    }

    #[test]
    fn secret_round_trips() {
        let secret = [7u8; 20];
        assert_eq!(
            decode_secret(&encode_secret(&secret)),
            Some(secret.to_vec())
        );
        assert!(
            provisioning_uri("Tanggap", "admin.utama", &secret)
                .starts_with("otpauth://totp/Tanggap:admin.utama?secret=")
        );
    }
}
