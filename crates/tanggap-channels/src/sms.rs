//! SMS through an HTTP gateway. Indonesian gateways differ in method and
//! parameter names, so both are configuration: the recipient and the text
//! go into the named parameters (query string for GET, form body for
//! POST), and the token either into a parameter or an
//! `Authorization: Bearer` header.

use crate::whatsapp::international_number;
use crate::{
    OutboundChannel, OutboundMessage, SendError, http_client, http_status_error,
    http_transport_error, timeout,
};
use async_trait::async_trait;
use serde::Deserialize;

/// HTTP method of the gateway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum GatewayMethod {
    Get,
    #[default]
    Post,
}

/// The `[notifications.sms]` settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsGatewayConfig {
    pub url: String,
    #[serde(default)]
    pub method: GatewayMethod,
    /// Parameter of the recipient's number (`to` by default).
    pub to_param: Option<String>,
    /// Parameter of the text (`text` by default).
    pub text_param: Option<String>,
    /// Parameter that carries the token; unset sends it as a bearer token.
    pub token_param: Option<String>,
    /// Token, from `TANGGAP_SMS_TOKEN`; optional for gateways without one.
    #[serde(skip)]
    pub token: Option<String>,
    /// Fixed parameters the gateway needs, e.g. a sender id.
    #[serde(default)]
    pub extra_params: std::collections::BTreeMap<String, String>,
    /// Time limit of one request, in seconds (20 by default).
    pub timeout_seconds: Option<u64>,
    /// Country calling code for numbers with a leading 0 (`62` by default).
    pub country_code: Option<String>,
}

/// Sends SMS through an HTTP gateway.
pub struct SmsGatewayChannel {
    client: reqwest::Client,
    config: SmsGatewayConfig,
}

impl SmsGatewayChannel {
    pub fn new(config: &SmsGatewayConfig) -> Result<Self, String> {
        if !(config.url.starts_with("http://") || config.url.starts_with("https://")) {
            return Err(format!(
                "notifications.sms.url must start with http:// or https://, got {:?}",
                config.url
            ));
        }
        Ok(Self {
            client: http_client(timeout(config.timeout_seconds))?,
            config: config.clone(),
        })
    }
}

#[async_trait]
impl OutboundChannel for SmsGatewayChannel {
    fn code(&self) -> &'static str {
        "sms"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<(), SendError> {
        let config = &self.config;
        let to = international_number(
            &message.recipient,
            config.country_code.as_deref().unwrap_or("62"),
        )?;
        let mut params: Vec<(String, String)> = config
            .extra_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.push((config.to_param.clone().unwrap_or_else(|| "to".into()), to));
        params.push((
            config.text_param.clone().unwrap_or_else(|| "text".into()),
            message.text.clone(),
        ));
        let mut bearer = None;
        if let Some(token) = &config.token {
            match &config.token_param {
                Some(name) => params.push((name.clone(), token.clone())),
                None => bearer = Some(token),
            }
        }
        let request = match config.method {
            GatewayMethod::Get => self.client.get(&config.url).query(&params),
            GatewayMethod::Post => self.client.post(&config.url).form(&params),
        };
        let request = match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.map_err(http_transport_error)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(http_status_error(response.status()))
        }
    }
}
