//! WhatsApp through the Cloud API: `POST {base_url}/{phone_number_id}/messages`
//! with a bearer token. Outside the 24-hour customer-service window
//! WhatsApp accepts only approved templates, so a template can be
//! configured; it must have one body parameter, which receives the text.

use crate::{
    OutboundChannel, OutboundMessage, SendError, http_client, http_status_error,
    http_transport_error, timeout,
};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

/// The `[notifications.whatsapp]` settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppConfig {
    /// API base URL with its version, e.g. `https://graph.facebook.com/v21.0`.
    pub base_url: String,
    /// The sender's phone-number id in WhatsApp Business.
    pub phone_number_id: String,
    /// Access token, from `TANGGAP_WHATSAPP_TOKEN`.
    #[serde(skip)]
    pub token: Option<String>,
    /// Approved template with one body parameter; plain text messages when unset.
    pub template: Option<String>,
    /// Time limit of one request, in seconds (20 by default).
    pub timeout_seconds: Option<u64>,
    /// Country calling code put in front of numbers written with a leading
    /// 0, e.g. `62` for Indonesia (the default).
    pub country_code: Option<String>,
}

/// Sends WhatsApp messages through the Cloud API.
pub struct WhatsAppChannel {
    client: reqwest::Client,
    url: String,
    token: String,
    template: Option<String>,
    country_code: String,
}

impl WhatsAppChannel {
    pub fn new(config: &WhatsAppConfig) -> Result<Self, String> {
        let token = config.token.clone().ok_or_else(|| {
            "notifications.whatsapp is configured but TANGGAP_WHATSAPP_TOKEN is not set".to_owned()
        })?;
        Ok(Self {
            client: http_client(timeout(config.timeout_seconds))?,
            url: format!(
                "{}/{}/messages",
                config.base_url.trim_end_matches('/'),
                config.phone_number_id
            ),
            token,
            template: config.template.clone(),
            country_code: config.country_code.clone().unwrap_or_else(|| "62".into()),
        })
    }
}

/// Writes a phone number in the international form without `+`, as the
/// Cloud API and most SMS gateways expect: `0812…` becomes `62812…`.
pub fn international_number(number: &str, country_code: &str) -> Result<String, SendError> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let international = match digits.strip_prefix('0') {
        Some(rest) => format!("{country_code}{rest}"),
        None => digits,
    };
    if international.len() < 8 {
        return Err(SendError::Permanent("invalid phone number".into()));
    }
    Ok(international)
}

#[async_trait]
impl OutboundChannel for WhatsAppChannel {
    fn code(&self) -> &'static str {
        "whatsapp"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<(), SendError> {
        let to = international_number(&message.recipient, &self.country_code)?;
        let body = match &self.template {
            Some(name) => json!({
                "messaging_product": "whatsapp",
                "to": to,
                "type": "template",
                "template": {
                    "name": name,
                    "language": { "code": message.language },
                    "components": [{
                        "type": "body",
                        "parameters": [{ "type": "text", "text": message.text }],
                    }],
                },
            }),
            None => json!({
                "messaging_product": "whatsapp",
                "to": to,
                "type": "text",
                "text": { "body": message.text, "preview_url": false },
            }),
        };
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(http_transport_error)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(http_status_error(response.status()))
        }
    }
}
