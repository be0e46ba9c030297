//! Configuration of the inbound channels of the triage inbox. Field names,
//! hosts and intervals may sit in the configuration file; secrets come
//! only from the environment.

use anyhow::{Context, bail};
use tanggap_service::triage::{ImapConfig, SmsConfig, TriageConfig, WhatsAppConfig};

/// Graph API base URL used when the configuration names none.
const GRAPH_BASE_URL: &str = "https://graph.facebook.com/v21.0";

/// The `[whatsapp]` table of the configuration file.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhatsAppFile {
    /// Base URL of the Graph API for media downloads.
    graph_base_url: Option<String>,
}

/// The channel tables of the configuration file.
pub(crate) struct ChannelFiles {
    pub whatsapp: Option<WhatsAppFile>,
    pub sms: Option<SmsConfig>,
    pub imap: Option<ImapConfig>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required_env(name: &str, channel: &str) -> anyhow::Result<String> {
    env(name).with_context(|| format!("{name} must be set to turn on the {channel} channel"))
}

/// Builds the channel settings. A channel is on when its secret is in the
/// environment (WhatsApp: `TANGGAP_WHATSAPP_APP_SECRET`; SMS:
/// `TANGGAP_SMS_TOKEN` or `TANGGAP_SMS_HMAC_SECRET`) or, for e-mail, when
/// the file has an `[imap]` table or `TANGGAP_IMAP_HOST` is set.
pub(crate) fn triage_config(files: ChannelFiles) -> anyhow::Result<TriageConfig> {
    let mut config = TriageConfig::default();

    if let Some(app_secret) = env("TANGGAP_WHATSAPP_APP_SECRET") {
        let file = files.whatsapp.unwrap_or_default();
        config.whatsapp = Some(WhatsAppConfig {
            verify_token: required_env("TANGGAP_WHATSAPP_VERIFY_TOKEN", "WhatsApp")?,
            app_secret,
            access_token: required_env("TANGGAP_WHATSAPP_ACCESS_TOKEN", "WhatsApp")?,
            graph_base_url: env("TANGGAP_WHATSAPP_GRAPH_URL")
                .or(file.graph_base_url)
                .unwrap_or_else(|| GRAPH_BASE_URL.to_owned()),
        });
    }

    let sms_token = env("TANGGAP_SMS_TOKEN");
    let sms_hmac = env("TANGGAP_SMS_HMAC_SECRET");
    if sms_token.is_some() || sms_hmac.is_some() {
        let mut sms = files.sms.unwrap_or_default();
        sms.token = sms_token;
        sms.hmac_secret = sms_hmac;
        config.sms = Some(sms);
    } else if files.sms.is_some() {
        bail!(
            "the [sms] table needs TANGGAP_SMS_TOKEN or TANGGAP_SMS_HMAC_SECRET in the environment"
        );
    }

    let imap_host = env("TANGGAP_IMAP_HOST");
    if files.imap.is_some() || imap_host.is_some() {
        let mut imap = files.imap.unwrap_or_default();
        if let Some(host) = imap_host {
            imap.host = host;
        }
        if let Some(port) = env("TANGGAP_IMAP_PORT") {
            imap.port = port
                .parse()
                .with_context(|| format!("TANGGAP_IMAP_PORT {port:?} is not a port number"))?;
        }
        if let Some(user) = env("TANGGAP_IMAP_USER") {
            imap.user = user;
        }
        imap.password = required_env("TANGGAP_IMAP_PASSWORD", "e-mail")?;
        if imap.user.is_empty() {
            bail!("TANGGAP_IMAP_USER or imap.user must be set to turn on the e-mail channel");
        }
        imap.interval_seconds = imap.interval_seconds.max(5);
        config.email = Some(imap);
    }
    Ok(config)
}
