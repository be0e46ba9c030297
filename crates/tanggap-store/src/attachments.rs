//! Attachment metadata. The file contents live outside the database (see
//! `tanggap-service`'s file storage); the store keeps what is needed to find
//! and authorise them.

use crate::{AuditDraft, Result};
use async_trait::async_trait;
use tanggap_core::ComplaintId;
use tanggap_core::attachment::Attachment;
use tanggap_core::lifecycle::Event;

/// An attachment to insert; the store assigns its id.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub complaint_id: ComplaintId,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub has_sanitised_copy: bool,
    pub from_reporter: bool,
    pub uploaded_by: Option<i64>,
    pub uploaded_at_micros: i64,
}

/// Result of [`AttachmentStore::insert_attachment`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentInsert {
    Inserted(Attachment),
    /// The complaint already has the maximum number of attachments.
    LimitReached,
}

/// Persistence of attachment metadata; part of [`crate::Store`].
#[async_trait]
pub trait AttachmentStore {
    /// Inserts an attachment with its history event and audit entry in one
    /// transaction, unless the complaint already has `max_per_complaint`
    /// attachments. The count is taken inside the write transaction, so two
    /// concurrent uploads cannot pass the limit together. `make_event`
    /// receives the new attachment id.
    async fn insert_attachment(
        &self,
        new: &NewAttachment,
        max_per_complaint: i64,
        make_event: &(dyn Fn(i64) -> Event + Send + Sync),
        audit: AuditDraft,
    ) -> Result<AttachmentInsert>;
    /// Lists a complaint's attachments, oldest first.
    async fn list_attachments(&self, complaint: ComplaintId) -> Result<Vec<Attachment>>;
    async fn get_attachment(&self, id: i64) -> Result<Option<Attachment>>;
}

/// Implements [`AttachmentStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses that macro's `insert_event` and
/// `append_audit_tx` helpers.
macro_rules! impl_attachment_store {
    ($store:ty, $row:ty) => {
        fn attachment_from_row(row: &$row) -> Result<tanggap_core::attachment::Attachment> {
            let size: i64 = row.try_get("size_bytes")?;
            Ok(tanggap_core::attachment::Attachment {
                id: row.try_get("id")?,
                complaint_id: ComplaintId(row.try_get("complaint_id")?),
                meta: tanggap_core::complaint::AttachmentMeta {
                    file_name: row.try_get("file_name")?,
                    media_type: row.try_get("media_type")?,
                    size_bytes: u64::try_from(size)
                        .map_err(|_| StoreError::Corrupt(format!("attachment size {size}")))?,
                    sha256: row.try_get("sha256")?,
                },
                has_sanitised_copy: row.try_get("has_sanitised_copy")?,
                from_reporter: row.try_get("from_reporter")?,
                uploaded_by: row.try_get("uploaded_by")?,
                uploaded_at: from_micros(row.try_get("uploaded_at")?)?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::attachments::AttachmentStore for $store {
            async fn insert_attachment(
                &self,
                new: &$crate::attachments::NewAttachment,
                max_per_complaint: i64,
                make_event: &(dyn Fn(i64) -> Event + Send + Sync),
                audit: AuditDraft,
            ) -> Result<$crate::attachments::AttachmentInsert> {
                let mut tx = self.begin_write().await?;
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE complaint_id = $1")
                        .bind(new.complaint_id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                if count >= max_per_complaint {
                    tx.rollback().await?;
                    return Ok($crate::attachments::AttachmentInsert::LimitReached);
                }
                let size = i64::try_from(new.size_bytes).map_err(|_| {
                    StoreError::Corrupt(format!("attachment size {}", new.size_bytes))
                })?;
                let row = sqlx::query(
                    "INSERT INTO attachments (complaint_id, file_name, media_type, size_bytes, \
                     sha256, has_sanitised_copy, from_reporter, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
                )
                .bind(new.complaint_id.0)
                .bind(new.file_name.clone())
                .bind(new.media_type.clone())
                .bind(size)
                .bind(new.sha256.clone())
                .bind(new.has_sanitised_copy)
                .bind(new.from_reporter)
                .bind(new.uploaded_by)
                .bind(new.uploaded_at_micros)
                .fetch_one(&mut *tx)
                .await?;
                let attachment = attachment_from_row(&row)?;
                insert_event(&mut tx, new.complaint_id.0, &make_event(attachment.id)).await?;
                let mut audit = audit;
                audit.entity = format!("attachment:{}", attachment.id);
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok($crate::attachments::AttachmentInsert::Inserted(attachment))
            }

            async fn list_attachments(
                &self,
                complaint: ComplaintId,
            ) -> Result<Vec<tanggap_core::attachment::Attachment>> {
                let rows =
                    sqlx::query("SELECT * FROM attachments WHERE complaint_id = $1 ORDER BY id")
                        .bind(complaint.0)
                        .fetch_all(&self.read)
                        .await?;
                rows.iter().map(attachment_from_row).collect()
            }

            async fn get_attachment(
                &self,
                id: i64,
            ) -> Result<Option<tanggap_core::attachment::Attachment>> {
                sqlx::query("SELECT * FROM attachments WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .as_ref()
                    .map(attachment_from_row)
                    .transpose()
            }
        }
    };
}
pub(crate) use impl_attachment_store;
