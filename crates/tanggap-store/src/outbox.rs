//! The notification outbox: notifications to reporters waiting to be sent,
//! the scan cursor over complaint events, and the reporter's language.
//!
//! The service layer decides what to send; the store keeps each
//! notification once per idempotency key and lets workers claim due rows
//! with a lease, like the job queue.

use crate::{AuditDraft, Result, StoredEvent};
use async_trait::async_trait;
use tanggap_core::ComplaintId;

/// State of an outbox row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker.
    Sending,
    Sent,
    /// Given up: a permanent error or the maximum number of attempts.
    Failed,
    /// Not sent because its channel is not configured.
    Skipped,
}

impl NotificationStatus {
    pub fn code(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Sending => "sending",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
            NotificationStatus::Skipped => "skipped",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "pending" => NotificationStatus::Pending,
            "sending" => NotificationStatus::Sending,
            "sent" => NotificationStatus::Sent,
            "failed" => NotificationStatus::Failed,
            "skipped" => NotificationStatus::Skipped,
            _ => return None,
        })
    }
}

/// A notification to queue.
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub complaint_id: ComplaintId,
    /// The complaint event that caused it; `None` for the automatic-close warning.
    pub event_id: Option<i64>,
    /// Occasion of the notification, e.g. `received` or `closing_soon`.
    pub kind: String,
    /// `email`, `whatsapp` or `sms`.
    pub channel: String,
    /// Unique per complaint, occasion and channel; a second insert with the
    /// same key is ignored.
    pub idempotency_key: String,
    pub recipient: String,
    pub language: String,
    /// Message arguments.
    pub params: serde_json::Value,
    pub max_attempts: i64,
    pub created_at: i64,
}

/// A claimed notification, with everything needed to send it.
#[derive(Clone, Debug)]
pub struct Notification {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub kind: String,
    pub channel: String,
    pub idempotency_key: String,
    /// `None` after the reporter's data was erased.
    pub recipient: Option<String>,
    pub language: String,
    pub params: serde_json::Value,
    /// Attempts so far, including the current one.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// An outbox row as staff see it: no recipient and no message arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationSummary {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub tracking_number: String,
    pub kind: String,
    pub channel: String,
    pub status: NotificationStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub next_attempt_at: i64,
    /// The last error, without personal data.
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

/// Outcome of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    Sent,
    /// The channel is not configured.
    Skipped {
        reason: String,
    },
    /// A temporary error: try again at `at`.
    Retry {
        at: i64,
        error: String,
    },
    /// A permanent error or the last attempt.
    Failed {
        error: String,
    },
}

/// Persistence of the outbox; part of [`crate::Store`].
#[async_trait]
pub trait OutboxStore {
    /// Complaint events after the scan cursor, oldest first, at most `limit`.
    async fn events_after_cursor(&self, limit: i64) -> Result<Vec<StoredEvent>>;
    /// Inserts `rows` (ignoring those whose key exists), records the
    /// automatic-close warnings in `closing` as queued, and moves the scan
    /// cursor forward to `cursor`, all in one transaction. Returns the
    /// number of rows inserted.
    async fn queue_notifications(
        &self,
        rows: &[NewNotification],
        closing: &[(ComplaintId, i64)],
        cursor: Option<i64>,
    ) -> Result<usize>;
    /// Complaints in the `responded` status that close automatically in
    /// `[from, until]` (µs) and have no warning queued for that instant.
    async fn closing_candidates(
        &self,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<(ComplaintId, i64)>>;
    /// Stores the language the reporter chose at intake.
    async fn put_reporter_language(&self, complaint: ComplaintId, language: &str) -> Result<()>;
    async fn reporter_language(&self, complaint: ComplaintId) -> Result<Option<String>>;
    /// Takes the next due notification for `worker` until `lease_until`;
    /// one whose lease ran out is taken again.
    async fn claim_notification(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<Notification>>;
    /// Records how an attempt ended; `params`, when given, replaces the
    /// message arguments (the service drops the reporter's secret once a
    /// row is final).
    async fn finish_notification(
        &self,
        id: i64,
        worker: &str,
        outcome: &AttemptOutcome,
        params: Option<&serde_json::Value>,
        now: i64,
    ) -> Result<()>;
    /// Outbox rows newest first, optionally of one status, below `before_id`.
    async fn list_notifications(
        &self,
        status: Option<NotificationStatus>,
        complaint: Option<ComplaintId>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<NotificationSummary>>;
    /// Puts a failed notification back in the queue with a fresh attempt
    /// count; `false` when it is not failed or its recipient was erased.
    async fn retry_notification(&self, id: i64, now: i64, audit: AuditDraft) -> Result<bool>;
}

/// Implements [`OutboxStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses that macro's imports and helpers.
macro_rules! impl_outbox_store {
    ($store:ty, $row:ty) => {
        fn notification_summary_from_row(
            row: &$row,
        ) -> Result<$crate::outbox::NotificationSummary> {
            let status: String = row.try_get("status")?;
            let attempts: i32 = row.try_get("attempts")?;
            let max_attempts: i32 = row.try_get("max_attempts")?;
            Ok($crate::outbox::NotificationSummary {
                id: row.try_get("id")?,
                complaint_id: ComplaintId(row.try_get("complaint_id")?),
                tracking_number: row.try_get("tracking_number")?,
                kind: row.try_get("kind")?,
                channel: row.try_get("channel")?,
                status: parse_code(
                    "status",
                    &status,
                    $crate::outbox::NotificationStatus::from_code,
                )?,
                attempts: i64::from(attempts),
                max_attempts: i64::from(max_attempts),
                next_attempt_at: row.try_get("next_attempt_at")?,
                last_error: row.try_get("last_error")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                sent_at: row.try_get("sent_at")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::outbox::OutboxStore for $store {
            async fn events_after_cursor(&self, limit: i64) -> Result<Vec<StoredEvent>> {
                let rows = sqlx::query(
                    "SELECT e.* FROM complaint_events e \
                     WHERE e.id > (SELECT last_event_id FROM notification_cursor \
                                   WHERE name = 'events') \
                     ORDER BY e.id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.write)
                .await?;
                rows.iter().map(event_from_row).collect()
            }

            async fn queue_notifications(
                &self,
                rows: &[$crate::outbox::NewNotification],
                closing: &[(ComplaintId, i64)],
                cursor: Option<i64>,
            ) -> Result<usize> {
                let mut tx = self.begin_write().await?;
                let mut inserted = 0;
                for row in rows {
                    inserted += sqlx::query(
                        "INSERT INTO notifications (complaint_id, event_id, kind, channel, \
                         idempotency_key, recipient, language, params, status, attempts, \
                         max_attempts, next_attempt_at, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $10, $10) \
                         ON CONFLICT (idempotency_key) DO NOTHING",
                    )
                    .bind(row.complaint_id.0)
                    .bind(row.event_id)
                    .bind(row.kind.clone())
                    .bind(row.channel.clone())
                    .bind(row.idempotency_key.clone())
                    .bind(row.recipient.clone())
                    .bind(row.language.clone())
                    .bind(json_text(&row.params))
                    .bind(i32::try_from(row.max_attempts).unwrap_or(i32::MAX))
                    .bind(row.created_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                for (complaint, auto_close_at) in closing {
                    sqlx::query(
                        "INSERT INTO notification_closing (complaint_id, auto_close_at) \
                         VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(complaint.0)
                    .bind(*auto_close_at)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(cursor) = cursor {
                    sqlx::query(
                        "UPDATE notification_cursor SET last_event_id = $1 \
                         WHERE name = 'events' AND last_event_id < $1",
                    )
                    .bind(cursor)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(usize::try_from(inserted).unwrap_or(usize::MAX))
            }

            async fn closing_candidates(
                &self,
                from: i64,
                until: i64,
                limit: i64,
            ) -> Result<Vec<(ComplaintId, i64)>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT c.id, c.auto_close_at FROM complaints c \
                     WHERE c.status = 'responded' AND c.auto_close_at >= $1 \
                       AND c.auto_close_at <= $2 \
                       AND NOT EXISTS (SELECT 1 FROM notification_closing n \
                                       WHERE n.complaint_id = c.id \
                                         AND n.auto_close_at = c.auto_close_at) \
                     ORDER BY c.auto_close_at, c.id LIMIT $3",
                )
                .bind(from)
                .bind(until)
                .bind(limit)
                .fetch_all(&self.write)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, at)| (ComplaintId(id), at))
                    .collect())
            }

            async fn put_reporter_language(
                &self,
                complaint: ComplaintId,
                language: &str,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO reporter_languages (complaint_id, language) VALUES ($1, $2) \
                     ON CONFLICT (complaint_id) DO UPDATE SET language = excluded.language",
                )
                .bind(complaint.0)
                .bind(language.to_owned())
                .execute(&self.write)
                .await?;
                Ok(())
            }

            async fn reporter_language(&self, complaint: ComplaintId) -> Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT language FROM reporter_languages WHERE complaint_id = $1",
                )
                .bind(complaint.0)
                .fetch_optional(&self.write)
                .await?)
            }

            async fn claim_notification(
                &self,
                worker: &str,
                now: i64,
                lease_until: i64,
            ) -> Result<Option<$crate::outbox::Notification>> {
                let sql = format!(
                    "UPDATE notifications SET status = 'sending', locked_by = $1, \
                     locked_until = $2, attempts = attempts + 1, updated_at = $3 \
                     WHERE id = (SELECT id FROM notifications WHERE \
                       (status = 'pending' AND next_attempt_at <= $3) \
                       OR (status = 'sending' AND locked_until < $3) \
                     ORDER BY next_attempt_at, id LIMIT 1 {}) \
                     RETURNING id, complaint_id, kind, channel, idempotency_key, recipient, \
                       language, params, attempts, max_attempts",
                    <$store>::SKIP_LOCKED
                );
                let row = sqlx::query(&sql)
                    .bind(worker.to_owned())
                    .bind(lease_until)
                    .bind(now)
                    .fetch_optional(&self.write)
                    .await?;
                row.map(|r| {
                    let attempts: i32 = r.try_get("attempts")?;
                    let max_attempts: i32 = r.try_get("max_attempts")?;
                    Ok($crate::outbox::Notification {
                        id: r.try_get("id")?,
                        complaint_id: ComplaintId(r.try_get("complaint_id")?),
                        kind: r.try_get("kind")?,
                        channel: r.try_get("channel")?,
                        idempotency_key: r.try_get("idempotency_key")?,
                        recipient: r.try_get("recipient")?,
                        language: r.try_get("language")?,
                        params: parse_json("params", &r.try_get::<String, _>("params")?)?,
                        attempts: i64::from(attempts),
                        max_attempts: i64::from(max_attempts),
                    })
                })
                .transpose()
            }

            async fn finish_notification(
                &self,
                id: i64,
                worker: &str,
                outcome: &$crate::outbox::AttemptOutcome,
                params: Option<&serde_json::Value>,
                now: i64,
            ) -> Result<()> {
                use $crate::outbox::AttemptOutcome as O;
                let (status, next_attempt_at, error, sent_at) = match outcome {
                    O::Sent => ("sent", None, None, Some(now)),
                    O::Skipped { reason } => ("skipped", None, Some(reason.clone()), None),
                    O::Retry { at, error } => ("pending", Some(*at), Some(error.clone()), None),
                    O::Failed { error } => ("failed", None, Some(error.clone()), None),
                };
                let params = params.map(json_text);
                sqlx::query(
                    "UPDATE notifications SET status = $1, \
                     next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3, \
                     sent_at = COALESCE($4, sent_at), params = COALESCE($5, params), \
                     locked_by = NULL, locked_until = NULL, updated_at = $6 \
                     WHERE id = $7 AND locked_by = $8",
                )
                .bind(status)
                .bind(next_attempt_at)
                .bind(error)
                .bind(sent_at)
                .bind(params)
                .bind(now)
                .bind(id)
                .bind(worker.to_owned())
                .execute(&self.write)
                .await?;
                Ok(())
            }

            async fn list_notifications(
                &self,
                status: Option<$crate::outbox::NotificationStatus>,
                complaint: Option<ComplaintId>,
                before_id: Option<i64>,
                limit: i64,
            ) -> Result<Vec<$crate::outbox::NotificationSummary>> {
                let rows = sqlx::query(
                    "SELECT n.id, n.complaint_id, c.tracking_number, n.kind, n.channel, \
                       n.status, n.attempts, n.max_attempts, n.next_attempt_at, n.last_error, \
                       n.created_at, n.updated_at, n.sent_at \
                     FROM notifications n JOIN complaints c ON c.id = n.complaint_id \
                     WHERE ($1 IS NULL OR n.status = $1) \
                       AND ($2 IS NULL OR n.complaint_id = $2) \
                       AND ($3 IS NULL OR n.id < $3) \
                     ORDER BY n.id DESC LIMIT $4",
                )
                .bind(status.map(|s| s.code()))
                .bind(complaint.map(|c| c.0))
                .bind(before_id)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(notification_summary_from_row).collect()
            }

            async fn retry_notification(
                &self,
                id: i64,
                now: i64,
                audit: AuditDraft,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE notifications SET status = 'pending', attempts = 0, \
                     next_attempt_at = $1, last_error = NULL, updated_at = $1 \
                     WHERE id = $2 AND status = 'failed' AND recipient IS NOT NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_outbox_store;
