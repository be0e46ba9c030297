//! A generic SMS gateway webhook. Gateways differ, so the field names, the
//! authentication header and the body format are configuration: the body
//! is a form (`application/x-www-form-urlencoded`) or a JSON object.

use crate::signature::{constant_time_eq, verify_hmac_sha256_hex};
use tanggap_service::triage::SmsConfig;

/// One inbound SMS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: String,
    pub from: String,
    pub text: String,
    /// Time the gateway received it, when the gateway sends one.
    pub timestamp: Option<jiff::Timestamp>,
}

/// Errors of the SMS parser; each names the missing or invalid field.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("body is neither a form nor a JSON object")]
    Malformed,
    #[error("field {0:?} is missing or empty")]
    Missing(String),
}

/// Checks the request's shared secret or HMAC header, whichever the
/// configuration sets; with both set, both must match. `header` returns a
/// request header's value by name.
pub fn authenticate<'a>(
    config: &SmsConfig,
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
) -> bool {
    if config.token.is_none() && config.hmac_secret.is_none() {
        return false;
    }
    if let Some(token) = &config.token
        && !header(&config.token_header).is_some_and(|given| constant_time_eq(given, token))
    {
        return false;
    }
    if let Some(secret) = &config.hmac_secret {
        let Some(given) = header(&config.hmac_header) else {
            return false;
        };
        let given = given.trim().strip_prefix("sha256=").unwrap_or(given);
        if !verify_hmac_sha256_hex(secret.as_bytes(), body, given) {
            return false;
        }
    }
    true
}

/// Parses a gateway request body with the configured field names.
pub fn parse(config: &SmsConfig, json: bool, body: &[u8]) -> Result<SmsMessage, SmsError> {
    let fields: Vec<(String, String)> = if json {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| SmsError::Malformed)?;
        let object = value.as_object().ok_or(SmsError::Malformed)?;
        object
            .iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                _ => None,
            })
            .collect()
    } else {
        if std::str::from_utf8(body).is_err() {
            return Err(SmsError::Malformed);
        }
        form_urlencoded_pairs(body)
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let required = |name: &str| get(name).ok_or_else(|| SmsError::Missing(name.to_owned()));
    Ok(SmsMessage {
        id: required(&config.id_field)?,
        from: required(&config.sender_field)?,
        text: required(&config.text_field)?,
        timestamp: get(&config.timestamp_field).and_then(|t| parse_timestamp(&t)),
    })
}

/// Reads RFC 3339 or Unix seconds.
fn parse_timestamp(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(seconds) = text.parse::<i64>() {
        return jiff::Timestamp::from_second(seconds).ok();
    }
    text.parse().ok()
}

/// Decodes `a=b&c=d` with `+` as space and percent escapes.
fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let key = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match hex::decode(&input[i + 1..i + 3]) {
                Ok(byte) => {
                    out.extend_from_slice(&byte);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Stores a parsed SMS in the triage inbox; returns `false` for a message
/// id seen before.
pub async fn ingest(
    services: &tanggap_service::Services,
    message: SmsMessage,
) -> Result<bool, tanggap_service::ServiceError> {
    use tanggap_service::triage::{InboundMessage, IngestOutcome};
    let outcome = services
        .ingest_message(InboundMessage {
            channel: tanggap_core::Channel::Sms,
            sender: message.from,
            sender_name: None,
            external_id: message.id,
            received_at: message.timestamp.unwrap_or_else(jiff::Timestamp::now),
            subject: None,
            body: message.text,
            files: Vec::new(),
            references: Vec::new(),
        })
        .await?;
    Ok(matches!(outcome, IngestOutcome::Stored { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SmsConfig {
        SmsConfig {
            token: Some("rahasia".into()),
            ..SmsConfig::default()
        }
    }

    #[test]
    fn form_body_parses() {
        let message = parse(
            &config(),
            false,
            b"id=s1&from=%2B6281200000003&text=Sampah+menumpuk&timestamp=1767225600",
        )
        .expect("sms");
        assert_eq!(message.from, "+6281200000003");
        assert_eq!(message.text, "Sampah menumpuk");
        assert_eq!(
            message.timestamp.map(|t| t.as_second()),
            Some(1_767_225_600)
        );
    }

    #[test]
    fn json_body_missing_text() {
        assert_eq!(
            parse(&config(), true, br#"{"id":"s1","from":"0812"}"#),
            Err(SmsError::Missing("text".into()))
        );
    }

    #[test]
    fn token_checked() {
        let config = config();
        assert!(authenticate(&config, |_| Some("rahasia"), b""));
        assert!(!authenticate(&config, |_| Some("salah"), b""));
        assert!(!authenticate(&config, |_| None, b""));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256), json in proptest::bool::ANY) {
            let _ = parse(&config(), json, &body);
        }
    }
}
