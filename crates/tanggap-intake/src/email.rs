//! E-mail messages: MIME parsing, recognising automatic mail, and finding
//! the complaint a reply refers to.
//!
//! Automatic mail never creates an inbox item or a complaint event, so an
//! auto-reply to one of our notifications cannot start a loop. A message is
//! automatic when it has `Auto-Submitted` other than `no` (RFC 3834), an
//! `X-Autoreply` or `X-Autorespond` header, `Precedence: bulk`, `junk`,
//! `list` or `auto_reply`, or is a delivery status notification
//! (`multipart/report; report-type=delivery-status`, RFC 3464).

use mail_parser::{MessageParser, MimeHeaders};

/// An e-mail message that should reach the triage inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailMessage {
    /// The Message-ID without angle brackets, if the message has one.
    pub message_id: Option<String>,
    /// The From address.
    pub from: String,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    /// The plain-text body (converted from HTML when there is no text part).
    pub body: String,
    /// Attached files: name and content.
    pub attachments: Vec<(String, Vec<u8>)>,
    /// Tracking numbers found in the subject, In-Reply-To and References.
    pub references: Vec<String>,
    pub date: Option<jiff::Timestamp>,
}

/// What a raw message is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Message(Box<EmailMessage>),
    /// An auto-reply or a bounce; the reason names the header that said so.
    Automatic(&'static str),
    /// Not a readable message: no headers, or no From address.
    Malformed,
}

/// Parses a raw message. `tracking_prefix` is the installation's tracking
/// number prefix (e.g. `BJM` for `BJM-26-000123`).
pub fn parse(raw: &[u8], tracking_prefix: &str) -> Parsed {
    // mail-parser 0.11.9 panics on some malformed multipart messages
    // ("Invalid part ID, could not find multipart"; found by the email fuzz
    // target). Such a message is malformed, and must not stop the poll.
    std::panic::catch_unwind(|| parse_message(raw, tracking_prefix)).unwrap_or(Parsed::Malformed)
}

fn parse_message(raw: &[u8], tracking_prefix: &str) -> Parsed {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Parsed::Malformed;
    };
    if let Some(reason) = automatic_reason(&message) {
        return Parsed::Automatic(reason);
    }
    let Some(sender) = message.from().and_then(|from| from.first()) else {
        return Parsed::Malformed;
    };
    let Some(from) = sender.address().map(str::trim).filter(|a| a.contains('@')) else {
        return Parsed::Malformed;
    };

    let subject = message.subject().map(str::to_owned);
    let mut thread_text = subject.clone().unwrap_or_default();
    for header in [message.in_reply_to(), message.references()] {
        if let Some(list) = header.as_text_list() {
            for id in list {
                thread_text.push(' ');
                thread_text.push_str(id);
            }
        } else if let Some(id) = header.as_text() {
            thread_text.push(' ');
            thread_text.push_str(id);
        }
    }

    let attachments = message
        .attachments()
        .filter(|part| !part.is_message())
        .map(|part| {
            let name = part
                .attachment_name()
                .map(str::to_owned)
                .unwrap_or_else(|| "lampiran".to_owned());
            (name, part.contents().to_vec())
        })
        .collect();

    Parsed::Message(Box::new(EmailMessage {
        message_id: message.message_id().map(str::to_owned),
        from: from.to_lowercase(),
        from_name: sender.name().map(str::to_owned),
        subject,
        body: message
            .body_text(0)
            .map(|text| text.trim().to_owned())
            .unwrap_or_default(),
        attachments,
        references: find_tracking_numbers(&thread_text, tracking_prefix),
        date: message
            .date()
            .and_then(|d| jiff::Timestamp::from_second(d.to_timestamp()).ok()),
    }))
}

/// Returns why a message counts as automatic mail, if it does.
fn automatic_reason(message: &mail_parser::Message<'_>) -> Option<&'static str> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|value| value.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return Some("auto-submitted");
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return Some("x-autoreply");
    }
    if header("Precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
    {
        return Some("precedence");
    }
    if let Some(content_type) = message.content_type()
        && content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && content_type
            .attribute("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    {
        return Some("delivery-status");
    }
    None
}

/// Finds tracking numbers `<prefix>-<two digits>-<digits>` in `text`,
/// each once, in order of appearance.
pub fn find_tracking_numbers(text: &str, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if prefix.is_empty() {
        return found;
    }
    let upper = text.to_ascii_uppercase();
    let needle = format!("{}-", prefix.to_ascii_uppercase());
    let mut start = 0;
    while let Some(offset) = upper[start..].find(&needle) {
        let begin = start + offset;
        let rest = &upper[begin + needle.len()..];
        let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after_year = &rest[year.len()..];
        if year.len() == 2
            && let Some(sequence_text) = after_year.strip_prefix('-')
        {
            let sequence: String = sequence_text
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let preceded_by_word = upper[..begin]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            if !sequence.is_empty() && !preceded_by_word {
                let number = format!("{}{year}-{sequence}", needle);
                if !found.contains(&number) {
                    found.push(number);
                }
            }
        }
        start = begin + needle.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_panic_is_malformed() {
        let raw = include_bytes!("../testdata/mail-parser-panic.eml");
        assert_eq!(parse(raw, "BJM"), Parsed::Malformed);
    }

    fn message(headers: &str, body: &str) -> Vec<u8> {
        format!(
            "From: Warga Uji <warga@contoh.id>\r\nTo: pengaduan@kota.example\r\n\
             Message-ID: <m1@contoh.id>\r\n{headers}Subject: Re: Pengaduan BJM-26-000012\r\n\r\n{body}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn plain_message_parses() {
        let Parsed::Message(parsed) = parse(&message("", "Masih rusak."), "BJM") else {
            panic!("not a message");
        };
        assert_eq!(parsed.from, "warga@contoh.id");
        assert_eq!(parsed.from_name.as_deref(), Some("Warga Uji"));
        assert_eq!(parsed.message_id.as_deref(), Some("m1@contoh.id"));
        assert_eq!(parsed.body, "Masih rusak.");
        assert_eq!(parsed.references, ["BJM-26-000012"]);
    }

    #[test]
    fn auto_reply_is_automatic() {
        let raw = message("Auto-Submitted: auto-replied\r\n", "Saya sedang cuti.");
        assert_eq!(parse(&raw, "BJM"), Parsed::Automatic("auto-submitted"));
        let raw = message("Auto-Submitted: no\r\n", "Bukan otomatis.");
        assert!(matches!(parse(&raw, "BJM"), Parsed::Message(_)));
        let raw = message("Precedence: bulk\r\n", "Buletin");
        assert_eq!(parse(&raw, "BJM"), Parsed::Automatic("precedence"));
    }

    #[test]
    fn missing_sender_is_malformed() {
        assert_eq!(parse(b"Subject: x\r\n\r\nisi", "BJM"), Parsed::Malformed);
        assert_eq!(parse(b"", "BJM"), Parsed::Malformed);
    }

    #[test]
    fn tracking_numbers_found_once() {
        assert_eq!(
            find_tracking_numbers(
                "re: bjm-26-000012 <BJM-26-000012.1@x> BJM-2-1 XBJM-26-1",
                "BJM"
            ),
            ["BJM-26-000012"]
        );
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..1024)) {
            let _ = parse(&raw, "BJM");
        }

        #[test]
        fn tracking_scan_never_panics(text in ".{0,200}") {
            let _ = find_tracking_numbers(&text, "BJM");
        }
    }
}
