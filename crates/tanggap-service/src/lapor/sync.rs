//! The LAPOR! synchronisation job: pull changed reports, then push the
//! city's changes.
//!
//! Pull: the cursor LAPOR! returned is saved after each page, so a crash
//! repeats at most one page. Each report is keyed on its tracking ID twice:
//! the complaint is registered with the idempotency key `lapor:<ID>` (the
//! spreadsheet import uses the same key), and `lapor_reports` links the ID
//! to one complaint. A repeated page therefore creates nothing, and a
//! report older than the stored version (duplicate or out of order) is
//! skipped.
//!
//! Push: complaint events of linked complaints are copied into an outbox
//! together with the scan position, then each item is sent until LAPOR!
//! acknowledges it. Items of one report go out in event order: a report
//! whose first pending item waits for a retry blocks its later items.

use super::{LaporConnector, LaporError, OutboundUpdate, RemoteReport, outbound_update};
use crate::attachments::Upload;
use crate::complaints::Registered;
use crate::error::ServiceError;
use crate::{Services, now, sha256_hex};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tanggap_core::lifecycle::{Actor, Command, Visibility};
use tanggap_core::{ComplaintId, Status};
use tanggap_store::{AuditDraft, IdempotencyClaim, LaporLink, LinkOutcome, NewOutboxItem, micros};

pub const LAPOR_SYNC: &str = "lapor_sync";
const PULL_CURSOR: &str = "pull";
const PUSH_CURSOR: &str = "push";
/// Pages pulled per run; the rest wait for the next run.
const PAGES_PER_RUN: usize = 20;
/// Events scanned per outbox batch.
const EVENT_BATCH: i64 = 500;
/// Outbox items sent per run.
const PUSHES_PER_RUN: i64 = 200;
/// Event ids re-scanned below the push cursor on every run. On PostgreSQL
/// an event id can become visible after a higher one, because transactions
/// commit out of id order. The outbox's unique event id makes the re-scan safe.
const PUSH_RESCAN_EVENTS: i64 = 1000;
/// Attempts of one request within a run before the run gives up.
const REQUEST_ATTEMPTS: u32 = 3;
/// Maximum wait between two attempts within a run; a longer `Retry-After`
/// ends the run, and the job queue retries it later.
const IN_RUN_WAIT_MAX: Duration = Duration::from_secs(5);
/// Idempotency records of LAPOR! reports belong to this pseudo user id,
/// the same as the spreadsheet and JSON Lines imports.
pub(crate) const LAPOR_KEY_USER_ID: i64 = 0;

/// Builds the idempotency claim that keys a LAPOR! report's complaint. The request
/// hash depends only on the ID, so every path that brings the same report
/// gets the complaint the first one created.
pub(crate) fn lapor_claim(tracking_id: &str) -> IdempotencyClaim {
    let key = format!("lapor:{}", tracking_id.trim());
    IdempotencyClaim {
        user_id: LAPOR_KEY_USER_ID,
        request_hash: sha256_hex(key.as_bytes()),
        key,
    }
}

/// Counts of what one synchronisation run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    pub pulled: usize,
    pub created: usize,
    pub updated: usize,
    /// Items whose version was not newer than the stored one.
    pub stale: usize,
    /// Items that fail the contract's checks; each is in the audit log.
    pub rejected: usize,
    pub replies_applied: usize,
    pub attachments: usize,
    pub queued: usize,
    pub pushed: usize,
    pub push_failures: usize,
}

/// The configured connector with its page size.
#[derive(Clone)]
pub(crate) struct LaporSetup {
    connector: Arc<dyn LaporConnector>,
    page_size: u32,
}

impl Services {
    /// Turns the LAPOR! synchronisation on with `connector`.
    pub fn set_lapor_connector(&self, connector: Arc<dyn LaporConnector>, page_size: u32) {
        let setup = LaporSetup {
            connector,
            page_size: page_size.clamp(1, 100),
        };
        match self.lapor.write() {
            Ok(mut slot) => *slot = Some(setup),
            Err(poisoned) => *poisoned.into_inner() = Some(setup),
        }
    }

    fn lapor_setup(&self) -> Option<LaporSetup> {
        self.lapor
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    pub fn lapor_enabled(&self) -> bool {
        self.lapor_setup().is_some()
    }

    /// Queues one synchronisation run for the interval containing `at`; a
    /// no-op when another node already queued it.
    pub async fn schedule_lapor_sync(
        &self,
        at: Timestamp,
        interval: Duration,
    ) -> Result<bool, ServiceError> {
        let interval_us = i64::try_from(interval.as_micros())
            .unwrap_or(i64::MAX)
            .max(1);
        let slot = micros(at).div_euclid(interval_us);
        Ok(self
            .store
            .enqueue_job(
                LAPOR_SYNC,
                Some(&format!("{LAPOR_SYNC}:{slot}")),
                &json!({}),
                micros(at),
                5,
            )
            .await?)
    }

    /// Runs one synchronisation: pull, then push. Both halves run even when
    /// the other fails; the run fails when either did, so the job queue
    /// retries it with back-off.
    pub async fn run_lapor_sync(&self) -> Result<SyncReport, ServiceError> {
        let Some(setup) = self.lapor_setup() else {
            return Err(ServiceError::Internal(
                "LAPOR! synchronisation is not configured".into(),
            ));
        };
        let mut report = SyncReport::default();
        let pulled = self.lapor_pull(&setup, &mut report).await;
        let pushed = self.lapor_push(&setup, &mut report).await;
        if report != SyncReport::default() {
            tracing::info!(?report, "LAPOR! synchronisation run");
        }
        pulled?;
        pushed?;
        Ok(report)
    }

    async fn lapor_pull(
        &self,
        setup: &LaporSetup,
        report: &mut SyncReport,
    ) -> Result<(), ServiceError> {
        let mut cursor = self.store.lapor_cursor(PULL_CURSOR).await?;
        for _ in 0..PAGES_PER_RUN {
            let page = with_retries("pull", || {
                setup.connector.pull(cursor.as_deref(), setup.page_size)
            })
            .await
            .map_err(lapor_failure)?;
            let before = report.clone();
            report.pulled += page.items.len();
            for item in &page.items {
                self.lapor_apply(setup, item, report).await?;
            }
            let audit = AuditDraft {
                at_micros: micros(now()),
                actor: "system".into(),
                action: "lapor.pull".into(),
                entity: "lapor".into(),
                details: json!({
                    "cursor": page.next_cursor,
                    "items": page.items.len(),
                    "created": report.created - before.created,
                    "updated": report.updated - before.updated,
                    "stale": report.stale - before.stale,
                    "rejected": report.rejected - before.rejected,
                }),
            };
            self.store
                .set_lapor_cursor(PULL_CURSOR, &page.next_cursor, micros(now()), audit)
                .await?;
            cursor = Some(page.next_cursor);
            if !page.has_more {
                break;
            }
        }
        Ok(())
    }

    /// Brings one pulled report in: registers it, or reconciles a newer
    /// version with its complaint.
    async fn lapor_apply(
        &self,
        setup: &LaporSetup,
        item: &RemoteReport,
        report: &mut SyncReport,
    ) -> Result<(), ServiceError> {
        let tracking_id = item.tracking_id.trim();
        if let Err(reason) = item.check() {
            report.rejected += 1;
            tracing::warn!(reason = %reason, "LAPOR! report rejected");
            self.store
                .append_audit(AuditDraft {
                    at_micros: micros(now()),
                    actor: "system".into(),
                    action: "lapor.reject".into(),
                    entity: format!("lapor:{}", tracking_id.chars().take(64).collect::<String>()),
                    details: json!({ "reason": reason }),
                })
                .await?;
            return Ok(());
        }
        let link = LaporLink {
            tracking_id: tracking_id.to_owned(),
            complaint_id: ComplaintId(0),
            remote_status: item.status.clone(),
            remote_version: item.version,
            remote_updated_at: micros(item.updated_at),
            synced_at: micros(now()),
        };
        match self.store.lapor_link(tracking_id).await? {
            None => self.lapor_register(setup, item, link, report).await,
            Some(stored) if stored.remote_version >= item.version => {
                report.stale += 1;
                Ok(())
            }
            Some(stored) => {
                let link = LaporLink {
                    complaint_id: stored.complaint_id,
                    ..link
                };
                if let Some(reply) = &item.reporter_reply
                    && self.lapor_reply(stored.complaint_id, reply).await?
                {
                    report.replies_applied += 1;
                }
                let audit = link_audit("lapor.update", &link);
                if self.store.save_lapor_link(&link, audit).await? == LinkOutcome::Updated {
                    report.updated += 1;
                } else {
                    report.stale += 1;
                }
                Ok(())
            }
        }
    }

    async fn lapor_register(
        &self,
        setup: &LaporSetup,
        item: &RemoteReport,
        mut link: LaporLink,
        report: &mut SyncReport,
    ) -> Result<(), ServiceError> {
        let reference = self.reference_cache();
        let mut intake = item.intake(|category, sub| match sub {
            None => reference.category_exists(category),
            Some(sub) => reference.subcategory_exists(category, sub),
        });
        if let Some(code) = &intake.location.kelurahan_code
            && !reference.kelurahan_exists(code)
        {
            intake.location.kelurahan_code = None;
        }

        // Attachments are fetched before the complaint exists, so a failed
        // fetch leaves nothing half-registered: the run fails and repeats.
        let mut uploads = Vec::new();
        for attachment in &item.attachments {
            let content = with_retries("attachment", || {
                setup
                    .connector
                    .attachment(&link.tracking_id, &attachment.id)
            })
            .await
            .map_err(lapor_failure)?;
            uploads.push(Upload {
                file_name: attachment.file_name.clone(),
                content,
            });
        }

        let registered = self
            .register(
                &Actor::system(),
                intake,
                now(),
                Some(lapor_claim(&link.tracking_id)),
            )
            .await;
        let (complaint_id, created) = match registered {
            Ok(Registered::New(complaint, _)) => (complaint.id, true),
            Ok(Registered::Replayed(id)) => (id, false),
            Err(ServiceError::Validation(errors)) => {
                let fields: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.code))
                    .collect();
                report.rejected += 1;
                tracing::warn!(fields = %fields.join(", "), "LAPOR! report rejected");
                self.store
                    .append_audit(AuditDraft {
                        at_micros: micros(now()),
                        actor: "system".into(),
                        action: "lapor.reject".into(),
                        entity: format!("lapor:{}", link.tracking_id),
                        details: json!({ "reason": fields.join(", ") }),
                    })
                    .await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        link.complaint_id = complaint_id;
        let audit = link_audit("lapor.link", &link);
        self.store.save_lapor_link(&link, audit).await?;
        if created {
            report.created += 1;
            report.attachments += self.lapor_attach(complaint_id, uploads).await?;
        }
        Ok(())
    }

    /// Stores the attachments that pass the upload checks; the others are
    /// left out and counted in the audit log.
    async fn lapor_attach(
        &self,
        id: ComplaintId,
        uploads: Vec<Upload>,
    ) -> Result<usize, ServiceError> {
        if uploads.is_empty() {
            return Ok(0);
        }
        let Some(complaint) = self.store.get_complaint(id).await? else {
            return Ok(0);
        };
        let offered = uploads.len();
        let mut accepted = Vec::new();
        for upload in uploads {
            // One by one, so that a rejected file does not drop the others.
            if let Ok(mut checked) = self.check_uploads(vec![upload]).await {
                accepted.append(&mut checked);
            }
        }
        let stored = self
            // The files are the reporter's, sent with the report on LAPOR!.
            .store_uploads(&Actor::reporter(), &complaint, accepted, true, None)
            .await?
            .len();
        if stored < offered {
            self.store
                .append_audit(AuditDraft {
                    at_micros: micros(now()),
                    actor: "system".into(),
                    action: "lapor.attachments_rejected".into(),
                    entity: format!("complaint:{id}"),
                    details: json!({ "offered": offered, "stored": stored }),
                })
                .await?;
        }
        Ok(stored)
    }

    /// Applies the reporter's reply given on LAPOR! when the complaint
    /// waits for it; otherwise the reply is only recorded with the link.
    async fn lapor_reply(
        &self,
        id: ComplaintId,
        reply: &super::RemoteReply,
    ) -> Result<bool, ServiceError> {
        let Some(complaint) = self.store.get_complaint(id).await? else {
            return Ok(false);
        };
        if complaint.status != Status::Responded {
            return Ok(false);
        }
        let command = Command::ReporterReply {
            satisfied: reply.satisfied,
            rating: reply.rating.filter(|r| (1..=5).contains(r)),
            comment: reply
                .comment
                .as_deref()
                .map(|c| c.chars().take(2000).collect()),
        };
        let at = reply.at.min(now()).max(complaint.registered_at);
        match self
            .apply_as(&Actor::reporter(), &complaint, command, at)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Conflict { .. } | ServiceError::InvalidTransition { .. }) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn lapor_push(
        &self,
        setup: &LaporSetup,
        report: &mut SyncReport,
    ) -> Result<(), ServiceError> {
        self.lapor_collect_outbox(report).await?;

        let at = micros(now());
        let mut blocked: HashSet<String> = HashSet::new();
        let mut failure: Option<ServiceError> = None;
        for item in self.store.pending_lapor_outbox(PUSHES_PER_RUN).await? {
            if blocked.contains(&item.tracking_id) {
                continue;
            }
            if item.next_attempt_at > at {
                blocked.insert(item.tracking_id.clone());
                continue;
            }
            let update: OutboundUpdate = match serde_json::from_value(item.payload.clone()) {
                Ok(update) => update,
                Err(e) => {
                    let audit = push_audit(
                        "lapor.push_failed",
                        &item,
                        json!({ "error": "invalid payload" }),
                    );
                    self.store
                        .mark_lapor_outbox_failed(item.id, &e.to_string(), None, audit)
                        .await?;
                    report.push_failures += 1;
                    continue;
                }
            };
            let key = format!("tanggap-event-{}", item.event_id);
            let result = with_retries("push", || {
                setup.connector.push(&item.tracking_id, &key, &update)
            })
            .await;
            match result {
                Ok(ack) => {
                    let audit = push_audit(
                        "lapor.push",
                        &item,
                        json!({
                            "kind": update.kind,
                            "status": update.status,
                            "update_id": ack.update_id,
                            "duplicate": ack.duplicate,
                        }),
                    );
                    self.store
                        .mark_lapor_outbox_sent(item.id, micros(now()), audit)
                        .await?;
                    report.pushed += 1;
                }
                Err(error) => {
                    report.push_failures += 1;
                    blocked.insert(item.tracking_id.clone());
                    // A rejected update is rejected again: it fails for good
                    // and shows in the outbox counts. Anything else retries.
                    let retry_at = match &error {
                        LaporError::Rejected { .. } => None,
                        _ => Some(micros(now() + outbox_backoff(item.attempts))),
                    };
                    tracing::warn!(
                        outbox_id = item.id,
                        complaint_id = item.complaint_id.0,
                        attempt = item.attempts + 1,
                        retry = retry_at.is_some(),
                        error = %error,
                        "LAPOR! push failed"
                    );
                    let audit = push_audit(
                        "lapor.push_failed",
                        &item,
                        json!({ "error": error.to_string(), "retry": retry_at.is_some() }),
                    );
                    self.store
                        .mark_lapor_outbox_failed(item.id, &error.to_string(), retry_at, audit)
                        .await?;
                    if error.is_transient() || matches!(error, LaporError::Config(_)) {
                        failure.get_or_insert(lapor_failure(error));
                    }
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Copies new events of linked complaints into the outbox.
    async fn lapor_collect_outbox(&self, report: &mut SyncReport) -> Result<(), ServiceError> {
        let cursor: i64 = self
            .store
            .lapor_cursor(PUSH_CURSOR)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut after = (cursor - PUSH_RESCAN_EVENTS).max(0);
        loop {
            let events = self.store.lapor_events_after(after, EVENT_BATCH).await?;
            let Some(last) = events.last().map(|(e, _)| e.id) else {
                break;
            };
            let items: Vec<NewOutboxItem> = events
                .iter()
                .filter_map(|(stored, tracking_id)| {
                    let event = &stored.event;
                    let public_text = match event.visibility {
                        Visibility::Public => event.text.as_deref(),
                        Visibility::Internal => None,
                    };
                    let agency = event
                        .data
                        .get("agency")
                        .and_then(|a| a.as_str())
                        .or_else(|| event.actor.agency());
                    let update = outbound_update(
                        event.action,
                        event.to_status,
                        public_text,
                        agency,
                        event.at,
                    )?;
                    Some(NewOutboxItem {
                        event_id: stored.id,
                        complaint_id: stored.complaint_id,
                        tracking_id: tracking_id.clone(),
                        payload: serde_json::to_value(update).ok()?,
                    })
                })
                .collect();
            report.queued += self
                .store
                .enqueue_lapor_outbox(&items, last.max(cursor), micros(now()))
                .await?;
            after = last;
        }
        Ok(())
    }

    /// Counts of the push outbox, for the operator.
    pub async fn lapor_outbox_counts(&self) -> Result<tanggap_store::OutboxCounts, ServiceError> {
        Ok(self.store.lapor_outbox_counts().await?)
    }
}

fn link_audit(action: &str, link: &LaporLink) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor: "system".into(),
        action: action.into(),
        entity: format!("complaint:{}", link.complaint_id),
        details: json!({
            "tracking_id": link.tracking_id,
            "remote_status": link.remote_status,
            "remote_version": link.remote_version,
        }),
    }
}

fn push_audit(
    action: &str,
    item: &tanggap_store::OutboxItem,
    details: serde_json::Value,
) -> AuditDraft {
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        map.insert("tracking_id".into(), json!(item.tracking_id));
        map.insert("event_id".into(), json!(item.event_id));
    }
    AuditDraft {
        at_micros: micros(now()),
        actor: "system".into(),
        action: action.into(),
        entity: format!("complaint:{}", item.complaint_id),
        details,
    }
}

/// Wait before the next push of an outbox item that failed `attempts`
/// times before: 2 s, doubling, at most one hour. The job's interval
/// spaces the attempts further apart.
fn outbox_backoff(attempts: i64) -> SignedDuration {
    let seconds = 2i64.saturating_mul(1 << attempts.clamp(0, 11));
    SignedDuration::from_secs(seconds.min(3600))
}

fn lapor_failure(error: LaporError) -> ServiceError {
    ServiceError::Internal(error.to_string())
}

/// Runs `call` up to [`REQUEST_ATTEMPTS`] times while it fails transiently,
/// waiting 250 ms, then 500 ms, or the server's `Retry-After` when it is
/// short enough.
async fn with_retries<T, F, Fut>(what: &str, mut call: F) -> Result<T, LaporError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, LaporError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(LaporError::Transient {
                message,
                retry_after,
            }) if attempt < REQUEST_ATTEMPTS => {
                let wait = retry_after.unwrap_or(Duration::from_millis(250 << (attempt - 1)));
                if wait > IN_RUN_WAIT_MAX {
                    return Err(LaporError::Transient {
                        message,
                        retry_after,
                    });
                }
                tracing::info!(request = what, attempt, error = %message, "retrying LAPOR! request");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
