//! Bulk insert of complaints with their whole history, for the synthetic
//! data generator (`tanggap demo generate`) and the benchmarks.
//!
//! A batch is written in one transaction with multi-row `INSERT`s and one
//! audit entry, which is what makes a million complaints practical: the
//! per-request path writes one transaction, one audit entry and one fsync
//! per complaint.

use crate::AuditDraft;
use tanggap_core::Complaint;
use tanggap_core::lifecycle::Event;

/// A complaint built outside the store, with its id already chosen (above
/// [`crate::Store::max_complaint_id`]) and its history in order.
#[derive(Clone, Debug)]
pub struct GeneratedComplaint {
    /// The tracking number is ignored: the store assigns it from the counter
    /// of `year`, as for a complaint registered one by one.
    pub complaint: Complaint,
    /// The history, oldest first, starting with the registration.
    pub events: Vec<Event>,
    /// Year whose tracking counter numbers the complaint.
    pub year: i16,
}

/// One transaction's worth of generated complaints.
pub struct GeneratedBatch<'a> {
    pub complaints: &'a [GeneratedComplaint],
    /// Tracking numbers read `<prefix>-<yy>-<sequence>`.
    pub tracking_prefix: &'a str,
    /// The single audit entry that records the whole batch.
    pub audit: AuditDraft,
}

/// Rows of one multi-row `INSERT` into `complaints` (52 parameters a row).
/// SQLite accepts up to 32,766 parameters per statement and PostgreSQL
/// 65,535, but binding slows down with the statement's size: with sqlx 0.8
/// on SQLite, an `INSERT` of 1,900 event rows (19,000 parameters) took
/// about 2 s, so statements stay near 1,000 parameters.
pub(crate) const COMPLAINT_ROWS_PER_INSERT: usize = 20;
/// Rows of one multi-row `INSERT` into `complaint_events` (10 parameters a row).
pub(crate) const EVENT_ROWS_PER_INSERT: usize = 100;
/// Rows of one multi-row `INSERT` into `complaint_agencies` (5 parameters a row).
pub(crate) const AGENCY_ROWS_PER_INSERT: usize = 200;

/// Builds `INSERT INTO table (columns) VALUES ($1, ...), (...)` for `rows` rows.
pub(crate) fn multi_row_insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut parameter = 1;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&parameter.to_string());
            parameter += 1;
        }
        sql.push(')');
    }
    sql
}

/// `INSERT` of `rows` complaints: the columns of `COMPLAINT_COLUMNS`, then `id`.
pub(crate) fn insert_complaints_sql(rows: usize) -> String {
    let mut columns: Vec<&str> = crate::shared::COMPLAINT_COLUMNS.to_vec();
    columns.push("id");
    multi_row_insert_sql("complaints", &columns, rows)
}

pub(crate) const EVENT_COLUMNS: &[&str] = &[
    "complaint_id",
    "at",
    "action",
    "from_status",
    "to_status",
    "actor",
    "sop_activity",
    "visibility",
    "body",
    "data",
];

pub(crate) const AGENCY_COLUMNS: &[&str] =
    &["complaint_id", "agency_code", "is_lead", "status", "due_at"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_insert_numbers_parameters() {
        let sql = multi_row_insert_sql("t", &["a", "b"], 2);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn complaint_insert_fits_parameter_limits() {
        let columns = crate::shared::COMPLAINT_COLUMNS.len() + 1;
        assert!(columns * COMPLAINT_ROWS_PER_INSERT <= 32_766);
        assert!(EVENT_COLUMNS.len() * EVENT_ROWS_PER_INSERT <= 32_766);
        assert!(AGENCY_COLUMNS.len() * AGENCY_ROWS_PER_INSERT <= 32_766);
    }
}
