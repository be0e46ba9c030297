//! Inbound channel adapters of Tanggap: they turn WhatsApp and SMS webhook
//! requests and e-mail from an IMAP mailbox into triage inbox messages,
//! through `tanggap_service::Services::ingest_message`.
//!
//! Parsers here take outside input, so each is property-tested never to
//! panic on arbitrary bytes.

pub mod demo;
pub mod email;
pub mod imap;
pub mod signature;
pub mod sms;
pub mod whatsapp;
