//! HTTP client of the assumed LAPOR! integration contract (docs/lapor.md).

use super::{LaporConnector, LaporError, OutboundUpdate, PushAck, ReportPage, parse_page};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::Duration;

/// Largest `Retry-After` the client honours; a longer one is cut to this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(300);
/// Largest response body read, in bytes.
const RESPONSE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Settings of the LAPOR! integration endpoint.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaporConfig {
    /// Base URL of the contract routes, e.g. `https://lapor.example/api/v1`.
    pub base_url: String,
    /// Name of the environment variable that contains the bearer token; the
    /// token itself never sits in the configuration file.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Connect timeout, in seconds.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// Timeout of a whole request, in seconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_seconds: u64,
    /// Seconds between two synchronisation runs.
    #[serde(default = "default_sync_interval")]
    pub sync_interval_seconds: u64,
    /// Reports asked for per pull request (1 to 100).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// PEM file of extra CA certificates trusted for an `https://` base URL
    /// besides the built-in webpki roots, e.g. an internal CA.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_token_env() -> String {
    "TANGGAP_LAPOR_TOKEN".into()
}
fn default_connect_timeout() -> u64 {
    5
}
fn default_request_timeout() -> u64 {
    30
}
fn default_sync_interval() -> u64 {
    60
}
fn default_page_size() -> u32 {
    50
}

impl LaporConfig {
    /// Settings for `base_url` with every other value at its default.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token_env: default_token_env(),
            connect_timeout_seconds: default_connect_timeout(),
            request_timeout_seconds: default_request_timeout(),
            sync_interval_seconds: default_sync_interval(),
            page_size: default_page_size(),
            ca_file: None,
        }
    }
}

/// [`LaporConnector`] over HTTP with a bearer token.
pub struct HttpConnector {
    client: reqwest::Client,
    base_url: String,
    token: String,
}

impl HttpConnector {
    /// Builds the client; `token` is the bearer token (read from the
    /// environment by the caller).
    pub fn new(config: &LaporConfig, token: String) -> Result<Self, LaporError> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(LaporError::Config(format!(
                "base_url {base_url:?} must start with http:// or https://"
            )));
        }
        if token.trim().is_empty() {
            return Err(LaporError::Config(format!(
                "the token is empty; set {}",
                config.token_env
            )));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.connect_timeout_seconds.max(1)))
            .timeout(Duration::from_secs(config.request_timeout_seconds.max(1)))
            .user_agent(concat!("tanggap/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &config.ca_file {
            for certificate in read_ca_file(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder
            .build()
            .map_err(|e| LaporError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            base_url,
            token,
        })
    }

    /// Builds the client from `config`, reading the token from the
    /// environment variable it names.
    pub fn from_env(config: &LaporConfig) -> Result<Self, LaporError> {
        let token = std::env::var(&config.token_env).map_err(|_| {
            LaporError::Config(format!(
                "environment variable {} is not set",
                config.token_env
            ))
        })?;
        Self::new(config, token)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, LaporError> {
        let response =
            request
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(|e| LaporError::Transient {
                    message: describe(&e),
                    retry_after: None,
                })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(RETRY_AFTER_MAX));
        let body = read_limited(response).await?;
        if status.is_success() {
            return Ok(body);
        }
        let message = format!(
            "HTTP {}: {}",
            status.as_u16(),
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            Err(LaporError::Transient {
                message,
                retry_after,
            })
        } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            Err(LaporError::Config(format!(
                "the token was rejected ({message}); check the token variable"
            )))
        } else {
            Err(LaporError::Rejected {
                status: status.as_u16(),
                message,
            })
        }
    }
}

/// Reads the certificates of a PEM file of extra CA certificates.
fn read_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, LaporError> {
    let pem = std::fs::read(path).map_err(|e| {
        LaporError::Config(format!("reading ca_file {} failed: {e}", path.display()))
    })?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        LaporError::Config(format!("ca_file {} is not valid PEM: {e}", path.display()))
    })?;
    if certificates.is_empty() {
        return Err(LaporError::Config(format!(
            "ca_file {} contains no PEM certificate",
            path.display()
        )));
    }
    Ok(certificates)
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "request timed out".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        error.to_string()
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, LaporError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| LaporError::Transient {
        message: describe(&e),
        retry_after: None,
    })? {
        if body.len() + chunk.len() > RESPONSE_MAX_BYTES {
            return Err(LaporError::InvalidResponse(format!(
                "response larger than {RESPONSE_MAX_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[async_trait]
impl LaporConnector for HttpConnector {
    async fn pull(&self, cursor: Option<&str>, limit: u32) -> Result<ReportPage, LaporError> {
        let mut query = vec![("limit", limit.clamp(1, 100).to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        let body = self
            .send(
                self.client
                    .get(format!("{}/reports", self.base_url))
                    .query(&query),
            )
            .await?;
        parse_page(&body)
    }

    async fn push(
        &self,
        tracking_id: &str,
        idempotency_key: &str,
        update: &OutboundUpdate,
    ) -> Result<PushAck, LaporError> {
        let url = format!(
            "{}/reports/{}/updates",
            self.base_url,
            path_segment(tracking_id)
        );
        let body = self
            .send(
                self.client
                    .post(url)
                    .header("Idempotency-Key", idempotency_key)
                    .json(update),
            )
            .await?;
        serde_json::from_slice(&body).map_err(|e| LaporError::InvalidResponse(e.to_string()))
    }

    async fn attachment(
        &self,
        tracking_id: &str,
        attachment_id: &str,
    ) -> Result<Vec<u8>, LaporError> {
        let url = format!(
            "{}/reports/{}/attachments/{}",
            self.base_url,
            path_segment(tracking_id),
            path_segment(attachment_id)
        );
        self.send(self.client.get(url)).await
    }
}

/// Percent-encodes a value for one URL path segment.
fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segment_escapes_separators() {
        assert_eq!(path_segment("12/3 4"), "12%2F3%204");
        assert_eq!(path_segment("5000001"), "5000001");
    }

    #[test]
    fn config_rejects_bad_url_and_empty_token() {
        let config = LaporConfig::new("ftp://example");
        assert!(HttpConnector::new(&config, "t".into()).is_err());
        let config = LaporConfig::new("http://127.0.0.1:1/api/v1");
        assert!(HttpConnector::new(&config, " ".into()).is_err());
        assert!(HttpConnector::new(&config, "t".into()).is_ok());
    }
}
