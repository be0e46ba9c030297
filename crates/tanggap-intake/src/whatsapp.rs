//! WhatsApp Cloud API webhook: the subscription handshake, the signature
//! check, the payload parser and the media download.
//!
//! Meta signs each POST body with the app secret: `X-Hub-Signature-256:
//! sha256=<hex HMAC-SHA256 of the raw body>`. A message arrives as
//! `entry[].changes[].value.messages[]`, with the sender's profile name in
//! `value.contacts[]`; delivery receipts arrive as `value.statuses[]` and
//! are ignored here. Media messages carry a media id, which the Graph API
//! resolves to a short-lived download URL (`GET {base}/{media id}`), both
//! calls with the access token as bearer token.

use crate::signature::verify_hmac_sha256_hex;
use serde::Deserialize;
use tanggap_service::triage::WhatsAppConfig;

/// Largest media file downloaded, in bytes: the upload limit, so larger
/// files are not fetched only to be rejected.
pub const MEDIA_MAX_BYTES: usize = tanggap_core::attachment::MAX_FILE_BYTES;

/// Checks the `X-Hub-Signature-256` header against the raw body.
pub fn verify_signature(app_secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    verify_hmac_sha256_hex(app_secret.as_bytes(), body, hex_digest)
}

/// Answers the subscription handshake: returns the challenge to echo when
/// the mode is `subscribe` and the token matches.
pub fn verify_subscription<'a>(
    verify_token: &str,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    let token_matches = token.is_some_and(|t| crate::signature::constant_time_eq(t, verify_token));
    if mode == Some("subscribe") && token_matches {
        challenge
    } else {
        None
    }
}

/// Content of one inbound WhatsApp message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Text(String),
    /// An image or document, to be downloaded by its media id.
    Media {
        media_id: String,
        file_name: Option<String>,
        caption: Option<String>,
    },
    /// A message type not handled (stickers, locations, reactions): kept
    /// as a note naming the type, so staff know something arrived.
    Unsupported(String),
}

/// One inbound WhatsApp message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The `wamid.` id; unique, used for deduplication.
    pub id: String,
    /// The sender's WhatsApp number (international format, digits only).
    pub from: String,
    pub profile_name: Option<String>,
    /// Unix seconds, as the sender's client reported it.
    pub timestamp: Option<i64>,
    pub content: Content,
}

#[derive(Debug, Deserialize)]
struct Payload {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    value: Value,
}

#[derive(Debug, Default, Deserialize)]
struct Value {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<RawMessage>,
}

#[derive(Debug, Deserialize)]
struct Contact {
    wa_id: Option<String>,
    profile: Option<Profile>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawMessage {
    id: String,
    from: String,
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
    image: Option<Media>,
    document: Option<Media>,
}

#[derive(Debug, Deserialize)]
struct Text {
    body: String,
}

#[derive(Debug, Deserialize)]
struct Media {
    id: String,
    caption: Option<String>,
    filename: Option<String>,
}

/// Errors of the payload parser.
#[derive(Debug, thiserror::Error)]
#[error("invalid WhatsApp webhook payload: {0}")]
pub struct PayloadError(#[from] serde_json::Error);

/// Parses a webhook body into its inbound messages; status callbacks and
/// other changes yield none.
pub fn parse_payload(body: &[u8]) -> Result<Vec<Message>, PayloadError> {
    let payload: Payload = serde_json::from_slice(body)?;
    let mut messages = Vec::new();
    for change in payload.entry.into_iter().flat_map(|e| e.changes) {
        let contacts = change.value.contacts;
        for raw in change.value.messages {
            let profile_name = contacts
                .iter()
                .find(|c| c.wa_id.as_deref() == Some(raw.from.as_str()))
                .or_else(|| contacts.first())
                .and_then(|c| c.profile.as_ref())
                .and_then(|p| p.name.clone());
            let content = match (raw.kind.as_str(), raw.text, raw.image, raw.document) {
                ("text", Some(text), _, _) => Content::Text(text.body),
                ("image", _, Some(media), _) | ("document", _, _, Some(media)) => Content::Media {
                    media_id: media.id,
                    file_name: media.filename,
                    caption: media.caption,
                },
                (kind, ..) => Content::Unsupported(kind.to_owned()),
            };
            messages.push(Message {
                id: raw.id,
                from: raw.from,
                profile_name,
                timestamp: raw.timestamp.and_then(|t| t.parse().ok()),
                content,
            });
        }
    }
    Ok(messages)
}

/// Errors of the media download.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("Graph API request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Graph API returned status {0}")]
    Status(u16),
    #[error("media file larger than {MEDIA_MAX_BYTES} bytes")]
    TooLarge,
}

#[derive(Debug, Deserialize)]
struct MediaInfo {
    url: String,
}

/// Downloads a media file: looks up its URL by id, then fetches it, both
/// with the access token. Stops reading past [`MEDIA_MAX_BYTES`].
pub async fn download_media(
    client: &reqwest::Client,
    config: &WhatsAppConfig,
    media_id: &str,
) -> Result<Vec<u8>, MediaError> {
    let info_url = format!(
        "{}/{}",
        config.graph_base_url.trim_end_matches('/'),
        media_id
    );
    let response = client
        .get(info_url)
        .bearer_auth(&config.access_token)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(MediaError::Status(response.status().as_u16()));
    }
    let info: MediaInfo = response.json().await?;
    let mut response = client
        .get(info.url)
        .bearer_auth(&config.access_token)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(MediaError::Status(response.status().as_u16()));
    }
    let mut content = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if content.len() + chunk.len() > MEDIA_MAX_BYTES {
            return Err(MediaError::TooLarge);
        }
        content.extend_from_slice(&chunk);
    }
    Ok(content)
}

/// Counts of a webhook delivery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub stored: usize,
    pub duplicates: usize,
}

/// Stores the messages of a verified webhook body in the triage inbox,
/// downloading their media. A file that cannot be downloaded is listed
/// with the message as rejected, so staff know it existed.
pub async fn ingest(
    services: &tanggap_service::Services,
    client: &reqwest::Client,
    config: &WhatsAppConfig,
    messages: Vec<Message>,
) -> Result<Delivery, tanggap_service::ServiceError> {
    use tanggap_service::attachments::Upload;
    use tanggap_service::triage::{InboundMessage, IngestOutcome};

    let mut delivery = Delivery::default();
    for message in messages {
        let mut files = Vec::new();
        let body = match message.content {
            Content::Text(text) => text,
            Content::Media {
                media_id,
                file_name,
                caption,
            } => {
                let file_name = file_name.unwrap_or_else(|| format!("whatsapp-{media_id}"));
                let content = match download_media(client, config, &media_id).await {
                    Ok(content) => content,
                    Err(error) => {
                        tracing::warn!(%error, "WhatsApp media download failed");
                        // An empty file fails the upload checks, so the
                        // name is kept as a rejected file.
                        Vec::new()
                    }
                };
                files.push(Upload { file_name, content });
                caption.unwrap_or_default()
            }
            Content::Unsupported(kind) => format!("[{kind}]"),
        };
        let received_at = message
            .timestamp
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .unwrap_or_else(jiff::Timestamp::now);
        let outcome = services
            .ingest_message(InboundMessage {
                channel: tanggap_core::Channel::Whatsapp,
                sender: message.from,
                sender_name: message.profile_name,
                external_id: message.id,
                received_at,
                subject: None,
                body,
                files,
                references: Vec::new(),
            })
            .await?;
        match outcome {
            IngestOutcome::Stored { .. } => delivery.stored += 1,
            IngestOutcome::Duplicate => delivery.duplicates += 1,
        }
    }
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_text_and_image() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","contacts":[{"wa_id":"6281200000001","profile":{"name":"Warga"}}],"messages":[{"from":"6281200000001","id":"wamid.A","timestamp":"1767225600","type":"text","text":{"body":"Lampu jalan mati"}},{"from":"6281200000001","id":"wamid.B","type":"image","image":{"id":"M1","mime_type":"image/png","caption":"foto"}}]}}]}]}"#;
        let messages = parse_payload(body).expect("payload");
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0].content,
            Content::Text("Lampu jalan mati".into())
        );
        assert_eq!(messages[0].profile_name.as_deref(), Some("Warga"));
        assert_eq!(messages[0].timestamp, Some(1_767_225_600));
        assert!(
            matches!(&messages[1].content, Content::Media { media_id, .. } if media_id == "M1")
        );
    }

    #[test]
    fn payload_status_only_yields_nothing() {
        let body = br#"{"entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.X","status":"read"}]}}]}]}"#;
        assert!(parse_payload(body).expect("payload").is_empty());
    }

    #[test]
    fn subscription_needs_token_and_mode() {
        assert_eq!(
            verify_subscription("t", Some("subscribe"), Some("t"), Some("42")),
            Some("42")
        );
        assert_eq!(
            verify_subscription("t", Some("subscribe"), Some("u"), Some("42")),
            None
        );
        assert_eq!(
            verify_subscription("t", Some("other"), Some("t"), Some("42")),
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_payload(&body);
        }
    }
}
