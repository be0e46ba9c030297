//! The outbox as staff see it: status and attempts of each notification,
//! never the recipient or the message, and a manual retry of failed ones.
//! The central admin and the system administrator may use it.

use super::Services;
use crate::error::ServiceError;
use crate::{Principal, now};
use serde_json::json;
use tanggap_core::Role;
use tanggap_store::AuditDraft;
use tanggap_store::outbox::{NotificationStatus, NotificationSummary};

/// Rows per page of the outbox list.
pub const OUTBOX_PAGE: i64 = 50;

fn may_manage_outbox(principal: &Principal) -> Result<(), ServiceError> {
    match principal.role {
        Role::CentralAdmin | Role::SystemAdmin => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

impl Services {
    /// Lists outbox rows newest first, optionally of one status, below `before_id`.
    pub async fn list_outbox(
        &self,
        principal: &Principal,
        status: Option<NotificationStatus>,
        before_id: Option<i64>,
    ) -> Result<Vec<NotificationSummary>, ServiceError> {
        may_manage_outbox(principal)?;
        Ok(self
            .store
            .list_notifications(status, None, before_id, OUTBOX_PAGE)
            .await?)
    }

    /// Puts a failed notification back in the queue with fresh attempts.
    /// A row that is not failed, or whose recipient was erased, gives
    /// [`ServiceError::NotFound`].
    pub async fn retry_outbox(&self, principal: &Principal, id: i64) -> Result<(), ServiceError> {
        may_manage_outbox(principal)?;
        let at = now().as_microsecond();
        let audit = AuditDraft {
            at_micros: at,
            actor: principal.actor().audit_id(),
            action: "notification.retry".into(),
            entity: format!("notification:{id}"),
            details: json!({}),
        };
        if self.store.retry_notification(id, at, audit).await? {
            tracing::info!(
                notification_id = id,
                "failed notification queued again by staff"
            );
            Ok(())
        } else {
            Err(ServiceError::NotFound {
                entity: "notification",
            })
        }
    }
}
