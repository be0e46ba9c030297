//! Webhook authentication: HMAC-SHA256 signatures and shared secrets,
//! compared in constant time.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Checks that `hex_digest` is the HMAC-SHA256 of `body` under `secret`.
/// The comparison takes the same time wherever the digests differ.
pub fn verify_hmac_sha256_hex(secret: &[u8], body: &[u8], hex_digest: &str) -> bool {
    let Ok(expected) = hex::decode(hex_digest.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Returns the hex HMAC-SHA256 of `body` under `secret`, as a sender signs.
pub fn sign_hmac_sha256_hex(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two secrets without revealing, through timing, where they
/// differ or how long the expected one is: both are hashed first.
pub fn constant_time_eq(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_round_trip() {
        let signature = sign_hmac_sha256_hex(b"rahasia", b"isi");
        assert!(verify_hmac_sha256_hex(b"rahasia", b"isi", &signature));
        assert!(!verify_hmac_sha256_hex(b"rahasia", b"isi!", &signature));
        assert!(!verify_hmac_sha256_hex(b"lain", b"isi", &signature));
        assert!(!verify_hmac_sha256_hex(b"rahasia", b"isi", "zz"));
    }

    #[test]
    fn secrets_compare() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("", "abc"));
    }
}
