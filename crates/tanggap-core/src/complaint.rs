//! The complaint (pengaduan / laporan) and the values it is made of.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Database identifier of a complaint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ComplaintId(pub i64);

impl std::fmt::Display for ComplaintId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Defines a fieldless enum with a stable snake_case code used in the
/// database, the API and translation keys, plus parsing from that code.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Returns the stable code stored in the database and used by the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// Parses a stable code; `None` for an unknown one.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// Channel (kanal) a complaint came in through.
    Channel {
        /// SP4N-LAPOR!, the national system.
        Lapor = "lapor",
        Whatsapp = "whatsapp",
        Sms = "sms",
        Email = "email",
        Telephone = "telephone",
        /// A letter (surat) with its letter number.
        Letter = "letter",
        /// The reporter came to the office (datang langsung).
        WalkIn = "walk_in",
        SocialMedia = "social_media",
        /// The city's own public portal.
        Web = "web",
    }
}

coded_enum! {
    /// Report type (klasifikasi) as LAPOR! defines it.
    ComplaintType {
        /// Pengaduan.
        Complaint = "complaint",
        /// Aspirasi: a suggestion or wish.
        Aspiration = "aspiration",
        /// Permintaan informasi.
        InformationRequest = "information_request",
    }
}

coded_enum! {
    /// The SOP under which a complaint was taken in, which fixes the SOP
    /// activities its lifecycle fulfils.
    IntakeProcedure {
        /// SOP 01/humpro: arrived through SP4N-LAPOR!.
        Lapor = "01/humpro",
        /// SOP 02/humpro: another channel, recorded by the central admin.
        CentralAdmin = "02/humpro",
        /// SOP 03/humpro: another channel, recorded by an agency's liaison admin.
        LiaisonAdmin = "03/humpro",
    }
}

coded_enum! {
    /// Lifecycle status of a complaint.
    Status {
        /// Registered and waiting for verification.
        Received = "received",
        /// Waiting for the reporter to complete it (tunda); the verification clock is paused.
        OnHold = "on_hold",
        /// Verified and classified, waiting for dispatch.
        Verified = "verified",
        /// Dispatched (disposisi) to a lead agency, waiting for its follow-up.
        Dispatched = "dispatched",
        /// The agency has posted follow-up; the final response is pending.
        InProgress = "in_progress",
        /// The agency has given its final response; waiting for the reporter's reply.
        Responded = "responded",
        /// Returned by the agency as not within its authority (bukan wewenang).
        Returned = "returned",
        /// Closed after the response (selesai).
        Resolved = "resolved",
        /// Closed without action, with a reason (arsip).
        Archived = "archived",
        /// Passed to an institution outside the city government.
        Forwarded = "forwarded",
    }
}

impl Status {
    /// Tells whether the complaint is closed for the city's handling.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Resolved | Status::Archived | Status::Forwarded
        )
    }
}

coded_enum! {
    /// Reason code of an archive without action.
    ArchiveReasonCode {
        Spam = "spam",
        Duplicate = "duplicate",
        NotAComplaint = "not_a_complaint",
        Unintelligible = "unintelligible",
        /// The reporter did not complete a held complaint in time.
        NoResponse = "no_response",
    }
}

/// Reason for archiving; a duplicate names the complaint it duplicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ArchiveReason {
    Spam,
    Duplicate { of: ComplaintId },
    NotAComplaint,
    Unintelligible,
    NoResponse,
}

impl ArchiveReason {
    pub fn code(self) -> ArchiveReasonCode {
        match self {
            ArchiveReason::Spam => ArchiveReasonCode::Spam,
            ArchiveReason::Duplicate { .. } => ArchiveReasonCode::Duplicate,
            ArchiveReason::NotAComplaint => ArchiveReasonCode::NotAComplaint,
            ArchiveReason::Unintelligible => ArchiveReasonCode::Unintelligible,
            ArchiveReason::NoResponse => ArchiveReasonCode::NoResponse,
        }
    }
}

/// Identity of the reporter (pelapor); every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Nomor Induk Kependudukan, the 16-digit national identity number.
    pub nik: Option<String>,
    pub address: Option<String>,
}

impl Reporter {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.nik.is_none()
            && self.address.is_none()
    }
}

/// Location of the problem.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Free-text address or description of the place.
    pub text: Option<String>,
    /// Kemendagri code of the kelurahan, e.g. `63.71.04.1002`.
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Metadata of a file attached to a complaint; the content lives in file storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub file_name: String,
    /// Media type detected from the content, not from the name.
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the content, hex encoded.
    pub sha256: String,
}

/// The reporter's verdict on the final response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Satisfaction {
    pub satisfied: bool,
    /// Rating from 1 to 5.
    pub rating: Option<u8>,
    pub comment: Option<String>,
}

/// Deadlines as instants: each one is the end of its due day in local time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// End of verification (and dispatch) by the central admin.
    pub verification_due_at: Option<Timestamp>,
    /// End of the agency's first follow-up (follow-up plan).
    pub followup_due_at: Option<Timestamp>,
    /// End of the agency's final response.
    pub resolution_due_at: Option<Timestamp>,
    /// The deadline that applies in the current status; `None` when nobody
    /// on the city's side has to act (on hold, waiting for the reporter, closed).
    pub due_at: Option<Timestamp>,
    /// When a held complaint is archived automatically.
    pub hold_expires_at: Option<Timestamp>,
    /// When a responded complaint is resolved automatically.
    pub auto_close_at: Option<Timestamp>,
    /// Working days the verification clock stood still while on hold.
    pub verification_paused_days: u32,
}

/// A complaint with its current state. History lives in the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: ComplaintId,
    /// Public tracking number, e.g. `BJM-26-000123`.
    pub tracking_number: String,
    /// Incremented on every change; used for optimistic concurrency.
    pub version: i64,
    pub channel: Channel,
    /// The channel's own reference: the LAPOR! tracking ID, a letter number,
    /// a phone number, a social media link.
    pub channel_reference: Option<String>,
    pub procedure: IntakeProcedure,
    /// When the complaint arrived through its channel.
    pub received_at: Timestamp,
    /// When it was recorded in this system.
    pub registered_at: Timestamp,
    pub complaint_type: ComplaintType,
    /// "Berkadar pengawasan": needs inspection and involves the Inspektorat.
    pub supervision: bool,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub tags: Vec<String>,
    pub location: Location,
    pub reporter: Reporter,
    /// Identity hidden from the reported party and the public (anonim).
    pub anonymous: bool,
    /// Content not public (rahasia).
    pub confidential: bool,
    /// Not filled by the store: attachments live in their own table (see
    /// [`crate::attachment::Attachment`]) and are read through the service,
    /// which applies the access rules. This field stays empty.
    pub attachments: Vec<AttachmentMeta>,
    pub lead_agency: Option<String>,
    pub supporting_agencies: Vec<String>,
    /// The agency whose liaison admin recorded the complaint (SOP 03).
    pub registered_by_agency: Option<String>,
    pub status: Status,
    pub archive_reason: Option<ArchiveReason>,
    /// Outside institution the complaint was forwarded to.
    pub forwarded_to: Option<String>,
    pub related: Vec<ComplaintId>,
    pub deadlines: Deadlines,
    pub verified_at: Option<Timestamp>,
    pub held_at: Option<Timestamp>,
    pub dispatched_at: Option<Timestamp>,
    pub first_followup_at: Option<Timestamp>,
    pub responded_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub reopen_count: u32,
    pub satisfaction: Option<Satisfaction>,
    /// SHA-256 of the reporter's secret, which with the tracking number lets
    /// the reporter follow the complaint without an account.
    pub reporter_secret_hash: Option<String>,
}

impl Complaint {
    /// Tells whether `agency` is the lead or a supporting agency.
    pub fn is_assigned_to(&self, agency: &str) -> bool {
        self.lead_agency.as_deref() == Some(agency)
            || self.supporting_agencies.iter().any(|a| a == agency)
    }

    /// Tells whether the reporter's identity must be hidden from everyone
    /// but the central admin.
    pub fn identity_protected(&self) -> bool {
        self.anonymous || self.confidential
    }
}

/// Hashes a reporter secret for storage and comparison.
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}
