//! Persistence of Tanggap: the only crate that speaks SQL.
//!
//! [`Store`] is the repository interface. [`sqlite::SqliteStore`] (the
//! embedded default) and [`postgres::PgStore`] implement it from one body of
//! shared SQL (see `shared.rs`), each with its own migrations. Every method
//! that changes state writes its audit entries in the same transaction.

use async_trait::async_trait;
use std::sync::Arc;
use tanggap_core::audit::AuditEntry;
use tanggap_core::lifecycle::{Action, Event};
use tanggap_core::{Channel, Complaint, ComplaintId, ComplaintType, Role, Status};

pub mod attachments;
mod bulk;
pub mod lapor;
mod migrate;
pub mod monev;
pub mod outbox;
pub mod postgres;
pub mod public;
pub mod report_versions;
pub mod retention;
mod shared;
pub mod sqlite;
pub mod testing;
pub mod triage;

pub use attachments::{AttachmentInsert, AttachmentStore, NewAttachment};
pub use bulk::{GeneratedBatch, GeneratedComplaint};
pub use lapor::{LaporLink, LaporStore, LinkOutcome, NewOutboxItem, OutboxCounts, OutboxItem};
pub use monev::MonevStore;
pub use outbox::OutboxStore;
pub use public::{Open311Key, PublicFilter, PublicStore};
pub use report_versions::ReportVersionStore;
pub use retention::RetentionStore;
pub use triage::TriageStore;

/// Errors from the store. Database errors are kept whole for the logs; the
/// web layer shows users only a generic message for them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Another change was committed since the caller read the record.
    #[error("version conflict: the record is now at version {current}")]
    VersionConflict { current: i64 },
    #[error("not found")]
    NotFound,
    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An audit entry before the store places it in the chain.
#[derive(Clone, Debug)]
pub struct AuditDraft {
    pub at_micros: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    /// Never personal data: ids, codes, statuses.
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// `kota`, `kecamatan` or `kelurahan`.
    pub level: String,
    pub parent_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Category {
    pub category: String,
    /// Empty for the category itself.
    pub subcategory: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holiday {
    pub day: jiff::civil::Date,
    /// `libur_nasional` or `cuti_bersama`.
    pub kind: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub agency_code: Option<String>,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    /// Base32 authenticator secret when two-factor sign-in is on.
    pub totp_secret: Option<String>,
    /// A secret shown to the user but not yet confirmed with a code.
    pub totp_pending_secret: Option<String>,
    /// The last time step whose code was accepted.
    pub totp_last_step: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub agency_code: Option<String>,
}

/// A session or API token, resolved to its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub user_id: i64,
    pub expires_at: Option<i64>,
}

/// A request to remember an `Idempotency-Key` with the complaint it created.
#[derive(Clone, Debug)]
pub struct IdempotencyClaim {
    pub user_id: i64,
    pub key: String,
    /// SHA-256 of the request body, to detect a reused key with another body.
    pub request_hash: String,
}

/// A complaint to insert; its id and tracking number are assigned in the transaction.
pub struct NewComplaint<'a> {
    pub complaint: &'a Complaint,
    pub event: &'a Event,
    pub audit: AuditDraft,
    pub idempotency: Option<IdempotencyClaim>,
    /// Tracking numbers read `<prefix>-<yy>-<sequence>`.
    pub tracking_prefix: &'a str,
    /// Year whose counter numbers this complaint.
    pub year: i16,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InsertOutcome {
    Created(Box<Complaint>),
    /// The same key and body were seen before: this is the complaint they created.
    Replayed(ComplaintId),
    /// The key was used before with a different body.
    KeyReused,
}

/// A stored event with its row id.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub event: Event,
}

/// A complaint of a report's population with only the columns that the
/// report's replay and tallies read.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportComplaint {
    pub id: ComplaintId,
    pub tracking_number: String,
    pub received_at: jiff::Timestamp,
    pub channel: Channel,
    pub complaint_type: ComplaintType,
    pub supervision: bool,
    pub category: Option<String>,
    pub kelurahan_code: Option<String>,
    /// The lifecycle events before the period end, in recording order.
    /// Events of the record-only actions (note, link, attach, reminder,
    /// escalation) are left out because they never change the status.
    pub events: Vec<ReportEvent>,
}

/// A lifecycle event as the report reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportEvent {
    pub at: jiff::Timestamp,
    pub action: Action,
    pub to_status: Status,
    /// The fields of the event's data that the report reads, for the
    /// actions in [`REPORT_DATA_ACTIONS`]. Empty for the other actions.
    pub data: ReportEventData,
}

/// The fields of an event's data that the report reads. A field is `None`
/// when the data lacks it or contains a value of another JSON type there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportEventData {
    /// The report type code a verification set.
    pub complaint_type: Option<String>,
    /// The supervision flag a verification set.
    pub supervision: Option<bool>,
    /// The lead agency code of a dispatch.
    pub lead_agency: Option<String>,
    /// The reason code of an archiving.
    pub code: Option<String>,
    /// The rating of a reporter's reply.
    pub rating: Option<u64>,
}

impl ReportEventData {
    /// Parses the JSON text of an event's data. Only the report's fields
    /// are kept, so the other fields cost no allocation. Text that is valid
    /// JSON but not an object gives no fields, and invalid JSON is an error.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        if text.trim_start().starts_with('{') {
            serde_json::from_str(text)
        } else {
            serde_json::from_str::<serde::de::IgnoredAny>(text).map(|_| Self::default())
        }
    }
}

impl<'de> serde::Deserialize<'de> for ReportEventData {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;

        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = ReportEventData;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object of event data")
            }

            // A repeated key keeps its last value, as a parsed JSON map does.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde_json::Value;
                let text = |value: Value| match value {
                    Value::String(text) => Some(text),
                    _ => None,
                };
                let mut data = ReportEventData::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::ComplaintType => data.complaint_type = text(map.next_value()?),
                        Key::Supervision => data.supervision = map.next_value::<Value>()?.as_bool(),
                        Key::LeadAgency => data.lead_agency = text(map.next_value()?),
                        Key::Code => data.code = text(map.next_value()?),
                        Key::Rating => data.rating = map.next_value::<Value>()?.as_u64(),
                        Key::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(data)
            }
        }

        /// A key of the data, matched without allocating it.
        #[derive(serde::Deserialize)]
        #[serde(field_identifier, rename_all = "snake_case")]
        enum Key {
            ComplaintType,
            Supervision,
            LeadAgency,
            Code,
            Rating,
            #[serde(other)]
            Other,
        }

        deserializer.deserialize_map(Fields)
    }
}

/// Actions whose event data [`Store::report_chunk`] returns: the report
/// reads the report type and supervision flag of a verification, the lead
/// agency of a dispatch, the reason code of an archiving and the rating of
/// a reporter's reply.
pub const REPORT_DATA_ACTIONS: [Action; 6] = [
    Action::Verify,
    Action::Dispatch,
    Action::Archive,
    Action::AutoArchive,
    Action::ReporterAccept,
    Action::ReporterReject,
];

/// Actions that record something without changing a complaint's status,
/// which [`Store::report_chunk`] leaves out.
pub const RECORD_ONLY_ACTIONS: [Action; 5] = [
    Action::Note,
    Action::Link,
    Action::Attach,
    Action::Reminder,
    Action::Escalation,
];

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Earliest deadline first; complaints without one last.
    #[default]
    DueAt,
    ReceivedNewest,
    ReceivedOldest,
}

/// Visibility scope of a complaint query, set by the service from the user's role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    All,
    /// Complaints where the agency is lead or supporting, or which its liaison admin recorded.
    Agency(String),
    /// Complaints that need inspection.
    Supervision,
}

#[derive(Clone, Debug, Default)]
pub struct ComplaintFilter {
    pub scope: Scope,
    pub statuses: Vec<Status>,
    /// Lead or supporting agency.
    pub agency: Option<String>,
    pub complaint_type: Option<ComplaintType>,
    pub channel: Option<Channel>,
    /// Only complaints whose current deadline is before this instant (µs).
    pub due_before: Option<i64>,
    pub received_from: Option<i64>,
    pub received_until: Option<i64>,
    /// Case-insensitive substring of the title or body.
    pub text: Option<String>,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

/// Counting the complaints that match a list filter stops at this many, so
/// a page costs the same on a database with years of history.
pub const COUNT_CAP: i64 = 10_000;

/// A page of complaints and the number that match the filter.
#[derive(Clone, Debug)]
pub struct ComplaintPage {
    pub items: Vec<Complaint>,
    /// The number of matching complaints, at most [`COUNT_CAP`].
    pub total: i64,
    /// True when more than [`COUNT_CAP`] complaints match, so `total` is
    /// a lower bound.
    pub total_capped: bool,
}

/// Dimension complaints are counted by, for dashboards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Status,
    LeadAgency,
    Channel,
    Category,
    /// The kecamatan: the first three parts of the kelurahan code.
    Kecamatan,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Status => "c.status",
            GroupBy::LeadAgency => "c.lead_agency",
            GroupBy::Channel => "c.channel",
            GroupBy::Category => "c.category",
            GroupBy::Kecamatan => "substr(c.kelurahan_code, 1, 8)",
        }
    }
}

/// Automatic step a sweep looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepKind {
    /// Held complaints whose hold expired.
    HoldExpired,
    /// Responded complaints past their automatic close.
    AutoClose,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// The repository interface.
#[async_trait]
pub trait Store:
    AttachmentStore
    + LaporStore
    + MonevStore
    + PublicStore
    + ReportVersionStore
    + TriageStore
    + OutboxStore
    + RetentionStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
    async fn close(&self);

    // Reference data.
    async fn upsert_agencies(&self, agencies: &[Agency], audit: AuditDraft) -> Result<()>;
    async fn list_agencies(&self) -> Result<Vec<Agency>>;
    async fn upsert_regions(&self, regions: &[Region], audit: AuditDraft) -> Result<()>;
    async fn list_regions(&self) -> Result<Vec<Region>>;
    async fn upsert_categories(&self, categories: &[Category], audit: AuditDraft) -> Result<()>;
    async fn list_categories(&self) -> Result<Vec<Category>>;
    async fn upsert_holidays(&self, holidays: &[Holiday], audit: AuditDraft) -> Result<()>;
    async fn list_holidays(&self) -> Result<Vec<Holiday>>;

    // Users and credentials.
    async fn insert_user(&self, user: &NewUser, now: i64, audit: AuditDraft) -> Result<i64>;
    async fn get_user(&self, id: i64) -> Result<Option<UserRecord>>;
    async fn find_user(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        audit: AuditDraft,
    ) -> Result<()>;
    /// Records a failed sign-in; `locked_until` locks the account.
    async fn record_login_failure(&self, user_id: i64, locked_until: Option<i64>) -> Result<()>;
    async fn record_login_success(&self, user_id: i64) -> Result<()>;
    async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()>;
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Credential>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn insert_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: i64,
        audit: AuditDraft,
    ) -> Result<i64>;
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<Credential>>;

    // Complaints.
    async fn insert_complaint(&self, new: NewComplaint<'_>) -> Result<InsertOutcome>;
    /// Stores `complaint` if the stored version is still `expected_version`,
    /// appending `events` and `audit` in the same transaction.
    async fn update_complaint(
        &self,
        expected_version: i64,
        complaint: &Complaint,
        events: &[Event],
        audit: AuditDraft,
    ) -> Result<()>;
    /// Appends an event that changes no state (a note, a reminder).
    async fn append_event(&self, id: ComplaintId, event: &Event, audit: AuditDraft) -> Result<()>;
    /// Records a deadline alert once per complaint, deadline and level;
    /// returns `false` when it was already recorded.
    async fn record_deadline_alert(
        &self,
        id: ComplaintId,
        deadline: &str,
        due_at: i64,
        event: &Event,
        audit: AuditDraft,
    ) -> Result<bool>;
    async fn get_complaint(&self, id: ComplaintId) -> Result<Option<Complaint>>;
    async fn find_complaint(&self, tracking_number: &str) -> Result<Option<Complaint>>;
    async fn find_by_channel_reference(
        &self,
        channel: Channel,
        reference: &str,
    ) -> Result<Option<Complaint>>;
    async fn list_complaints(&self, filter: &ComplaintFilter) -> Result<ComplaintPage>;
    async fn complaint_events(&self, id: ComplaintId) -> Result<Vec<StoredEvent>>;
    /// Ids of complaints an automatic step applies to at `now`.
    async fn sweep_candidates(
        &self,
        kind: SweepKind,
        now: i64,
        limit: i64,
    ) -> Result<Vec<ComplaintId>>;
    /// Ids of complaints whose current deadline falls before `until` and
    /// that have no alert yet at their current level (overdue when the
    /// deadline is at or before `now`, a reminder otherwise), earliest first.
    async fn due_before(&self, until: i64, now: i64, limit: i64) -> Result<Vec<ComplaintId>>;
    async fn count_complaints(&self) -> Result<i64>;
    /// Activates or deactivates a staff account; a deactivated account
    /// cannot sign in and its sessions end.
    async fn set_user_active(&self, user_id: i64, active: bool, audit: AuditDraft) -> Result<()>;
    /// Returns a setting's JSON value, if it was ever saved.
    async fn get_setting(&self, name: &str) -> Result<Option<String>>;
    /// Saves a setting's JSON value.
    async fn put_setting(&self, name: &str, value: &str, audit: AuditDraft) -> Result<()>;
    /// Stores a new authenticator secret awaiting confirmation.
    async fn set_totp_pending(&self, user_id: i64, secret: Option<&str>) -> Result<()>;
    /// Turns two-factor sign-in on with `secret`, or off with `None`.
    async fn set_totp(&self, user_id: i64, secret: Option<&str>, audit: AuditDraft) -> Result<()>;
    /// Records that the code of `step` was used; `false` when that step or
    /// a later one was used before (a replayed code).
    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// Removes a holiday entered by mistake.
    async fn delete_holiday(&self, day: jiff::civil::Date, audit: AuditDraft) -> Result<bool>;
    /// Audit entries newest first, optionally only those whose action starts
    /// with `action_prefix` or whose entity equals `entity`, below `before_seq`.
    async fn list_audit(
        &self,
        action_prefix: Option<&str>,
        entity: Option<&str>,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
    /// Counts complaints matching `filter` per value of `group`, largest first;
    /// `None` collects complaints without a value.
    async fn count_grouped(
        &self,
        filter: &ComplaintFilter,
        group: GroupBy,
    ) -> Result<Vec<(Option<String>, i64)>>;

    // Audit log.
    async fn append_audit(&self, audit: AuditDraft) -> Result<()>;
    /// Entries with `seq > after`, in order, at most `limit`.
    async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>>;

    // Jobs.
    /// Queues a job; with a `dedupe_key` that already exists nothing is
    /// queued and `false` is returned.
    async fn enqueue_job(
        &self,
        kind: &str,
        dedupe_key: Option<&str>,
        payload: &serde_json::Value,
        run_at: i64,
        max_attempts: i64,
    ) -> Result<bool>;
    /// Takes the next due job for `worker` until `lease_until`. A job whose
    /// lease ran out (its worker died) is taken again.
    async fn claim_job(&self, worker: &str, now: i64, lease_until: i64) -> Result<Option<Job>>;
    async fn complete_job(&self, id: i64, worker: &str, now: i64) -> Result<()>;
    /// Records a failure; with `retry_at` the job runs again then, otherwise it fails for good.
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<()>;
    async fn job_counts(&self) -> Result<JobCounts>;

    /// Returns the sequence number of the newest audit entry, 0 when the log
    /// is empty. Every change of a complaint writes an entry in the same
    /// transaction, so an unchanged number means unchanged complaints.
    async fn latest_audit_seq(&self) -> Result<i64>;

    // Bulk insert for the synthetic data generator.
    /// Returns the largest complaint id in use, 0 for an empty table.
    async fn max_complaint_id(&self) -> Result<i64>;
    /// Inserts complaints with their ids, events and agencies, and one audit
    /// entry for the batch, in one transaction. Tracking numbers continue
    /// each year's counter. Fails without writing anything when an id is
    /// already taken.
    async fn insert_generated(&self, batch: GeneratedBatch<'_>) -> Result<()>;

    // Reports.
    /// Returns, with all their events in order, the complaints a report on
    /// `[from, to)` (µs) needs: those received before `to` that were either
    /// received at or after `from` or not closed before `from` (so they
    /// were open at some time in the period). Ordered by id.
    async fn complaints_for_report(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<(Complaint, Vec<StoredEvent>)>>;
    /// Returns up to `limit` complaints of the same population as
    /// [`Store::complaints_for_report`] whose id is above `after`, ordered by
    /// id, each with its lifecycle events before `to` (µs). Callers page
    /// through the population by passing the last id they received, so the
    /// memory in use stays bounded by `limit`.
    async fn report_chunk(
        &self,
        from: i64,
        to: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ReportComplaint>>;
}

/// Opens the store named by `url` (`sqlite://PATH` or `postgres://...`).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

/// Converts an instant to the stored representation.
pub fn micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

/// Converts a stored instant back.
pub fn from_micros(us: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(us)
        .map_err(|e| StoreError::Corrupt(format!("instant {us}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::ReportEventData;

    #[test]
    fn report_event_data_fields() {
        let data = ReportEventData::from_json(
            r#"{"category":"X","complaint_type":"aspiration","supervision":true,
                "lead_agency":"PUPR","code":"spam","rating":4,"extra":[1,{"a":2}]}"#,
        )
        .expect("valid data");
        assert_eq!(data.complaint_type.as_deref(), Some("aspiration"));
        assert_eq!(data.supervision, Some(true));
        assert_eq!(data.lead_agency.as_deref(), Some("PUPR"));
        assert_eq!(data.code.as_deref(), Some("spam"));
        assert_eq!(data.rating, Some(4));
    }

    #[test]
    fn report_event_data_wrong_types() {
        let data = ReportEventData::from_json(
            r#"{"complaint_type":1,"supervision":"true","lead_agency":null,"rating":-1}"#,
        )
        .expect("valid data");
        assert_eq!(data, ReportEventData::default());
        let rating = ReportEventData::from_json(r#"{"rating":4.5}"#).expect("valid data");
        assert_eq!(rating.rating, None, "a fractional rating is not a u64");
    }

    #[test]
    fn report_event_data_repeated_key() {
        let data = ReportEventData::from_json(r#"{"code":"spam","code":"duplicate"}"#)
            .expect("valid data");
        assert_eq!(data.code.as_deref(), Some("duplicate"));
    }

    #[test]
    fn report_event_data_not_object() {
        let array = ReportEventData::from_json(r#"["aspiration", true]"#).expect("valid JSON");
        assert_eq!(array, ReportEventData::default());
        assert!(ReportEventData::from_json("{").is_err());
        assert!(ReportEventData::from_json("not json").is_err());
    }
}
