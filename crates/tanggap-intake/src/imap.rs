//! E-mail intake by polling a mailbox over IMAP4rev1 (RFC 3501).
//!
//! Each poll logs in, selects the configured folder, searches for unseen
//! messages, and for each one checks its size, fetches it without setting
//! `\Seen` (`BODY.PEEK[]`), hands it to the triage inbox, and only then
//! marks it `\Seen`. A message that failed to store stays unseen and is
//! tried again on the next poll; one stored before a crash but not marked
//! is recognised by its Message-ID and not imported twice.
//!
//! The client speaks only the commands above. It runs over implicit TLS
//! (`tls = true`, IMAPS), over plain TCP upgraded with STARTTLS
//! (`starttls = true`), or over plain TCP, which is meant for a server on
//! the same host only. TLS uses rustls with the ring provider, trusts the
//! webpki roots plus the certificates in `ca_file`, and checks the server
//! name against `host`.

use crate::email::{self, Parsed};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tanggap_core::Channel;
use tanggap_core::triage::QuarantineReason;
use tanggap_service::attachments::Upload;
use tanggap_service::triage::{ImapConfig, InboundMessage, IngestOutcome};
use tanggap_service::{ServiceError, Services};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Longest response line read, in bytes, so a broken server cannot make
/// the client buffer without bound. Literals are limited separately.
pub const LINE_MAX: usize = 64 * 1024;

/// Errors of a poll.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("IMAP connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("IMAP server rejected {command}: {response}")]
    Rejected {
        command: &'static str,
        response: String,
    },
    #[error("IMAP server sent an invalid response: {0}")]
    Protocol(String),
    #[error("invalid IMAP TLS configuration: {0}")]
    TlsConfig(String),
    #[error("storing a message failed: {0}")]
    Service(#[from] ServiceError),
}

/// One server response: its text with each literal replaced by `{N}`, and
/// the literals in order.
#[derive(Debug, Default)]
pub struct Response {
    pub text: String,
    pub literals: Vec<Vec<u8>>,
}

/// A byte stream to the server: plain TCP or TLS over TCP.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

struct Connection {
    stream: BufReader<Box<dyn Transport>>,
    next_tag: u32,
    literal_max: usize,
}

/// Quotes a string for IMAP (RFC 3501 quoted string).
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Builds the TLS connector: webpki roots plus the certificates of
/// `ca_file`, with the ring provider that the rest of the workspace uses.
fn tls_connector(config: &ImapConfig) -> Result<TlsConnector, ImapError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &config.ca_file {
        let certificates = CertificateDer::pem_file_iter(path)
            .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                ImapError::TlsConfig(format!("reading ca_file {} failed: {e}", path.display()))
            })?;
        if certificates.is_empty() {
            return Err(ImapError::TlsConfig(format!(
                "ca_file {} contains no PEM certificate",
                path.display()
            )));
        }
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|e| ImapError::TlsConfig(format!("ca_file {}: {e}", path.display())))?;
        }
    }
    // rustls 0.23.48 deprecates the ring provider for lacking post-quantum
    // key exchange, but ring is the one provider the workspace builds.
    #[expect(deprecated, reason = "ring is the workspace's only TLS provider")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::TlsConfig(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(tls)))
}

/// Runs the TLS handshake over `stream`, checking the certificate against
/// the configured host name or IP address.
async fn start_tls(
    config: &ImapConfig,
    stream: Box<dyn Transport>,
) -> Result<Box<dyn Transport>, ImapError> {
    let connector = tls_connector(config)?;
    let name = ServerName::try_from(config.host.clone()).map_err(|e| {
        ImapError::TlsConfig(format!("host {:?} is not a server name: {e}", config.host))
    })?;
    let stream = connector.connect(name, stream).await?;
    Ok(Box::new(stream))
}

impl Connection {
    async fn connect(config: &ImapConfig) -> Result<Self, ImapError> {
        if config.tls && config.starttls {
            return Err(ImapError::TlsConfig(
                "set either tls (implicit TLS) or starttls, not both".into(),
            ));
        }
        let tcp = TcpStream::connect((config.host.as_str(), config.port)).await?;
        let mut stream: Box<dyn Transport> = Box::new(tcp);
        if config.tls {
            stream = start_tls(config, stream).await?;
        }
        let mut connection = Connection {
            stream: BufReader::new(stream),
            next_tag: 1,
            literal_max: config.max_message_bytes + 1024,
        };
        let greeting = connection.read_response().await?;
        if !greeting.text.starts_with("* OK") && !greeting.text.starts_with("* PREAUTH") {
            return Err(ImapError::Rejected {
                command: "greeting",
                response: greeting.text,
            });
        }
        if config.starttls {
            connection.command("STARTTLS", "STARTTLS").await?;
            // Bytes the server sent after its STARTTLS reply would be
            // read as if they came over TLS (an injection attack), so
            // they end the session.
            if !connection.stream.buffer().is_empty() {
                return Err(ImapError::Protocol(
                    "data after the STARTTLS reply, before the TLS handshake".into(),
                ));
            }
            let plain = connection.stream.into_inner();
            connection.stream = BufReader::new(start_tls(config, plain).await?);
        }
        Ok(connection)
    }

    async fn read_response(&mut self) -> Result<Response, ImapError> {
        read_response(&mut self.stream, self.literal_max).await
    }

    /// Sends a command and collects the untagged responses until its
    /// tagged completion, which must be `OK`.
    async fn command(
        &mut self,
        name: &'static str,
        arguments: &str,
    ) -> Result<Vec<Response>, ImapError> {
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        let line = format!("{tag} {arguments}\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(line.as_bytes()).await?;
        stream.flush().await?;
        let mut untagged = Vec::new();
        loop {
            let response = self.read_response().await?;
            if let Some(rest) = response.text.strip_prefix(&format!("{tag} ")) {
                if rest.starts_with("OK") {
                    return Ok(untagged);
                }
                return Err(ImapError::Rejected {
                    command: name,
                    response: rest.to_owned(),
                });
            }
            untagged.push(response);
        }
    }
}

/// Reads one response line and the literals it announces. Each line is
/// limited to [`LINE_MAX`] bytes, the literals of one response together to
/// `literal_max` bytes, and the text to both together.
pub async fn read_response<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    literal_max: usize,
) -> Result<Response, ImapError> {
    let mut response = Response::default();
    let mut literal_bytes = 0usize;
    loop {
        let mut line = Vec::new();
        let read = (&mut *reader)
            .take(LINE_MAX as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Err(ImapError::Protocol("connection closed".into()));
        }
        if !line.ends_with(b"\n") {
            return Err(ImapError::Protocol("response line too long".into()));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        response.text.push_str(text);
        if response.text.len() > literal_max.saturating_add(LINE_MAX) {
            return Err(ImapError::Protocol("response too long".into()));
        }
        let Some(size) = literal_size(text) else {
            return Ok(response);
        };
        literal_bytes = literal_bytes.saturating_add(size);
        if literal_bytes > literal_max {
            return Err(ImapError::Protocol(format!(
                "literals of {literal_bytes} bytes exceed the limit of {literal_max}"
            )));
        }
        let mut literal = vec![0; size];
        reader.read_exact(&mut literal).await?;
        response.literals.push(literal);
    }
}

/// Returns the size of the literal announced at the end of a line (`{N}`).
fn literal_size(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    line[open + 1..line.len() - 1].parse().ok()
}

/// Returns the number after `key` in a response, e.g. `UIDVALIDITY 7`.
pub fn number_after(text: &str, key: &str) -> Option<u64> {
    let start = text.find(key)? + key.len();
    text[start..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Returns the UIDs listed by `* SEARCH` responses.
pub fn search_uids(responses: &[Response]) -> Vec<u64> {
    responses
        .iter()
        .filter_map(|r| r.text.strip_prefix("* SEARCH"))
        .flat_map(|rest| rest.split_whitespace().filter_map(|n| n.parse().ok()))
        .collect()
}

/// Counts of one poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Messages stored in the inbox or appended to a complaint.
    pub stored: usize,
    /// Messages seen before (same Message-ID).
    pub duplicates: usize,
    /// Auto-replies and bounces, marked seen and otherwise ignored.
    pub automatic: usize,
    pub quarantined: usize,
}

/// Polls the mailbox once.
pub async fn poll_once(services: &Services, config: &ImapConfig) -> Result<PollSummary, ImapError> {
    let mut connection = Connection::connect(config).await?;
    connection
        .command(
            "LOGIN",
            &format!("LOGIN {} {}", quote(&config.user), quote(&config.password)),
        )
        .await?;
    let selected = connection
        .command("SELECT", &format!("SELECT {}", quote(&config.folder)))
        .await?;
    let uid_validity = selected
        .iter()
        .find_map(|r| number_after(&r.text, "UIDVALIDITY"))
        .unwrap_or(0);
    let found = connection.command("SEARCH", "UID SEARCH UNSEEN").await?;
    let uids = search_uids(&found);

    let mut summary = PollSummary::default();
    for uid in uids {
        match import(
            services,
            config,
            &mut connection,
            uid_validity,
            uid,
            &mut summary,
        )
        .await
        {
            Ok(()) => {}
            // The message stays unseen and is tried again at the next poll.
            Err(ImapError::Service(error)) => {
                tracing::warn!(uid, %error, "storing an e-mail failed");
                continue;
            }
            Err(other) => return Err(other),
        }
        connection
            .command("STORE", &format!("UID STORE {uid} +FLAGS.SILENT (\\Seen)"))
            .await?;
    }
    // The session ends either way; a failed LOGOUT changes nothing.
    let _ = connection.command("LOGOUT", "LOGOUT").await;
    Ok(summary)
}

/// Fetches one message (or only its size, when it is too large) and hands
/// it to the inbox.
async fn import(
    services: &Services,
    config: &ImapConfig,
    connection: &mut Connection,
    uid_validity: u64,
    uid: u64,
    summary: &mut PollSummary,
) -> Result<(), ImapError> {
    let fallback_id = format!("imap:{uid_validity}:{uid}");
    let sized = connection
        .command("FETCH", &format!("UID FETCH {uid} (RFC822.SIZE)"))
        .await?;
    let size = sized
        .iter()
        .find_map(|r| number_after(&r.text, "RFC822.SIZE"))
        .ok_or_else(|| ImapError::Protocol("FETCH without RFC822.SIZE".into()))?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > config.max_message_bytes {
        let outcome = services
            .quarantine_message(
                Channel::Email,
                None,
                fallback_id,
                None,
                QuarantineReason::Oversized,
                size,
            )
            .await?;
        count_quarantine(summary, outcome);
        return Ok(());
    }
    let fetched = connection
        .command("FETCH", &format!("UID FETCH {uid} (BODY.PEEK[])"))
        .await?;
    let raw = fetched
        .into_iter()
        .find_map(|r| r.literals.into_iter().next())
        .unwrap_or_default();
    process(services, &raw, fallback_id, summary).await
}

fn count_quarantine(summary: &mut PollSummary, outcome: IngestOutcome) {
    match outcome {
        IngestOutcome::Stored { .. } => summary.quarantined += 1,
        IngestOutcome::Duplicate => summary.duplicates += 1,
    }
}

/// Parses one raw message and hands it to the inbox.
pub(crate) async fn process(
    services: &Services,
    raw: &[u8],
    fallback_id: String,
    summary: &mut PollSummary,
) -> Result<(), ImapError> {
    let prefix = services.config().tracking_prefix.clone();
    match email::parse(raw, &prefix) {
        Parsed::Automatic(reason) => {
            tracing::info!(reason, "automatic e-mail ignored");
            summary.automatic += 1;
        }
        Parsed::Malformed => {
            let outcome = services
                .quarantine_message(
                    Channel::Email,
                    None,
                    fallback_id,
                    None,
                    QuarantineReason::Malformed,
                    raw.len(),
                )
                .await?;
            count_quarantine(summary, outcome);
        }
        Parsed::Message(message) => {
            // Without a Message-ID the content identifies the message.
            let external_id = message
                .message_id
                .clone()
                .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(raw))));
            let outcome = services
                .ingest_message(InboundMessage {
                    channel: Channel::Email,
                    sender: message.from,
                    sender_name: message.from_name,
                    external_id,
                    received_at: message
                        .date
                        .filter(|d| *d <= jiff::Timestamp::now())
                        .unwrap_or_else(jiff::Timestamp::now),
                    subject: message.subject,
                    body: message.body,
                    files: message
                        .attachments
                        .into_iter()
                        .map(|(file_name, content)| Upload { file_name, content })
                        .collect(),
                    references: message.references,
                })
                .await?;
            match outcome {
                IngestOutcome::Stored { .. } => summary.stored += 1,
                IngestOutcome::Duplicate => summary.duplicates += 1,
            }
        }
    }
    Ok(())
}

/// Polls the mailbox every `interval_seconds` until `stop` turns true.
/// A failed poll is logged and retried at the next interval.
pub async fn run(
    services: Services,
    config: ImapConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let interval = std::time::Duration::from_secs(config.interval_seconds.max(1));
    tracing::info!(folder = %config.folder, seconds = interval.as_secs(), "e-mail intake started");
    loop {
        match poll_once(&services, &config).await {
            Ok(summary) if summary != PollSummary::default() => {
                tracing::info!(
                    stored = summary.stored,
                    duplicates = summary.duplicates,
                    automatic = summary.automatic,
                    quarantined = summary.quarantined,
                    "mailbox polled"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "mailbox poll failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
    tracing::info!("e-mail intake stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_size_read_from_line_end() {
        assert_eq!(literal_size("* 1 FETCH (UID 3 BODY[] {120}"), Some(120));
        assert_eq!(literal_size("* 1 FETCH (UID 3)"), None);
        assert_eq!(literal_size("{x}"), None);
    }

    #[tokio::test]
    async fn responses_read_with_literals() {
        let mut input: &[u8] =
            b"* SEARCH 3 4\r\n* 1 FETCH (UID 3 BODY[] {5}\r\nhello)\r\nt1 OK done\r\n";
        let search = read_response(&mut input, 100).await.expect("search");
        assert_eq!(search_uids(std::slice::from_ref(&search)), [3, 4]);
        let fetch = read_response(&mut input, 100).await.expect("fetch");
        assert_eq!(fetch.literals, [b"hello".to_vec()]);
        assert_eq!(fetch.text, "* 1 FETCH (UID 3 BODY[] {5})");
        let done = read_response(&mut input, 100).await.expect("completion");
        assert_eq!(done.text, "t1 OK done");
        assert!(matches!(
            read_response(&mut input, 100).await,
            Err(ImapError::Protocol(_))
        ));
    }

    #[tokio::test]
    async fn literals_over_limit_rejected() {
        // Each literal fits, but together they exceed the limit.
        let mut input: &[u8] = b"* 1 FETCH {3}\r\nabc {3}\r\ndef)\r\n";
        let error = read_response(&mut input, 5).await.expect_err("limit");
        assert!(error.to_string().contains("exceed the limit"), "{error}");
        let mut input: &[u8] = b"* 1 FETCH {99999999999}\r\n";
        assert!(read_response(&mut input, 5).await.is_err());
    }

    #[test]
    fn quote_escapes() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn number_after_key() {
        assert_eq!(
            number_after("* OK [UIDVALIDITY 1733] ok", "UIDVALIDITY"),
            Some(1733)
        );
        assert_eq!(
            number_after("* 1 FETCH (RFC822.SIZE 42 UID 3)", "RFC822.SIZE"),
            Some(42)
        );
    }
}
