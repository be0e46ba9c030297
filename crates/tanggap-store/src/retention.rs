//! Erasure of a reporter's personal data at the end of the retention
//! period. The complaint itself stays, without the identity, for
//! statistics and the audit trail.

use crate::{AuditDraft, Result};
use async_trait::async_trait;
use tanggap_core::ComplaintId;

/// Record of what an erasure removed, for the audit entry and the file
/// clean-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erasure {
    /// SHA-256 of the reporter's attachments, whose files the caller
    /// removes when no other attachment uses the same content.
    pub reporter_files: Vec<String>,
}

/// Persistence of the retention job; part of [`crate::Store`].
#[async_trait]
pub trait RetentionStore {
    /// Complaints closed (resolved, archived or forwarded) before
    /// `closed_before` (µs) whose reporter data was not erased yet, oldest first.
    async fn retention_candidates(
        &self,
        closed_before: i64,
        limit: i64,
    ) -> Result<Vec<ComplaintId>>;
    /// Erases the reporter's name, phone, e-mail, NIK and address, the
    /// channel reference, the notification recipients and the reporter's
    /// attachment file names of a complaint still closed before
    /// `closed_before`, and records the erasure with `audit` in one
    /// transaction. Returns `None` when the complaint is no longer a
    /// candidate (reopened or already erased).
    async fn erase_reporter_data(
        &self,
        complaint: ComplaintId,
        closed_before: i64,
        now: i64,
        audit: AuditDraft,
    ) -> Result<Option<Erasure>>;
    /// Tells whether any attachment still refers to a file's content.
    async fn attachment_content_in_use(&self, sha256: &str) -> Result<bool>;
}

/// Implements [`RetentionStore`] for a backend, expanded next to `impl_store!`.
macro_rules! impl_retention_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::retention::RetentionStore for $store {
            async fn retention_candidates(
                &self,
                closed_before: i64,
                limit: i64,
            ) -> Result<Vec<ComplaintId>> {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT c.id FROM complaints c \
                     WHERE c.status IN ('resolved', 'archived', 'forwarded') \
                       AND c.closed_at < $1 \
                       AND NOT EXISTS (SELECT 1 FROM personal_data_erasures p \
                                       WHERE p.complaint_id = c.id) \
                     ORDER BY c.closed_at, c.id LIMIT $2",
                )
                .bind(closed_before)
                .bind(limit)
                .fetch_all(&self.write)
                .await?;
                Ok(ids.into_iter().map(ComplaintId).collect())
            }

            async fn erase_reporter_data(
                &self,
                complaint: ComplaintId,
                closed_before: i64,
                now: i64,
                audit: AuditDraft,
            ) -> Result<Option<$crate::retention::Erasure>> {
                let mut tx = self.begin_write().await?;
                let erased = sqlx::query(
                    "UPDATE complaints SET reporter_name = NULL, reporter_phone = NULL, \
                     reporter_email = NULL, reporter_nik = NULL, reporter_address = NULL, \
                     channel_reference = NULL, version = version + 1, updated_at = $1 \
                     WHERE id = $2 AND status IN ('resolved', 'archived', 'forwarded') \
                       AND closed_at < $3 \
                       AND NOT EXISTS (SELECT 1 FROM personal_data_erasures p \
                                       WHERE p.complaint_id = $2)",
                )
                .bind(now)
                .bind(complaint.0)
                .bind(closed_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if erased == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                sqlx::query(
                    "INSERT INTO personal_data_erasures (complaint_id, erased_at) VALUES ($1, $2)",
                )
                .bind(complaint.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE notifications SET recipient = NULL, params = '{}', updated_at = $1 \
                     WHERE complaint_id = $2",
                )
                .bind(now)
                .bind(complaint.0)
                .execute(&mut *tx)
                .await?;
                let reporter_files: Vec<String> = sqlx::query_scalar(
                    "SELECT sha256 FROM attachments WHERE complaint_id = $1 AND from_reporter",
                )
                .bind(complaint.0)
                .fetch_all(&mut *tx)
                .await?;
                // A file name can name the reporter. The emptied hash marks
                // the file as gone and keeps it out of the in-use check.
                sqlx::query(
                    "UPDATE attachments SET file_name = 'dihapus', sha256 = '' \
                     WHERE complaint_id = $1 AND from_reporter",
                )
                .bind(complaint.0)
                .execute(&mut *tx)
                .await?;
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(Some($crate::retention::Erasure { reporter_files }))
            }

            async fn attachment_content_in_use(&self, sha256: &str) -> Result<bool> {
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE sha256 = $1")
                        .bind(sha256.to_owned())
                        .fetch_one(&self.write)
                        .await?;
                Ok(count > 0)
            }
        }
    };
}
pub(crate) use impl_retention_store;
