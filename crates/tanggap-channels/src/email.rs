//! E-mail over SMTP with lettre.
//!
//! Every message is `multipart/alternative` (plain text and, when given,
//! HTML), carries `Auto-Submitted: auto-generated` (RFC 3834) so that
//! auto-responders stay quiet, a stable `Message-ID`, and `In-Reply-To` and
//! `References` pointing to the conversation's first message so mail
//! clients thread the notifications of one complaint together.

use crate::{OutboundChannel, OutboundMessage, SendError, timeout};
use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

/// Protection of the SMTP connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption; only for a relay on the same host or in tests.
    None,
}

/// The `[notifications.email]` settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 587 for STARTTLS, 465 for TLS and 25 without encryption.
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name for SMTP authentication; the password comes from
    /// `TANGGAP_SMTP_PASSWORD`.
    pub username: Option<String>,
    #[serde(skip)]
    pub password: Option<String>,
    /// Sender, e.g. `Pengaduan Kota Banjarmasin <pengaduan@example.go.id>`.
    pub from: String,
    pub reply_to: Option<String>,
    /// Domain part of generated Message-IDs; the sender's domain by default.
    pub message_id_domain: Option<String>,
    /// Time limit of one delivery, in seconds (20 by default).
    pub timeout_seconds: Option<u64>,
}

/// The `Auto-Submitted` header of RFC 3834.
#[derive(Clone, Debug)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Sends e-mail through one SMTP server.
pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// Domain part of every `Message-ID`.
    domain: String,
}

impl SmtpChannel {
    /// Builds the transport; fails on an invalid address or host name.
    pub fn new(config: &SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("invalid notifications.email.from {:?}: {e}", config.from))?;
        let reply_to = config
            .reply_to
            .as_deref()
            .map(|r| {
                r.parse::<Mailbox>()
                    .map_err(|e| format!("invalid notifications.email.reply_to {r:?}: {e}"))
            })
            .transpose()?;
        let builder = match config.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &config.host,
            )),
        }
        .map_err(|e| format!("invalid notifications.email.host {:?}: {e}", config.host))?;
        let port = config.port.unwrap_or(match config.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        });
        let mut builder = builder
            .port(port)
            .timeout(Some(timeout(config.timeout_seconds)));
        if let Some(username) = &config.username {
            let password = config.password.clone().ok_or_else(|| {
                "notifications.email.username is set but TANGGAP_SMTP_PASSWORD is not".to_owned()
            })?;
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        let domain = config
            .message_id_domain
            .clone()
            .unwrap_or_else(|| from.email.domain().to_owned());
        Ok(Self {
            transport: builder.build(),
            from,
            reply_to,
            domain,
        })
    }

    /// Builds the message, with the headers described in the module documentation.
    fn build(&self, message: &OutboundMessage) -> Result<Message, SendError> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid recipient address: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(format!("<{}@{}>", message.message_id, self.domain)))
            .header(AutoSubmitted("auto-generated".into()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(root) = &message.thread_root {
            let root = format!("<{root}@{}>", self.domain);
            builder = builder.in_reply_to(root.clone()).references(root);
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone());
        let body = match &message.html {
            Some(html) => MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
            None => MultiPart::mixed().singlepart(text),
        };
        builder
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("cannot build the e-mail: {e}")))
    }
}

#[async_trait]
impl OutboundChannel for SmtpChannel {
    fn code(&self) -> &'static str {
        "email"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<(), SendError> {
        let email = self.build(message)?;
        // The server's reply text can quote the recipient's address, so
        // only the reply code goes into the error.
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            // A 5xx reply (unknown mailbox, rejected sender) will not change
            // on a retry; everything else (4xx, network) may.
            Err(e) if e.is_permanent() => Err(SendError::Permanent(smtp_error(&e))),
            Err(e) => Err(SendError::Transient(smtp_error(&e))),
        }
    }
}

/// Describes an SMTP failure without the server's reply text.
fn smtp_error(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!("SMTP server replied {code}"),
        None if error.is_timeout() => "SMTP connection timed out".to_owned(),
        None if error.is_tls() => "SMTP TLS handshake failed".to_owned(),
        None => "SMTP connection failed".to_owned(),
    }
}
