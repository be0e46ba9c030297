//! Queries behind the public views (the transparency page and Open311
//! GeoReport v2), and the API keys of Open311 clients.
//!
//! Every complaint query here excludes confidential complaints in SQL, so a
//! caller cannot forget the rule. The rows still carry the reporter's
//! identity columns: the service layer builds the public view from them and
//! drops the identity.

use crate::StoredEvent;
use crate::{AuditDraft, Result};
use async_trait::async_trait;
use tanggap_core::attachment::Attachment;
use tanggap_core::{Complaint, ComplaintId, Status};

/// Filter of [`PublicStore::list_public_complaints`]. Empty lists mean no
/// restriction.
#[derive(Clone, Debug, Default)]
pub struct PublicFilter {
    pub tracking_numbers: Vec<String>,
    /// Top-level category names.
    pub categories: Vec<String>,
    pub statuses: Vec<Status>,
    /// Arrival at or after this instant (µs).
    pub received_from: Option<i64>,
    /// Arrival before this instant (µs).
    pub received_until: Option<i64>,
    /// Only complaints with a map pin.
    pub with_position: bool,
    pub limit: i64,
    pub offset: i64,
}

/// An Open311 client's API key, without the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open311Key {
    pub id: i64,
    /// The client's name, chosen by the admin.
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Persistence of the public views; part of [`crate::Store`].
#[async_trait]
pub trait PublicStore {
    /// Lists non-confidential complaints matching `filter`, newest arrival
    /// first, with the number of all matches.
    async fn list_public_complaints(&self, filter: &PublicFilter) -> Result<(Vec<Complaint>, i64)>;
    /// Returns the public events of several complaints, in order. The
    /// caller chooses which of them to publish.
    async fn public_events_of(&self, ids: &[ComplaintId]) -> Result<Vec<StoredEvent>>;
    /// Returns the attachments of several complaints that have a sanitised
    /// copy (images without metadata), oldest first.
    async fn sanitised_images_of(&self, ids: &[ComplaintId]) -> Result<Vec<Attachment>>;
    /// Stores a new Open311 key by its hash, with its audit entry.
    async fn insert_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        now: i64,
        audit: AuditDraft,
    ) -> Result<i64>;
    /// Lists every Open311 key, revoked ones too, oldest first.
    async fn list_open311_keys(&self) -> Result<Vec<Open311Key>>;
    /// Revokes a key; `false` when no active key has that id.
    async fn revoke_open311_key(&self, id: i64, now: i64, audit: AuditDraft) -> Result<bool>;
    /// Finds the active (not revoked) key with this hash.
    async fn find_open311_key(&self, key_hash: &str) -> Result<Option<Open311Key>>;
}

/// Implements [`PublicStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses that macro's `complaint_from_row` and
/// `append_audit_tx` helpers.
macro_rules! impl_public_store {
    ($store:ty, $db:ty, $row:ty) => {
        fn push_public_filters(
            qb: &mut sqlx::QueryBuilder<'_, $db>,
            f: &$crate::public::PublicFilter,
        ) {
            qb.push(" AND c.confidential = ").push_bind(false);
            if !f.tracking_numbers.is_empty() {
                qb.push(" AND c.tracking_number IN (");
                let mut list = qb.separated(", ");
                for number in &f.tracking_numbers {
                    list.push_bind(number.clone());
                }
                qb.push(")");
            }
            if !f.categories.is_empty() {
                qb.push(" AND c.category IN (");
                let mut list = qb.separated(", ");
                for category in &f.categories {
                    list.push_bind(category.clone());
                }
                qb.push(")");
            }
            if !f.statuses.is_empty() {
                qb.push(" AND c.status IN (");
                let mut list = qb.separated(", ");
                for status in &f.statuses {
                    list.push_bind(status.code());
                }
                qb.push(")");
            }
            if let Some(from) = f.received_from {
                qb.push(" AND c.received_at >= ").push_bind(from);
            }
            if let Some(until) = f.received_until {
                qb.push(" AND c.received_at < ").push_bind(until);
            }
            if f.with_position {
                qb.push(" AND c.latitude IS NOT NULL AND c.longitude IS NOT NULL");
            }
        }

        fn open311_key_from_row(row: &$row) -> Result<$crate::public::Open311Key> {
            Ok($crate::public::Open311Key {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                created_at: row.try_get("created_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::public::PublicStore for $store {
            async fn list_public_complaints(
                &self,
                filter: &$crate::public::PublicFilter,
            ) -> Result<(Vec<Complaint>, i64)> {
                let mut count =
                    QueryBuilder::<$db>::new("SELECT COUNT(*) FROM complaints c WHERE 1 = 1");
                push_public_filters(&mut count, filter);
                let total: i64 = count.build_query_scalar().fetch_one(&self.read).await?;

                let mut select =
                    QueryBuilder::<$db>::new("SELECT c.* FROM complaints c WHERE 1 = 1");
                push_public_filters(&mut select, filter);
                select
                    .push(" ORDER BY c.received_at DESC, c.id DESC LIMIT ")
                    .push_bind(filter.limit)
                    .push(" OFFSET ")
                    .push_bind(filter.offset);
                let rows = select.build().fetch_all(&self.read).await?;
                let items = rows
                    .iter()
                    .map(complaint_from_row)
                    .collect::<Result<Vec<_>>>()?;
                Ok((items, total))
            }

            async fn public_events_of(&self, ids: &[ComplaintId]) -> Result<Vec<StoredEvent>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut select = QueryBuilder::<$db>::new(
                    "SELECT * FROM complaint_events WHERE visibility = 'public' AND complaint_id IN (",
                );
                let mut list = select.separated(", ");
                for id in ids {
                    list.push_bind(id.0);
                }
                select.push(") ORDER BY complaint_id, id");
                let rows = select.build().fetch_all(&self.read).await?;
                rows.iter().map(event_from_row).collect()
            }

            async fn sanitised_images_of(
                &self,
                ids: &[ComplaintId],
            ) -> Result<Vec<tanggap_core::attachment::Attachment>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut select = QueryBuilder::<$db>::new(
                    "SELECT * FROM attachments WHERE has_sanitised_copy = ",
                );
                select.push_bind(true).push(" AND complaint_id IN (");
                let mut list = select.separated(", ");
                for id in ids {
                    list.push_bind(id.0);
                }
                select.push(") ORDER BY id");
                let rows = select.build().fetch_all(&self.read).await?;
                rows.iter().map(attachment_from_row).collect()
            }

            async fn insert_open311_key(
                &self,
                name: &str,
                key_hash: &str,
                now: i64,
                audit: AuditDraft,
            ) -> Result<i64> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO open311_keys (name, key_hash, created_at) \
                     VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(name.to_owned())
                .bind(key_hash.to_owned())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let mut audit = audit;
                audit.entity = format!("open311_key:{id}");
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn list_open311_keys(&self) -> Result<Vec<$crate::public::Open311Key>> {
                let rows = sqlx::query(
                    "SELECT id, name, created_at, revoked_at FROM open311_keys ORDER BY id",
                )
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(open311_key_from_row).collect()
            }

            async fn revoke_open311_key(
                &self,
                id: i64,
                now: i64,
                audit: AuditDraft,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
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

            async fn find_open311_key(
                &self,
                key_hash: &str,
            ) -> Result<Option<$crate::public::Open311Key>> {
                sqlx::query(
                    "SELECT id, name, created_at, revoked_at FROM open311_keys \
                     WHERE key_hash = $1 AND revoked_at IS NULL",
                )
                .bind(key_hash.to_owned())
                .fetch_optional(&self.read)
                .await?
                .as_ref()
                .map(open311_key_from_row)
                .transpose()
            }
        }
    };
}
pub(crate) use impl_public_store;
