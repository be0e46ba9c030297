//! The triage inbox: messages from WhatsApp, SMS and e-mail, grouped into
//! conversations per channel and sender, until staff turn a conversation
//! into a complaint, attach it to an existing one, or dismiss it.
//!
//! Access rule: only the central admin works the inbox. Messages arrive
//! before anyone knows which agency they concern, so a liaison admin has
//! no basis to see them; the liaison admin sees the reporter's later
//! messages on the complaint itself once it is dispatched.
//!
//! Once a conversation is converted or attached, the sender's later
//! messages on the same channel are appended to the complaint as internal
//! events from the reporter, and the conversation is marked unread.

use crate::attachments::{Upload, write_file_once};
use crate::complaints::{Created, Registered};
use crate::error::ServiceError;
use crate::{Principal, Services, now, sha256_hex};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use tanggap_core::lifecycle::{Action, Actor, Event, Intake, Visibility};
use tanggap_core::triage::{DismissReason, FLAG_FOREIGN_REFERENCE, QuarantineReason, TriageState};
use tanggap_core::validate::FieldError;
use tanggap_core::{Channel, ComplaintId, Role, Status};
use tanggap_store::triage::{
    NewTriageMessage, TriageConversation, TriageFile, TriageInsert, TriageMessage,
    TriageResolution, TriageRoute,
};
use tanggap_store::{AuditDraft, IdempotencyClaim, micros};

/// Idempotency records of converted conversations belong to this pseudo
/// user id, like those of LAPOR! reports and imports, so the key does not
/// depend on which staff member converts.
const TRIAGE_KEY_USER_ID: i64 = 0;

/// Builds the idempotency claim that keys the complaint made from a
/// conversation.
fn triage_claim(conversation: i64) -> IdempotencyClaim {
    let key = format!("triage:{conversation}");
    IdempotencyClaim {
        user_id: TRIAGE_KEY_USER_ID,
        request_hash: sha256_hex(key.as_bytes()),
        key,
    }
}

/// Conversations per page of the inbox.
pub const TRIAGE_PAGE_SIZE: i64 = 50;

/// Settings of the inbound channels. Secrets come from the environment.
#[derive(Clone, Debug, Default)]
pub struct TriageConfig {
    pub whatsapp: Option<WhatsAppConfig>,
    pub sms: Option<SmsConfig>,
    pub email: Option<ImapConfig>,
}

/// WhatsApp Cloud API webhook and media download.
#[derive(Clone, Debug)]
pub struct WhatsAppConfig {
    /// Token that Meta echoes in the subscription handshake.
    pub verify_token: String,
    /// App secret that signs each webhook body (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Access token for downloading media from the Graph API.
    pub access_token: String,
    /// Base URL of the Graph API, e.g. `https://graph.facebook.com/v21.0`.
    pub graph_base_url: String,
}

/// A generic SMS gateway that posts each message as a form or JSON body.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// Shared secret expected in the `token_header` header (plain compare
    /// in constant time). Either this or `hmac_secret` must be set.
    #[serde(skip)]
    pub token: Option<String>,
    pub token_header: String,
    /// Secret of an HMAC-SHA256 over the raw body, hex in `hmac_header`.
    #[serde(skip)]
    pub hmac_secret: Option<String>,
    pub hmac_header: String,
    pub sender_field: String,
    pub text_field: String,
    pub id_field: String,
    /// Optional; RFC 3339 or Unix seconds. The arrival time when missing.
    pub timestamp_field: String,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            token: None,
            token_header: "X-Gateway-Token".into(),
            hmac_secret: None,
            hmac_header: "X-Gateway-Signature".into(),
            sender_field: "from".into(),
            text_field: "text".into(),
            id_field: "id".into(),
            timestamp_field: "timestamp".into(),
        }
    }
}

/// E-mail intake by polling a mailbox over IMAP.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    /// Implicit TLS (IMAPS, usually port 993). Plain IMAP is meant for a
    /// server on the same host only.
    pub tls: bool,
    /// Upgrades a plain connection (usually port 143) with STARTTLS before
    /// logging in. Only with `tls = false`.
    pub starttls: bool,
    /// PEM file of extra CA certificates trusted besides the built-in
    /// webpki roots, e.g. a self-signed or internal server's CA.
    pub ca_file: Option<std::path::PathBuf>,
    pub user: String,
    #[serde(skip)]
    pub password: String,
    pub folder: String,
    /// Seconds between two polls.
    pub interval_seconds: u64,
    /// Larger messages go to quarantine, in bytes.
    pub max_message_bytes: usize,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 993,
            tls: true,
            starttls: false,
            ca_file: None,
            user: String::new(),
            password: String::new(),
            folder: "INBOX".into(),
            interval_seconds: 60,
            max_message_bytes: 25 * 1024 * 1024,
        }
    }
}

/// A message as a channel adapter received it.
#[derive(Clone, Debug)]
pub struct InboundMessage {
    pub channel: Channel,
    /// Phone number or e-mail address.
    pub sender: String,
    pub sender_name: Option<String>,
    /// The provider's message id or the e-mail Message-ID.
    pub external_id: String,
    pub received_at: Timestamp,
    pub subject: Option<String>,
    pub body: String,
    pub files: Vec<Upload>,
    /// Tracking numbers the message refers to, from its subject or
    /// threading headers. Only e-mail replies use them.
    pub references: Vec<String>,
}

/// Result of [`Services::ingest_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored {
        conversation_id: i64,
        /// The complaint the message was appended to.
        followed: Option<ComplaintId>,
    },
    /// Seen before (same channel and message id): nothing changed.
    Duplicate,
}

/// A conversation with its messages, for the conversation page.
#[derive(Clone, Debug)]
pub struct ConversationView {
    pub conversation: TriageConversation,
    pub messages: Vec<TriageMessage>,
}

fn ingest_audit(action: &str, channel: Channel, at: Timestamp) -> AuditDraft {
    AuditDraft {
        at_micros: micros(at),
        actor: Actor::system().audit_id(),
        action: action.into(),
        entity: String::new(),
        details: json!({ "channel": channel.code() }),
    }
}

/// Builds the complaint event that records a reporter's message.
fn message_event(message: &TriageMessage, status: Status) -> Event {
    let text = match &message.subject {
        Some(subject) if !subject.is_empty() => format!("{subject}\n\n{}", message.body),
        _ => message.body.clone(),
    };
    Event {
        action: Action::Note,
        at: message.received_at,
        actor: Actor::reporter(),
        from_status: Some(status),
        to_status: status,
        sop_activity: None,
        visibility: Visibility::Internal,
        text: Some(text),
        data: json!({
            "reporter_message": true,
            "channel": message.channel.code(),
            "triage_message": message.id,
            "files": message.attachments.len(),
        }),
    }
}

fn require_central_admin(principal: &Principal) -> Result<(), ServiceError> {
    if principal.role == Role::CentralAdmin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

impl Services {
    /// Stores an inbound message in the triage inbox, or appends it to the
    /// complaint that its sender's conversation follows. Files are checked
    /// like uploads; rejected ones are listed with the message by name.
    ///
    /// An e-mail that names a complaint (by tracking number in the subject
    /// or in its threading headers) joins that complaint only when it comes
    /// from the complaint's own reporter address. From anyone else it
    /// becomes an ordinary inbox item, flagged.
    pub async fn ingest_message(
        &self,
        message: InboundMessage,
    ) -> Result<IngestOutcome, ServiceError> {
        let at = now();
        let route = self.route_for(&message).await?;
        let (attachments, rejected_files) = self.keep_files(message.files).await?;
        let new = NewTriageMessage {
            channel: message.channel,
            sender: message.sender,
            sender_name: message.sender_name,
            external_id: message.external_id,
            received_at_micros: micros(message.received_at),
            subject: message.subject,
            body: message.body,
            attachments,
            rejected_files,
            route,
        };
        self.insert_inbound(&new, at).await
    }

    /// Keeps a message that could not be read or is too large in
    /// quarantine, with the reason. Only its size and whatever could be
    /// read of the sender and subject are stored.
    pub async fn quarantine_message(
        &self,
        channel: Channel,
        sender: Option<String>,
        external_id: String,
        subject: Option<String>,
        reason: QuarantineReason,
        size_bytes: usize,
    ) -> Result<IngestOutcome, ServiceError> {
        let at = now();
        let new = NewTriageMessage {
            channel,
            sender: sender.unwrap_or_default(),
            sender_name: None,
            external_id,
            received_at_micros: micros(at),
            subject,
            body: format!("({size_bytes} bytes)"),
            attachments: Vec::new(),
            rejected_files: Vec::new(),
            route: TriageRoute::Quarantine(reason.code().to_owned()),
        };
        self.insert_inbound(&new, at).await
    }

    async fn insert_inbound(
        &self,
        new: &NewTriageMessage,
        at: Timestamp,
    ) -> Result<IngestOutcome, ServiceError> {
        let action = match new.route {
            TriageRoute::Quarantine(_) => "triage.quarantine",
            _ => "triage.receive",
        };
        let outcome = self
            .store
            .insert_triage_message(
                new,
                micros(at),
                &message_event,
                ingest_audit(action, new.channel, at),
            )
            .await?;
        match outcome {
            TriageInsert::Stored {
                conversation_id,
                followed,
                ..
            } => {
                tracing::info!(
                    conversation_id,
                    complaint_id = followed.map(|c| c.0),
                    channel = new.channel.code(),
                    "inbound message stored"
                );
                Ok(IngestOutcome::Stored {
                    conversation_id,
                    followed,
                })
            }
            TriageInsert::Duplicate => {
                tracing::debug!(channel = new.channel.code(), "inbound message seen before");
                Ok(IngestOutcome::Duplicate)
            }
        }
    }

    /// Decides where a message goes by the complaints it names.
    async fn route_for(&self, message: &InboundMessage) -> Result<TriageRoute, ServiceError> {
        let mut flag = None;
        for reference in &message.references {
            let Some(complaint) = self.store.find_complaint(reference).await? else {
                continue;
            };
            let own = complaint
                .reporter
                .email
                .as_deref()
                .is_some_and(|email| email.eq_ignore_ascii_case(&message.sender));
            if own && message.channel == Channel::Email {
                return Ok(TriageRoute::Complaint(complaint.id));
            }
            flag = Some(FLAG_FOREIGN_REFERENCE.to_owned());
        }
        Ok(TriageRoute::Inbox { flag })
    }

    /// Checks each file like an upload and writes those that pass under the
    /// upload directory; returns their metadata and the rejected names.
    async fn keep_files(
        &self,
        files: Vec<Upload>,
    ) -> Result<(Vec<TriageFile>, Vec<String>), ServiceError> {
        let mut kept = Vec::new();
        let mut rejected = Vec::new();
        for file in files {
            let name = file.file_name.clone();
            let checked = match self.check_uploads(vec![file]).await {
                Ok(mut checked) => match checked.pop() {
                    Some(checked) => checked,
                    None => continue,
                },
                Err(ServiceError::Validation(_)) => {
                    rejected.push(name);
                    continue;
                }
                Err(other) => return Err(other),
            };
            let path = self.stored_path("original", checked.sha256());
            let content = checked.content().to_vec();
            tokio::task::spawn_blocking(move || write_file_once(&path, &content))
                .await
                .map_err(|e| ServiceError::Internal(format!("storing a message file failed: {e}")))?
                .map_err(|e| {
                    ServiceError::Internal(format!(
                        "writing a message file under {} failed (check that upload_dir is writable): {e}",
                        self.config.upload_dir.display()
                    ))
                })?;
            kept.push(TriageFile {
                file_name: checked.file_name().to_owned(),
                media_type: checked.media_type().to_owned(),
                size_bytes: u64::try_from(checked.content().len()).unwrap_or(u64::MAX),
                sha256: checked.sha256().to_owned(),
            });
        }
        Ok((kept, rejected))
    }

    /// Lists inbox conversations in `state` (all when `None`), latest first.
    pub async fn triage_list(
        &self,
        principal: &Principal,
        state: Option<TriageState>,
        page: i64,
    ) -> Result<Vec<TriageConversation>, ServiceError> {
        require_central_admin(principal)?;
        let offset = (page.max(1) - 1) * TRIAGE_PAGE_SIZE;
        Ok(self
            .store
            .list_triage_conversations(state, TRIAGE_PAGE_SIZE, offset)
            .await?)
    }

    /// Returns a conversation with its messages and clears its unread mark.
    pub async fn triage_conversation(
        &self,
        principal: &Principal,
        id: i64,
    ) -> Result<ConversationView, ServiceError> {
        require_central_admin(principal)?;
        let conversation = self.load_conversation(id).await?;
        let messages = self.store.triage_messages(id).await?;
        if conversation.unread {
            self.store.mark_triage_read(id).await?;
        }
        Ok(ConversationView {
            conversation,
            messages,
        })
    }

    async fn load_conversation(&self, id: i64) -> Result<TriageConversation, ServiceError> {
        self.store
            .get_triage_conversation(id)
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "conversation",
            })
    }

    async fn new_conversation(&self, id: i64) -> Result<TriageConversation, ServiceError> {
        let conversation = self.load_conversation(id).await?;
        if conversation.state != TriageState::New {
            return Err(ServiceError::field("conversation", "triage_not_new"));
        }
        Ok(conversation)
    }

    /// Turns a new conversation into a complaint through the ordinary
    /// intake, with the channel and the sender as channel reference, and
    /// carries the messages' files over to it.
    ///
    /// `intake` is the recording form as staff completed it; an empty body
    /// takes the messages' text.
    pub async fn triage_convert(
        &self,
        principal: &Principal,
        id: i64,
        mut intake: Intake,
    ) -> Result<Created, ServiceError> {
        require_central_admin(principal)?;
        let conversation = self.new_conversation(id).await?;
        let messages = self.store.triage_messages(id).await?;
        intake.channel = Some(conversation.channel);
        intake.channel_reference = Some(conversation.sender.clone());
        if intake.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
            intake.body = Some(conversation_text(&messages));
        }
        if intake.received_at.is_none() {
            intake.received_at = Some(conversation.first_at);
        }
        // The conversation keys the complaint, so two staff converting it
        // at once, or a retry after a crash between the two writes below,
        // get the one complaint the first request created.
        let registered = self
            .register(&principal.actor(), intake, now(), Some(triage_claim(id)))
            .await?;
        let complaint = match &registered {
            Registered::New(complaint, _) => complaint.id,
            Registered::Replayed(complaint) => *complaint,
        };
        let resolved = self
            .store
            .resolve_triage_conversation(
                id,
                &TriageResolution::Converted(complaint),
                micros(now()),
                &message_event,
                self.triage_audit(principal, "triage.convert", id, Some(complaint)),
            )
            .await?;
        // Whichever request marks the conversation carries the files. The
        // request that created the complaint returns it, because only that
        // request has the reporter's secret to show. A replaying request (a
        // second staff member at the same moment, or a retry after a crash)
        // gets the error that the conversation was already handled.
        if resolved {
            self.carry_files(principal, complaint, &messages).await;
        }
        let created_here = matches!(registered, Registered::New(..));
        let marked_with_it =
            resolved || self.load_conversation(id).await?.complaint_id == Some(complaint);
        if !(created_here && marked_with_it) {
            return Err(ServiceError::field("conversation", "triage_not_new"));
        }
        self.created_view(principal, registered).await
    }

    /// Attaches a new conversation to an existing complaint that the
    /// caller can see: each message becomes an internal event from the
    /// reporter, and the files are attached.
    pub async fn triage_attach(
        &self,
        principal: &Principal,
        id: i64,
        complaint: ComplaintId,
    ) -> Result<(), ServiceError> {
        require_central_admin(principal)?;
        self.new_conversation(id).await?;
        self.visible_complaint(principal, complaint)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound { .. } => {
                    ServiceError::field("complaint", "unknown_complaint")
                }
                other => other,
            })?;
        let resolved = self
            .store
            .resolve_triage_conversation(
                id,
                &TriageResolution::Attached(complaint),
                micros(now()),
                &message_event,
                self.triage_audit(principal, "triage.attach", id, Some(complaint)),
            )
            .await?;
        if !resolved {
            return Err(ServiceError::field("conversation", "triage_not_new"));
        }
        let messages = self.store.triage_messages(id).await?;
        self.carry_files(principal, complaint, &messages).await;
        Ok(())
    }

    /// Dismisses a new conversation with a reason.
    pub async fn triage_dismiss(
        &self,
        principal: &Principal,
        id: i64,
        reason: DismissReason,
    ) -> Result<(), ServiceError> {
        require_central_admin(principal)?;
        self.new_conversation(id).await?;
        let resolved = self
            .store
            .resolve_triage_conversation(
                id,
                &TriageResolution::Dismissed(reason.code().to_owned()),
                micros(now()),
                &message_event,
                self.triage_audit(principal, "triage.dismiss", id, None),
            )
            .await?;
        if !resolved {
            return Err(ServiceError::field("conversation", "triage_not_new"));
        }
        Ok(())
    }

    fn triage_audit(
        &self,
        principal: &Principal,
        action: &str,
        conversation: i64,
        complaint: Option<ComplaintId>,
    ) -> AuditDraft {
        AuditDraft {
            at_micros: micros(now()),
            actor: principal.actor().audit_id(),
            action: action.into(),
            entity: String::new(),
            details: json!({
                "conversation": conversation,
                "complaint": complaint.map(|c| c.0),
            }),
        }
    }

    /// Attaches the files kept with `messages` to a complaint. The
    /// complaint is already saved, so a failure here is logged and the
    /// files stay listed with the conversation.
    async fn carry_files(
        &self,
        principal: &Principal,
        complaint: ComplaintId,
        messages: &[TriageMessage],
    ) {
        let files: Vec<&TriageFile> = messages.iter().flat_map(|m| &m.attachments).collect();
        if files.is_empty() {
            return;
        }
        let mut uploads = Vec::new();
        for file in files {
            let path = self.stored_path("original", &file.sha256);
            match tokio::fs::read(&path).await {
                Ok(content) => uploads.push(Upload {
                    file_name: file.file_name.clone(),
                    content,
                }),
                Err(error) => {
                    tracing::warn!(complaint_id = complaint.0, %error, "message file missing");
                }
            }
        }
        let result = match self.check_uploads(uploads).await {
            Ok(checked) => self.attach(principal, complaint, checked, true).await,
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            tracing::warn!(
                complaint_id = complaint.0,
                %error,
                "carrying message files to the complaint failed"
            );
        }
    }
}

/// Joins the messages' subjects and bodies into a complaint body.
fn conversation_text(messages: &[TriageMessage]) -> String {
    let parts: Vec<String> = messages
        .iter()
        .map(|m| match &m.subject {
            Some(subject) if !subject.is_empty() => format!("{subject}\n{}", m.body),
            _ => m.body.clone(),
        })
        .filter(|text| !text.trim().is_empty())
        .collect();
    parts.join("\n\n")
}

/// Checks a dismissal reason code from a form or request.
pub fn parse_dismiss_reason(code: &str) -> Result<DismissReason, ServiceError> {
    DismissReason::from_code(code)
        .ok_or_else(|| ServiceError::Validation(vec![FieldError::new("reason", "invalid_value")]))
}
