//! Outbound channels: how Tanggap sends a message to a person outside the
//! system. Each channel implements [`OutboundChannel`]; the notification
//! outbox in `tanggap-service` picks the channel by the recipient's
//! contact and retries what [`SendError::Transient`] reports.
//!
//! - [`email::SmtpChannel`]: e-mail over SMTP (plain, STARTTLS or TLS).
//! - [`whatsapp::WhatsAppChannel`]: the WhatsApp Cloud API.
//! - [`sms::SmsGatewayChannel`]: an HTTP SMS gateway.
//!
//! Secrets (SMTP password, tokens) come from the environment and are never
//! logged or put in error messages.

use async_trait::async_trait;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

pub mod email;
pub mod sms;
pub mod whatsapp;

/// One message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMessage {
    /// An e-mail address or a phone number, as the reporter gave it.
    pub recipient: String,
    /// BCP 47 language code of the text, e.g. `id` or `en`.
    pub language: String,
    /// E-mail subject; chat and SMS channels ignore it.
    pub subject: String,
    /// Plain text; chat and SMS channels send only this.
    pub text: String,
    /// Optional HTML alternative for e-mail.
    pub html: Option<String>,
    /// Stable local part of this message's identifier, e.g.
    /// `tanggap.notification.42`; a retry reuses it. The e-mail channel
    /// adds `@` and its domain to form the `Message-ID`.
    pub message_id: String,
    /// Local part of the identifier of the conversation's first message,
    /// for e-mail threading (`In-Reply-To`, `References`); `None` for the
    /// first message itself.
    pub thread_root: Option<String>,
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later: a timeout, a refused connection, a server error.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying will not help: an invalid recipient, a rejected request.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A way to deliver [`OutboundMessage`]s.
#[async_trait]
pub trait OutboundChannel: Send + Sync {
    /// Channel code stored with each notification: `email`, `whatsapp` or `sms`.
    fn code(&self) -> &'static str;
    /// Delivers one message. It must not log the recipient or the text.
    async fn send(&self, message: &OutboundMessage) -> Result<(), SendError>;
}

/// The `[notifications]` channel settings of the configuration file.
/// Secrets are not read from the file but set from the environment.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    pub email: Option<email::SmtpConfig>,
    pub whatsapp: Option<whatsapp::WhatsAppConfig>,
    pub sms: Option<sms::SmsGatewayConfig>,
}

/// The configured channels; a missing one means its notifications are skipped.
#[derive(Clone, Default)]
pub struct Channels {
    pub email: Option<Arc<dyn OutboundChannel>>,
    pub whatsapp: Option<Arc<dyn OutboundChannel>>,
    pub sms: Option<Arc<dyn OutboundChannel>>,
}

impl Channels {
    /// Builds the channels that `config` configures.
    pub fn from_config(config: &ChannelsConfig) -> Result<Self, String> {
        Ok(Self {
            email: match &config.email {
                Some(c) => Some(Arc::new(email::SmtpChannel::new(c)?)),
                None => None,
            },
            whatsapp: match &config.whatsapp {
                Some(c) => Some(Arc::new(whatsapp::WhatsAppChannel::new(c)?)),
                None => None,
            },
            sms: match &config.sms {
                Some(c) => Some(Arc::new(sms::SmsGatewayChannel::new(c)?)),
                None => None,
            },
        })
    }

    /// Returns the channel with the code `code`, if configured.
    pub fn get(&self, code: &str) -> Option<&Arc<dyn OutboundChannel>> {
        match code {
            "email" => self.email.as_ref(),
            "whatsapp" => self.whatsapp.as_ref(),
            "sms" => self.sms.as_ref(),
            _ => None,
        }
    }
}

/// Default time limit of one delivery attempt, in seconds.
const DEFAULT_TIMEOUT_SECONDS: u64 = 20;

fn timeout(seconds: Option<u64>) -> Duration {
    Duration::from_secs(seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS).max(1))
}

/// Builds the HTTP client of the chat and SMS channels.
fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Classifies an HTTP response status: 408, 429 and 5xx are worth a retry.
fn http_status_error(status: reqwest::StatusCode) -> SendError {
    let message = format!("HTTP status {}", status.as_u16());
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        SendError::Transient(message)
    } else {
        SendError::Permanent(message)
    }
}

/// Classifies a transport error. The URL is removed because a gateway may
/// carry the token or the phone number in it.
fn http_transport_error(error: reqwest::Error) -> SendError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    SendError::Transient(format!("{kind}: {}", error.without_url()))
}
