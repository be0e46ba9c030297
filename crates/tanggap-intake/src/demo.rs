//! Demo triage inbox: invented messages from a WhatsApp number, an SMS
//! gateway and a mailbox, fed through the same code as real traffic. The
//! WhatsApp body is signed and verified like a webhook delivery, the SMS
//! is parsed from a gateway form, and each e-mail is a raw RFC 5322
//! message parsed by the IMAP poll's parser.
//!
//! Every message has a fixed external id, so running the demo set-up again
//! stores nothing twice.

use crate::imap::{self, PollSummary};
use crate::signature::sign_hmac_sha256_hex;
use crate::{sms, whatsapp};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tanggap_service::triage::{SmsConfig, WhatsAppConfig};
use tanggap_service::{ServiceError, Services};

/// Secret that signs the demo WhatsApp body, used only in this module.
const DEMO_APP_SECRET: &str = "demo-whatsapp-app-secret";
/// Invented WhatsApp number of the demo reporter.
const DEMO_WHATSAPP_SENDER: &str = "6281200009001";
/// Invented sender of the demo SMS.
const DEMO_SMS_SENDER: &str = "081200009002";

/// Counts of the demo messages stored (0 for messages already present).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoInbox {
    pub whatsapp: usize,
    pub sms: usize,
    pub email: usize,
}

/// Errors of the demo inbox set-up.
#[derive(Debug, thiserror::Error)]
pub enum DemoInboxError {
    #[error("the demo WhatsApp body failed its own check: {0}")]
    Payload(String),
    #[error("storing a demo message failed: {0}")]
    Service(#[from] ServiceError),
    #[error("storing a demo e-mail failed: {0}")]
    Email(#[from] imap::ImapError),
}

/// Stores the demo messages in the triage inbox.
pub async fn seed_triage_inbox(services: &Services) -> Result<DemoInbox, DemoInboxError> {
    let now = Timestamp::now();
    Ok(DemoInbox {
        whatsapp: seed_whatsapp(services, now).await?,
        sms: seed_sms(services, now).await?,
        email: seed_email(services, now).await?,
    })
}

/// Builds a webhook body as the WhatsApp Cloud API sends it: two text
/// messages and a location, which the inbox keeps as a note of its type.
fn whatsapp_body(now: Timestamp) -> Vec<u8> {
    let at = |minutes_ago: i64| (now - SignedDuration::from_mins(minutes_ago)).as_second();
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "demo",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "contacts": [{
                        "wa_id": DEMO_WHATSAPP_SENDER,
                        "profile": { "name": "Rahmat (demo)" }
                    }],
                    "messages": [
                        {
                            "from": DEMO_WHATSAPP_SENDER,
                            "id": "wamid.DEMO-1",
                            "timestamp": at(95).to_string(),
                            "type": "text",
                            "text": { "body": "Assalamualaikum, lampu penerangan jalan di Jalan Pangeran Antasari dekat jembatan mati sejak tiga malam. Jalan jadi gelap sekali." }
                        },
                        {
                            "from": DEMO_WHATSAPP_SENDER,
                            "id": "wamid.DEMO-2",
                            "timestamp": at(93).to_string(),
                            "type": "location"
                        },
                        {
                            "from": DEMO_WHATSAPP_SENDER,
                            "id": "wamid.DEMO-3",
                            "timestamp": at(90).to_string(),
                            "type": "text",
                            "text": { "body": "Itu lokasinya, Pak. Mohon segera diperbaiki karena banyak pengendara motor lewat." }
                        }
                    ]
                }
            }]
        }]
    })
    .to_string()
    .into_bytes()
}

async fn seed_whatsapp(services: &Services, now: Timestamp) -> Result<usize, DemoInboxError> {
    let body = whatsapp_body(now);
    let signature = format!(
        "sha256={}",
        sign_hmac_sha256_hex(DEMO_APP_SECRET.as_bytes(), &body)
    );
    if !whatsapp::verify_signature(DEMO_APP_SECRET, Some(&signature), &body) {
        return Err(DemoInboxError::Payload("signature not accepted".into()));
    }
    let messages =
        whatsapp::parse_payload(&body).map_err(|e| DemoInboxError::Payload(e.to_string()))?;
    // The demo messages carry no media, so the Graph API is never called
    // and its settings stay empty.
    let config = WhatsAppConfig {
        verify_token: String::new(),
        app_secret: DEMO_APP_SECRET.into(),
        access_token: String::new(),
        graph_base_url: String::new(),
    };
    let delivery = whatsapp::ingest(services, &reqwest::Client::new(), &config, messages).await?;
    Ok(delivery.stored)
}

async fn seed_sms(services: &Services, now: Timestamp) -> Result<usize, DemoInboxError> {
    let sent = (now - SignedDuration::from_mins(240)).as_second();
    let form = format!(
        "id=demo-sms-1&from={DEMO_SMS_SENDER}&timestamp={sent}&text=\
         Selamat+siang.+Sampah+di+TPS+Jalan+Sultan+Adam+sudah+menumpuk+sampai+ke+badan+jalan+dan+berbau."
    );
    let message = sms::parse(&SmsConfig::default(), false, form.as_bytes())
        .map_err(|e| DemoInboxError::Payload(e.to_string()))?;
    Ok(usize::from(sms::ingest(services, message).await?))
}

/// Builds the demo mailbox: a complaint with a photo, and an auto-reply
/// that the inbox must ignore.
fn demo_mails(now: Timestamp) -> Vec<Vec<u8>> {
    let date = |minutes_ago: i64| {
        let zoned = (now - SignedDuration::from_mins(minutes_ago))
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
        jiff::fmt::rfc2822::to_string(&zoned).unwrap_or_default()
    };
    // A 4x4 blue PNG picture.
    let photo = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGPQqDgBRwzEcQA/UhaB575xBAAAAABJRU5ErkJggg==";
    vec![
        format!(
            "From: Siti Aminah (demo) <siti.demo@contoh.example>\r\n\
             To: pengaduan@banjarmasinkota.example\r\n\
             Date: {}\r\n\
             Message-ID: <demo-mail-1@contoh.example>\r\n\
             Subject: Saluran air tersumbat di Kelurahan Pekapuran Raya\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"batas-demo\"\r\n\
             \r\n\
             --batas-demo\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             \r\n\
             Yth. Bagian Humas dan Protokol,\r\n\
             \r\n\
             saluran air di depan rumah kami di Gang Kenanga RT 07 tersumbat\r\n\
             sehingga air meluap ke jalan setiap hujan. Foto terlampir.\r\n\
             \r\n\
             Terima kasih.\r\n\
             --batas-demo\r\n\
             Content-Type: image/png\r\n\
             Content-Disposition: attachment; filename=\"saluran.png\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {photo}\r\n\
             --batas-demo--\r\n",
            date(180)
        )
        .into_bytes(),
        format!(
            "From: Budi (demo) <budi.demo@contoh.example>\r\n\
             To: pengaduan@banjarmasinkota.example\r\n\
             Date: {}\r\n\
             Message-ID: <demo-mail-2@contoh.example>\r\n\
             Auto-Submitted: auto-replied\r\n\
             Subject: Di luar kantor\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             \r\n\
             Saya sedang cuti sampai minggu depan.\r\n",
            date(30)
        )
        .into_bytes(),
    ]
}

async fn seed_email(services: &Services, now: Timestamp) -> Result<usize, DemoInboxError> {
    let mut summary = PollSummary::default();
    for (index, raw) in demo_mails(now).iter().enumerate() {
        imap::process(services, raw, format!("demo:{index}"), &mut summary).await?;
    }
    Ok(summary.stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::{self, Parsed};

    #[test]
    fn demo_whatsapp_body_parses() {
        let messages = whatsapp::parse_payload(&whatsapp_body(Timestamp::now())).expect("payload");
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0].profile_name.as_deref(), Some("Rahmat (demo)"));
        assert_eq!(
            messages[1].content,
            whatsapp::Content::Unsupported("location".into())
        );
    }

    #[test]
    fn demo_mails_parse() {
        let mails = demo_mails(Timestamp::now());
        let Parsed::Message(first) = email::parse(&mails[0], "BJM") else {
            panic!("the demo complaint is not a message");
        };
        assert_eq!(first.attachments.len(), 1);
        assert!(first.date.is_some());
        assert!(first.body.contains("Gang Kenanga"));
        assert_eq!(
            email::parse(&mails[1], "BJM"),
            Parsed::Automatic("auto-submitted")
        );
    }
}
