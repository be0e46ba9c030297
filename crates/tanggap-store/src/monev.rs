//! SOP versions, monitoring and evaluation runs (SOP 05), and the event
//! stream behind the compliance figures.
//!
//! A run is changed as a whole: the service reads its state, decides the
//! change, and writes it back with [`MonevStore::save_monev_change`], which
//! fails with [`crate::StoreError::VersionConflict`] when someone else
//! changed the run in between.

use crate::{AuditDraft, Result};
use async_trait::async_trait;

/// A stored SOP version (versions after the shipped version 1).
#[derive(Clone, Debug, PartialEq)]
pub struct SopVersionRecord {
    pub number: String,
    pub version: i64,
    /// Local date, `YYYY-MM-DD`.
    pub effective_on: String,
    /// Instant (µs) from which work that starts uses this version.
    pub effective_from: i64,
    /// The TOML text.
    pub source: String,
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A monitoring and evaluation run of one quarter.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub year: i64,
    pub quarter: i64,
    pub sop_version: i64,
    pub basis: String,
    pub status: String,
    /// Incremented by every change, for optimistic concurrency.
    pub version: i64,
    pub started_by: Option<i64>,
    pub started_at: i64,
    pub archived_at: Option<i64>,
    /// The approved report version the run started from; `None` for runs
    /// started before runs required one.
    pub report_version_id: Option<i64>,
    /// SHA-256 of the PDF of that version, as the Sekda approved it.
    pub report_sha256: Option<String>,
}

/// One task of a run: one SOP activity.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRecord {
    pub activity: String,
    pub position: i64,
    /// SOP performer id.
    pub performer: String,
    pub due_at: i64,
    pub status: String,
    pub started_at: Option<i64>,
    pub started_by: Option<i64>,
    pub completed_at: Option<i64>,
    pub completed_by: Option<i64>,
}

/// The document an activity produces, as JSON, with its approval.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentRecord {
    pub activity: String,
    pub kind: String,
    pub content: String,
    /// SHA-256 of `content`'s bytes.
    pub sha256: String,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
    /// The hash the Sekda approved; the approval holds only while it
    /// equals `sha256`.
    pub approved_sha256: Option<String>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<i64>,
}

/// An action item decided in a meeting, tracked until done.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionItemRecord {
    /// 0 for an item to insert.
    pub id: i64,
    pub activity: String,
    /// Index of the meeting's minutes within the activity's document, 0
    /// for the first.
    pub meeting: i64,
    pub description: String,
    pub owner: String,
    /// Local date, `YYYY-MM-DD`.
    pub due_on: String,
    pub done_at: Option<i64>,
    pub done_by: Option<i64>,
}

/// A site-visit photo. The file is stored like an attachment, by SHA-256.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoRecord {
    /// 0 for a photo to insert.
    pub id: i64,
    /// Index of the visit in the monitoring report.
    pub visit: i64,
    pub file_name: String,
    pub media_type: String,
    pub sha256: String,
    pub latitude: f64,
    pub longitude: f64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
}

/// The archive bundle of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchiveRecord {
    pub run_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// Everything stored about a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    pub run: RunRecord,
    /// In SOP order.
    pub tasks: Vec<TaskRecord>,
    pub documents: Vec<DocumentRecord>,
    pub action_items: Vec<ActionItemRecord>,
    pub photos: Vec<PhotoRecord>,
    pub archive: Option<ArchiveRecord>,
}

/// A change to a run: rows to insert or replace, and a new status.
#[derive(Clone, Debug, Default)]
pub struct RunChange {
    pub run_id: i64,
    pub expected_version: i64,
    pub status: Option<String>,
    pub archived_at: Option<i64>,
    pub tasks: Vec<TaskRecord>,
    pub documents: Vec<DocumentRecord>,
    pub action_items: Vec<ActionItemRecord>,
    pub photos: Vec<PhotoRecord>,
    pub archive: Option<ArchiveRecord>,
}

/// An event that fulfils an SOP activity, with what the compliance
/// figures need of its complaint. No personal data.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEvent {
    pub complaint_id: i64,
    pub tracking_number: String,
    pub complaint_type: String,
    pub supervision: bool,
    pub lead_agency: Option<String>,
    pub at: i64,
    /// `<sop number>#<activity id>`.
    pub sop_activity: String,
}

/// Persistence of SOP versions and monitoring runs; part of [`crate::Store`].
#[async_trait]
pub trait MonevStore {
    /// Lists stored versions of one SOP, or of all, by number and version.
    async fn list_sop_versions(&self, number: Option<&str>) -> Result<Vec<SopVersionRecord>>;
    /// Inserts a version; `false` when that version number exists already.
    async fn insert_sop_version(
        &self,
        version: &SopVersionRecord,
        audit: AuditDraft,
    ) -> Result<bool>;
    /// Inserts a run with its tasks and first documents; `None` when the
    /// quarter has a run already.
    async fn insert_monev_run(
        &self,
        run: &RunRecord,
        tasks: &[TaskRecord],
        documents: &[DocumentRecord],
        audit: AuditDraft,
    ) -> Result<Option<i64>>;
    /// Lists runs, newest quarter first.
    async fn list_monev_runs(&self) -> Result<Vec<RunRecord>>;
    async fn monev_run(&self, id: i64) -> Result<Option<RunState>>;
    /// Applies a change if the run is still at `expected_version`, with its
    /// audit entry, in one transaction.
    async fn save_monev_change(&self, change: &RunChange, audit: AuditDraft) -> Result<()>;
    /// Lists archive bundles, newest first.
    async fn list_monev_archives(&self) -> Result<Vec<ArchiveRecord>>;
    /// Streams, per complaint in id order and within it in event order,
    /// the activity events before `to` (µs) of every complaint that has an
    /// activity event in `[from, to)`. Rows are passed to `sink` one by
    /// one, so memory stays bounded however many there are.
    async fn for_each_activity_event(
        &self,
        from: i64,
        to: i64,
        sink: &mut (dyn FnMut(ActivityEvent) + Send),
    ) -> Result<()>;
}

/// Implements [`MonevStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses its `append_audit_tx` helper.
macro_rules! impl_monev_store {
    ($store:ty, $db:ty, $row:ty) => {
        mod monev_rows {
            use $crate::Result;
            use $crate::monev::*;
            use sqlx::Row;

            pub(super) fn sop_version(r: &$row) -> Result<SopVersionRecord> {
                Ok(SopVersionRecord {
                    number: r.try_get("number")?,
                    version: r.try_get("version")?,
                    effective_on: r.try_get("effective_on")?,
                    effective_from: r.try_get("effective_from")?,
                    source: r.try_get("source")?,
                    sha256: r.try_get("sha256")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            pub(super) fn run(r: &$row) -> Result<RunRecord> {
                Ok(RunRecord {
                    id: r.try_get("id")?,
                    year: r.try_get("year")?,
                    quarter: r.try_get("quarter")?,
                    sop_version: r.try_get("sop_version")?,
                    basis: r.try_get("basis")?,
                    status: r.try_get("status")?,
                    version: r.try_get("version")?,
                    started_by: r.try_get("started_by")?,
                    started_at: r.try_get("started_at")?,
                    archived_at: r.try_get("archived_at")?,
                    report_version_id: r.try_get("report_version_id")?,
                    report_sha256: r.try_get("report_sha256")?,
                })
            }

            pub(super) fn task(r: &$row) -> Result<TaskRecord> {
                Ok(TaskRecord {
                    activity: r.try_get("activity")?,
                    position: r.try_get("position")?,
                    performer: r.try_get("performer")?,
                    due_at: r.try_get("due_at")?,
                    status: r.try_get("status")?,
                    started_at: r.try_get("started_at")?,
                    started_by: r.try_get("started_by")?,
                    completed_at: r.try_get("completed_at")?,
                    completed_by: r.try_get("completed_by")?,
                })
            }

            pub(super) fn document(r: &$row) -> Result<DocumentRecord> {
                Ok(DocumentRecord {
                    activity: r.try_get("activity")?,
                    kind: r.try_get("kind")?,
                    content: r.try_get("content")?,
                    sha256: r.try_get("sha256")?,
                    updated_by: r.try_get("updated_by")?,
                    updated_at: r.try_get("updated_at")?,
                    approved_sha256: r.try_get("approved_sha256")?,
                    approved_by: r.try_get("approved_by")?,
                    approved_at: r.try_get("approved_at")?,
                })
            }

            pub(super) fn action_item(r: &$row) -> Result<ActionItemRecord> {
                Ok(ActionItemRecord {
                    id: r.try_get("id")?,
                    activity: r.try_get("activity")?,
                    meeting: r.try_get("meeting")?,
                    description: r.try_get("description")?,
                    owner: r.try_get("owner")?,
                    due_on: r.try_get("due_on")?,
                    done_at: r.try_get("done_at")?,
                    done_by: r.try_get("done_by")?,
                })
            }

            pub(super) fn photo(r: &$row) -> Result<PhotoRecord> {
                Ok(PhotoRecord {
                    id: r.try_get("id")?,
                    visit: r.try_get("visit")?,
                    file_name: r.try_get("file_name")?,
                    media_type: r.try_get("media_type")?,
                    sha256: r.try_get("sha256")?,
                    latitude: r.try_get("latitude")?,
                    longitude: r.try_get("longitude")?,
                    uploaded_by: r.try_get("uploaded_by")?,
                    uploaded_at: r.try_get("uploaded_at")?,
                })
            }

            pub(super) fn archive(r: &$row) -> Result<ArchiveRecord> {
                Ok(ArchiveRecord {
                    run_id: r.try_get("run_id")?,
                    file_name: r.try_get("file_name")?,
                    media_type: r.try_get("media_type")?,
                    size_bytes: r.try_get("size_bytes")?,
                    sha256: r.try_get("sha256")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            pub(super) fn activity_event(r: &$row) -> Result<ActivityEvent> {
                Ok(ActivityEvent {
                    complaint_id: r.try_get("complaint_id")?,
                    tracking_number: r.try_get("tracking_number")?,
                    complaint_type: r.try_get("complaint_type")?,
                    supervision: r.try_get("supervision")?,
                    lead_agency: r.try_get("lead_agency")?,
                    at: r.try_get("at")?,
                    sop_activity: r.try_get("sop_activity")?,
                })
            }
        }

        async fn upsert_task(
            tx: &mut Transaction<'static, $db>,
            run_id: i64,
            t: &$crate::monev::TaskRecord,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO monev_tasks (run_id, activity, position, performer, due_at, status, \
                 started_at, started_by, completed_at, completed_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (run_id, activity) DO UPDATE SET position = excluded.position, \
                 performer = excluded.performer, due_at = excluded.due_at, \
                 status = excluded.status, started_at = excluded.started_at, \
                 started_by = excluded.started_by, completed_at = excluded.completed_at, \
                 completed_by = excluded.completed_by",
            )
            .bind(run_id)
            .bind(t.activity.clone())
            .bind(t.position)
            .bind(t.performer.clone())
            .bind(t.due_at)
            .bind(t.status.clone())
            .bind(t.started_at)
            .bind(t.started_by)
            .bind(t.completed_at)
            .bind(t.completed_by)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn upsert_document(
            tx: &mut Transaction<'static, $db>,
            run_id: i64,
            d: &$crate::monev::DocumentRecord,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO monev_documents (run_id, activity, kind, content, sha256, updated_by, \
                 updated_at, approved_sha256, approved_by, approved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (run_id, activity) DO UPDATE SET kind = excluded.kind, \
                 content = excluded.content, sha256 = excluded.sha256, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at, \
                 approved_sha256 = excluded.approved_sha256, \
                 approved_by = excluded.approved_by, approved_at = excluded.approved_at",
            )
            .bind(run_id)
            .bind(d.activity.clone())
            .bind(d.kind.clone())
            .bind(d.content.clone())
            .bind(d.sha256.clone())
            .bind(d.updated_by)
            .bind(d.updated_at)
            .bind(d.approved_sha256.clone())
            .bind(d.approved_by)
            .bind(d.approved_at)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn save_action_item(
            tx: &mut Transaction<'static, $db>,
            run_id: i64,
            item: &$crate::monev::ActionItemRecord,
        ) -> Result<()> {
            if item.id == 0 {
                sqlx::query(
                    "INSERT INTO monev_action_items (run_id, activity, meeting, description, \
                     owner, due_on, done_at, done_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(run_id)
                .bind(item.activity.clone())
                .bind(item.meeting)
                .bind(item.description.clone())
                .bind(item.owner.clone())
                .bind(item.due_on.clone())
                .bind(item.done_at)
                .bind(item.done_by)
                .execute(&mut **tx)
                .await?;
            } else {
                let updated = sqlx::query(
                    "UPDATE monev_action_items SET description = $1, owner = $2, due_on = $3, \
                     done_at = $4, done_by = $5 WHERE id = $6 AND run_id = $7",
                )
                .bind(item.description.clone())
                .bind(item.owner.clone())
                .bind(item.due_on.clone())
                .bind(item.done_at)
                .bind(item.done_by)
                .bind(item.id)
                .bind(run_id)
                .execute(&mut **tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::monev::MonevStore for $store {
            async fn list_sop_versions(
                &self,
                number: Option<&str>,
            ) -> Result<Vec<$crate::monev::SopVersionRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM sop_versions WHERE ($1 IS NULL OR number = $1) \
                     ORDER BY number, version",
                )
                .bind(number.map(str::to_owned))
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(monev_rows::sop_version).collect()
            }

            async fn insert_sop_version(
                &self,
                v: &$crate::monev::SopVersionRecord,
                audit: AuditDraft,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sop_versions WHERE number = $1 AND version = $2",
                )
                .bind(v.number.clone())
                .bind(v.version)
                .fetch_one(&mut *tx)
                .await?;
                if taken > 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO sop_versions (number, version, effective_on, effective_from, \
                     source, sha256, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(v.number.clone())
                .bind(v.version)
                .bind(v.effective_on.clone())
                .bind(v.effective_from)
                .bind(v.source.clone())
                .bind(v.sha256.clone())
                .bind(v.created_by)
                .bind(v.created_at)
                .execute(&mut *tx)
                .await?;
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn insert_monev_run(
                &self,
                run: &$crate::monev::RunRecord,
                tasks: &[$crate::monev::TaskRecord],
                documents: &[$crate::monev::DocumentRecord],
                audit: AuditDraft,
            ) -> Result<Option<i64>> {
                let mut tx = self.begin_write().await?;
                let existing: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM monev_runs WHERE year = $1 AND quarter = $2",
                )
                .bind(run.year)
                .bind(run.quarter)
                .fetch_one(&mut *tx)
                .await?;
                if existing > 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO monev_runs (year, quarter, sop_version, basis, status, version, \
                     started_by, started_at, report_version_id, report_sha256) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9) RETURNING id",
                )
                .bind(run.year)
                .bind(run.quarter)
                .bind(run.sop_version)
                .bind(run.basis.clone())
                .bind(run.status.clone())
                .bind(run.started_by)
                .bind(run.started_at)
                .bind(run.report_version_id)
                .bind(run.report_sha256.clone())
                .fetch_one(&mut *tx)
                .await?;
                for task in tasks {
                    upsert_task(&mut tx, id, task).await?;
                }
                for document in documents {
                    upsert_document(&mut tx, id, document).await?;
                }
                let mut audit = audit;
                audit.entity = format!("monev_run:{id}");
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(Some(id))
            }

            async fn list_monev_runs(&self) -> Result<Vec<$crate::monev::RunRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM monev_runs ORDER BY year DESC, quarter DESC, id DESC",
                )
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(monev_rows::run).collect()
            }

            async fn monev_run(&self, id: i64) -> Result<Option<$crate::monev::RunState>> {
                let Some(row) = sqlx::query("SELECT * FROM monev_runs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                else {
                    return Ok(None);
                };
                let run = monev_rows::run(&row)?;
                let fetch = |sql: &'static str| sqlx::query(sql).bind(id).fetch_all(&self.read);
                let tasks = fetch("SELECT * FROM monev_tasks WHERE run_id = $1 ORDER BY position")
                    .await?
                    .iter()
                    .map(monev_rows::task)
                    .collect::<Result<Vec<_>>>()?;
                let documents =
                    fetch("SELECT * FROM monev_documents WHERE run_id = $1 ORDER BY activity")
                        .await?
                        .iter()
                        .map(monev_rows::document)
                        .collect::<Result<Vec<_>>>()?;
                let action_items =
                    fetch("SELECT * FROM monev_action_items WHERE run_id = $1 ORDER BY id")
                        .await?
                        .iter()
                        .map(monev_rows::action_item)
                        .collect::<Result<Vec<_>>>()?;
                let photos = fetch("SELECT * FROM monev_photos WHERE run_id = $1 ORDER BY id")
                    .await?
                    .iter()
                    .map(monev_rows::photo)
                    .collect::<Result<Vec<_>>>()?;
                let archive = fetch("SELECT * FROM monev_archives WHERE run_id = $1")
                    .await?
                    .first()
                    .map(monev_rows::archive)
                    .transpose()?;
                Ok(Some($crate::monev::RunState {
                    run,
                    tasks,
                    documents,
                    action_items,
                    photos,
                    archive,
                }))
            }

            async fn save_monev_change(
                &self,
                change: &$crate::monev::RunChange,
                audit: AuditDraft,
            ) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE monev_runs SET version = version + 1, \
                     status = COALESCE($1, status), archived_at = COALESCE($2, archived_at) \
                     WHERE id = $3 AND version = $4",
                )
                .bind(change.status.clone())
                .bind(change.archived_at)
                .bind(change.run_id)
                .bind(change.expected_version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    let current: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM monev_runs WHERE id = $1")
                            .bind(change.run_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    tx.rollback().await?;
                    return Err(match current {
                        Some(current) => StoreError::VersionConflict { current },
                        None => StoreError::NotFound,
                    });
                }
                for task in &change.tasks {
                    upsert_task(&mut tx, change.run_id, task).await?;
                }
                for document in &change.documents {
                    upsert_document(&mut tx, change.run_id, document).await?;
                }
                for item in &change.action_items {
                    save_action_item(&mut tx, change.run_id, item).await?;
                }
                for p in &change.photos {
                    sqlx::query(
                        "INSERT INTO monev_photos (run_id, visit, file_name, media_type, sha256, \
                         latitude, longitude, uploaded_by, uploaded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(change.run_id)
                    .bind(p.visit)
                    .bind(p.file_name.clone())
                    .bind(p.media_type.clone())
                    .bind(p.sha256.clone())
                    .bind(p.latitude)
                    .bind(p.longitude)
                    .bind(p.uploaded_by)
                    .bind(p.uploaded_at)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(a) = &change.archive {
                    sqlx::query(
                        "INSERT INTO monev_archives (run_id, file_name, media_type, size_bytes, \
                         sha256, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(change.run_id)
                    .bind(a.file_name.clone())
                    .bind(a.media_type.clone())
                    .bind(a.size_bytes)
                    .bind(a.sha256.clone())
                    .bind(a.created_by)
                    .bind(a.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_monev_archives(&self) -> Result<Vec<$crate::monev::ArchiveRecord>> {
                let rows = sqlx::query("SELECT * FROM monev_archives ORDER BY created_at DESC")
                    .fetch_all(&self.read)
                    .await?;
                rows.iter().map(monev_rows::archive).collect()
            }

            async fn for_each_activity_event(
                &self,
                from: i64,
                to: i64,
                sink: &mut (dyn FnMut($crate::monev::ActivityEvent) + Send),
            ) -> Result<()> {
                use futures_util::TryStreamExt;
                let mut rows = sqlx::query(
                    "SELECT e.complaint_id, c.tracking_number, c.complaint_type, c.supervision, \
                     c.lead_agency, e.at, e.sop_activity \
                     FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id \
                     WHERE e.sop_activity IS NOT NULL AND e.at < $2 AND e.complaint_id IN \
                     (SELECT complaint_id FROM complaint_events \
                      WHERE sop_activity IS NOT NULL AND at >= $1 AND at < $2) \
                     ORDER BY e.complaint_id, e.id",
                )
                .bind(from)
                .bind(to)
                .fetch(&self.read);
                while let Some(row) = rows.try_next().await? {
                    sink(monev_rows::activity_event(&row)?);
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_monev_store;
