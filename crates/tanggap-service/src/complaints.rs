//! Complaint use cases: intake, reading, listing and every lifecycle action.
//!
//! Access rules, decided here and nowhere else:
//! - the central admin, the Sekda and the complaint team see every complaint;
//! - a liaison admin or agency head sees complaints where the agency is lead
//!   or supporting, and those its liaison admin recorded;
//! - the inspectorate sees complaints that need inspection, read-only;
//! - the system administrator sees none.
//!
//! A complaint outside the caller's scope is reported as not found, so its
//! existence does not leak. The reporter's identity on an anonymous or
//! confidential complaint is shown only to the central admin, and each such
//! viewing is written to the audit log.

use crate::error::ServiceError;
use crate::{Principal, Services, now, random_hex, sha256_hex};
use jiff::Timestamp;
use serde_json::json;
use tanggap_core::complaint::{ArchiveReason, hash_secret};
use tanggap_core::lifecycle::{self, Action, Actor, Command, Intake};
use tanggap_core::validate::FieldError;
use tanggap_core::{Channel, Complaint, ComplaintId, ComplaintType, Reporter, Role, Status};
use tanggap_store::{
    AuditDraft, ComplaintFilter, IdempotencyClaim, InsertOutcome, NewComplaint, Scope, Sort,
    StoredEvent, micros,
};

/// Largest page a list request may ask for.
pub const PAGE_SIZE_MAX: i64 = 100;
pub const PAGE_SIZE_DEFAULT: i64 = 25;

/// A complaint as the caller may see it.
#[derive(Clone, Debug)]
pub struct ComplaintView {
    /// With the reporter's identity removed when the caller may not see it,
    /// and never with the secret's hash.
    pub complaint: Complaint,
    pub identity_visible: bool,
    /// Actions the caller may take now.
    pub allowed_actions: Vec<Action>,
}

/// Result of an intake request.
#[derive(Clone, Debug)]
pub struct Created {
    pub view: ComplaintView,
    /// The reporter's secret, returned once; `None` on a replayed request.
    pub secret: Option<String>,
    /// The same `Idempotency-Key` and body were seen before.
    pub replayed: bool,
}

/// Filters of the complaint list, as the API receives them.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub statuses: Vec<Status>,
    pub agency: Option<String>,
    pub complaint_type: Option<ComplaintType>,
    pub channel: Option<Channel>,
    /// Only complaints past their current deadline.
    pub overdue: bool,
    pub received_from: Option<Timestamp>,
    pub received_until: Option<Timestamp>,
    pub text: Option<String>,
    pub sort: Sort,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

#[derive(Clone, Debug)]
pub struct Page {
    pub items: Vec<ComplaintView>,
    /// Matching complaints, counted up to [`tanggap_store::COUNT_CAP`].
    pub total: i64,
    /// True when more complaints match than `total` says.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

pub(crate) fn scope_for(principal: &Principal) -> Result<Scope, ServiceError> {
    match principal.role {
        Role::CentralAdmin | Role::CitySecretary | Role::ComplaintTeam => Ok(Scope::All),
        Role::LiaisonAdmin | Role::AgencyHead => principal
            .agency
            .clone()
            .map(Scope::Agency)
            .ok_or(ServiceError::Forbidden),
        Role::Inspectorate => Ok(Scope::Supervision),
        Role::SystemAdmin => Err(ServiceError::Forbidden),
    }
}

fn can_view(principal: &Principal, complaint: &Complaint) -> bool {
    match scope_for(principal) {
        Ok(Scope::All) => true,
        Ok(Scope::Agency(agency)) => {
            complaint.is_assigned_to(&agency)
                || complaint.registered_by_agency.as_deref() == Some(agency.as_str())
        }
        Ok(Scope::Supervision) => complaint.supervision,
        Err(_) => false,
    }
}

fn identity_visible(principal: &Principal, complaint: &Complaint) -> bool {
    !complaint.identity_protected() || principal.role == Role::CentralAdmin
}

/// Removes what the caller may not see.
fn redact(principal: &Principal, mut complaint: Complaint) -> ComplaintView {
    let visible = identity_visible(principal, &complaint);
    if !visible {
        // The channel reference is a phone number, an e-mail address or an
        // account name: it identifies the reporter as much as the name does.
        complaint.reporter = Reporter::default();
        complaint.channel_reference = None;
    }
    complaint.reporter_secret_hash = None;
    let actor = principal.actor();
    let allowed_actions = lifecycle::actions_from(complaint.status)
        .filter(|action| {
            let row = lifecycle::transition(*action);
            !row.performers.contains(&lifecycle::Performer::System)
                && row.permits(&actor, Some(&complaint))
        })
        .collect();
    ComplaintView {
        complaint,
        identity_visible: visible,
        allowed_actions,
    }
}

impl Services {
    /// Records a complaint that a staff member took in through a channel.
    ///
    /// With an idempotency key, a retried request with the same body gets
    /// the complaint the first one created, and a different body is rejected.
    pub async fn create_complaint(
        &self,
        principal: &Principal,
        intake: Intake,
        idempotency: Option<(String, Vec<u8>)>,
    ) -> Result<Created, ServiceError> {
        if !matches!(principal.role, Role::CentralAdmin | Role::LiaisonAdmin) {
            return Err(ServiceError::Forbidden);
        }
        if principal.role == Role::LiaisonAdmin && intake.channel == Some(Channel::Lapor) {
            return Err(ServiceError::field("channel", "lapor_by_central_admin"));
        }
        let claim = idempotency.map(|(key, body)| IdempotencyClaim {
            user_id: principal.user_id,
            key,
            request_hash: sha256_hex(&body),
        });
        let registered = self
            .register(&principal.actor(), intake, now(), claim)
            .await?;
        self.created_view(principal, registered).await
    }

    /// Builds the result of a registration as `principal` sees it: the new
    /// complaint with its secret, or the complaint an earlier request with
    /// the same idempotency key created.
    pub(crate) async fn created_view(
        &self,
        principal: &Principal,
        registered: Registered,
    ) -> Result<Created, ServiceError> {
        match registered {
            Registered::New(complaint, secret) => Ok(Created {
                view: redact(principal, *complaint),
                secret: Some(secret),
                replayed: false,
            }),
            Registered::Replayed(id) => {
                let complaint =
                    self.store
                        .get_complaint(id)
                        .await?
                        .ok_or(ServiceError::NotFound {
                            entity: "complaint",
                        })?;
                Ok(Created {
                    view: redact(principal, complaint),
                    secret: None,
                    replayed: true,
                })
            }
        }
    }

    /// Registers a complaint for any actor at instant `at`. The import and
    /// the demo use it with the arrival time as `at`.
    pub async fn register(
        &self,
        actor: &Actor,
        intake: Intake,
        at: Timestamp,
        claim: Option<IdempotencyClaim>,
    ) -> Result<Registered, ServiceError> {
        let mut intake = intake.validated(now()).map_err(ServiceError::Validation)?;
        // Instants are stored in microseconds; round now so the response
        // and later reads agree.
        let at = truncate_micros(at);
        intake.received_at = intake.received_at.map(truncate_micros);
        self.check_intake_references(&intake)?;
        let secret = random_hex(16)?;
        let (complaint, event) = self.with_context(|ctx| {
            lifecycle::register(
                intake,
                ComplaintId(0),
                String::new(),
                Some(hash_secret(&secret)),
                actor,
                at,
                ctx,
            )
        })?;
        let year = self.calendar().local_date(at).year();
        let audit = AuditDraft {
            at_micros: micros(at),
            actor: actor.audit_id(),
            action: "complaint.register".into(),
            entity: String::new(),
            details: json!({
                "channel": complaint.channel.code(),
                "procedure": complaint.procedure.code(),
            }),
        };
        let outcome = self
            .store
            .insert_complaint(NewComplaint {
                complaint: &complaint,
                event: &event,
                audit,
                idempotency: claim,
                tracking_prefix: &self.config.tracking_prefix,
                year,
            })
            .await?;
        match outcome {
            InsertOutcome::Created(complaint) => {
                tracing::debug!(
                    complaint_id = complaint.id.0,
                    channel = complaint.channel.code(),
                    "complaint registered"
                );
                Ok(Registered::New(complaint, secret))
            }
            InsertOutcome::Replayed(id) => Ok(Registered::Replayed(id)),
            InsertOutcome::KeyReused => Err(ServiceError::IdempotencyKeyReused),
        }
    }

    pub(crate) fn check_intake_references(&self, intake: &Intake) -> Result<(), ServiceError> {
        let reference = self.reference_cache();
        let mut errors = Vec::new();
        if let Some(category) = &intake.category {
            if !reference.category_exists(category) {
                errors.push(FieldError::new("category", "unknown_category"));
            } else if let Some(sub) = &intake.subcategory
                && !reference.subcategory_exists(category, sub)
            {
                errors.push(FieldError::new("subcategory", "unknown_subcategory"));
            }
        }
        if let Some(code) = &intake.location.kelurahan_code
            && !reference.kelurahan_exists(code)
        {
            errors.push(FieldError::new(
                "location.kelurahan_code",
                "unknown_kelurahan",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(errors))
        }
    }

    pub(crate) async fn visible_complaint(
        &self,
        principal: &Principal,
        id: ComplaintId,
    ) -> Result<Complaint, ServiceError> {
        scope_for(principal)?;
        match self.store.get_complaint(id).await? {
            Some(c) if can_view(principal, &c) => Ok(c),
            _ => Err(ServiceError::NotFound {
                entity: "complaint",
            }),
        }
    }

    /// Reads one complaint.
    pub async fn get_complaint(
        &self,
        principal: &Principal,
        id: ComplaintId,
    ) -> Result<ComplaintView, ServiceError> {
        let complaint = self.visible_complaint(principal, id).await?;
        self.audit_identity_access(principal, &complaint).await?;
        Ok(redact(principal, complaint))
    }

    /// Reads one complaint by its tracking number.
    pub async fn find_complaint(
        &self,
        principal: &Principal,
        tracking_number: &str,
    ) -> Result<ComplaintView, ServiceError> {
        scope_for(principal)?;
        let complaint = match self.store.find_complaint(tracking_number.trim()).await? {
            Some(c) if can_view(principal, &c) => c,
            _ => {
                return Err(ServiceError::NotFound {
                    entity: "complaint",
                });
            }
        };
        self.audit_identity_access(principal, &complaint).await?;
        Ok(redact(principal, complaint))
    }

    /// Writes an audit entry when the central admin opens a protected identity.
    async fn audit_identity_access(
        &self,
        principal: &Principal,
        complaint: &Complaint,
    ) -> Result<(), ServiceError> {
        if complaint.identity_protected()
            && identity_visible(principal, complaint)
            && !complaint.reporter.is_empty()
        {
            self.store
                .append_audit(AuditDraft {
                    at_micros: micros(now()),
                    actor: principal.actor().audit_id(),
                    action: "complaint.identity_viewed".into(),
                    entity: format!("complaint:{}", complaint.id),
                    details: json!({}),
                })
                .await?;
        }
        Ok(())
    }

    /// Lists complaints in the caller's scope.
    pub async fn list_complaints(
        &self,
        principal: &Principal,
        query: ListQuery,
    ) -> Result<Page, ServiceError> {
        let scope = scope_for(principal)?;
        let per_page = if query.per_page <= 0 {
            PAGE_SIZE_DEFAULT
        } else {
            query.per_page.min(PAGE_SIZE_MAX)
        };
        let page = query.page.max(1);
        let text = query
            .text
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ServiceError::Validation(vec![FieldError::with_limit(
                "text", "too_long", 200,
            )]));
        }
        let filter = ComplaintFilter {
            scope,
            statuses: query.statuses,
            agency: query.agency,
            complaint_type: query.complaint_type,
            channel: query.channel,
            due_before: query.overdue.then(|| micros(now())),
            received_from: query.received_from.map(micros),
            received_until: query.received_until.map(micros),
            text,
            sort: query.sort,
            limit: per_page,
            offset: (page - 1).saturating_mul(per_page),
        };
        let result = self.store.list_complaints(&filter).await?;
        Ok(Page {
            // Lists never carry a protected identity, not even for the
            // central admin: opening the complaint shows it, and that
            // viewing is audited.
            items: result
                .items
                .into_iter()
                .map(|c| {
                    let mut view = redact(principal, c);
                    if view.complaint.identity_protected() {
                        view.complaint.reporter = Reporter::default();
                        view.complaint.channel_reference = None;
                        view.identity_visible = false;
                    }
                    view
                })
                .collect(),
            total: result.total,
            total_capped: result.total_capped,
            page,
            per_page,
        })
    }

    /// Returns a complaint's history as the caller may see it.
    pub async fn complaint_history(
        &self,
        principal: &Principal,
        id: ComplaintId,
    ) -> Result<Vec<StoredEvent>, ServiceError> {
        self.visible_complaint(principal, id).await?;
        Ok(self.store.complaint_events(id).await?)
    }

    /// Applies a lifecycle action as a staff member. `expected_version` is
    /// the version the caller last read; if someone changed the complaint
    /// since, nothing is changed and [`ServiceError::Conflict`] is returned.
    pub async fn act(
        &self,
        principal: &Principal,
        id: ComplaintId,
        expected_version: i64,
        command: Command,
    ) -> Result<ComplaintView, ServiceError> {
        let complaint = self.visible_complaint(principal, id).await?;
        if complaint.version != expected_version {
            return Err(ServiceError::Conflict {
                current: complaint.version,
            });
        }
        let changed = self
            .apply_as(&principal.actor(), &complaint, command, now())
            .await?;
        Ok(redact(principal, changed))
    }

    /// Applies a command for any actor at instant `at`, checking references
    /// and storing the result with optimistic concurrency. Jobs and the demo
    /// call it directly.
    pub async fn apply_as(
        &self,
        actor: &Actor,
        complaint: &Complaint,
        command: Command,
        at: Timestamp,
    ) -> Result<Complaint, ServiceError> {
        // Status and permission first, so that a caller who may not act
        // learns nothing about other complaints from the reference checks.
        let action = command.action();
        let references = command.clone();
        let (next, event) =
            self.with_context(|ctx| lifecycle::apply(complaint, command, actor, at, ctx))?;
        self.check_command_references(complaint, &references)
            .await?;
        let audit = AuditDraft {
            at_micros: micros(at),
            actor: actor.audit_id(),
            action: format!("complaint.{}", action.code()),
            entity: format!("complaint:{}", complaint.id),
            details: json!({
                "from": complaint.status.code(),
                "to": next.status.code(),
                "version": next.version,
            }),
        };
        if lifecycle::transition(action).to.is_none() && next.related == complaint.related {
            // Notes and alerts change no state and do not move the version.
            self.store.append_event(complaint.id, &event, audit).await?;
            return Ok(complaint.clone());
        }
        self.store
            .update_complaint(complaint.version, &next, &[event], audit)
            .await?;
        tracing::debug!(
            complaint_id = complaint.id.0,
            action = action.code(),
            status = next.status.code(),
            "complaint updated"
        );
        Ok(next)
    }

    async fn check_command_references(
        &self,
        complaint: &Complaint,
        command: &Command,
    ) -> Result<(), ServiceError> {
        let reference = self.reference_cache();
        let mut errors = Vec::new();
        match command {
            Command::Verify {
                category,
                subcategory,
                ..
            } => {
                if let Some(category) = category.as_deref().map(str::trim) {
                    if !reference.category_exists(category) {
                        errors.push(FieldError::new("category", "unknown_category"));
                    } else if let Some(sub) = subcategory.as_deref().map(str::trim)
                        && !sub.is_empty()
                        && !reference.subcategory_exists(category, sub)
                    {
                        errors.push(FieldError::new("subcategory", "unknown_subcategory"));
                    }
                }
            }
            Command::Dispatch {
                lead_agency,
                supporting_agencies,
                ..
            } => {
                if !reference.agency_exists(lead_agency.trim()) {
                    errors.push(FieldError::new("lead_agency", "unknown_agency"));
                }
                for agency in supporting_agencies {
                    if !agency.trim().is_empty() && !reference.agency_exists(agency.trim()) {
                        errors.push(FieldError::new("supporting_agencies", "unknown_agency"));
                    }
                }
            }
            _ => {}
        }
        let referenced = match command {
            Command::Archive {
                reason: ArchiveReason::Duplicate { of },
                ..
            } => Some(("duplicate_of", *of)),
            Command::Link { related } => Some(("related", *related)),
            _ => None,
        };
        if let Some((field, other)) = referenced
            && other != complaint.id
            && self.store.get_complaint(other).await?.is_none()
        {
            errors.push(FieldError::new(field, "unknown_complaint"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(errors))
        }
    }

    /// Lets a reporter act on their own complaint with tracking number and
    /// secret: complete a held complaint, or reply to the final response.
    pub async fn reporter_act(
        &self,
        tracking_number: &str,
        secret: &str,
        command: Command,
    ) -> Result<Complaint, ServiceError> {
        let complaint = self
            .store
            .find_complaint(tracking_number.trim())
            .await?
            .filter(|c| {
                c.reporter_secret_hash.as_deref() == Some(hash_secret(secret.trim()).as_str())
            })
            .ok_or(ServiceError::NotFound {
                entity: "complaint",
            })?;
        self.apply_as(&Actor::reporter(), &complaint, command, now())
            .await
    }
}

fn truncate_micros(t: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t)
}

/// Outcome of [`Services::register`].
#[derive(Clone, Debug)]
pub enum Registered {
    /// A new complaint, and the reporter's secret.
    New(Box<Complaint>, String),
    Replayed(ComplaintId),
}
