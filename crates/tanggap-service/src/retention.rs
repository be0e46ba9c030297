//! Erasure of reporters' personal data when the retention period ends.
//!
//! A complaint closed (resolved, archived or forwarded) more than
//! `portal.retention_years` ago loses its reporter's name, phone number,
//! e-mail address, NIK and address, its channel reference (a phone number
//! or address as well), the recipients of its notifications, and the
//! files the reporter uploaded. The complaint, its history and its
//! figures stay for statistics. Each erasure writes one audit entry that
//! names the complaint and the period, not the data.

use crate::error::ServiceError;
use crate::{Services, now};
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use tanggap_store::AuditDraft;

/// Complaints erased per batch.
const RETENTION_BATCH: i64 = 200;

impl Services {
    /// Erases the reporter data of every complaint closed before the
    /// retention period that ends at `at`; returns how many were erased.
    /// A period of 0 years turns erasure off.
    pub async fn run_retention(&self, at: Timestamp) -> Result<usize, ServiceError> {
        let years = self.config.portal.retention_years;
        if years == 0 {
            return Ok(0);
        }
        let cutoff = at
            .to_zoned(self.config.time_zone.clone())
            .checked_sub(i64::from(years).years())
            .map_err(|e| ServiceError::Internal(format!("retention cutoff: {e}")))?
            .timestamp()
            .as_microsecond();
        let mut erased = 0;
        loop {
            let candidates = self
                .store
                .retention_candidates(cutoff, RETENTION_BATCH)
                .await?;
            if candidates.is_empty() {
                break;
            }
            let mut progressed = false;
            for id in candidates {
                let audit = AuditDraft {
                    at_micros: now().as_microsecond(),
                    actor: "system".into(),
                    action: "complaint.personal_data_erased".into(),
                    entity: format!("complaint:{id}"),
                    details: json!({ "retention_years": years }),
                };
                let Some(erasure) = self
                    .store
                    .erase_reporter_data(id, cutoff, now().as_microsecond(), audit)
                    .await?
                else {
                    continue;
                };
                progressed = true;
                erased += 1;
                for sha256 in erasure.reporter_files {
                    self.remove_unused_files(&sha256).await?;
                }
            }
            if !progressed {
                break;
            }
        }
        if erased > 0 {
            tracing::info!(
                erased,
                retention_years = years,
                "reporter data erased after the retention period"
            );
        }
        Ok(erased)
    }

    /// Removes a file's original and sanitised copy unless another
    /// attachment still uses the same content.
    async fn remove_unused_files(&self, sha256: &str) -> Result<(), ServiceError> {
        if sha256.len() != 64
            || !sha256.bytes().all(|b| b.is_ascii_hexdigit())
            || self.store.attachment_content_in_use(sha256).await?
        {
            return Ok(());
        }
        for folder in ["original", "sanitised"] {
            let path = self.stored_path(folder, sha256);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ServiceError::Internal(format!(
                        "removing an erased attachment file failed: {e}"
                    )));
                }
            }
        }
        Ok(())
    }
}
