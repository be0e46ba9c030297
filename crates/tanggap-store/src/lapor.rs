//! Persistence of the SP4N-LAPOR! synchronisation: the link between a
//! LAPOR! tracking ID and its complaint, the sync cursors, and the outbox of
//! changes to push.

use crate::{AuditDraft, Result, StoredEvent};
use async_trait::async_trait;
use tanggap_core::ComplaintId;

/// A LAPOR! report linked to its complaint, with the report's state as
/// LAPOR! last sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaporLink {
    pub tracking_id: String,
    pub complaint_id: ComplaintId,
    pub remote_status: String,
    pub remote_version: i64,
    pub remote_updated_at: i64,
    pub synced_at: i64,
}

/// Result of [`LaporStore::save_lapor_link`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    Inserted,
    /// The stored version was older and was replaced.
    Updated,
    /// The stored version is the same or newer: nothing changed.
    Stale,
}

/// A change waiting to be pushed to LAPOR!.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub event_id: i64,
    pub complaint_id: ComplaintId,
    pub tracking_id: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// An outbox item before it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOutboxItem {
    pub event_id: i64,
    pub complaint_id: ComplaintId,
    pub tracking_id: String,
    pub payload: serde_json::Value,
}

/// Counts of outbox items per status.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// Persistence of the LAPOR! synchronisation; part of [`crate::Store`].
#[async_trait]
pub trait LaporStore {
    async fn lapor_cursor(&self, name: &str) -> Result<Option<String>>;
    /// Saves a cursor, with an audit entry in the same transaction.
    async fn set_lapor_cursor(
        &self,
        name: &str,
        value: &str,
        now: i64,
        audit: AuditDraft,
    ) -> Result<()>;
    async fn lapor_link(&self, tracking_id: &str) -> Result<Option<LaporLink>>;
    async fn lapor_link_for(&self, complaint: ComplaintId) -> Result<Option<LaporLink>>;
    /// Inserts a link, or replaces the stored remote state when `link`
    /// carries a newer `remote_version`; the audit entry is written only
    /// when something changed. A tracking ID already linked to another
    /// complaint is an error: the primary key rejects it.
    async fn save_lapor_link(&self, link: &LaporLink, audit: AuditDraft) -> Result<LinkOutcome>;
    /// Events with an id above `after_event` of complaints that have a
    /// LAPOR! link, in id order, each with its tracking ID.
    async fn lapor_events_after(
        &self,
        after_event: i64,
        limit: i64,
    ) -> Result<Vec<(StoredEvent, String)>>;
    /// Queues `items` (an event already queued is skipped) and moves the
    /// push cursor to `scanned_to`, in one transaction.
    async fn enqueue_lapor_outbox(
        &self,
        items: &[NewOutboxItem],
        scanned_to: i64,
        now: i64,
    ) -> Result<usize>;
    /// Pending items in queue order, due or not.
    async fn pending_lapor_outbox(&self, limit: i64) -> Result<Vec<OutboxItem>>;
    /// Marks an item as acknowledged by LAPOR!, with its audit entry.
    async fn mark_lapor_outbox_sent(&self, id: i64, now: i64, audit: AuditDraft) -> Result<()>;
    /// Records a failed push: with `retry_at` the item stays pending until
    /// then, without it the item fails for good. Writes the audit entry.
    async fn mark_lapor_outbox_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        audit: AuditDraft,
    ) -> Result<()>;
    async fn lapor_outbox_counts(&self) -> Result<OutboxCounts>;
}

/// Implements [`LaporStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses that macro's helpers.
macro_rules! impl_lapor_store {
    ($store:ty, $row:ty) => {
        fn lapor_link_from_row(row: &$row) -> Result<$crate::lapor::LaporLink> {
            Ok($crate::lapor::LaporLink {
                tracking_id: row.try_get("tracking_id")?,
                complaint_id: ComplaintId(row.try_get("complaint_id")?),
                remote_status: row.try_get("remote_status")?,
                remote_version: row.try_get("remote_version")?,
                remote_updated_at: row.try_get("remote_updated_at")?,
                synced_at: row.try_get("synced_at")?,
            })
        }

        fn outbox_from_row(row: &$row) -> Result<$crate::lapor::OutboxItem> {
            let attempts: i32 = row.try_get("attempts")?;
            Ok($crate::lapor::OutboxItem {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                complaint_id: ComplaintId(row.try_get("complaint_id")?),
                tracking_id: row.try_get("tracking_id")?,
                payload: parse_json("payload", &row.try_get::<String, _>("payload")?)?,
                attempts: i64::from(attempts),
                next_attempt_at: row.try_get("next_attempt_at")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::lapor::LaporStore for $store {
            async fn lapor_cursor(&self, name: &str) -> Result<Option<String>> {
                Ok(
                    sqlx::query_scalar("SELECT value FROM lapor_cursors WHERE name = $1")
                        .bind(name.to_owned())
                        .fetch_optional(&self.write)
                        .await?,
                )
            }

            async fn set_lapor_cursor(
                &self,
                name: &str,
                value: &str,
                now: i64,
                audit: AuditDraft,
            ) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO lapor_cursors (name, value, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                     updated_at = excluded.updated_at",
                )
                .bind(name.to_owned())
                .bind(value.to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn lapor_link(
                &self,
                tracking_id: &str,
            ) -> Result<Option<$crate::lapor::LaporLink>> {
                sqlx::query("SELECT * FROM lapor_reports WHERE tracking_id = $1")
                    .bind(tracking_id.to_owned())
                    .fetch_optional(&self.write)
                    .await?
                    .as_ref()
                    .map(lapor_link_from_row)
                    .transpose()
            }

            async fn lapor_link_for(
                &self,
                complaint: ComplaintId,
            ) -> Result<Option<$crate::lapor::LaporLink>> {
                sqlx::query("SELECT * FROM lapor_reports WHERE complaint_id = $1")
                    .bind(complaint.0)
                    .fetch_optional(&self.read)
                    .await?
                    .as_ref()
                    .map(lapor_link_from_row)
                    .transpose()
            }

            async fn save_lapor_link(
                &self,
                link: &$crate::lapor::LaporLink,
                audit: AuditDraft,
            ) -> Result<$crate::lapor::LinkOutcome> {
                use $crate::lapor::LinkOutcome;
                let mut tx = self.begin_write().await?;
                let stored: Option<i64> = sqlx::query_scalar(
                    "SELECT remote_version FROM lapor_reports WHERE tracking_id = $1",
                )
                .bind(link.tracking_id.clone())
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match stored {
                    Some(version) if version >= link.remote_version => LinkOutcome::Stale,
                    Some(_) => {
                        sqlx::query(
                            "UPDATE lapor_reports SET remote_status = $1, remote_version = $2, \
                             remote_updated_at = $3, synced_at = $4 WHERE tracking_id = $5",
                        )
                        .bind(link.remote_status.clone())
                        .bind(link.remote_version)
                        .bind(link.remote_updated_at)
                        .bind(link.synced_at)
                        .bind(link.tracking_id.clone())
                        .execute(&mut *tx)
                        .await?;
                        LinkOutcome::Updated
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO lapor_reports (tracking_id, complaint_id, remote_status, \
                             remote_version, remote_updated_at, synced_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(link.tracking_id.clone())
                        .bind(link.complaint_id.0)
                        .bind(link.remote_status.clone())
                        .bind(link.remote_version)
                        .bind(link.remote_updated_at)
                        .bind(link.synced_at)
                        .execute(&mut *tx)
                        .await?;
                        LinkOutcome::Inserted
                    }
                };
                if outcome == LinkOutcome::Stale {
                    tx.rollback().await?;
                } else {
                    append_audit_tx(&mut tx, &audit).await?;
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            async fn lapor_events_after(
                &self,
                after_event: i64,
                limit: i64,
            ) -> Result<Vec<(StoredEvent, String)>> {
                let rows = sqlx::query(
                    "SELECT e.*, l.tracking_id AS lapor_tracking_id FROM complaint_events e \
                     JOIN lapor_reports l ON l.complaint_id = e.complaint_id \
                     WHERE e.id > $1 ORDER BY e.id LIMIT $2",
                )
                .bind(after_event)
                .bind(limit)
                .fetch_all(&self.write)
                .await?;
                rows.iter()
                    .map(|row| Ok((event_from_row(row)?, row.try_get("lapor_tracking_id")?)))
                    .collect()
            }

            async fn enqueue_lapor_outbox(
                &self,
                items: &[$crate::lapor::NewOutboxItem],
                scanned_to: i64,
                now: i64,
            ) -> Result<usize> {
                let mut tx = self.begin_write().await?;
                let mut queued = 0;
                for item in items {
                    queued += sqlx::query(
                        "INSERT INTO lapor_outbox (event_id, complaint_id, tracking_id, payload, \
                         status, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
                         ON CONFLICT (event_id) DO NOTHING",
                    )
                    .bind(item.event_id)
                    .bind(item.complaint_id.0)
                    .bind(item.tracking_id.clone())
                    .bind(json_text(&item.payload))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                sqlx::query(
                    "INSERT INTO lapor_cursors (name, value, updated_at) VALUES ('push', $1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                     updated_at = excluded.updated_at",
                )
                .bind(scanned_to.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(usize::try_from(queued).unwrap_or(usize::MAX))
            }

            async fn pending_lapor_outbox(
                &self,
                limit: i64,
            ) -> Result<Vec<$crate::lapor::OutboxItem>> {
                let rows = sqlx::query(
                    "SELECT * FROM lapor_outbox WHERE status = 'pending' ORDER BY id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.write)
                .await?;
                rows.iter().map(outbox_from_row).collect()
            }

            async fn mark_lapor_outbox_sent(
                &self,
                id: i64,
                now: i64,
                audit: AuditDraft,
            ) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE lapor_outbox SET status = 'sent', attempts = attempts + 1, \
                     sent_at = $1, last_error = NULL WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn mark_lapor_outbox_failed(
                &self,
                id: i64,
                error: &str,
                retry_at: Option<i64>,
                audit: AuditDraft,
            ) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE lapor_outbox SET status = $1, attempts = attempts + 1, \
                     next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3 \
                     WHERE id = $4",
                )
                .bind(if retry_at.is_some() {
                    "pending"
                } else {
                    "failed"
                })
                .bind(retry_at)
                .bind(error.to_owned())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn lapor_outbox_counts(&self) -> Result<$crate::lapor::OutboxCounts> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM lapor_outbox GROUP BY status")
                        .fetch_all(&self.read)
                        .await?;
                let count = |s: &str| {
                    rows.iter()
                        .find(|(status, _)| status == s)
                        .map_or(0, |(_, n)| *n)
                };
                Ok($crate::lapor::OutboxCounts {
                    pending: count("pending"),
                    sent: count("sent"),
                    failed: count("failed"),
                })
            }
        }
    };
}
pub(crate) use impl_lapor_store;
