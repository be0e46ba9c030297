//! Background jobs from a queue in the database.
//!
//! A scheduler queues one lifecycle sweep per interval under a dedupe key
//! made of the interval's start, so several nodes queue it once between
//! them. Workers claim jobs with a lease; a job whose worker died is taken
//! again when the lease ends. Each step of the sweep is idempotent: an
//! automatic transition checks the complaint's version, and a deadline alert
//! is recorded once per complaint, deadline and level.

use crate::error::ServiceError;
use crate::{Services, now};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::time::Duration;
use tanggap_core::lifecycle::{Actor, Command, Event, Visibility};
use tanggap_core::{Complaint, Status};
use tanggap_store::{AuditDraft, SweepKind, micros};
use tokio::sync::watch;

pub const LIFECYCLE_SWEEP: &str = "lifecycle_sweep";
/// Daily erasure of reporter data after the retention period.
pub const RETENTION: &str = "retention";
/// Complaints handled per sweep step; the rest wait for the next sweep.
const SWEEP_BATCH: i64 = 500;
const MAX_ATTEMPTS: i64 = 5;

/// Counts of what one sweep changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub auto_archived: usize,
    pub auto_resolved: usize,
    pub reminders: usize,
    pub escalations: usize,
}

/// Names the deadline that applies in a status, for alerts.
fn deadline_name(status: Status) -> Option<&'static str> {
    match status {
        Status::Received | Status::Verified => Some("verification"),
        Status::Returned => Some("redispatch"),
        Status::Dispatched => Some("followup"),
        Status::InProgress => Some("resolution"),
        _ => None,
    }
}

impl Services {
    /// Runs every automatic lifecycle step due at `at`.
    pub async fn run_lifecycle_sweep(&self, at: Timestamp) -> Result<SweepReport, ServiceError> {
        let mut report = SweepReport::default();
        let system = Actor::system();

        for id in self
            .store
            .sweep_candidates(SweepKind::HoldExpired, micros(at), SWEEP_BATCH)
            .await?
        {
            if let Some(c) = self.store.get_complaint(id).await?
                && self
                    .apply_automatic(&system, &c, Command::AutoArchive, at)
                    .await?
            {
                report.auto_archived += 1;
            }
        }
        for id in self
            .store
            .sweep_candidates(SweepKind::AutoClose, micros(at), SWEEP_BATCH)
            .await?
        {
            if let Some(c) = self.store.get_complaint(id).await?
                && self
                    .apply_automatic(&system, &c, Command::AutoResolve, at)
                    .await?
            {
                report.auto_resolved += 1;
            }
        }

        // Reminders cover deadlines up to the end of the working day that
        // lies `reminder_days_before` working days ahead.
        let calendar = self.calendar();
        let today = calendar.effective_date(calendar.local_date(at));
        let horizon = calendar
            .end_of_day(calendar.add_working_days(today, self.standards().reminder_days_before));
        for id in self
            .store
            .due_before(micros(horizon), micros(at), SWEEP_BATCH)
            .await?
        {
            let Some(c) = self.store.get_complaint(id).await? else {
                continue;
            };
            let (Some(due_at), Some(deadline)) = (c.deadlines.due_at, deadline_name(c.status))
            else {
                continue;
            };
            let overdue = due_at <= at;
            if self.record_alert(&c, deadline, due_at, overdue, at).await? {
                if overdue {
                    report.escalations += 1;
                } else {
                    report.reminders += 1;
                }
            }
        }
        if report != SweepReport::default() {
            tracing::info!(?report, "lifecycle sweep changed complaints");
        }
        Ok(report)
    }

    /// Applies an automatic transition; a concurrent change by someone else
    /// is left to the next sweep.
    async fn apply_automatic(
        &self,
        system: &Actor,
        complaint: &Complaint,
        command: Command,
        at: Timestamp,
    ) -> Result<bool, ServiceError> {
        match self.apply_as(system, complaint, command, at).await {
            Ok(_) => Ok(true),
            Err(ServiceError::Conflict { .. } | ServiceError::InvalidTransition { .. }) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn record_alert(
        &self,
        complaint: &Complaint,
        deadline: &'static str,
        due_at: Timestamp,
        overdue: bool,
        at: Timestamp,
    ) -> Result<bool, ServiceError> {
        let command = Command::DeadlineAlert { overdue, deadline };
        let action = command.action();
        let event = Event {
            action,
            at,
            actor: Actor::system(),
            from_status: Some(complaint.status),
            to_status: complaint.status,
            sop_activity: None,
            visibility: Visibility::Internal,
            text: None,
            data: json!({
                "deadline": deadline,
                "due_at": due_at.to_string(),
                "lead_agency": complaint.lead_agency,
            }),
        };
        let audit = AuditDraft {
            at_micros: micros(at),
            actor: "system".into(),
            action: format!("complaint.{}", action.code()),
            entity: format!("complaint:{}", complaint.id),
            details: json!({ "deadline": deadline }),
        };
        Ok(self
            .store
            .record_deadline_alert(complaint.id, deadline, micros(due_at), &event, audit)
            .await?)
    }

    /// Queues the sweep for the interval containing `at`; a no-op when
    /// another node already queued it.
    pub async fn schedule_sweep(
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
                LIFECYCLE_SWEEP,
                Some(&format!("{LIFECYCLE_SWEEP}:{slot}")),
                &json!({}),
                micros(at),
                MAX_ATTEMPTS,
            )
            .await?)
    }

    /// Queues the retention erasure once per day of the installation's
    /// time zone; a no-op when another node already queued it.
    pub async fn schedule_retention(&self, at: Timestamp) -> Result<bool, ServiceError> {
        let day = self.calendar().local_date(at);
        Ok(self
            .store
            .enqueue_job(
                RETENTION,
                Some(&format!("{RETENTION}:{day}")),
                &json!({}),
                micros(at),
                MAX_ATTEMPTS,
            )
            .await?)
    }

    /// Queues notifications for new events and sends one due notification;
    /// returns whether one was sent or given up.
    async fn run_notifications(&self, worker: &str) -> Result<bool, ServiceError> {
        self.scan_notifications(now()).await?;
        self.deliver_next_notification(worker, now()).await
    }

    /// Claims and runs one due job; returns whether there was one.
    pub async fn run_next_job(&self, worker: &str) -> Result<bool, ServiceError> {
        let at = now();
        let lease = at + SignedDuration::from_mins(5);
        let Some(job) = self
            .store
            .claim_job(worker, micros(at), micros(lease))
            .await?
        else {
            return Ok(false);
        };
        let result = match job.kind.as_str() {
            LIFECYCLE_SWEEP => self.run_lifecycle_sweep(at).await.map(|_| ()),
            crate::lapor::sync::LAPOR_SYNC => self.run_lapor_sync().await.map(|_| ()),
            RETENTION => self.run_retention(at).await.map(|_| ()),
            other => Err(ServiceError::Internal(format!(
                "unknown job kind {other:?}"
            ))),
        };
        match result {
            Ok(()) => {
                self.store
                    .complete_job(job.id, worker, micros(now()))
                    .await?;
            }
            Err(e) => {
                // Back off exponentially: 30 s, 1 min, 2 min, 4 min.
                let retry_at = (job.attempts < job.max_attempts).then(|| {
                    let delay = 30i64 << (job.attempts - 1).clamp(0, 10);
                    micros(now() + SignedDuration::from_secs(delay))
                });
                tracing::warn!(
                    job_id = job.id,
                    kind = %job.kind,
                    attempt = job.attempts,
                    error = %e,
                    retry = retry_at.is_some(),
                    "job failed"
                );
                self.store
                    .fail_job(job.id, worker, &e.to_string(), retry_at, micros(now()))
                    .await?;
            }
        }
        Ok(true)
    }

    /// Schedules and runs jobs until `shutdown` turns true.
    pub async fn run_workers(
        &self,
        worker: String,
        sweep_interval: Duration,
        lapor_interval: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        tracing::info!(worker = %worker, "background worker started");
        let mut last_schedule: Option<Timestamp> = None;
        let mut last_lapor_schedule: Option<Timestamp> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let at = now();
            let schedule_due = last_schedule.is_none_or(|last| {
                at.duration_since(last)
                    >= SignedDuration::try_from(sweep_interval).unwrap_or_default()
            });
            if schedule_due {
                match self.schedule_sweep(at, sweep_interval).await {
                    Ok(_) => last_schedule = Some(at),
                    Err(e) => tracing::error!(error = %e, "scheduling the lifecycle sweep failed"),
                }
                if let Err(e) = self.schedule_retention(at).await {
                    tracing::error!(error = %e, "scheduling the retention erasure failed");
                }
            }
            let lapor_due = self.lapor_enabled()
                && last_lapor_schedule.is_none_or(|last| {
                    at.duration_since(last)
                        >= SignedDuration::try_from(lapor_interval).unwrap_or_default()
                });
            if lapor_due {
                match self.schedule_lapor_sync(at, lapor_interval).await {
                    Ok(_) => last_lapor_schedule = Some(at),
                    Err(e) => tracing::error!(error = %e, "scheduling the LAPOR! sync failed"),
                }
            }
            let ran = match self.run_next_job(&worker).await {
                Ok(ran) => ran,
                Err(e) => {
                    tracing::error!(error = %e, "job queue unavailable");
                    false
                }
            };
            let sent = match self.run_notifications(&worker).await {
                Ok(sent) => sent,
                Err(e) => {
                    tracing::error!(error = %e, "notification outbox unavailable");
                    false
                }
            };
            let ran = ran || sent;
            if !ran {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %worker, "background worker stopped");
    }
}
