//! Public, anonymised complaint data for Open311 GeoReport v2 clients and
//! the transparency page, and the API keys that let Open311 clients post
//! requests.
//!
//! The public view of a complaint is built only here:
//! - confidential complaints are never read (the store excludes them);
//! - no reporter identity field is ever copied into [`PublicRequest`];
//! - the title, text, address and photos are published only after the
//!   central admin verified the complaint, because that is where staff read
//!   the text before anyone else does;
//! - from the timeline only staff texts meant for the public are kept: the
//!   agency's follow-ups and final response and the note of a forward. The
//!   reporter's own additions and comments are never published;
//! - photos are published only as the sanitised copy (metadata removed) and
//!   never for an anonymous complaint, since a photo can show the reporter.

use crate::error::ServiceError;
use crate::{Principal, Services, now, random_hex, sha256_hex};
use jiff::Timestamp;
use serde_json::json;
use std::collections::HashMap;
use tanggap_core::lifecycle::{Action, Actor, ActorKind, Intake};
use tanggap_core::{Channel, Complaint, ComplaintId, ComplaintType, Role, Status};
use tanggap_store::{AuditDraft, Open311Key, PublicFilter, micros};

/// Prefix of the channel reference that carries an Open311 token.
pub const TOKEN_REFERENCE_PREFIX: &str = "open311:";
/// Largest page of public requests.
pub const MAX_PAGE_SIZE: i64 = 100;

/// One service of the Open311 service list: a top-level category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open311Service {
    /// Stable code derived from the category name (lower case, words
    /// joined by `-`).
    pub code: String,
    /// The category name as LAPOR! spells it.
    pub category: String,
    /// The category's subcategories, used as keywords.
    pub subcategories: Vec<String>,
}

/// A staff text published with a complaint.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicResponse {
    pub action: Action,
    pub at: Timestamp,
    /// The agency that wrote it, when an agency did.
    pub agency: Option<String>,
    pub text: String,
}

/// A complaint as the public sees it. It has no field for the reporter.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicRequest {
    pub tracking_number: String,
    pub complaint_type: ComplaintType,
    pub status: Status,
    pub category: Option<String>,
    /// Whether the central admin verified it, so the text is published.
    pub published: bool,
    /// `None` until published.
    pub title: Option<String>,
    /// `None` until published.
    pub description: Option<String>,
    /// `None` until published.
    pub address: Option<String>,
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Code of the lead agency.
    pub agency: Option<String>,
    /// Outside institution the complaint was forwarded to.
    pub forwarded_to: Option<String>,
    pub requested_at: Timestamp,
    /// The last public event.
    pub updated_at: Timestamp,
    /// The deadline of the agency's final response, once dispatched.
    pub expected_at: Option<Timestamp>,
    pub responses: Vec<PublicResponse>,
    /// Ids of the published photos.
    pub photos: Vec<i64>,
}

impl PublicRequest {
    /// Tells whether the complaint is closed: resolved, archived or forwarded.
    pub fn is_closed(&self) -> bool {
        self.status.is_terminal()
    }

    /// Returns the newest published staff text.
    pub fn status_notes(&self) -> Option<&str> {
        self.responses.last().map(|r| r.text.as_str())
    }
}

/// Query of the public complaint list.
#[derive(Clone, Debug, Default)]
pub struct PublicQuery {
    pub tracking_numbers: Vec<String>,
    pub categories: Vec<String>,
    /// `Some(true)`: only closed; `Some(false)`: only open.
    pub closed: Option<bool>,
    pub received_from: Option<Timestamp>,
    pub received_until: Option<Timestamp>,
    pub with_position: bool,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: i64,
    pub offset: i64,
}

/// A page of public requests and the number of all matches.
#[derive(Clone, Debug)]
pub struct PublicPage {
    pub items: Vec<PublicRequest>,
    pub total: i64,
}

/// Result of [`Services::open311_post`].
#[derive(Clone, Debug)]
pub struct Open311Posted {
    pub tracking_number: String,
    pub token: String,
}

/// A newly issued key, shown once.
#[derive(Clone, Debug)]
pub struct IssuedKey {
    pub id: i64,
    pub key: String,
}

/// Derives a service code from a category name: ASCII letters and digits
/// in lower case, every other run of characters as one `-`.
pub fn service_code(category: &str) -> String {
    let mut code = String::new();
    for c in category.chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c.to_ascii_lowercase());
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    code.trim_end_matches('-').to_owned()
}

fn staff_agency(actor: &Actor) -> Option<String> {
    match &actor.kind {
        ActorKind::Staff {
            agency: Some(code),
            role,
        } if *role != Role::CentralAdmin => Some(code.clone()),
        _ => None,
    }
}

fn key_audit(acting: Option<&Principal>, action: &str, entity: String) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor: acting.map_or("system".into(), |p| p.actor().audit_id()),
        action: action.into(),
        entity,
        details: json!({}),
    }
}

fn require_admin(acting: Option<&Principal>) -> Result<(), ServiceError> {
    match acting {
        Some(p) if p.role != Role::SystemAdmin => Err(ServiceError::Forbidden),
        _ => Ok(()),
    }
}

impl Services {
    /// Lists the Open311 services: one per active top-level category,
    /// sorted by name.
    pub async fn open311_services(&self) -> Result<Vec<Open311Service>, ServiceError> {
        let categories = self.store.list_categories().await?;
        let mut services: Vec<Open311Service> = Vec::new();
        for category in categories.iter().filter(|c| c.active) {
            if !category.subcategory.is_empty() {
                continue;
            }
            let subcategories = categories
                .iter()
                .filter(|c| {
                    c.active && c.category == category.category && !c.subcategory.is_empty()
                })
                .map(|c| c.subcategory.clone())
                .collect();
            services.push(Open311Service {
                code: service_code(&category.category),
                category: category.category.clone(),
                subcategories,
            });
        }
        services.sort_by(|a, b| a.category.cmp(&b.category));
        Ok(services)
    }

    /// Returns when the service list last changed: the newest seeding of
    /// the reference data or change of a category, or `None` before any.
    pub async fn open311_changeset(&self) -> Result<Option<Timestamp>, ServiceError> {
        let mut newest = None;
        for prefix in ["reference.seed", "category.save"] {
            let entries = self.store.list_audit(Some(prefix), None, None, 1).await?;
            for entry in entries {
                newest = newest.max(Some(entry.at_micros));
            }
        }
        newest
            .map(|us| {
                Timestamp::from_microsecond(us)
                    .map_err(|e| ServiceError::Internal(format!("audit instant {us}: {e}")))
            })
            .transpose()
    }

    /// Finds the service with `code`.
    pub async fn open311_service(&self, code: &str) -> Result<Open311Service, ServiceError> {
        self.open311_services()
            .await?
            .into_iter()
            .find(|s| s.code == code)
            .ok_or(ServiceError::NotFound { entity: "service" })
    }

    /// Issues an Open311 API key named `name`. Only the system admin (or
    /// the command line, with `acting` `None`) may. The key is returned
    /// once; only its SHA-256 is stored.
    pub async fn issue_open311_key(
        &self,
        acting: Option<&Principal>,
        name: &str,
    ) -> Result<IssuedKey, ServiceError> {
        require_admin(acting)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::field("name", "invalid_value"));
        }
        let key = format!("o311_{}", random_hex(24)?);
        let id = self
            .store
            .insert_open311_key(
                name,
                &sha256_hex(key.as_bytes()),
                micros(now()),
                key_audit(acting, "open311_key.issue", String::new()),
            )
            .await?;
        tracing::info!(key_id = id, "Open311 key issued");
        Ok(IssuedKey { id, key })
    }

    /// Lists the Open311 keys, revoked ones too.
    pub async fn open311_keys(
        &self,
        acting: Option<&Principal>,
    ) -> Result<Vec<Open311Key>, ServiceError> {
        require_admin(acting)?;
        Ok(self.store.list_open311_keys().await?)
    }

    /// Revokes an Open311 key; posting with it fails from then on.
    pub async fn revoke_open311_key(
        &self,
        acting: Option<&Principal>,
        id: i64,
    ) -> Result<(), ServiceError> {
        require_admin(acting)?;
        let audit = key_audit(acting, "open311_key.revoke", format!("open311_key:{id}"));
        if !self
            .store
            .revoke_open311_key(id, micros(now()), audit)
            .await?
        {
            return Err(ServiceError::NotFound {
                entity: "open311_key",
            });
        }
        tracing::info!(key_id = id, "Open311 key revoked");
        Ok(())
    }

    /// Returns the active key matching `key`, or
    /// [`ServiceError::Unauthenticated`] for a missing, unknown or revoked key.
    pub async fn check_open311_key(&self, key: &str) -> Result<Open311Key, ServiceError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(ServiceError::Unauthenticated);
        }
        self.store
            .find_open311_key(&sha256_hex(key.as_bytes()))
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    /// Registers an Open311 service request as a portal report (the `web`
    /// channel, the reporter as actor, the same validation), with a token
    /// in the channel reference. The caller has checked the key and the
    /// rate limits.
    pub async fn open311_post(&self, intake: Intake) -> Result<Open311Posted, ServiceError> {
        let token = random_hex(16)?;
        let intake = Intake {
            channel_reference: Some(format!("{TOKEN_REFERENCE_PREFIX}{token}")),
            ..intake
        };
        let reported = self.report(intake, Vec::new()).await?;
        Ok(Open311Posted {
            tracking_number: reported.complaint.tracking_number,
            token,
        })
    }

    /// Finds the tracking number of the request posted with `token`. It is
    /// not found when the complaint is confidential.
    pub async fn open311_token(&self, token: &str) -> Result<String, ServiceError> {
        let not_found = || ServiceError::NotFound { entity: "token" };
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let reference = format!("{TOKEN_REFERENCE_PREFIX}{token}");
        self.store
            .find_by_channel_reference(Channel::Web, &reference)
            .await?
            .filter(|c| !c.confidential)
            .map(|c| c.tracking_number)
            .ok_or_else(not_found)
    }

    /// Lists public requests, newest first.
    pub async fn public_requests(&self, query: &PublicQuery) -> Result<PublicPage, ServiceError> {
        let statuses = match query.closed {
            None => Vec::new(),
            Some(closed) => Status::ALL
                .iter()
                .copied()
                .filter(|s| s.is_terminal() == closed)
                .collect(),
        };
        let filter = PublicFilter {
            tracking_numbers: query.tracking_numbers.clone(),
            categories: query.categories.clone(),
            statuses,
            received_from: query.received_from.map(micros),
            received_until: query.received_until.map(micros),
            with_position: query.with_position,
            limit: query.limit.clamp(1, MAX_PAGE_SIZE),
            offset: query.offset.max(0),
        };
        let (complaints, total) = self.store.list_public_complaints(&filter).await?;
        let items = self.public_views(complaints).await?;
        Ok(PublicPage { items, total })
    }

    /// Reads one public request by its tracking number.
    pub async fn public_request(
        &self,
        tracking_number: &str,
    ) -> Result<PublicRequest, ServiceError> {
        let query = PublicQuery {
            tracking_numbers: vec![tracking_number.trim().to_owned()],
            limit: 1,
            ..PublicQuery::default()
        };
        self.public_requests(&query)
            .await?
            .items
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound {
                entity: "complaint",
            })
    }

    async fn public_views(
        &self,
        complaints: Vec<Complaint>,
    ) -> Result<Vec<PublicRequest>, ServiceError> {
        let ids: Vec<ComplaintId> = complaints.iter().map(|c| c.id).collect();
        let mut events: HashMap<ComplaintId, Vec<_>> = HashMap::new();
        for stored in self.store.public_events_of(&ids).await? {
            events
                .entry(stored.complaint_id)
                .or_default()
                .push(stored.event);
        }
        let photo_ids: Vec<ComplaintId> = complaints
            .iter()
            .filter(|c| c.verified_at.is_some() && !c.identity_protected())
            .map(|c| c.id)
            .collect();
        let mut photos: HashMap<ComplaintId, Vec<i64>> = HashMap::new();
        for attachment in self.store.sanitised_images_of(&photo_ids).await? {
            photos
                .entry(attachment.complaint_id)
                .or_default()
                .push(attachment.id);
        }

        let mut views = Vec::with_capacity(complaints.len());
        for complaint in complaints {
            let history = events.remove(&complaint.id).unwrap_or_default();
            let updated_at = history
                .iter()
                .map(|e| e.at)
                .max()
                .unwrap_or(complaint.received_at);
            let published = complaint.verified_at.is_some();
            let responses = history
                .into_iter()
                .filter(|e| {
                    matches!(
                        e.action,
                        Action::FollowUp | Action::Respond | Action::Forward
                    )
                })
                .filter_map(|e| {
                    Some(PublicResponse {
                        agency: staff_agency(&e.actor),
                        action: e.action,
                        at: e.at,
                        text: e.text?,
                    })
                })
                .collect();
            let when_published = |value: Option<String>| value.filter(|_| published);
            views.push(PublicRequest {
                tracking_number: complaint.tracking_number,
                complaint_type: complaint.complaint_type,
                status: complaint.status,
                category: complaint.category,
                published,
                title: when_published(complaint.title),
                description: when_published(Some(complaint.body)),
                address: when_published(complaint.location.text),
                kelurahan_code: complaint.location.kelurahan_code,
                latitude: complaint.location.latitude,
                longitude: complaint.location.longitude,
                agency: complaint.lead_agency,
                forwarded_to: complaint.forwarded_to,
                requested_at: complaint.received_at,
                updated_at,
                expected_at: complaint.deadlines.resolution_due_at,
                responses,
                photos: photos.remove(&complaint.id).unwrap_or_default(),
            });
        }
        Ok(views)
    }

    /// Reads a published photo: the sanitised copy of an image on a
    /// verified complaint that is neither anonymous nor confidential.
    /// Anything else is not found.
    pub async fn public_photo(
        &self,
        attachment_id: i64,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        let not_found = || ServiceError::NotFound {
            entity: "attachment",
        };
        let attachment = self
            .store
            .get_attachment(attachment_id)
            .await?
            .filter(|a| a.has_sanitised_copy)
            .ok_or_else(not_found)?;
        let complaint = self
            .store
            .get_complaint(attachment.complaint_id)
            .await?
            .filter(|c| c.verified_at.is_some() && !c.identity_protected())
            .ok_or_else(not_found)?;
        let sha = &attachment.meta.sha256;
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ServiceError::Internal(format!(
                "attachment {attachment_id} of complaint {} has an invalid sha256",
                complaint.id
            )));
        }
        let path = self.stored_path("sanitised", sha);
        let content = tokio::fs::read(&path).await.map_err(|e| {
            ServiceError::Internal(format!(
                "cannot read attachment {attachment_id} at {}: {e}",
                path.display()
            ))
        })?;
        Ok((attachment.meta.media_type, content))
    }
}

#[cfg(test)]
mod tests {
    use super::service_code;

    #[test]
    fn service_code_from_category() {
        assert_eq!(
            service_code("KETENTERAMAN, KETERTIBAN UMUM, DAN PELINDUNGAN MASYARAKAT"),
            "ketenteraman-ketertiban-umum-dan-pelindungan-masyarakat"
        );
        assert_eq!(service_code("SP4N-LAPOR!"), "sp4n-lapor");
        assert_eq!(service_code("(P4GN)"), "p4gn");
    }
}
