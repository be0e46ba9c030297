//! Persistence of the triage inbox: inbound messages and the conversations
//! they are grouped into. File contents live outside the database, like
//! attachments; a message keeps the metadata of its files as JSON.

use crate::{AuditDraft, Result};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tanggap_core::lifecycle::Event;
use tanggap_core::triage::TriageState;
use tanggap_core::{Channel, ComplaintId, Status};

/// A file that came with an inbound message and passed the upload checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageFile {
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Destination of a new message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageRoute {
    /// The sender's open conversation, or a new one. `flag` marks a new
    /// conversation (see `tanggap_core::triage::FLAG_FOREIGN_REFERENCE`).
    Inbox { flag: Option<String> },
    /// Straight to this complaint: an e-mail reply that carried the
    /// complaint's reference and came from its reporter.
    Complaint(ComplaintId),
    /// A conversation of its own in quarantine, with the reason code.
    Quarantine(String),
}

/// An inbound message to store.
#[derive(Clone, Debug)]
pub struct NewTriageMessage {
    pub channel: Channel,
    /// Phone number or e-mail address; empty when unknown.
    pub sender: String,
    pub sender_name: Option<String>,
    /// The provider's message id or the e-mail Message-ID; unique per channel.
    pub external_id: String,
    pub received_at_micros: i64,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<TriageFile>,
    pub rejected_files: Vec<String>,
    pub route: TriageRoute,
}

/// A stored inbound message.
#[derive(Clone, Debug, PartialEq)]
pub struct TriageMessage {
    pub id: i64,
    pub conversation_id: i64,
    pub channel: Channel,
    pub external_id: String,
    pub received_at: jiff::Timestamp,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<TriageFile>,
    pub rejected_files: Vec<String>,
}

/// A conversation with a summary of its messages.
#[derive(Clone, Debug, PartialEq)]
pub struct TriageConversation {
    pub id: i64,
    pub channel: Channel,
    pub sender: String,
    pub sender_name: Option<String>,
    pub state: TriageState,
    pub complaint_id: Option<ComplaintId>,
    /// Dismissal or quarantine reason code.
    pub reason: Option<String>,
    pub flag: Option<String>,
    /// The reporter wrote again since staff last opened it.
    pub unread: bool,
    pub first_at: jiff::Timestamp,
    pub last_at: jiff::Timestamp,
    pub message_count: i64,
    /// Body of the first message.
    pub first_body: String,
}

/// Result of [`TriageStore::insert_triage_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageInsert {
    Stored {
        conversation_id: i64,
        message_id: i64,
        /// The complaint the message was appended to as an event.
        followed: Option<ComplaintId>,
    },
    /// A message with the same channel and external id exists: nothing changed.
    Duplicate,
}

/// Staff decision on a new conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageResolution {
    Converted(ComplaintId),
    Attached(ComplaintId),
    /// With the dismissal reason code.
    Dismissed(String),
}

/// Builds the complaint event that records an inbound message, given the
/// complaint's current status.
pub type MessageEventBuilder = dyn Fn(&TriageMessage, Status) -> Event + Send + Sync;

/// Persistence of the triage inbox; part of [`crate::Store`].
#[async_trait]
pub trait TriageStore {
    /// Stores a message unless its channel and external id were seen
    /// before. A message from a sender with a converted or attached
    /// conversation, or routed to a complaint, is also appended to that
    /// complaint with `make_event`, in the same transaction.
    async fn insert_triage_message(
        &self,
        new: &NewTriageMessage,
        now: i64,
        make_event: &MessageEventBuilder,
        audit: AuditDraft,
    ) -> Result<TriageInsert>;
    /// Conversations in `state` (all when `None`), latest message first.
    async fn list_triage_conversations(
        &self,
        state: Option<TriageState>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<TriageConversation>>;
    async fn get_triage_conversation(&self, id: i64) -> Result<Option<TriageConversation>>;
    /// Messages of a conversation, oldest first.
    async fn triage_messages(&self, conversation_id: i64) -> Result<Vec<TriageMessage>>;
    /// Moves a conversation out of `new`. For [`TriageResolution::Attached`]
    /// each message is appended to the complaint with `make_event`. Returns
    /// `false`, changing nothing, when the conversation is no longer new.
    async fn resolve_triage_conversation(
        &self,
        id: i64,
        resolution: &TriageResolution,
        now: i64,
        make_event: &MessageEventBuilder,
        audit: AuditDraft,
    ) -> Result<bool>;
    /// Clears the unread mark when staff open a conversation.
    async fn mark_triage_read(&self, id: i64) -> Result<()>;
}

/// Implements [`TriageStore`] for a backend. It is expanded in the same
/// module as `impl_store!` and uses that macro's `insert_event` and
/// `append_audit_tx` helpers.
macro_rules! impl_triage_store {
    ($store:ty, $db:ty, $row:ty) => {
        const TRIAGE_CONVERSATION_SELECT: &str = "SELECT c.*, \
             (SELECT COUNT(*) FROM triage_messages m WHERE m.conversation_id = c.id) AS message_count, \
             (SELECT m.body FROM triage_messages m WHERE m.conversation_id = c.id ORDER BY m.id LIMIT 1) AS first_body \
             FROM triage_conversations c";

        fn triage_conversation_from_row(
            row: &$row,
        ) -> Result<$crate::triage::TriageConversation> {
            let complaint_id: Option<i64> = row.try_get("complaint_id")?;
            let first_body: Option<String> = row.try_get("first_body")?;
            Ok($crate::triage::TriageConversation {
                id: row.try_get("id")?,
                channel: parse_code(
                    "channel",
                    &row.try_get::<String, _>("channel")?,
                    Channel::from_code,
                )?,
                sender: row.try_get("sender")?,
                sender_name: row.try_get("sender_name")?,
                state: parse_code(
                    "state",
                    &row.try_get::<String, _>("state")?,
                    tanggap_core::triage::TriageState::from_code,
                )?,
                complaint_id: complaint_id.map(ComplaintId),
                reason: row.try_get("reason")?,
                flag: row.try_get("flag")?,
                unread: row.try_get("unread")?,
                first_at: from_micros(row.try_get("first_at")?)?,
                last_at: from_micros(row.try_get("last_at")?)?,
                message_count: row.try_get("message_count")?,
                first_body: first_body.unwrap_or_default(),
            })
        }

        fn triage_message_from_row(row: &$row) -> Result<$crate::triage::TriageMessage> {
            Ok($crate::triage::TriageMessage {
                id: row.try_get("id")?,
                conversation_id: row.try_get("conversation_id")?,
                channel: parse_code(
                    "channel",
                    &row.try_get::<String, _>("channel")?,
                    Channel::from_code,
                )?,
                external_id: row.try_get("external_id")?,
                received_at: from_micros(row.try_get("received_at")?)?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                attachments: parse_json(
                    "attachments",
                    &row.try_get::<String, _>("attachments")?,
                )?,
                rejected_files: parse_json(
                    "rejected_files",
                    &row.try_get::<String, _>("rejected_files")?,
                )?,
            })
        }

        /// Appends `message` to `complaint` as an event built by `make_event`.
        async fn append_message_event(
            tx: &mut Transaction<'static, $db>,
            complaint: i64,
            message: &$crate::triage::TriageMessage,
            make_event: &$crate::triage::MessageEventBuilder,
        ) -> Result<()> {
            let status: String = sqlx::query_scalar("SELECT status FROM complaints WHERE id = $1")
                .bind(complaint)
                .fetch_one(&mut **tx)
                .await?;
            let status = parse_code("status", &status, Status::from_code)?;
            insert_event(tx, complaint, &make_event(message, status)).await
        }

        #[async_trait::async_trait]
        impl $crate::triage::TriageStore for $store {
            async fn insert_triage_message(
                &self,
                new: &$crate::triage::NewTriageMessage,
                now: i64,
                make_event: &$crate::triage::MessageEventBuilder,
                audit: AuditDraft,
            ) -> Result<$crate::triage::TriageInsert> {
                use $crate::triage::{TriageInsert, TriageRoute};
                let mut tx = self.begin_write().await?;
                let seen: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM triage_messages WHERE channel = $1 AND external_id = $2",
                )
                .bind(new.channel.code())
                .bind(new.external_id.clone())
                .fetch_optional(&mut *tx)
                .await?;
                if seen.is_some() {
                    tx.rollback().await?;
                    return Ok(TriageInsert::Duplicate);
                }

                // Find the conversation the message joins.
                let existing: Option<(i64, String, Option<i64>)> = match &new.route {
                    TriageRoute::Quarantine(_) => None,
                    TriageRoute::Inbox { .. } => {
                        sqlx::query_as(
                            "SELECT id, state, complaint_id FROM triage_conversations \
                             WHERE channel = $1 AND sender = $2 \
                             AND state IN ('new', 'converted', 'attached') \
                             ORDER BY id DESC LIMIT 1",
                        )
                        .bind(new.channel.code())
                        .bind(new.sender.clone())
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                    TriageRoute::Complaint(complaint) => {
                        sqlx::query_as(
                            "SELECT id, state, complaint_id FROM triage_conversations \
                             WHERE channel = $1 AND sender = $2 AND complaint_id = $3 \
                             AND state IN ('converted', 'attached') \
                             ORDER BY id DESC LIMIT 1",
                        )
                        .bind(new.channel.code())
                        .bind(new.sender.clone())
                        .bind(complaint.0)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                };
                let (conversation_id, followed) = match existing {
                    Some((id, state, complaint_id)) => {
                        let follows = state != "new";
                        sqlx::query(
                            "UPDATE triage_conversations SET last_at = $1, updated_at = $2, \
                             unread = $3 WHERE id = $4",
                        )
                        .bind(new.received_at_micros)
                        .bind(now)
                        .bind(true)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        (id, complaint_id.filter(|_| follows).map(ComplaintId))
                    }
                    None => {
                        let (state, complaint, reason, flag) = match &new.route {
                            TriageRoute::Inbox { flag } => ("new", None, None, flag.clone()),
                            TriageRoute::Complaint(complaint) => {
                                ("attached", Some(complaint.0), None, None)
                            }
                            TriageRoute::Quarantine(reason) => {
                                ("quarantined", None, Some(reason.clone()), None)
                            }
                        };
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO triage_conversations (channel, sender, sender_name, \
                             state, complaint_id, reason, flag, unread, first_at, last_at, \
                             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             RETURNING id",
                        )
                        .bind(new.channel.code())
                        .bind(new.sender.clone())
                        .bind(new.sender_name.clone())
                        .bind(state)
                        .bind(complaint)
                        .bind(reason)
                        .bind(flag)
                        .bind(true)
                        .bind(new.received_at_micros)
                        .bind(new.received_at_micros)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        (id, complaint.map(ComplaintId))
                    }
                };

                let row = sqlx::query(
                    "INSERT INTO triage_messages (conversation_id, channel, external_id, \
                     received_at, subject, body, attachments, rejected_files) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                )
                .bind(conversation_id)
                .bind(new.channel.code())
                .bind(new.external_id.clone())
                .bind(new.received_at_micros)
                .bind(new.subject.clone())
                .bind(new.body.clone())
                .bind(json_text(&new.attachments))
                .bind(json_text(&new.rejected_files))
                .fetch_one(&mut *tx)
                .await?;
                let message = triage_message_from_row(&row)?;
                if let Some(complaint) = followed {
                    append_message_event(&mut tx, complaint.0, &message, make_event).await?;
                }
                let mut audit = audit;
                audit.entity = format!("triage:{conversation_id}");
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(TriageInsert::Stored {
                    conversation_id,
                    message_id: message.id,
                    followed,
                })
            }

            async fn list_triage_conversations(
                &self,
                state: Option<tanggap_core::triage::TriageState>,
                limit: i64,
                offset: i64,
            ) -> Result<Vec<$crate::triage::TriageConversation>> {
                let rows = match state {
                    Some(state) => {
                        sqlx::query(&format!(
                            "{TRIAGE_CONVERSATION_SELECT} WHERE c.state = $1 \
                             ORDER BY c.last_at DESC, c.id DESC LIMIT $2 OFFSET $3"
                        ))
                        .bind(state.code())
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&self.read)
                        .await?
                    }
                    None => {
                        sqlx::query(&format!(
                            "{TRIAGE_CONVERSATION_SELECT} \
                             ORDER BY c.last_at DESC, c.id DESC LIMIT $1 OFFSET $2"
                        ))
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&self.read)
                        .await?
                    }
                };
                rows.iter().map(triage_conversation_from_row).collect()
            }

            async fn get_triage_conversation(
                &self,
                id: i64,
            ) -> Result<Option<$crate::triage::TriageConversation>> {
                sqlx::query(&format!("{TRIAGE_CONVERSATION_SELECT} WHERE c.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .as_ref()
                    .map(triage_conversation_from_row)
                    .transpose()
            }

            async fn triage_messages(
                &self,
                conversation_id: i64,
            ) -> Result<Vec<$crate::triage::TriageMessage>> {
                let rows = sqlx::query(
                    "SELECT * FROM triage_messages WHERE conversation_id = $1 ORDER BY id",
                )
                .bind(conversation_id)
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(triage_message_from_row).collect()
            }

            async fn resolve_triage_conversation(
                &self,
                id: i64,
                resolution: &$crate::triage::TriageResolution,
                now: i64,
                make_event: &$crate::triage::MessageEventBuilder,
                audit: AuditDraft,
            ) -> Result<bool> {
                use $crate::triage::TriageResolution;
                let (state, complaint, reason) = match resolution {
                    TriageResolution::Converted(c) => ("converted", Some(c.0), None),
                    TriageResolution::Attached(c) => ("attached", Some(c.0), None),
                    TriageResolution::Dismissed(reason) => ("dismissed", None, Some(reason.clone())),
                };
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE triage_conversations SET state = $1, complaint_id = $2, reason = $3, \
                     unread = $4, updated_at = $5 WHERE id = $6 AND state = 'new'",
                )
                .bind(state)
                .bind(complaint)
                .bind(reason)
                .bind(false)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                if let TriageResolution::Attached(complaint) = resolution {
                    let rows = sqlx::query(
                        "SELECT * FROM triage_messages WHERE conversation_id = $1 ORDER BY id",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for row in &rows {
                        let message = triage_message_from_row(row)?;
                        append_message_event(&mut tx, complaint.0, &message, make_event).await?;
                    }
                }
                let mut audit = audit;
                audit.entity = format!("triage:{id}");
                append_audit_tx(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn mark_triage_read(&self, id: i64) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE triage_conversations SET unread = $1 WHERE id = $2")
                    .bind(false)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_triage_store;
