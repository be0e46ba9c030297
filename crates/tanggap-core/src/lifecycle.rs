//! The complaint lifecycle as a transition table.
//!
//! Every change to a complaint is a [`Command`] applied by [`apply`], which
//! looks the action up in [`TRANSITIONS`], checks the current status and the
//! performer, updates the complaint and its deadlines, and returns the
//! [`Event`] to append to its history. Each transition names the SOP activity
//! it fulfils; the activity ids are those of the SOP files in `sop/`.

use crate::calendar::WorkingCalendar;
use crate::complaint::{
    ArchiveReason, Channel, Complaint, ComplaintId, ComplaintType, Deadlines, IntakeProcedure,
    Location, Reporter, Satisfaction, Status, coded_enum,
};
use crate::role::Role;
use crate::standards::TimeStandards;
use crate::validate::{self, FieldError, Validator};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

coded_enum! {
    /// What happened to a complaint. Transitions change its status; the
    /// last five record something without changing it.
    Action {
        Register = "register",
        Verify = "verify",
        Hold = "hold",
        /// The reporter (or staff on the reporter's behalf) completes a held complaint.
        Complete = "complete",
        Archive = "archive",
        Dispatch = "dispatch",
        /// The agency returns it as not within its authority (bukan wewenang).
        Return = "return",
        Forward = "forward",
        FollowUp = "follow_up",
        Respond = "respond",
        ReporterAccept = "reporter_accept",
        ReporterReject = "reporter_reject",
        Resolve = "resolve",
        Reopen = "reopen",
        AutoArchive = "auto_archive",
        AutoResolve = "auto_resolve",
        Note = "note",
        Link = "link",
        /// A file was attached; the file's metadata is in the event's data.
        Attach = "attach",
        Reminder = "reminder",
        Escalation = "escalation",
    }
}

/// Performer allowed to carry out a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Performer {
    CentralAdmin,
    /// The liaison admin of the lead agency.
    LeadAgency,
    /// The liaison admin of the lead or of a supporting agency.
    AssignedAgency,
    /// The liaison admin of the agency that recorded the complaint (SOP 03).
    RecordingAgency,
    /// Any staff member who may see the complaint and writes notes.
    HandlingStaff,
    /// The reporter, identified by tracking number and secret.
    Reporter,
    /// A background job.
    System,
}

/// One row of the transition table.
#[derive(Debug)]
pub struct Transition {
    pub action: Action,
    pub from: &'static [Status],
    /// `None` when the action leaves the status as it is.
    pub to: Option<Status>,
    pub performers: &'static [Performer],
    /// Activity id in the SOP of the complaint's intake procedure; `None`
    /// for records that fulfil no flowchart activity (notes, reminders).
    pub activity: Option<&'static str>,
}

use Performer as P;
use Status as S;

const OPEN: &[Status] = &[
    S::Received,
    S::OnHold,
    S::Verified,
    S::Dispatched,
    S::InProgress,
    S::Responded,
    S::Returned,
];
const ANY: &[Status] = &[
    S::Received,
    S::OnHold,
    S::Verified,
    S::Dispatched,
    S::InProgress,
    S::Responded,
    S::Returned,
    S::Resolved,
    S::Archived,
    S::Forwarded,
];

/// The lifecycle. Register has no source status: it creates the complaint.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        action: Action::Register,
        from: &[],
        to: Some(S::Received),
        performers: &[P::CentralAdmin, P::AssignedAgency, P::Reporter, P::System],
        activity: Some("register"),
    },
    Transition {
        action: Action::Verify,
        from: &[S::Received],
        to: Some(S::Verified),
        performers: &[P::CentralAdmin],
        activity: Some("verify"),
    },
    Transition {
        action: Action::Hold,
        from: &[S::Received, S::Verified],
        to: Some(S::OnHold),
        performers: &[P::CentralAdmin],
        activity: Some("hold"),
    },
    Transition {
        action: Action::Complete,
        from: &[S::OnHold],
        to: Some(S::Received),
        performers: &[P::CentralAdmin, P::Reporter],
        activity: Some("hold"),
    },
    Transition {
        action: Action::Archive,
        from: &[S::Received, S::OnHold, S::Verified, S::Returned],
        to: Some(S::Archived),
        performers: &[P::CentralAdmin],
        activity: Some("archive"),
    },
    Transition {
        action: Action::AutoArchive,
        from: &[S::OnHold],
        to: Some(S::Archived),
        performers: &[P::System],
        activity: Some("archive"),
    },
    Transition {
        action: Action::Dispatch,
        from: &[S::Verified, S::Returned],
        to: Some(S::Dispatched),
        performers: &[P::CentralAdmin],
        activity: Some("dispatch"),
    },
    Transition {
        action: Action::Forward,
        from: &[S::Received, S::Verified, S::Returned],
        to: Some(S::Forwarded),
        performers: &[P::CentralAdmin],
        activity: Some("forward"),
    },
    Transition {
        action: Action::Return,
        from: &[S::Dispatched, S::InProgress],
        to: Some(S::Returned),
        performers: &[P::LeadAgency],
        activity: Some("return"),
    },
    Transition {
        action: Action::FollowUp,
        from: &[S::Dispatched, S::InProgress],
        to: Some(S::InProgress),
        performers: &[P::AssignedAgency],
        activity: Some("follow_up"),
    },
    Transition {
        action: Action::Respond,
        from: &[S::Dispatched, S::InProgress],
        to: Some(S::Responded),
        performers: &[P::LeadAgency],
        activity: Some("respond"),
    },
    Transition {
        action: Action::ReporterAccept,
        from: &[S::Responded],
        to: Some(S::Resolved),
        performers: &[P::Reporter, P::CentralAdmin],
        activity: Some("reporter_reply"),
    },
    Transition {
        action: Action::ReporterReject,
        from: &[S::Responded],
        to: Some(S::InProgress),
        performers: &[P::Reporter, P::CentralAdmin],
        activity: Some("reporter_reply"),
    },
    Transition {
        action: Action::Resolve,
        from: &[S::Responded],
        to: Some(S::Resolved),
        performers: &[P::CentralAdmin],
        activity: Some("resolve"),
    },
    Transition {
        action: Action::AutoResolve,
        from: &[S::Responded],
        to: Some(S::Resolved),
        performers: &[P::System],
        activity: Some("resolve"),
    },
    Transition {
        action: Action::Reopen,
        from: &[S::Responded, S::Resolved],
        to: Some(S::InProgress),
        performers: &[P::CentralAdmin],
        activity: Some("follow_up"),
    },
    Transition {
        action: Action::Note,
        from: ANY,
        to: None,
        performers: &[P::CentralAdmin, P::AssignedAgency, P::HandlingStaff],
        activity: None,
    },
    Transition {
        action: Action::Link,
        from: ANY,
        to: None,
        performers: &[P::CentralAdmin],
        activity: Some("verify"),
    },
    Transition {
        action: Action::Attach,
        from: OPEN,
        to: None,
        // The reporter attaches only the files sent with the report form.
        performers: &[
            P::CentralAdmin,
            P::AssignedAgency,
            P::RecordingAgency,
            P::Reporter,
        ],
        activity: None,
    },
    Transition {
        action: Action::Reminder,
        from: OPEN,
        to: None,
        performers: &[P::System],
        activity: None,
    },
    Transition {
        action: Action::Escalation,
        from: OPEN,
        to: None,
        performers: &[P::System],
        activity: None,
    },
];

/// Returns the table row of an action.
pub fn transition(action: Action) -> &'static Transition {
    TRANSITIONS
        .iter()
        .find(|t| t.action == action)
        .unwrap_or_else(|| unreachable!("every action has a row in TRANSITIONS"))
}

/// Returns the actions allowed from `status`, in table order.
pub fn actions_from(status: Status) -> impl Iterator<Item = Action> {
    TRANSITIONS
        .iter()
        .filter(move |t| t.from.contains(&status))
        .map(|t| t.action)
}

/// Kind of actor behind a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorKind {
    Staff {
        role: Role,
        /// The agency of an agency-scoped role.
        agency: Option<String>,
    },
    Reporter,
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<i64>,
    /// Username of a staff member, or `pelapor` / `sistem`.
    pub label: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            user_id: None,
            label: "sistem".into(),
        }
    }

    pub fn reporter() -> Self {
        Self {
            kind: ActorKind::Reporter,
            user_id: None,
            label: "pelapor".into(),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match &self.kind {
            ActorKind::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    pub fn agency(&self) -> Option<&str> {
        match &self.kind {
            ActorKind::Staff { agency, .. } => agency.as_deref(),
            _ => None,
        }
    }

    /// Identifier used in the audit log; never a name.
    pub fn audit_id(&self) -> String {
        match (&self.kind, self.user_id) {
            (ActorKind::Staff { .. }, Some(id)) => format!("user:{id}"),
            (ActorKind::Staff { .. }, None) => "user:unknown".into(),
            (ActorKind::Reporter, _) => "reporter".into(),
            (ActorKind::System, _) => "system".into(),
        }
    }
}

impl Transition {
    /// Tells whether `actor` may perform this transition on `complaint`.
    /// Registration has no complaint yet, so it passes `None`.
    pub fn permits(&self, actor: &Actor, complaint: Option<&Complaint>) -> bool {
        self.performers
            .iter()
            .any(|performer| performer_matches(*performer, actor, complaint))
    }
}

fn performer_matches(performer: Performer, actor: &Actor, complaint: Option<&Complaint>) -> bool {
    let role = actor.role();
    let agency = actor.agency();
    match performer {
        P::CentralAdmin => role == Some(Role::CentralAdmin),
        P::LeadAgency => {
            role == Some(Role::LiaisonAdmin)
                && agency.is_some()
                && complaint.is_some_and(|c| c.lead_agency.as_deref() == agency)
        }
        P::AssignedAgency => {
            role == Some(Role::LiaisonAdmin)
                && match (agency, complaint) {
                    (Some(agency), Some(c)) => c.is_assigned_to(agency),
                    // Registration: a liaison admin records for their own agency.
                    (Some(_), None) => true,
                    (None, _) => false,
                }
        }
        P::RecordingAgency => {
            role == Some(Role::LiaisonAdmin)
                && agency.is_some()
                && complaint.is_some_and(|c| c.registered_by_agency.as_deref() == agency)
        }
        P::HandlingStaff => matches!(
            role,
            Some(Role::AgencyHead | Role::ComplaintTeam | Role::CitySecretary)
        ),
        P::Reporter => actor.kind == ActorKind::Reporter,
        P::System => actor.kind == ActorKind::System,
    }
}

/// Visibility of an event: public events appear on the reporter's tracking page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

/// One entry of a complaint's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub action: Action,
    pub at: Timestamp,
    pub actor: Actor,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// `<SOP number>#<activity id>`, e.g. `01/humpro#verify`.
    pub sop_activity: Option<String>,
    pub visibility: Visibility,
    pub text: Option<String>,
    /// Structured details: agencies, reasons, ratings.
    pub data: serde_json::Value,
}

/// Intake data as it arrived, before it becomes a complaint.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Intake {
    pub channel: Option<Channel>,
    pub channel_reference: Option<String>,
    /// When it arrived through its channel; defaults to the registration time.
    pub received_at: Option<Timestamp>,
    pub complaint_type: Option<ComplaintType>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub location: Location,
    #[serde(default)]
    pub reporter: Reporter,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
}

/// Earliest and latest arrival instants accepted, to catch typing errors
/// such as a year 2205 and to keep deadline arithmetic in range.
const RECEIVED_AT_MIN: Timestamp = Timestamp::constant(946_684_800, 0); // 2000-01-01T00:00:00Z

impl Intake {
    /// Trims and checks every field, collecting all errors.
    pub fn validated(self, now: Timestamp) -> Result<Intake, Vec<FieldError>> {
        let mut v = Validator::default();
        if self.channel.is_none() {
            v.push(FieldError::new("channel", "required"));
        }
        if let Some(received_at) = self.received_at
            && (received_at < RECEIVED_AT_MIN
                || received_at > now + jiff::SignedDuration::from_mins(10))
        {
            v.push(FieldError::new("received_at", "out_of_range"));
        }
        let channel_reference = v.optional_text(
            "channel_reference",
            self.channel_reference.as_deref(),
            validate::CHANNEL_REFERENCE_MAX,
        );
        let title = v.optional_text("title", self.title.as_deref(), validate::TITLE_MAX);
        let body = v.required_text("body", self.body.as_deref(), validate::BODY_MAX);
        let category =
            v.optional_text("category", self.category.as_deref(), validate::CATEGORY_MAX);
        let subcategory = v.optional_text(
            "subcategory",
            self.subcategory.as_deref(),
            validate::CATEGORY_MAX,
        );
        if subcategory.is_some() && category.is_none() {
            v.push(FieldError::new("subcategory", "requires_category"));
        }
        let tags = v.tags("tags", &self.tags);
        let location = Location {
            text: v.optional_text(
                "location.text",
                self.location.text.as_deref(),
                validate::LOCATION_TEXT_MAX,
            ),
            kelurahan_code: v.optional_text(
                "location.kelurahan_code",
                self.location.kelurahan_code.as_deref(),
                32,
            ),
            latitude: v.coordinate("location.latitude", self.location.latitude, 90.0),
            longitude: v.coordinate("location.longitude", self.location.longitude, 180.0),
        };
        if location.latitude.is_some() != location.longitude.is_some() {
            v.push(FieldError::new("location", "incomplete_coordinates"));
        }
        let reporter = Reporter {
            name: v.optional_text(
                "reporter.name",
                self.reporter.name.as_deref(),
                validate::NAME_MAX,
            ),
            phone: v.phone("reporter.phone", self.reporter.phone.as_deref()),
            email: v.email("reporter.email", self.reporter.email.as_deref()),
            nik: v.nik("reporter.nik", self.reporter.nik.as_deref()),
            address: v.optional_text(
                "reporter.address",
                self.reporter.address.as_deref(),
                validate::ADDRESS_MAX,
            ),
        };
        v.finish()?;
        Ok(Intake {
            channel: self.channel,
            channel_reference,
            received_at: self.received_at,
            complaint_type: self.complaint_type,
            title,
            body: Some(body),
            category,
            subcategory,
            tags,
            location,
            reporter,
            anonymous: self.anonymous,
            confidential: self.confidential,
        })
    }
}

/// A lifecycle command other than registration.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Verify {
        complaint_type: ComplaintType,
        supervision: bool,
        title: Option<String>,
        category: Option<String>,
        subcategory: Option<String>,
        tags: Vec<String>,
    },
    Hold {
        question: String,
    },
    Complete {
        text: String,
    },
    Archive {
        reason: ArchiveReason,
        note: Option<String>,
    },
    Dispatch {
        lead_agency: String,
        supporting_agencies: Vec<String>,
        instruction: Option<String>,
    },
    Return {
        reason: String,
    },
    Forward {
        institution: String,
        note: Option<String>,
    },
    FollowUp {
        text: String,
    },
    Respond {
        text: String,
    },
    ReporterReply {
        satisfied: bool,
        rating: Option<u8>,
        comment: Option<String>,
    },
    Resolve {
        note: Option<String>,
    },
    Reopen {
        reason: String,
    },
    AutoArchive,
    AutoResolve,
    Note {
        text: String,
    },
    Link {
        related: ComplaintId,
    },
    /// Records an attachment that the service has already checked and stored.
    Attach {
        attachment_id: i64,
        file_name: String,
        media_type: String,
        size_bytes: u64,
    },
    /// A deadline is near (`Reminder`) or past (`Escalation`).
    DeadlineAlert {
        overdue: bool,
        deadline: &'static str,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Verify { .. } => Action::Verify,
            Command::Hold { .. } => Action::Hold,
            Command::Complete { .. } => Action::Complete,
            Command::Archive { .. } => Action::Archive,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Return { .. } => Action::Return,
            Command::Forward { .. } => Action::Forward,
            Command::FollowUp { .. } => Action::FollowUp,
            Command::Respond { .. } => Action::Respond,
            Command::ReporterReply {
                satisfied: true, ..
            } => Action::ReporterAccept,
            Command::ReporterReply {
                satisfied: false, ..
            } => Action::ReporterReject,
            Command::Resolve { .. } => Action::Resolve,
            Command::Reopen { .. } => Action::Reopen,
            Command::AutoArchive => Action::AutoArchive,
            Command::AutoResolve => Action::AutoResolve,
            Command::Note { .. } => Action::Note,
            Command::Link { .. } => Action::Link,
            Command::Attach { .. } => Action::Attach,
            Command::DeadlineAlert { overdue: false, .. } => Action::Reminder,
            Command::DeadlineAlert { overdue: true, .. } => Action::Escalation,
        }
    }
}

/// Reason a command was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LifecycleError {
    #[error("action {action} is not allowed while the complaint is {status}")]
    InvalidTransition { action: Action, status: Status },
    #[error("this actor may not perform {action}")]
    NotPermitted { action: Action },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
}

/// Rules and calendar a transition is computed with.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub calendar: &'a WorkingCalendar,
    pub standards: &'a TimeStandards,
}

/// Creates a complaint from a validated intake.
///
/// `id`, `tracking_number` and `secret_hash` come from the store and the
/// service; the procedure follows from the channel and the actor.
pub fn register(
    intake: Intake,
    id: ComplaintId,
    tracking_number: String,
    secret_hash: Option<String>,
    actor: &Actor,
    now: Timestamp,
    ctx: Context<'_>,
) -> Result<(Complaint, Event), LifecycleError> {
    let row = transition(Action::Register);
    if !row.permits(actor, None) {
        return Err(LifecycleError::NotPermitted {
            action: Action::Register,
        });
    }
    let channel = intake
        .channel
        .ok_or_else(|| LifecycleError::Invalid(vec![FieldError::new("channel", "required")]))?;
    let procedure = match (&actor.kind, channel) {
        (_, Channel::Lapor) => IntakeProcedure::Lapor,
        (
            ActorKind::Staff {
                role: Role::LiaisonAdmin,
                ..
            },
            _,
        ) => IntakeProcedure::LiaisonAdmin,
        _ => IntakeProcedure::CentralAdmin,
    };
    let received_at = intake.received_at.unwrap_or(now);
    let verification_due = ctx
        .calendar
        .deadline(received_at, ctx.standards.verification_days);

    let complaint = Complaint {
        id,
        tracking_number,
        version: 1,
        channel,
        channel_reference: intake.channel_reference,
        procedure,
        received_at,
        registered_at: now,
        complaint_type: intake.complaint_type.unwrap_or(ComplaintType::Complaint),
        supervision: false,
        title: intake.title,
        body: intake.body.unwrap_or_default(),
        category: intake.category,
        subcategory: intake.subcategory,
        tags: intake.tags,
        location: intake.location,
        reporter: intake.reporter,
        anonymous: intake.anonymous,
        confidential: intake.confidential,
        attachments: Vec::new(),
        lead_agency: None,
        supporting_agencies: Vec::new(),
        registered_by_agency: match procedure {
            IntakeProcedure::LiaisonAdmin => actor.agency().map(str::to_owned),
            _ => None,
        },
        status: Status::Received,
        archive_reason: None,
        forwarded_to: None,
        related: Vec::new(),
        deadlines: Deadlines {
            verification_due_at: Some(verification_due),
            due_at: Some(verification_due),
            ..Deadlines::default()
        },
        verified_at: None,
        held_at: None,
        dispatched_at: None,
        first_followup_at: None,
        responded_at: None,
        closed_at: None,
        reopen_count: 0,
        satisfaction: None,
        reporter_secret_hash: secret_hash,
    };
    let event = Event {
        action: Action::Register,
        at: now,
        actor: actor.clone(),
        from_status: None,
        to_status: Status::Received,
        sop_activity: row
            .activity
            .map(|activity| format!("{}#{activity}", procedure.code())),
        visibility: Visibility::Public,
        text: None,
        data: json!({ "channel": channel.code() }),
    };
    Ok((complaint, event))
}

/// Applies `command` to `complaint`, returning the changed complaint (with
/// its version incremented) and the event to record.
pub fn apply(
    complaint: &Complaint,
    command: Command,
    actor: &Actor,
    now: Timestamp,
    ctx: Context<'_>,
) -> Result<(Complaint, Event), LifecycleError> {
    let action = command.action();
    let row = transition(action);
    if !row.from.contains(&complaint.status) {
        return Err(LifecycleError::InvalidTransition {
            action,
            status: complaint.status,
        });
    }
    if !row.permits(actor, Some(complaint)) {
        return Err(LifecycleError::NotPermitted { action });
    }

    let mut next = complaint.clone();
    next.version += 1;
    if let Some(to) = row.to {
        next.status = to;
    }
    let cal = ctx.calendar;
    let std = ctx.standards;
    let mut visibility = Visibility::Public;
    let mut text = None;
    let mut data = serde_json::Value::Null;
    let mut v = Validator::default();

    match command {
        Command::Verify {
            complaint_type,
            supervision,
            title,
            category,
            subcategory,
            tags,
        } => {
            next.complaint_type = complaint_type;
            next.supervision = supervision && complaint_type == ComplaintType::Complaint;
            if let Some(title) = v.optional_text("title", title.as_deref(), validate::TITLE_MAX) {
                next.title = Some(title);
            }
            next.category =
                v.optional_text("category", category.as_deref(), validate::CATEGORY_MAX);
            next.subcategory = v.optional_text(
                "subcategory",
                subcategory.as_deref(),
                validate::CATEGORY_MAX,
            );
            if next.category.is_none() {
                v.push(FieldError::new("category", "required"));
            }
            next.tags = v.tags("tags", &tags);
            next.verified_at = Some(now);
            data = json!({
                "complaint_type": complaint_type.code(),
                "supervision": next.supervision,
                "category": next.category,
                "subcategory": next.subcategory,
            });
        }
        Command::Hold { question } => {
            text = Some(v.required_text("question", Some(&question), validate::TEXT_MAX));
            next.held_at = Some(now);
            next.deadlines.due_at = None;
            next.deadlines.hold_expires_at = Some(cal.deadline(now, std.hold_expiry_days));
        }
        Command::Complete { text: added } => {
            text = Some(v.required_text("text", Some(&added), validate::TEXT_MAX));
            // The verification clock stood still for the working days spent
            // on hold, so the deadline moves by exactly that many days.
            if let Some(held_at) = complaint.held_at {
                let paused = cal.working_days_between(cal.local_date(held_at), cal.local_date(now));
                next.deadlines.verification_paused_days += u32::try_from(paused).unwrap_or(0);
            }
            let arrival = cal.effective_date(cal.local_date(complaint.received_at));
            let due = cal.end_of_day(cal.add_working_days(
                arrival,
                std.verification_days + next.deadlines.verification_paused_days,
            ));
            next.deadlines.verification_due_at = Some(due);
            next.deadlines.due_at = Some(due);
            next.deadlines.hold_expires_at = None;
            next.held_at = None;
        }
        Command::Archive { reason, note } => {
            if let ArchiveReason::Duplicate { of } = reason
                && of == complaint.id
            {
                v.push(FieldError::new("duplicate_of", "same_complaint"));
            }
            if reason == ArchiveReason::NoResponse {
                v.push(FieldError::new("reason", "reserved_for_system"));
            }
            text = v.optional_text("note", note.as_deref(), validate::REASON_MAX);
            visibility = Visibility::Internal;
            close(&mut next, now);
            next.archive_reason = Some(reason);
            data = serde_json::to_value(reason).unwrap_or_default();
        }
        Command::AutoArchive => {
            if complaint
                .deadlines
                .hold_expires_at
                .is_none_or(|at| now < at)
            {
                return Err(LifecycleError::InvalidTransition {
                    action,
                    status: complaint.status,
                });
            }
            close(&mut next, now);
            next.archive_reason = Some(ArchiveReason::NoResponse);
            data = serde_json::to_value(ArchiveReason::NoResponse).unwrap_or_default();
        }
        Command::Dispatch {
            lead_agency,
            supporting_agencies,
            instruction,
        } => {
            let lead = v.required_text("lead_agency", Some(&lead_agency), 32);
            let mut supporting: Vec<String> = Vec::new();
            for agency in supporting_agencies {
                let agency = agency.trim().to_owned();
                if !agency.is_empty() && agency != lead && !supporting.contains(&agency) {
                    supporting.push(agency);
                }
            }
            if supporting.len() > validate::SUPPORTING_AGENCIES_MAX {
                v.push(FieldError::with_limit(
                    "supporting_agencies",
                    "too_many",
                    validate::SUPPORTING_AGENCIES_MAX,
                ));
            }
            text = v.optional_text("instruction", instruction.as_deref(), validate::TEXT_MAX);
            visibility = Visibility::Internal;
            data = json!({ "lead_agency": lead, "supporting_agencies": supporting });
            next.lead_agency = Some(lead);
            next.supporting_agencies = supporting;
            next.dispatched_at.get_or_insert(now);
            let followup = cal.deadline(now, std.followup_days);
            next.deadlines.followup_due_at = Some(followup);
            next.deadlines.resolution_due_at = Some(cal.deadline(
                now,
                std.resolution_days_for(next.complaint_type, next.supervision),
            ));
            next.deadlines.due_at = Some(followup);
        }
        Command::Return { reason } => {
            text = Some(v.required_text("reason", Some(&reason), validate::REASON_MAX));
            visibility = Visibility::Internal;
            data = json!({
                "lead_agency": complaint.lead_agency,
                "supporting_agencies": complaint.supporting_agencies,
            });
            next.lead_agency = None;
            next.supporting_agencies.clear();
            next.deadlines.due_at = Some(cal.deadline(now, std.verification_days));
        }
        Command::Forward { institution, note } => {
            let institution =
                v.required_text("institution", Some(&institution), validate::INSTITUTION_MAX);
            text = v.optional_text("note", note.as_deref(), validate::REASON_MAX);
            data = json!({ "institution": institution });
            next.forwarded_to = Some(institution);
            close(&mut next, now);
        }
        Command::FollowUp { text: progress } => {
            text = Some(v.required_text("text", Some(&progress), validate::TEXT_MAX));
            next.first_followup_at.get_or_insert(now);
            next.deadlines.due_at = next.deadlines.resolution_due_at;
            data = json!({ "agency": actor.agency() });
        }
        Command::Respond { text: response } => {
            text = Some(v.required_text("text", Some(&response), validate::TEXT_MAX));
            next.first_followup_at.get_or_insert(now);
            next.responded_at = Some(now);
            next.deadlines.due_at = None;
            next.deadlines.auto_close_at = Some(cal.deadline(now, std.auto_close_days));
            data = json!({ "agency": actor.agency() });
        }
        Command::ReporterReply {
            satisfied,
            rating,
            comment,
        } => {
            if let Some(rating) = rating
                && !(1..=5).contains(&rating)
            {
                v.push(FieldError::new("rating", "out_of_range"));
            }
            let comment = v.optional_text("comment", comment.as_deref(), validate::COMMENT_MAX);
            text = comment.clone();
            data = json!({ "satisfied": satisfied, "rating": rating });
            next.satisfaction = Some(Satisfaction {
                satisfied,
                rating,
                comment,
            });
            if satisfied {
                close(&mut next, now);
            } else {
                reopen(&mut next, now, ctx);
            }
        }
        Command::Resolve { note } => {
            text = v.optional_text("note", note.as_deref(), validate::REASON_MAX);
            close(&mut next, now);
        }
        Command::AutoResolve => {
            if complaint.deadlines.auto_close_at.is_none_or(|at| now < at) {
                return Err(LifecycleError::InvalidTransition {
                    action,
                    status: complaint.status,
                });
            }
            close(&mut next, now);
        }
        Command::Reopen { reason } => {
            text = Some(v.required_text("reason", Some(&reason), validate::REASON_MAX));
            reopen(&mut next, now, ctx);
        }
        Command::Note { text: note } => {
            text = Some(v.required_text("text", Some(&note), validate::TEXT_MAX));
            visibility = Visibility::Internal;
        }
        Command::Link { related } => {
            if related == complaint.id {
                v.push(FieldError::new("related", "same_complaint"));
            }
            if !next.related.contains(&related) {
                next.related.push(related);
            }
            visibility = Visibility::Internal;
            data = json!({ "related": related });
        }
        Command::Attach {
            attachment_id,
            file_name,
            media_type,
            size_bytes,
        } => {
            visibility = Visibility::Internal;
            data = json!({
                "attachment_id": attachment_id,
                "file_name": file_name,
                "media_type": media_type,
                "size_bytes": size_bytes,
            });
        }
        Command::DeadlineAlert { overdue, deadline } => {
            visibility = Visibility::Internal;
            data = json!({ "deadline": deadline, "overdue": overdue });
        }
    }
    v.finish().map_err(LifecycleError::Invalid)?;

    let event = Event {
        action,
        at: now,
        actor: actor.clone(),
        from_status: Some(complaint.status),
        to_status: next.status,
        sop_activity: row
            .activity
            .map(|activity| format!("{}#{activity}", complaint.procedure.code())),
        visibility,
        text,
        data,
    };
    Ok((next, event))
}

/// Ends the city's handling: no deadline applies any more.
fn close(next: &mut Complaint, now: Timestamp) {
    next.closed_at = Some(now);
    next.deadlines.due_at = None;
    next.deadlines.hold_expires_at = None;
    next.deadlines.auto_close_at = None;
}

/// Sends the complaint back to its agency for a new response.
fn reopen(next: &mut Complaint, now: Timestamp, ctx: Context<'_>) {
    next.reopen_count += 1;
    next.closed_at = None;
    next.responded_at = None;
    next.deadlines.auto_close_at = None;
    let due = ctx
        .calendar
        .deadline(now, ctx.standards.reopened_response_days);
    next.deadlines.resolution_due_at = Some(due);
    next.deadlines.due_at = Some(due);
}

#[cfg(test)]
mod tests;
