//! Sending queued notifications: claim a due row, render its message in
//! the reporter's language, hand it to the channel, and record the outcome.
//!
//! A temporary failure is retried after `retry_base_seconds`, and the delay
//! doubles on each attempt up to `max_attempts`. After the last attempt, or
//! on a permanent failure, the row is marked failed and the queue moves on. Delivery is at least
//! once: a worker that dies after the channel accepted a message but
//! before recording it sends it again when its lease ends, with the same
//! `Message-ID`.

use super::{NotificationKind, Services};
use crate::error::ServiceError;
use crate::now;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tanggap_channels::{OutboundMessage, SendError};
use tanggap_store::outbox::{AttemptOutcome, Notification};

/// How long a worker may hold a notification before another takes it.
const LEASE_MINUTES: i64 = 5;

/// Message texts by language and key, with named string arguments. The
/// web layer implements it with the Fluent files (`notify.ftl`).
pub trait MessageTemplates: Send + Sync {
    fn render(&self, language: &str, key: &str, args: &[(&'static str, String)]) -> String;
}

/// A rendered message before it gets a recipient.
struct Rendered {
    subject: String,
    paragraphs: Vec<String>,
    link: Option<String>,
}

impl Services {
    /// Claims and sends one due notification at `at`; returns whether
    /// there was one. Does nothing until [`Services::set_outbound`] ran.
    pub async fn deliver_next_notification(
        &self,
        worker: &str,
        at: Timestamp,
    ) -> Result<bool, ServiceError> {
        let Some(outbound) = self.outbound() else {
            return Ok(false);
        };
        let lease = at + SignedDuration::from_mins(LEASE_MINUTES);
        let Some(notification) = self
            .store
            .claim_notification(worker, at.as_microsecond(), lease.as_microsecond())
            .await?
        else {
            return Ok(false);
        };
        let outcome = self.attempt(&outbound, &notification, at).await;
        match &outcome {
            AttemptOutcome::Sent => tracing::info!(
                notification_id = notification.id,
                complaint_id = notification.complaint_id.0,
                channel = %notification.channel,
                kind = %notification.kind,
                "notification sent"
            ),
            AttemptOutcome::Skipped { reason } => tracing::info!(
                notification_id = notification.id,
                complaint_id = notification.complaint_id.0,
                channel = %notification.channel,
                reason = %reason,
                "notification skipped"
            ),
            AttemptOutcome::Retry { error, .. } => tracing::warn!(
                notification_id = notification.id,
                complaint_id = notification.complaint_id.0,
                channel = %notification.channel,
                attempt = notification.attempts,
                error = %error,
                "notification failed, will retry"
            ),
            AttemptOutcome::Failed { error } => tracing::error!(
                notification_id = notification.id,
                complaint_id = notification.complaint_id.0,
                channel = %notification.channel,
                attempt = notification.attempts,
                error = %error,
                "notification failed for good"
            ),
        }
        // A final row keeps its arguments for a manual retry, but not the
        // reporter's secret.
        let scrubbed = match outcome {
            AttemptOutcome::Retry { .. } => None,
            _ => {
                let mut params = notification.params.clone();
                if let Some(map) = params.as_object_mut() {
                    map.remove("secret");
                    map.remove("link");
                }
                Some(params)
            }
        };
        self.store
            .finish_notification(
                notification.id,
                worker,
                &outcome,
                scrubbed.as_ref(),
                now().as_microsecond(),
            )
            .await?;
        Ok(true)
    }

    /// Makes one delivery attempt and decides what happens next.
    async fn attempt(
        &self,
        outbound: &super::Outbound,
        notification: &Notification,
        at: Timestamp,
    ) -> AttemptOutcome {
        let Some(recipient) = notification.recipient.clone() else {
            return AttemptOutcome::Failed {
                error: "the recipient was erased".into(),
            };
        };
        let Some(channel) = outbound.channels.get(&notification.channel) else {
            return AttemptOutcome::Skipped {
                reason: format!("channel {} is not configured", notification.channel),
            };
        };
        let Some(rendered) = render(outbound.templates.as_ref(), notification) else {
            return AttemptOutcome::Failed {
                error: format!("unknown notification kind {:?}", notification.kind),
            };
        };
        let message = OutboundMessage {
            recipient,
            language: notification.language.clone(),
            subject: rendered.subject.clone(),
            text: plain_text(&rendered),
            html: Some(html(&rendered)),
            message_id: message_id(notification),
            thread_root: (notification.kind != NotificationKind::Received.code())
                .then(|| thread_root(notification)),
        };
        match channel.send(&message).await {
            Ok(()) => AttemptOutcome::Sent,
            Err(SendError::Permanent(error)) => AttemptOutcome::Failed { error },
            Err(SendError::Transient(error))
                if notification.attempts >= notification.max_attempts =>
            {
                AttemptOutcome::Failed {
                    error: format!("{error} (after {} attempts)", notification.attempts),
                }
            }
            Err(SendError::Transient(error)) => {
                let base = i64::try_from(self.config.notifications.retry_base_seconds)
                    .unwrap_or(i64::MAX)
                    .max(1);
                let delay = base.saturating_mul(1 << (notification.attempts - 1).clamp(0, 16));
                AttemptOutcome::Retry {
                    at: (at + SignedDuration::from_secs(delay)).as_microsecond(),
                    error,
                }
            }
        }
    }
}

/// Returns the identifier of the conversation's first message, the
/// complaint's received notice.
fn thread_root(notification: &Notification) -> String {
    format!("tanggap.complaint.{}", notification.complaint_id.0)
}

/// Returns the notification's stable message identifier; the received
/// notice is the thread's root.
fn message_id(notification: &Notification) -> String {
    if notification.kind == NotificationKind::Received.code() {
        thread_root(notification)
    } else {
        format!("tanggap.notification.{}", notification.id)
    }
}

fn param(params: &Value, name: &str) -> Option<String> {
    params.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Renders the subject and paragraphs of a notification from its
/// arguments; `None` for an unknown kind.
fn render(templates: &dyn MessageTemplates, notification: &Notification) -> Option<Rendered> {
    let kind = NotificationKind::from_code(&notification.kind)?;
    let language = notification.language.as_str();
    let params = &notification.params;
    let tracking = param(params, "tracking").unwrap_or_default();
    let text = |key: &str, args: &[(&'static str, String)]| templates.render(language, key, args);

    let subject = text(
        &format!("notify-subject-{}", kind.code()),
        &[("tracking", tracking.clone())],
    );
    let mut paragraphs = Vec::new();
    let mut link = None;
    match kind {
        NotificationKind::Received => {
            let tracking_arg = ("tracking", tracking.clone());
            match (param(params, "link"), param(params, "secret")) {
                (Some(url), _) => {
                    paragraphs.push(text("notify-body-received-link", &[tracking_arg]));
                    link = Some(url);
                }
                (None, Some(secret)) => paragraphs.push(text(
                    "notify-body-received-secret",
                    &[tracking_arg, ("secret", secret)],
                )),
                (None, None) => paragraphs.push(text("notify-body-received", &[tracking_arg])),
            }
        }
        NotificationKind::Dispatched | NotificationKind::FollowedUp => {
            let agency = param(params, "agency").unwrap_or_default();
            paragraphs.push(text(
                &format!("notify-body-{}", kind.code()),
                &[("tracking", tracking.clone()), ("agency", agency)],
            ));
        }
        NotificationKind::ClosingSoon => paragraphs.push(text(
            "notify-body-closing_soon",
            &[
                ("tracking", tracking.clone()),
                ("until", param(params, "until").unwrap_or_default()),
            ],
        )),
        NotificationKind::Closed => {
            let status = param(params, "status").unwrap_or_else(|| "resolved".into());
            let key = match status.as_str() {
                "archived" => "notify-body-closed-archived",
                "forwarded" => "notify-body-closed-forwarded",
                _ => "notify-body-closed-resolved",
            };
            paragraphs.push(text(
                key,
                &[
                    ("tracking", tracking.clone()),
                    ("agency", param(params, "agency").unwrap_or_default()),
                ],
            ));
        }
        NotificationKind::Held | NotificationKind::Answered => paragraphs.push(text(
            &format!("notify-body-{}", kind.code()),
            &[("tracking", tracking.clone())],
        )),
    }
    if let Some(body) = param(params, "text") {
        paragraphs.push(format!(
            "{}\n{body}",
            text(&format!("notify-text-label-{}", kind.code()), &[])
        ));
    }
    paragraphs.push(text("notify-footer", &[]));
    Some(Rendered {
        subject,
        paragraphs,
        link,
    })
}

fn plain_text(rendered: &Rendered) -> String {
    let mut text = String::new();
    for (i, paragraph) in rendered.paragraphs.iter().enumerate() {
        if i > 0 {
            text.push_str("\n\n");
        }
        text.push_str(paragraph);
        if i == 0
            && let Some(link) = &rendered.link
        {
            text.push('\n');
            text.push_str(link);
        }
    }
    text
}

fn html(rendered: &Rendered) -> String {
    let mut html = String::from("<!DOCTYPE html>\n<html><body>\n");
    for (i, paragraph) in rendered.paragraphs.iter().enumerate() {
        html.push_str("<p>");
        html.push_str(&escape_html(paragraph).replace('\n', "<br>\n"));
        if i == 0
            && let Some(link) = &rendered.link
        {
            let link = escape_html(link);
            html.push_str(&format!("<br>\n<a href=\"{link}\">{link}</a>"));
        }
        html.push_str("</p>\n");
    }
    html.push_str("</body></html>\n");
    html
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
