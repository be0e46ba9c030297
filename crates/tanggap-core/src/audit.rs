//! The hash chain of the audit log.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so
//! changing, removing or reordering any stored entry breaks every hash after
//! it. The first entry chains from [`GENESIS_HASH`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The previous-hash value of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as it is hashed and stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at_micros: i64,
    /// Actor: `user:<id>`, `reporter`, or `system`.
    pub actor: String,
    /// Action, e.g. `complaint.dispatch`.
    pub action: String,
    /// Entity acted on, e.g. `complaint:42`.
    pub entity: String,
    /// Structured details as canonical JSON; never personal data.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Computes the hash of an entry from its fields and the previous hash.
pub fn entry_hash(
    seq: i64,
    at_micros: i64,
    actor: &str,
    action: &str,
    entity: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut hasher = Sha256::new();
    // Fields are length-prefixed so that no two different entries produce
    // the same byte stream.
    for field in [
        prev_hash,
        &seq.to_string(),
        &at_micros.to_string(),
        actor,
        action,
        entity,
        details,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A break found while verifying the chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit entry {seq}: expected sequence number {expected}")]
    Gap { seq: i64, expected: i64 },
    #[error("audit entry {seq}: previous hash does not match entry {}", seq - 1)]
    BrokenLink { seq: i64 },
    #[error("audit entry {seq}: stored hash does not match its content")]
    Tampered { seq: i64 },
}

/// Incremental verifier: feed entries in sequence order.
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainError> {
        if entry.seq != self.expected_seq {
            return Err(ChainError::Gap {
                seq: entry.seq,
                expected: self.expected_seq,
            });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink { seq: entry.seq });
        }
        let computed = entry_hash(
            entry.seq,
            entry.at_micros,
            &entry.actor,
            &entry.action,
            &entry.entity,
            &entry.details,
            &entry.prev_hash,
        );
        if computed != entry.hash {
            return Err(ChainError::Tampered { seq: entry.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = computed;
        Ok(())
    }

    /// Returns how many entries were verified.
    pub fn verified(&self) -> i64 {
        self.expected_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, details: &str) -> AuditEntry {
        let hash = entry_hash(seq, 10, "system", "x", "complaint:1", details, prev);
        AuditEntry {
            seq,
            at_micros: 10,
            actor: "system".into(),
            action: "x".into(),
            entity: "complaint:1".into(),
            details: details.into(),
            prev_hash: prev.into(),
            hash,
        }
    }

    #[test]
    fn chain_detects_changed_details() {
        let first = entry(1, GENESIS_HASH, "{}");
        let second = entry(2, &first.hash, "{\"a\":1}");
        let mut verifier = ChainVerifier::default();
        assert_eq!(verifier.check(&first), Ok(()));
        let mut changed = second.clone();
        changed.details = "{\"a\":2}".into();
        assert_eq!(
            verifier.check(&changed),
            Err(ChainError::Tampered { seq: 2 })
        );
        assert_eq!(verifier.check(&second), Ok(()));
        assert_eq!(verifier.verified(), 2);
    }

    #[test]
    fn chain_detects_removed_entry() {
        let first = entry(1, GENESIS_HASH, "{}");
        let second = entry(2, &first.hash, "{}");
        let third = entry(3, &second.hash, "{}");
        let mut verifier = ChainVerifier::default();
        assert_eq!(verifier.check(&first), Ok(()));
        assert_eq!(
            verifier.check(&third),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
    }
}
