//! The SP4N-LAPOR! connector: the national complaint system's reports come
//! in as complaints (SOP 01), and the city's handling goes back out.
//!
//! The national integration API is not publicly documented, so
//! [`LaporConnector`] is the seam: [`client::HttpConnector`] implements the
//! contract that docs/lapor.md assumes, and `lapor-simulator` serves the
//! same contract locally. [`sync`] runs the synchronisation as a job.

pub mod client;
pub mod sync;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tanggap_core::lifecycle::{Action, Intake};
use tanggap_core::{Channel, ComplaintType, Location, Reporter, Status};

/// Largest accepted text field of a pulled report, in characters; longer
/// values are cut, never rejected, so one odd report cannot stop the sync.
const REMOTE_TEXT_MAX: usize = 20_000;

/// A LAPOR! report as the integration API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteReport {
    /// The LAPOR! tracking ID; keys the complaint here.
    pub tracking_id: String,
    /// Grows with every change on the LAPOR! side; an item with a version
    /// not above the stored one is a duplicate or arrived out of order.
    pub version: i64,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    /// `pengaduan`, `aspirasi` or `permintaan_informasi`.
    pub classification: String,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    /// LAPOR! status code, see [`RemoteStatus`].
    pub status: String,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub reporter: RemoteReporter,
    #[serde(default)]
    pub location: RemoteLocation,
    pub reporter_reply: Option<RemoteReply>,
    #[serde(default)]
    pub attachments: Vec<RemoteAttachment>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteReporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteLocation {
    pub address: Option<String>,
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// The reporter's reply to the response, given on LAPOR!.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteReply {
    pub satisfied: bool,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    pub at: jiff::Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteAttachment {
    pub id: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
}

/// One page of changed reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportPage {
    pub items: Vec<RemoteReport>,
    /// Cursor to pass on the next pull; opaque to the client.
    pub next_cursor: String,
    pub has_more: bool,
}

/// Kind of a pushed update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateKind {
    /// A status change without text for the reporter.
    Status,
    /// The agency's follow-up (tindak lanjut).
    FollowUp,
    /// The final response (tanggapan) to the reporter.
    Response,
}

/// A change pushed to LAPOR!, as stored in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboundUpdate {
    pub kind: UpdateKind,
    /// LAPOR! status code after the change.
    pub status: String,
    /// Public text of a follow-up or response; internal text never leaves.
    pub text: Option<String>,
    /// Code of the agency that acted, when one did.
    pub agency: Option<String>,
    pub at: jiff::Timestamp,
}

/// LAPOR! acknowledgement of a pushed update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    pub update_id: String,
    /// LAPOR! had already received an update with the same idempotency key.
    #[serde(default)]
    pub duplicate: bool,
}

/// Failure of a connector call.
#[derive(Debug, thiserror::Error)]
pub enum LaporError {
    /// Worth retrying: a timeout, a refused connection, or a 5xx or 429
    /// response. `retry_after` is the server's requested wait, if any.
    #[error("LAPOR! is unavailable: {message}")]
    Transient {
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    /// The request was rejected and will be rejected again: a 4xx response.
    #[error("LAPOR! rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The response does not follow the contract.
    #[error("invalid answer from LAPOR!: {0}")]
    InvalidResponse(String),
    /// Missing or wrong configuration (base URL, token).
    #[error("LAPOR! connector is misconfigured: {0}")]
    Config(String),
}

impl LaporError {
    pub fn is_transient(&self) -> bool {
        matches!(self, LaporError::Transient { .. })
    }
}

/// The connection to SP4N-LAPOR!.
#[async_trait]
pub trait LaporConnector: Send + Sync {
    /// Pulls reports created or changed after `cursor` (all reports when
    /// `None`), at most `limit`.
    async fn pull(&self, cursor: Option<&str>, limit: u32) -> Result<ReportPage, LaporError>;
    /// Pushes a change of the report `tracking_id`. LAPOR! deduplicates by
    /// `idempotency_key`, so a retried push is acknowledged once.
    async fn push(
        &self,
        tracking_id: &str,
        idempotency_key: &str,
        update: &OutboundUpdate,
    ) -> Result<PushAck, LaporError>;
    /// Fetches an attachment's content.
    async fn attachment(
        &self,
        tracking_id: &str,
        attachment_id: &str,
    ) -> Result<Vec<u8>, LaporError>;
}

/// LAPOR! status codes, as the assumed contract names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteStatus {
    NotVerified,
    OnHold,
    Verified,
    Dispatched,
    FollowedUp,
    Returned,
    NotInAuthority,
    /// The reporter replied to the response ("Ditanggapi oleh Pelapor").
    ReporterReplied,
    Closed,
    Archived,
}

impl RemoteStatus {
    pub const ALL: &'static [RemoteStatus] = &[
        RemoteStatus::NotVerified,
        RemoteStatus::OnHold,
        RemoteStatus::Verified,
        RemoteStatus::Dispatched,
        RemoteStatus::FollowedUp,
        RemoteStatus::Returned,
        RemoteStatus::NotInAuthority,
        RemoteStatus::ReporterReplied,
        RemoteStatus::Closed,
        RemoteStatus::Archived,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RemoteStatus::NotVerified => "belum_diverifikasi",
            RemoteStatus::OnHold => "tunda",
            RemoteStatus::Verified => "terverifikasi",
            RemoteStatus::Dispatched => "terdisposisi",
            RemoteStatus::FollowedUp => "ditindaklanjuti",
            RemoteStatus::Returned => "dikembalikan",
            RemoteStatus::NotInAuthority => "bukan_wewenang",
            RemoteStatus::ReporterReplied => "ditanggapi_pelapor",
            RemoteStatus::Closed => "selesai",
            RemoteStatus::Archived => "diarsipkan",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// Maps a complaint's status to the LAPOR! status that shows it.
    pub fn of(status: Status) -> Self {
        match status {
            Status::Received => RemoteStatus::NotVerified,
            Status::OnHold => RemoteStatus::OnHold,
            Status::Verified => RemoteStatus::Verified,
            Status::Dispatched => RemoteStatus::Dispatched,
            Status::InProgress | Status::Responded => RemoteStatus::FollowedUp,
            Status::Returned => RemoteStatus::Returned,
            Status::Forwarded => RemoteStatus::NotInAuthority,
            Status::Resolved => RemoteStatus::Closed,
            Status::Archived => RemoteStatus::Archived,
        }
    }
}

/// Builds the update to push for a complaint event, or `None` when the
/// event stays here: notes, alerts, attachments, the registration, and the
/// reporter's replies (they came from LAPOR!).
pub fn outbound_update(
    action: Action,
    to_status: Status,
    public_text: Option<&str>,
    agency: Option<&str>,
    at: jiff::Timestamp,
) -> Option<OutboundUpdate> {
    let kind = match action {
        Action::FollowUp => UpdateKind::FollowUp,
        Action::Respond => UpdateKind::Response,
        Action::Verify
        | Action::Hold
        | Action::Complete
        | Action::Archive
        | Action::Dispatch
        | Action::Return
        | Action::Forward
        | Action::Resolve
        | Action::Reopen
        | Action::AutoArchive
        | Action::AutoResolve => UpdateKind::Status,
        Action::Register
        | Action::ReporterAccept
        | Action::ReporterReject
        | Action::Note
        | Action::Link
        | Action::Attach
        | Action::Reminder
        | Action::Escalation => return None,
    };
    let text = match kind {
        UpdateKind::FollowUp | UpdateKind::Response => public_text.map(str::to_owned),
        UpdateKind::Status => None,
    };
    Some(OutboundUpdate {
        kind,
        status: RemoteStatus::of(to_status).code().to_owned(),
        text,
        agency: agency.map(str::to_owned),
        at,
    })
}

fn cut(text: &str) -> String {
    text.trim().chars().take(REMOTE_TEXT_MAX).collect()
}

fn cut_opt(text: &Option<String>) -> Option<String> {
    text.as_deref().map(cut).filter(|t| !t.is_empty())
}

impl RemoteReport {
    /// Checks the fields the sync relies on; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let id = self.tracking_id.trim();
        if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control()) {
            return Err(
                "tracking_id is empty, longer than 64 bytes, or has control characters".into(),
            );
        }
        if self.version < 1 {
            return Err(format!("version {} is below 1", self.version));
        }
        if self.body.trim().is_empty() {
            return Err("body is empty".into());
        }
        if crate::import::parse_type(&self.classification).is_none() {
            return Err(format!("unknown classification {:?}", self.classification));
        }
        Ok(())
    }

    /// Builds the complaint's intake. Category names that are not in the
    /// taxonomy here are dropped, so verification sets them.
    pub fn intake(&self, category_exists: impl Fn(&str, Option<&str>) -> bool) -> Intake {
        let (category, subcategory) = match &self.category {
            Some(category) if category_exists(category, None) => {
                let sub = self
                    .subcategory
                    .clone()
                    .filter(|sub| category_exists(category, Some(sub)));
                (Some(category.clone()), sub)
            }
            _ => (None, None),
        };
        Intake {
            channel: Some(Channel::Lapor),
            channel_reference: Some(self.tracking_id.trim().to_owned()),
            received_at: Some(self.created_at),
            complaint_type: crate::import::parse_type(&self.classification)
                .or(Some(ComplaintType::Complaint)),
            title: cut_opt(&self.title),
            body: Some(cut(&self.body)),
            category,
            subcategory,
            tags: Vec::new(),
            location: Location {
                text: cut_opt(&self.location.address),
                kelurahan_code: self.location.kelurahan_code.clone(),
                latitude: self.location.latitude,
                longitude: self.location.longitude,
            },
            reporter: Reporter {
                name: cut_opt(&self.reporter.name),
                phone: cut_opt(&self.reporter.phone),
                email: cut_opt(&self.reporter.email),
                nik: None,
                address: None,
            },
            anonymous: self.anonymous,
            confidential: self.confidential,
        }
    }
}

/// Parses a page of the pull route; the error names what is invalid.
pub fn parse_page(body: &[u8]) -> Result<ReportPage, LaporError> {
    serde_json::from_slice(body).map_err(|e| LaporError::InvalidResponse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for status in RemoteStatus::ALL {
            assert_eq!(RemoteStatus::from_code(status.code()), Some(*status));
        }
    }

    #[test]
    fn internal_actions_stay_here() {
        let at = jiff::Timestamp::UNIX_EPOCH;
        for action in [Action::Note, Action::Register, Action::ReporterAccept] {
            assert!(outbound_update(action, Status::Received, None, None, at).is_none());
        }
        let response = outbound_update(Action::Respond, Status::Responded, Some("Sudah"), None, at);
        assert_eq!(
            response.map(|u| (u.kind, u.status)),
            Some((UpdateKind::Response, "ditindaklanjuti".to_owned()))
        );
    }

    #[test]
    fn page_rejects_missing_fields() {
        assert!(
            parse_page(
                br#"{"items": [{"tracking_id": "1"}], "next_cursor": "1", "has_more": false}"#
            )
            .is_err()
        );
        assert!(parse_page(b"not json").is_err());
        let page = parse_page(br#"{"items": [], "next_cursor": "7", "has_more": false}"#);
        assert_eq!(page.map(|p| p.next_cursor).ok(), Some("7".to_owned()));
    }

    proptest::proptest! {
        #[test]
        fn page_parser_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_page(&body);
        }

        #[test]
        fn report_check_never_panics(id in "\\PC{0,80}", body in "\\PC{0,20}", version in proptest::num::i64::ANY) {
            let text = serde_json::json!({
                "tracking_id": id, "version": version,
                "created_at": "2025-07-14T05:53:00Z", "updated_at": "2025-07-14T05:53:00Z",
                "classification": "pengaduan", "title": null, "body": body,
                "category": null, "subcategory": null, "status": "terdisposisi",
                "reporter_reply": null,
            });
            if let Ok(report) = serde_json::from_value::<RemoteReport>(text) {
                let _ = report.check();
                let _ = report.intake(|_, _| true);
            }
        }
    }
}
