//! Request and response bodies of the API, with their OpenAPI schemas.

use serde::{Deserialize, Serialize};
use tanggap_core::lifecycle::Intake;
use tanggap_core::{Channel, ComplaintType, Location, Reporter};
use tanggap_service::Principal;
use tanggap_service::complaints::ComplaintView;
use utoipa::ToSchema;

/// An error (RFC 9457 problem details).
#[derive(Serialize, ToSchema)]
pub(crate) struct Problem {
    /// `urn:tanggap:error:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The message in the request's language.
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code.
    pub code: String,
    pub detail: Option<String>,
    pub errors: Option<Vec<FieldProblem>>,
    /// For `invalid_transition`: the complaint's status now.
    pub current_status: Option<String>,
    /// For `version_conflict`: the complaint's version now.
    pub current_version: Option<i64>,
}

/// One invalid field.
#[derive(Serialize, ToSchema)]
pub(crate) struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The authenticator code, for accounts with two-factor sign-in.
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency: Option<String>,
}

impl From<&Principal> for UserDto {
    fn from(p: &Principal) -> Self {
        Self {
            id: p.user_id,
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            role: p.role.code().to_owned(),
            agency: p.agency.clone(),
        }
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationDto {
    pub text: Option<String>,
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReporterDto {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 16-digit national identity number.
    pub nik: Option<String>,
    pub address: Option<String>,
}

/// A complaint as it arrived through a channel.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateComplaintRequest {
    #[schema(value_type = String, example = "whatsapp")]
    pub channel: Channel,
    /// The channel's own reference: LAPOR! tracking ID, letter number, phone number, link.
    pub channel_reference: Option<String>,
    /// When it arrived (RFC 3339); defaults to now.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, example = "complaint")]
    pub complaint_type: Option<ComplaintType>,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub location: LocationDto,
    #[serde(default)]
    pub reporter: ReporterDto,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
}

impl From<CreateComplaintRequest> for Intake {
    fn from(r: CreateComplaintRequest) -> Self {
        Intake {
            channel: Some(r.channel),
            channel_reference: r.channel_reference,
            received_at: r.received_at,
            complaint_type: r.complaint_type,
            title: r.title,
            body: Some(r.body),
            category: r.category,
            subcategory: r.subcategory,
            tags: r.tags,
            location: Location {
                text: r.location.text,
                kelurahan_code: r.location.kelurahan_code,
                latitude: r.location.latitude,
                longitude: r.location.longitude,
            },
            reporter: Reporter {
                name: r.reporter.name,
                phone: r.reporter.phone,
                email: r.reporter.email,
                nik: r.reporter.nik,
                address: r.reporter.address,
            },
            anonymous: r.anonymous,
            confidential: r.confidential,
        }
    }
}

/// Body of every lifecycle action; each action reads the fields it needs.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionRequest {
    /// The version last read; a newer stored version makes the action fail with 409.
    pub version: i64,
    #[schema(value_type = Option<String>)]
    pub complaint_type: Option<ComplaintType>,
    pub supervision: Option<bool>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub tags: Option<Vec<String>>,
    pub question: Option<String>,
    pub text: Option<String>,
    /// spam, duplicate, not_a_complaint or unintelligible.
    pub reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub note: Option<String>,
    pub lead_agency: Option<String>,
    pub supporting_agencies: Option<Vec<String>>,
    pub instruction: Option<String>,
    pub institution: Option<String>,
    pub satisfied: Option<bool>,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    pub related: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeadlinesDto {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verification_due_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub followup_due_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolution_due_at: Option<jiff::Timestamp>,
    /// The deadline that applies now; the end of its due day in local time.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<jiff::Timestamp>,
    /// The local date `due_at` falls due on.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<jiff::civil::Date>,
    pub overdue: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub auto_close_at: Option<jiff::Timestamp>,
    pub verification_paused_days: u32,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReporterView {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
    pub address: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LocationView {
    pub text: Option<String>,
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SatisfactionView {
    pub satisfied: bool,
    pub rating: Option<u8>,
    pub comment: Option<String>,
}

/// A complaint as the caller may see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ComplaintDto {
    pub id: i64,
    pub tracking_number: String,
    pub version: i64,
    pub channel: String,
    pub channel_reference: Option<String>,
    /// The SOP it was taken in under, e.g. `02/humpro`.
    pub procedure: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: jiff::Timestamp,
    pub complaint_type: String,
    pub supervision: bool,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub tags: Vec<String>,
    pub location: LocationView,
    /// `null` when the caller may not see the identity.
    pub reporter: Option<ReporterView>,
    pub identity_visible: bool,
    pub anonymous: bool,
    pub confidential: bool,
    pub lead_agency: Option<String>,
    pub supporting_agencies: Vec<String>,
    pub registered_by_agency: Option<String>,
    pub status: String,
    /// The status in the caller's language.
    pub status_label: String,
    pub archive_reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub forwarded_to: Option<String>,
    pub related: Vec<i64>,
    pub deadlines: DeadlinesDto,
    pub reopen_count: u32,
    pub satisfaction: Option<SatisfactionView>,
    /// Actions the caller may take now.
    pub allowed_actions: Vec<String>,
}

impl ComplaintDto {
    pub(crate) fn new(
        view: ComplaintView,
        calendar: &tanggap_core::WorkingCalendar,
        lang: crate::i18n::Lang,
    ) -> Self {
        let c = view.complaint;
        let d = c.deadlines;
        let now = jiff::Timestamp::now();
        let duplicate_of = match c.archive_reason {
            Some(tanggap_core::ArchiveReason::Duplicate { of }) => Some(of.0),
            _ => None,
        };
        Self {
            id: c.id.0,
            tracking_number: c.tracking_number,
            version: c.version,
            channel: c.channel.code().into(),
            channel_reference: c.channel_reference,
            procedure: c.procedure.code().into(),
            received_at: c.received_at,
            registered_at: c.registered_at,
            complaint_type: c.complaint_type.code().into(),
            supervision: c.supervision,
            title: c.title,
            body: c.body,
            category: c.category,
            subcategory: c.subcategory,
            tags: c.tags,
            location: LocationView {
                text: c.location.text,
                kelurahan_code: c.location.kelurahan_code,
                latitude: c.location.latitude,
                longitude: c.location.longitude,
            },
            reporter: view.identity_visible.then_some(ReporterView {
                name: c.reporter.name,
                phone: c.reporter.phone,
                email: c.reporter.email,
                nik: c.reporter.nik,
                address: c.reporter.address,
            }),
            identity_visible: view.identity_visible,
            anonymous: c.anonymous,
            confidential: c.confidential,
            lead_agency: c.lead_agency,
            supporting_agencies: c.supporting_agencies,
            registered_by_agency: c.registered_by_agency,
            status_label: lang.text(&format!("status-{}", c.status.code()), &[]),
            status: c.status.code().into(),
            archive_reason: c.archive_reason.map(|r| r.code().code().to_owned()),
            duplicate_of,
            forwarded_to: c.forwarded_to,
            related: c.related.iter().map(|r| r.0).collect(),
            deadlines: DeadlinesDto {
                verification_due_at: d.verification_due_at,
                followup_due_at: d.followup_due_at,
                resolution_due_at: d.resolution_due_at,
                due_at: d.due_at,
                due_date: d.due_at.map(|at| calendar.due_date(at)),
                overdue: d.due_at.is_some_and(|at| at <= now),
                hold_expires_at: d.hold_expires_at,
                auto_close_at: d.auto_close_at,
                verification_paused_days: d.verification_paused_days,
            },
            reopen_count: c.reopen_count,
            satisfaction: c.satisfaction.map(|s| SatisfactionView {
                satisfied: s.satisfied,
                rating: s.rating,
                comment: s.comment,
            }),
            allowed_actions: view
                .allowed_actions
                .iter()
                .map(|a| a.code().to_owned())
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedDto {
    pub complaint: ComplaintDto,
    /// The reporter's secret for following the complaint; shown once.
    pub secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PageDto {
    pub items: Vec<ComplaintDto>,
    /// Matching complaints, counted up to 10,000.
    pub total: i64,
    /// True when more than 10,000 complaints match; `total` is then 10,000.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventDto {
    pub id: i64,
    pub action: String,
    pub action_label: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// Username, `pelapor` or `sistem`.
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub sop_activity: Option<String>,
    /// `public` (the reporter sees it) or `internal`.
    pub visibility: String,
    pub text: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}
