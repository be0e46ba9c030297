//! Versions of the quarterly report document and their files. The store
//! keeps what the service decided; the workflow rules are in
//! `tanggap_core::report_workflow` and the access rules in the service.

use crate::{AuditDraft, Result};
use async_trait::async_trait;

/// A version to insert. The store assigns its id.
#[derive(Clone, Debug)]
pub struct NewReportVersion {
    pub year: i32,
    pub quarter: i32,
    /// 1 for the first version of a quarter, then one more each time.
    pub number: i64,
    pub state: String,
    pub lang: String,
    pub figures: serde_json::Value,
    pub narrative: serde_json::Value,
    pub signers: serde_json::Value,
    /// Local date printed on the document, `YYYY-MM-DD`.
    pub issued_on: String,
    pub pdf_sha256: String,
    pub created_by: String,
    pub created_at_micros: i64,
}

/// A rendered file of a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    /// `pdf`, `docx` or `xlsx`.
    pub format: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// A stored version. `figures` is `Null` in lists, which leave it out.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportVersionRecord {
    pub id: i64,
    pub year: i32,
    pub quarter: i32,
    pub number: i64,
    pub state: String,
    pub lang: String,
    pub figures: serde_json::Value,
    pub narrative: serde_json::Value,
    pub signers: serde_json::Value,
    pub issued_on: String,
    pub pdf_sha256: String,
    pub created_by: String,
    pub created_at_micros: i64,
    /// Actor and time (microseconds) of each step taken.
    pub submitted: Option<(String, i64)>,
    pub reviewed: Option<(String, i64)>,
    /// The note, who and when of the last return.
    pub returned: Option<(String, String, i64)>,
    /// Who, when, and the SHA-256 of the PDF the Sekda approved.
    pub approved: Option<(String, i64, String)>,
    pub published: Option<(String, i64)>,
}

/// A change of state with the record of the step. Fields left `None` keep
/// their stored value.
#[derive(Clone, Debug, Default)]
pub struct ReportStateChange {
    pub state: String,
    pub submitted: Option<(String, i64)>,
    pub reviewed: Option<(String, i64)>,
    pub returned: Option<(String, String, i64)>,
    pub approved: Option<(String, i64, String)>,
    pub published: Option<(String, i64)>,
}

/// Persistence of report versions; part of [`crate::Store`].
#[async_trait]
pub trait ReportVersionStore {
    /// Returns the number the next version of a quarter gets.
    async fn next_report_version_number(&self, year: i32, quarter: i32) -> Result<i64>;
    /// Inserts a version with its files and audit entry in one transaction,
    /// and marks `superseded` every earlier version of the quarter that is
    /// neither approved nor superseded already.
    async fn insert_report_version(
        &self,
        new: &NewReportVersion,
        files: &[ReportFile],
        audit: AuditDraft,
    ) -> Result<ReportVersionRecord>;
    /// Lists versions, newest first, without their figures; `approved_only`
    /// keeps the approved ones, `published_only` those on the public page.
    async fn list_report_versions(
        &self,
        approved_only: bool,
        published_only: bool,
    ) -> Result<Vec<ReportVersionRecord>>;
    async fn get_report_version(&self, id: i64) -> Result<Option<ReportVersionRecord>>;
    async fn get_report_file(&self, id: i64, format: &str) -> Result<Option<ReportFile>>;
    /// Applies `change` if the version is still in state `from`, with the
    /// audit entry in the same transaction. Returns `false` when the state
    /// had changed, so two people cannot take the same step twice.
    async fn change_report_state(
        &self,
        id: i64,
        from: &str,
        change: &ReportStateChange,
        audit: AuditDraft,
    ) -> Result<bool>;
}

/// Columns of a version without the figures.
pub(crate) const SUMMARY_COLUMNS: &str = "id, year, quarter, number, state, lang, 'null' AS figures, \
     narrative, signers, issued_on, pdf_sha256, created_by, created_at, submitted_by, \
     submitted_at, reviewed_by, reviewed_at, returned_note, returned_by, returned_at, \
     approved_by, approved_at, approved_sha256, published_by, published_at";

/// Implements [`ReportVersionStore`] for a backend. It is expanded in the
/// same module as `impl_store!` and uses its `append_audit_tx` helper.
macro_rules! impl_report_version_store {
    ($store:ty, $row:ty) => {
        fn report_version_from_row(
            row: &$row,
        ) -> Result<$crate::report_versions::ReportVersionRecord> {
            let json = |column: &str| -> Result<serde_json::Value> {
                let text: String = row.try_get(column)?;
                $crate::shared::parse_json(column, &text)
            };
            let pair = |by: &str, at: &str| -> Result<Option<(String, i64)>> {
                let by: Option<String> = row.try_get(by)?;
                let at: Option<i64> = row.try_get(at)?;
                Ok(by.zip(at))
            };
            let returned_note: Option<String> = row.try_get("returned_note")?;
            let approved_sha256: Option<String> = row.try_get("approved_sha256")?;
            let year: i64 = row.try_get("year")?;
            let quarter: i64 = row.try_get("quarter")?;
            let number: i64 = row.try_get("number")?;
            Ok($crate::report_versions::ReportVersionRecord {
                id: row.try_get("id")?,
                year: i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
                quarter: i32::try_from(quarter)
                    .map_err(|_| StoreError::Corrupt(format!("quarter {quarter}")))?,
                number,
                state: row.try_get("state")?,
                lang: row.try_get("lang")?,
                figures: json("figures")?,
                narrative: json("narrative")?,
                signers: json("signers")?,
                issued_on: row.try_get("issued_on")?,
                pdf_sha256: row.try_get("pdf_sha256")?,
                created_by: row.try_get("created_by")?,
                created_at_micros: row.try_get("created_at")?,
                submitted: pair("submitted_by", "submitted_at")?,
                reviewed: pair("reviewed_by", "reviewed_at")?,
                returned: match (returned_note, pair("returned_by", "returned_at")?) {
                    (Some(note), Some((by, at))) => Some((note, by, at)),
                    _ => None,
                },
                approved: match (pair("approved_by", "approved_at")?, approved_sha256) {
                    (Some((by, at)), Some(sha)) => Some((by, at, sha)),
                    _ => None,
                },
                published: pair("published_by", "published_at")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::report_versions::ReportVersionStore for $store {
            async fn next_report_version_number(&self, year: i32, quarter: i32) -> Result<i64> {
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(number) FROM report_versions WHERE year = $1 AND quarter = $2",
                )
                .bind(i64::from(year))
                .bind(i64::from(quarter))
                .fetch_one(&self.write)
                .await?;
                Ok(last.unwrap_or(0) + 1)
            }

            async fn insert_report_version(
                &self,
                new: &$crate::report_versions::NewReportVersion,
                files: &[$crate::report_versions::ReportFile],
                audit: AuditDraft,
            ) -> Result<$crate::report_versions::ReportVersionRecord> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE report_versions SET state = 'superseded' WHERE year = $1 \
                     AND quarter = $2 AND state NOT IN ('approved', 'superseded')",
                )
                .bind(i64::from(new.year))
                .bind(i64::from(new.quarter))
                .execute(&mut *tx)
                .await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO report_versions (year, quarter, number, state, lang, figures, \
                     narrative, signers, issued_on, pdf_sha256, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(i64::from(new.year))
                .bind(i64::from(new.quarter))
                .bind(new.number)
                .bind(new.state.clone())
                .bind(new.lang.clone())
                .bind(json_text(&new.figures))
                .bind(json_text(&new.narrative))
                .bind(json_text(&new.signers))
                .bind(new.issued_on.clone())
                .bind(new.pdf_sha256.clone())
                .bind(new.created_by.clone())
                .bind(new.created_at_micros)
                .fetch_one(&mut *tx)
                .await?;
                for file in files {
                    let size = i64::try_from(file.content.len())
                        .map_err(|_| StoreError::Corrupt("report file size".into()))?;
                    sqlx::query(
                        "INSERT INTO report_files (version_id, format, media_type, sha256, \
                         size_bytes, content) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(file.format.clone())
                    .bind(file.media_type.clone())
                    .bind(file.sha256.clone())
                    .bind(size)
                    .bind(file.content.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                let mut audit = audit;
                audit.entity = format!("report_version:{id}");
                append_audit_tx(&mut tx, &audit).await?;
                let row = sqlx::query("SELECT * FROM report_versions WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                let record = report_version_from_row(&row)?;
                tx.commit().await?;
                Ok(record)
            }

            async fn list_report_versions(
                &self,
                approved_only: bool,
                published_only: bool,
            ) -> Result<Vec<$crate::report_versions::ReportVersionRecord>> {
                let mut sql = format!(
                    "SELECT {} FROM report_versions WHERE 1 = 1",
                    $crate::report_versions::SUMMARY_COLUMNS
                );
                if approved_only {
                    sql.push_str(" AND state = 'approved'");
                }
                if published_only {
                    sql.push_str(" AND published_at IS NOT NULL");
                }
                sql.push_str(" ORDER BY year DESC, quarter DESC, number DESC");
                let rows = sqlx::query(&sql).fetch_all(&self.write).await?;
                rows.iter().map(report_version_from_row).collect()
            }

            async fn get_report_version(
                &self,
                id: i64,
            ) -> Result<Option<$crate::report_versions::ReportVersionRecord>> {
                sqlx::query("SELECT * FROM report_versions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.write)
                    .await?
                    .as_ref()
                    .map(report_version_from_row)
                    .transpose()
            }

            async fn get_report_file(
                &self,
                id: i64,
                format: &str,
            ) -> Result<Option<$crate::report_versions::ReportFile>> {
                let row = sqlx::query(
                    "SELECT format, media_type, sha256, content FROM report_files \
                     WHERE version_id = $1 AND format = $2",
                )
                .bind(id)
                .bind(format.to_owned())
                .fetch_optional(&self.write)
                .await?;
                row.map(|row| {
                    Ok($crate::report_versions::ReportFile {
                        format: row.try_get("format")?,
                        media_type: row.try_get("media_type")?,
                        sha256: row.try_get("sha256")?,
                        content: row.try_get("content")?,
                    })
                })
                .transpose()
            }

            async fn change_report_state(
                &self,
                id: i64,
                from: &str,
                change: &$crate::report_versions::ReportStateChange,
                audit: AuditDraft,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let by = |pair: &Option<(String, i64)>| pair.as_ref().map(|p| p.0.clone());
                let at = |pair: &Option<(String, i64)>| pair.as_ref().map(|p| p.1);
                let updated = sqlx::query(
                    "UPDATE report_versions SET state = $1, \
                     submitted_by = COALESCE($2, submitted_by), \
                     submitted_at = COALESCE($3, submitted_at), \
                     reviewed_by = COALESCE($4, reviewed_by), \
                     reviewed_at = COALESCE($5, reviewed_at), \
                     returned_note = COALESCE($6, returned_note), \
                     returned_by = COALESCE($7, returned_by), \
                     returned_at = COALESCE($8, returned_at), \
                     approved_by = COALESCE($9, approved_by), \
                     approved_at = COALESCE($10, approved_at), \
                     approved_sha256 = COALESCE($11, approved_sha256), \
                     published_by = COALESCE($12, published_by), \
                     published_at = COALESCE($13, published_at) \
                     WHERE id = $14 AND state = $15",
                )
                .bind(change.state.clone())
                .bind(by(&change.submitted))
                .bind(at(&change.submitted))
                .bind(by(&change.reviewed))
                .bind(at(&change.reviewed))
                .bind(change.returned.as_ref().map(|r| r.0.clone()))
                .bind(change.returned.as_ref().map(|r| r.1.clone()))
                .bind(change.returned.as_ref().map(|r| r.2))
                .bind(change.approved.as_ref().map(|a| a.0.clone()))
                .bind(change.approved.as_ref().map(|a| a.1))
                .bind(change.approved.as_ref().map(|a| a.2.clone()))
                .bind(by(&change.published))
                .bind(at(&change.published))
                .bind(id)
                .bind(from.to_owned())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                let mut audit = audit;
                audit.entity = format!("report_version:{id}");
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_report_version_store;
