//! Notifications to reporters through an outbox in the database.
//!
//! The outbox scan reads complaint events after a cursor and queues one
//! notification per event and channel under an idempotency key, in the
//! transaction that moves the cursor, so an event is neither skipped nor
//! queued twice. A portal report queues its own "received" notice, because
//! only that request has the reporter's secret. The automatic-close
//! warning comes from the complaints that close soon, once per complaint
//! and close instant. Workers then send due rows (see `deliver.rs`).
//!
//! Only the reporter is notified, and only at the e-mail address or phone
//! number they gave, or at the WhatsApp number, SMS number or e-mail
//! address the complaint came from. A message carries the tracking number, public texts
//! of the complaint's history and agency names; never internal notes and
//! never anyone else's personal data. No notification goes to agencies.

use crate::error::ServiceError;
use crate::{Services, now};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tanggap_channels::email::SmtpConfig;
use tanggap_channels::sms::SmsGatewayConfig;
use tanggap_channels::whatsapp::WhatsAppConfig;
use tanggap_channels::{Channels, ChannelsConfig};
use tanggap_core::lifecycle::{Action, ActorKind, Visibility};
use tanggap_core::{Channel, Complaint, ComplaintId, Status};
use tanggap_store::StoredEvent;
use tanggap_store::outbox::NewNotification;

mod deliver;
mod staff;

pub use deliver::MessageTemplates;
pub use staff::OUTBOX_PAGE;

/// Events read per scan; the rest wait for the next one.
const SCAN_BATCH: i64 = 200;

/// Channel used for reporters who gave a phone number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneChannel {
    #[default]
    Whatsapp,
    Sms,
}

/// The `[notifications]` table of the configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Public address of the portal, e.g. `https://lapor.example.go.id`,
    /// for the tracking link in the received notice. Without it the notice
    /// gives the tracking number and the secret as text.
    pub public_base_url: Option<String>,
    /// Channel for phone numbers: `whatsapp` (default) or `sms`.
    pub phone_channel: PhoneChannel,
    /// Attempts before a notification is marked failed.
    pub max_attempts: u32,
    /// Delay before the first retry, in seconds; it doubles on each retry.
    pub retry_base_seconds: u64,
    /// Warn the reporter this many working days before the automatic close.
    pub closing_notice_days: u32,
    /// Events older than this when the scan reads them are not notified, in
    /// hours; it keeps imports and replayed history from notifying.
    pub max_event_age_hours: i64,
    pub email: Option<SmtpConfig>,
    pub whatsapp: Option<WhatsAppConfig>,
    pub sms: Option<SmsGatewayConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            public_base_url: None,
            phone_channel: PhoneChannel::Whatsapp,
            max_attempts: 6,
            retry_base_seconds: 60,
            closing_notice_days: 2,
            max_event_age_hours: 72,
            email: None,
            whatsapp: None,
            sms: None,
        }
    }
}

impl NotifyConfig {
    /// Returns the channel settings.
    pub fn channels(&self) -> ChannelsConfig {
        ChannelsConfig {
            email: self.email.clone(),
            whatsapp: self.whatsapp.clone(),
            sms: self.sms.clone(),
        }
    }
}

/// The configured channels and message texts that workers send
/// notifications with.
#[derive(Clone)]
pub struct Outbound {
    pub channels: Channels,
    pub templates: Arc<dyn MessageTemplates>,
}

/// The occasion of a notification, stored as `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    Received,
    Held,
    Dispatched,
    FollowedUp,
    Answered,
    ClosingSoon,
    Closed,
}

impl NotificationKind {
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::Received => "received",
            NotificationKind::Held => "held",
            NotificationKind::Dispatched => "dispatched",
            NotificationKind::FollowedUp => "followed_up",
            NotificationKind::Answered => "answered",
            NotificationKind::ClosingSoon => "closing_soon",
            NotificationKind::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "received" => NotificationKind::Received,
            "held" => NotificationKind::Held,
            "dispatched" => NotificationKind::Dispatched,
            "followed_up" => NotificationKind::FollowedUp,
            "answered" => NotificationKind::Answered,
            "closing_soon" => NotificationKind::ClosingSoon,
            "closed" => NotificationKind::Closed,
            _ => return None,
        })
    }

    /// Returns the kind of notification an event causes, if any.
    fn of_event(stored: &StoredEvent) -> Option<Self> {
        let event = &stored.event;
        match event.action {
            // A portal report queues its own notice with the secret.
            Action::Register if matches!(event.actor.kind, ActorKind::Reporter) => None,
            Action::Register => Some(NotificationKind::Received),
            Action::Hold => Some(NotificationKind::Held),
            Action::Dispatch => Some(NotificationKind::Dispatched),
            Action::FollowUp => Some(NotificationKind::FollowedUp),
            Action::Respond => Some(NotificationKind::Answered),
            Action::Resolve
            | Action::AutoResolve
            | Action::ReporterAccept
            | Action::Archive
            | Action::AutoArchive
            | Action::Forward => Some(NotificationKind::Closed),
            _ => None,
        }
    }
}

/// Returns the language of a reporter's messages: `id` unless they chose English.
pub fn reporter_language(code: Option<&str>) -> &'static str {
    match code {
        Some("en") => "en",
        _ => "id",
    }
}

impl Services {
    /// Installs the channels and message texts the workers send with.
    /// Until it is called, queued notifications stay pending.
    pub fn set_outbound(&self, outbound: Outbound) {
        let mut slot = self
            .outbound
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Some(Arc::new(outbound));
    }

    pub(crate) fn outbound(&self) -> Option<Arc<Outbound>> {
        self.outbound
            .read()
            .map(|o| o.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Queues notifications for the events committed since the last scan
    /// and the warnings of complaints that close automatically soon.
    /// Returns the number of notifications queued.
    pub async fn scan_notifications(&self, at: Timestamp) -> Result<usize, ServiceError> {
        let mut queued = 0;
        loop {
            let events = self.store.events_after_cursor(SCAN_BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            let oldest =
                at - SignedDuration::from_hours(self.config.notifications.max_event_age_hours);
            let mut complaints: HashMap<ComplaintId, Option<Complaint>> = HashMap::new();
            let mut rows = Vec::new();
            for stored in &events {
                let Some(kind) = NotificationKind::of_event(stored) else {
                    continue;
                };
                if stored.event.at < oldest {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    complaints.entry(stored.complaint_id)
                {
                    slot.insert(self.store.get_complaint(stored.complaint_id).await?);
                }
                let Some(Some(complaint)) = complaints.get(&stored.complaint_id) else {
                    continue;
                };
                let params = self.event_params(kind, complaint, stored);
                rows.extend(
                    self.notification_rows(complaint, kind, Some(stored.id), &params, at)
                        .await?,
                );
            }
            queued += self
                .store
                .queue_notifications(&rows, &[], Some(last))
                .await?;
            if events.len() < usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX) {
                break;
            }
        }
        queued += self.queue_closing_warnings(at).await?;
        if queued > 0 {
            tracing::info!(queued, "notifications queued");
        }
        Ok(queued)
    }

    /// Queues the warning for complaints that close automatically within
    /// `closing_notice_days` working days.
    async fn queue_closing_warnings(&self, at: Timestamp) -> Result<usize, ServiceError> {
        let calendar = self.calendar();
        let today = calendar.effective_date(calendar.local_date(at));
        let horizon = calendar.end_of_day(
            calendar.add_working_days(today, self.config.notifications.closing_notice_days),
        );
        let candidates = self
            .store
            .closing_candidates(at.as_microsecond(), horizon.as_microsecond(), SCAN_BATCH)
            .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let mut rows = Vec::new();
        for (id, auto_close_at) in &candidates {
            let Some(complaint) = self.store.get_complaint(*id).await? else {
                continue;
            };
            let until = tanggap_store::from_micros(*auto_close_at)?;
            let params = json!({
                "tracking": complaint.tracking_number,
                "until": self.local_date_text(until),
            });
            let mut warning = self
                .notification_rows(&complaint, NotificationKind::ClosingSoon, None, &params, at)
                .await?;
            // One warning per close instant: a reopened and answered
            // complaint gets a new one.
            for row in &mut warning {
                row.idempotency_key = format!(
                    "c{}.closing_soon.{auto_close_at}.{}",
                    complaint.id.0, row.channel
                );
            }
            rows.extend(warning);
        }
        Ok(self
            .store
            .queue_notifications(&rows, &candidates, None)
            .await?)
    }

    /// Queues the received notice of a portal report, with the secret that
    /// only this request has, and stores the reporter's language.
    // NOTE: the notice is queued right after the complaint's transaction,
    // not inside it; a crash between the two loses this one notice (the
    // receipt page has already shown the number and the secret).
    pub(crate) async fn queue_received_notice(
        &self,
        complaint: &Complaint,
        secret: &str,
        language: &str,
    ) -> Result<(), ServiceError> {
        let language = reporter_language(Some(language));
        if language != "id" {
            self.store
                .put_reporter_language(complaint.id, language)
                .await?;
        }
        let mut params = json!({
            "tracking": complaint.tracking_number,
            "secret": secret,
        });
        if let Some(base) = &self.config.notifications.public_base_url {
            params["link"] = Value::from(tracking_link(base, &complaint.tracking_number, secret));
        }
        let rows = self
            .notification_rows(complaint, NotificationKind::Received, None, &params, now())
            .await?;
        self.store.queue_notifications(&rows, &[], None).await?;
        Ok(())
    }

    /// Builds the message arguments of an event's notification.
    fn event_params(
        &self,
        kind: NotificationKind,
        complaint: &Complaint,
        stored: &StoredEvent,
    ) -> Value {
        let event = &stored.event;
        let mut params = json!({ "tracking": complaint.tracking_number });
        // Only texts the reporter may read anyway: internal notes and
        // dispatch instructions stay out.
        let carries_text = matches!(
            kind,
            NotificationKind::Held
                | NotificationKind::FollowedUp
                | NotificationKind::Answered
                | NotificationKind::Closed
        );
        if carries_text
            && event.visibility == Visibility::Public
            && let Some(text) = event.text.as_deref().filter(|t| !t.trim().is_empty())
        {
            params["text"] = Value::from(text);
        }
        match kind {
            NotificationKind::Dispatched | NotificationKind::FollowedUp => {
                let code = event
                    .data
                    .get("lead_agency")
                    .and_then(Value::as_str)
                    .or(complaint.lead_agency.as_deref());
                if let Some(code) = code {
                    let name = self
                        .reference_cache()
                        .agency_name(code)
                        .map_or_else(|| code.to_owned(), str::to_owned);
                    params["agency"] = Value::from(name);
                }
            }
            NotificationKind::Closed => {
                params["status"] = Value::from(event.to_status.code());
                if event.to_status == Status::Forwarded
                    && let Some(to) = &complaint.forwarded_to
                {
                    params["agency"] = Value::from(to.as_str());
                }
            }
            _ => {}
        }
        params
    }

    /// Builds one outbox row per contact of the reporter. The first is the
    /// address a WhatsApp, SMS or e-mail complaint came from, on that
    /// channel (see [`origin_contact`]). Then come the e-mail address and,
    /// on the configured phone channel, the phone number from the form,
    /// each unless it is the origin's channel or address.
    async fn notification_rows(
        &self,
        complaint: &Complaint,
        kind: NotificationKind,
        event_id: Option<i64>,
        params: &Value,
        at: Timestamp,
    ) -> Result<Vec<NewNotification>, ServiceError> {
        let reporter = &complaint.reporter;
        let phone_channel = match self.config.notifications.phone_channel {
            PhoneChannel::Whatsapp => "whatsapp",
            PhoneChannel::Sms => "sms",
        };
        let origin = origin_contact(complaint);
        let form_contacts = [
            ("email", reporter.email.as_deref()),
            (phone_channel, reporter.phone.as_deref()),
        ]
        .into_iter()
        .filter_map(|(channel, contact)| {
            contact
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| (channel, c))
        })
        // The origin wins: one row per channel, because the channel is
        // part of the row's idempotency key.
        .filter(|(channel, contact)| {
            origin.is_none_or(|(origin_channel, address)| {
                origin_channel != *channel
                    && !same_address(origin_channel, address, channel, contact)
            })
        });
        let contacts: Vec<(&str, &str)> = origin.into_iter().chain(form_contacts).collect();
        if contacts.is_empty() {
            return Ok(Vec::new());
        }
        let language = self.store.reporter_language(complaint.id).await?;
        let language = reporter_language(language.as_deref());
        let occasion = event_id.map_or_else(|| kind.code().to_owned(), |id| format!("e{id}"));
        Ok(contacts
            .into_iter()
            .map(|(channel, recipient)| NewNotification {
                complaint_id: complaint.id,
                event_id,
                kind: kind.code().to_owned(),
                channel: channel.to_owned(),
                idempotency_key: format!("c{}.{occasion}.{channel}", complaint.id.0),
                recipient: recipient.to_owned(),
                language: language.to_owned(),
                params: params.clone(),
                max_attempts: i64::from(self.config.notifications.max_attempts.max(1)),
                created_at: at.as_microsecond(),
            })
            .collect())
    }

    /// Formats an instant as a date in the installation's time zone.
    fn local_date_text(&self, at: Timestamp) -> String {
        self.calendar()
            .local_date(at)
            .strftime("%d-%m-%Y")
            .to_string()
    }
}

/// Returns the channel and address a complaint arrived from, when it came
/// by WhatsApp, SMS or e-mail with the sender as channel reference (as a
/// converted triage conversation has): replies go back the same way.
/// A reference that is not an address of its channel, such as a note staff
/// typed, yields none.
fn origin_contact(complaint: &Complaint) -> Option<(&'static str, &str)> {
    let reference = complaint.channel_reference.as_deref()?.trim();
    let is_phone = |text: &str| {
        let digits = text.chars().filter(char::is_ascii_digit).count();
        digits >= 6
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
    };
    match complaint.channel {
        Channel::Whatsapp if is_phone(reference) => Some(("whatsapp", reference)),
        Channel::Sms if is_phone(reference) => Some(("sms", reference)),
        Channel::Email if reference.contains('@') && !reference.contains(char::is_whitespace) => {
            Some(("email", reference))
        }
        _ => None,
    }
}

/// Tells whether a contact the reporter gave is the origin address: the
/// same e-mail address, or the same phone number (`08…` and `628…` are the
/// same number) when both are phone channels.
fn same_address(origin_channel: &str, origin: &str, channel: &str, contact: &str) -> bool {
    let phone_channel = |c: &str| matches!(c, "whatsapp" | "sms");
    if origin_channel == "email" || channel == "email" {
        return origin_channel == channel && origin.eq_ignore_ascii_case(contact);
    }
    phone_channel(origin_channel)
        && phone_channel(channel)
        && national_number(origin) == national_number(contact)
}

/// Returns a phone number's digits with an Indonesian `0` or `62` prefix
/// removed.
fn national_number(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    digits
        .strip_prefix("62")
        .or_else(|| digits.strip_prefix('0'))
        .unwrap_or(&digits)
        .to_owned()
}

/// Builds the tracking page's address with the number and the secret.
fn tracking_link(base: &str, tracking: &str, secret: &str) -> String {
    format!(
        "{}/lacak?nomor={tracking}&kode={secret}",
        base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_number_strips_prefixes() {
        assert_eq!(national_number("081255500099"), "81255500099");
        assert_eq!(national_number("+62 812-5550-0099"), "81255500099");
        assert_eq!(national_number("6281255500099"), "81255500099");
    }

    #[test]
    fn same_address_across_phone_channels() {
        assert!(same_address(
            "whatsapp",
            "6281255500099",
            "sms",
            "081255500099"
        ));
        assert!(!same_address(
            "whatsapp",
            "6281255500099",
            "sms",
            "081255500088"
        ));
        assert!(same_address(
            "email",
            "Warga@Contoh.id",
            "email",
            "warga@contoh.id"
        ));
        assert!(!same_address(
            "email",
            "warga@contoh.id",
            "sms",
            "081255500099"
        ));
    }
}
