//! The public portal's use cases: a citizen reports a complaint without an
//! account and follows it with the tracking number and the secret.
//!
//! The reporter's view is built here, so the web layer never filters
//! internal data itself: it carries only public events, and it names staff
//! by their role ("Admin") or agency, never by username.

use crate::attachments::CheckedUpload;
use crate::complaints::Registered;
use crate::error::ServiceError;
use crate::{Services, now};
use jiff::Timestamp;
use serde::Deserialize;
use tanggap_core::complaint::hash_secret;
use tanggap_core::lifecycle::{Action, Actor, ActorKind, Intake, Visibility};
use tanggap_core::{Channel, Complaint, ComplaintType, Role, Satisfaction, Status};

/// Settings of the public portal. Rate limits count per client address
/// and per contact (phone or e-mail) within a sliding window.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Years after a complaint closes until the retention job erases the
    /// reporter's personal data; stated in the consent notice. 0 keeps it.
    pub retention_years: u32,
    /// Reports one client address may send per window.
    pub reports_per_address: u32,
    pub report_window_minutes: u64,
    /// Tracking-page requests one client address may make per window.
    pub lookups_per_address: u32,
    pub lookup_window_minutes: u64,
    /// Reports with the same phone number or e-mail address per window.
    pub reports_per_contact: u32,
    pub contact_window_minutes: u64,
    /// Reverse proxies whose `X-Forwarded-For` header names the client,
    /// as addresses or CIDR networks, e.g. `["10.0.0.0/8", "127.0.0.1"]`.
    /// Requests from other peers are counted by their own address.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Reads a list of CIDR networks, where a bare address means that one host.
fn networks<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let entries = Vec::<String>::deserialize(deserializer)?;
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "invalid trusted proxy {entry:?}: expected an IP address or a CIDR network such as 10.0.0.0/8"
                    ))
                })
        })
        .collect()
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            retention_years: 5,
            reports_per_address: 5,
            report_window_minutes: 10,
            lookups_per_address: 30,
            lookup_window_minutes: 10,
            reports_per_contact: 3,
            contact_window_minutes: 60,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Result of [`Services::report`].
#[derive(Clone, Debug)]
pub struct Reported {
    pub complaint: Complaint,
    /// The reporter's secret, returned once.
    pub secret: String,
    /// Some files could not be stored; the complaint was saved without them.
    pub files_failed: bool,
}

/// Author of a public event, as shown to the reporter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicActor {
    /// The central admin or other city staff without an agency.
    Admin,
    /// An agency, by its code.
    Agency(String),
    Reporter,
    System,
}

/// One event of the public timeline.
#[derive(Clone, Debug)]
pub struct PublicEvent {
    pub action: Action,
    pub at: Timestamp,
    pub actor: PublicActor,
    pub to_status: Status,
    pub text: Option<String>,
}

/// A complaint as shown to its reporter on the tracking page. It has no
/// identity fields, no internal notes and no staff names.
#[derive(Clone, Debug)]
pub struct ReporterView {
    pub tracking_number: String,
    pub complaint_type: ComplaintType,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub status: Status,
    pub received_at: Timestamp,
    /// The agency handling it, once dispatched.
    pub lead_agency: Option<String>,
    pub forwarded_to: Option<String>,
    /// The deadline of the city's next step, if one applies now.
    pub due_at: Option<Timestamp>,
    pub hold_expires_at: Option<Timestamp>,
    pub auto_close_at: Option<Timestamp>,
    pub satisfaction: Option<Satisfaction>,
    pub events: Vec<PublicEvent>,
    /// The reporter may add information now (the complaint is on hold).
    pub can_complete: bool,
    /// The reporter may reply to the final response now.
    pub can_reply: bool,
}

fn public_actor(actor: &Actor) -> PublicActor {
    match &actor.kind {
        ActorKind::Staff {
            agency: Some(code),
            role,
        } if *role != Role::CentralAdmin => PublicActor::Agency(code.clone()),
        ActorKind::Staff { .. } => PublicActor::Admin,
        ActorKind::Reporter => PublicActor::Reporter,
        ActorKind::System => PublicActor::System,
    }
}

impl Services {
    /// Registers a complaint sent through the public portal, on the `web`
    /// channel and as the reporter, with the files checked by
    /// [`Services::check_uploads`]. The secret in the result is shown to
    /// the reporter once and stored only as a hash.
    ///
    /// A file that cannot be stored does not undo the complaint. The result
    /// then has `files_failed` set, and the receipt asks the reporter to
    /// send the file through another channel.
    pub async fn report(
        &self,
        intake: Intake,
        uploads: Vec<CheckedUpload>,
    ) -> Result<Reported, ServiceError> {
        self.report_in_language(intake, uploads, "id").await
    }

    /// Like [`Services::report`], and remembers `language` (`id` or `en`)
    /// as the language of the reporter's notifications. The received
    /// notice, with the tracking link, is queued once the complaint is saved.
    pub async fn report_in_language(
        &self,
        intake: Intake,
        uploads: Vec<CheckedUpload>,
        language: &str,
    ) -> Result<Reported, ServiceError> {
        // The channel reference is kept: the portal form sets none, and
        // Open311 puts its token there.
        let intake = Intake {
            channel: Some(Channel::Web),
            received_at: None,
            ..intake
        };
        let actor = Actor::reporter();
        let (complaint, secret) = match self.register(&actor, intake, now(), None).await? {
            Registered::New(complaint, secret) => (*complaint, secret),
            Registered::Replayed(_) => {
                return Err(ServiceError::Internal(
                    "a portal report without an idempotency key was replayed".into(),
                ));
            }
        };
        if let Err(e) = self
            .queue_received_notice(&complaint, &secret, language)
            .await
        {
            // The complaint is saved and the receipt shows the secret, so a
            // lost notice must not turn the report into an error.
            tracing::error!(error = %e, complaint_id = complaint.id.0, "queueing the received notice failed");
        }
        let mut files_failed = false;
        if !uploads.is_empty()
            && let Err(e) = self
                .store_uploads(&actor, &complaint, uploads, true, None)
                .await
        {
            tracing::error!(error = %e, complaint_id = complaint.id.0, "storing a portal report's files failed");
            files_failed = true;
        }
        Ok(Reported {
            complaint,
            secret,
            files_failed,
        })
    }

    /// Reads a complaint as shown to its reporter. A wrong tracking number
    /// and a wrong secret give the same [`ServiceError::NotFound`], so the
    /// response does not reveal whether the number exists.
    pub async fn reporter_view(
        &self,
        tracking_number: &str,
        secret: &str,
    ) -> Result<ReporterView, ServiceError> {
        let not_found = || ServiceError::NotFound {
            entity: "complaint",
        };
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(not_found());
        }
        let complaint = self
            .store
            .find_complaint(tracking_number.trim())
            .await?
            .filter(|c| c.reporter_secret_hash.as_deref() == Some(hash_secret(secret).as_str()))
            .ok_or_else(not_found)?;
        let events = self
            .store
            .complaint_events(complaint.id)
            .await?
            .into_iter()
            .map(|stored| stored.event)
            .filter(|event| event.visibility == Visibility::Public)
            .map(|event| PublicEvent {
                action: event.action,
                at: event.at,
                actor: public_actor(&event.actor),
                to_status: event.to_status,
                text: event.text,
            })
            .collect();
        Ok(ReporterView {
            tracking_number: complaint.tracking_number,
            complaint_type: complaint.complaint_type,
            title: complaint.title,
            body: complaint.body,
            category: complaint.category,
            status: complaint.status,
            received_at: complaint.received_at,
            lead_agency: complaint.lead_agency,
            forwarded_to: complaint.forwarded_to,
            due_at: complaint.deadlines.due_at,
            hold_expires_at: complaint.deadlines.hold_expires_at,
            auto_close_at: complaint.deadlines.auto_close_at,
            satisfaction: complaint.satisfaction,
            events,
            can_complete: complaint.status == Status::OnHold,
            can_reply: complaint.status == Status::Responded,
        })
    }
}
