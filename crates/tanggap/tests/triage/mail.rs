//! E-mail intake against a real IMAP server: Debian's dovecot, started by
//! the test on 127.0.0.1 with a generated configuration, its mailbox
//! filled by writing Maildir files. The TLS test gives dovecot a server
//! certificate for 127.0.0.1 signed by a CA that the test creates with the
//! openssl command.

use super::super::{App, get, post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tanggap_intake::imap::{ImapError, PollSummary, poll_once};
use tanggap_service::triage::ImapConfig;
use tanggap_store::testing::backends;

const DOVECOT: &str = "/usr/sbin/dovecot";
const MAIL_USER: &str = "uji";
const MAIL_PASSWORD: &str = "sandi-imap-uji";
const REPORTER: &str = "pelapor@contoh.id";
/// Messages above this size go to quarantine in this test.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A dovecot IMAP server in a temporary directory, stopped on drop.
struct MailServer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    /// Owner of the mailbox files: dovecot's user when the test runs as
    /// root, the current user otherwise.
    owner: (String, String),
    delivered: usize,
    /// Port of the implicit TLS (IMAPS) listener, when TLS is on.
    imaps_port: Option<u16>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Runs the openssl command in `dir` and fails the test when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Creates `ca.pem` (a test CA) and `server.pem` with `server.key` (a
/// certificate for IP address 127.0.0.1 signed by that CA) in `dir`.
pub(crate) fn create_certificates(dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[req]\ndistinguished_name = dn\nx509_extensions = ca\nprompt = no\n\
         [dn]\nCN = Tanggap Test CA\n\
         [ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\n",
    )
    .expect("CA configuration");
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n",
    )
    .expect("server certificate extensions");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-config",
            "ca.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

fn command_output(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program} failed: {e}"));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl MailServer {
    /// Starts dovecot, or returns `None` when it is not installed and the
    /// test is not running in CI (where it must be installed).
    fn start() -> Option<MailServer> {
        Self::start_with(false)
    }

    /// Starts dovecot with TLS: STARTTLS on the plain port and implicit TLS
    /// on a second one, with a certificate from [`create_certificates`].
    fn start_tls() -> Option<MailServer> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Option<MailServer> {
        if !Path::new(DOVECOT).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "{DOVECOT} is missing: install the dovecot-imapd package (.ci/run does)"
            );
            eprintln!(
                "skipping the IMAP test: {DOVECOT} is missing (apt-get install dovecot-imapd)"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = command_output("id", &["-u"]) == "0";
        let (internal_user, login_user) = if root {
            ("dovecot".to_owned(), "dovenull".to_owned())
        } else {
            let me = command_output("id", &["-un"]);
            (me.clone(), me)
        };
        let uid = command_output("id", &["-u", &internal_user]);
        let gid = command_output("id", &["-g", &internal_user]);

        // Ask the system for free ports; dovecot binds them right after.
        let port = free_port();
        let base = dir.path().display().to_string();
        let (ssl, imaps_port) = if tls {
            create_certificates(dir.path());
            let imaps_port = free_port();
            (
                format!("ssl = yes\nssl_cert = <{base}/server.pem\nssl_key = <{base}/server.key\n"),
                Some(imaps_port),
            )
        } else {
            ("ssl = no\n".to_owned(), None)
        };
        std::fs::write(
            dir.path().join("passwd"),
            format!("{MAIL_USER}:{{PLAIN}}{MAIL_PASSWORD}::::::\n"),
        )
        .expect("passwd file");
        let config = format!(
            "base_dir = {base}/run\n\
             state_dir = {base}/state\n\
             log_path = {base}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             {ssl}\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             mail_location = maildir:{base}/mail/%u\n\
             first_valid_uid = {uid}\n\
             default_internal_user = {internal_user}\n\
             default_login_user = {login_user}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {base}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={base}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {}\n  }}\n}}\n",
            imaps_port.unwrap_or(0)
        );
        let config_path = dir.path().join("dovecot.conf");
        std::fs::write(&config_path, config).expect("dovecot configuration");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join("mail").join(MAIL_USER).join(sub))
                .expect("maildir");
        }
        std::fs::create_dir_all(dir.path().join("home").join(MAIL_USER)).expect("home");
        let server = MailServer {
            child: Command::new(DOVECOT)
                .arg("-F")
                .arg("-c")
                .arg(&config_path)
                .spawn()
                .expect("start dovecot"),
            dir,
            port,
            owner: (uid, gid),
            delivered: 0,
            imaps_port,
        };
        server.fix_ownership();
        server.wait_until_ready();
        Some(server)
    }

    fn fix_ownership(&self) {
        let owner = format!("{}:{}", self.owner.0, self.owner.1);
        for path in [self.dir.path().join("mail"), self.dir.path().join("home")] {
            let status = Command::new("chown")
                .arg("-R")
                .arg(&owner)
                .arg(&path)
                .status()
                .expect("chown");
            assert!(status.success(), "chown {owner} {}", path.display());
        }
        let status = Command::new("chmod")
            .arg("755")
            .arg(self.dir.path())
            .status()
            .expect("chmod");
        assert!(status.success());
    }

    /// The CA file that signed the server certificate of a TLS server.
    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Waits until dovecot sends its greeting; fails with its log after 30 s.
    fn wait_until_ready(&self) {
        use std::io::Read;
        for _ in 0..300 {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let mut greeting = [0u8; 4];
                if stream.read_exact(&mut greeting).is_ok() && &greeting == b"* OK" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default();
        panic!("dovecot did not start on port {}:\n{log}", self.port);
    }

    /// Delivers a raw message into the mailbox as a new, unseen Maildir file.
    fn deliver(&mut self, raw: &[u8]) {
        self.delivered += 1;
        let name = format!(
            "{}.M{}P1.uji",
            1_767_225_600 + self.delivered,
            self.delivered
        );
        let path: PathBuf = self
            .dir
            .path()
            .join("mail")
            .join(MAIL_USER)
            .join("new")
            .join(name);
        std::fs::write(&path, raw).expect("maildir file");
        self.fix_ownership();
    }

    fn config(&self) -> ImapConfig {
        ImapConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            tls: false,
            starttls: false,
            ca_file: None,
            user: MAIL_USER.into(),
            password: MAIL_PASSWORD.into(),
            folder: "INBOX".into(),
            interval_seconds: 60,
            max_message_bytes: MAX_MESSAGE_BYTES,
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its login and mail processes.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn mail(from: &str, message_id: &str, extra_headers: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: pengaduan@kota.example\r\nDate: Thu, 1 Jan 2026 08:00:00 +0800\r\n\
         Message-ID: <{message_id}>\r\n{extra_headers}Subject: {subject}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A new message with a PNG photo attached.
fn mail_with_photo() -> Vec<u8> {
    let photo = data_encoding::BASE64_MIME.encode(&super::png());
    format!(
        "From: Warga Baru <warga.baru@contoh.id>\r\nTo: pengaduan@kota.example\r\n\
         Date: Thu, 1 Jan 2026 08:00:00 +0800\r\nMessage-ID: <baru-1@contoh.id>\r\n\
         Subject: Saluran tersumbat\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"batas\"\r\n\r\n\
         --batas\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Saluran air di Jalan Veteran tersumbat sejak kemarin.\r\n\
         --batas\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"saluran.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{photo}\r\n--batas--\r\n"
    )
    .into_bytes()
}

fn bounce() -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@kota.example>\r\nTo: pengaduan@kota.example\r\n\
         Message-ID: <bounce-1@kota.example>\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\r\n\
         --dsn\r\nContent-Type: text/plain\r\n\r\nThe message to {REPORTER} could not be delivered.\r\n\
         --dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; kota.example\r\n\r\n\
         Final-Recipient: rfc822; {REPORTER}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--dsn--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn imap_mailbox_to_triage() {
    for kind in backends() {
        let Some(mut server) = MailServer::start() else {
            return;
        };
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;

        // A complaint whose reporter gave an e-mail address.
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/complaints", app.base),
            json!({
                "channel": "email",
                "complaint_type": "complaint",
                "body": "Lampu taman mati",
                "reporter": { "name": "Pelapor Uji", "email": REPORTER }
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let complaint = created["complaint"]["id"].as_i64().expect("id");
        let tracking = created["complaint"]["tracking_number"]
            .as_str()
            .expect("tracking number")
            .to_owned();

        server.deliver(&mail_with_photo());
        // The reporter replies to our notification: it joins the complaint.
        server.deliver(&mail(
            REPORTER,
            "balasan-1@contoh.id",
            &format!("In-Reply-To: <{tracking}.1@tanggap.example>\r\n"),
            &format!("Re: Pengaduan {tracking}"),
            "Lampunya masih mati.",
        ));
        // A stranger names the same tracking number: a new, flagged item.
        server.deliver(&mail(
            "orang.lain@contoh.id",
            "asing-1@contoh.id",
            "",
            &format!("Re: Pengaduan {tracking}"),
            "Saya mau lihat laporan ini.",
        ));
        // An auto-reply and a bounce create nothing.
        server.deliver(&mail(
            REPORTER,
            "otomatis-1@contoh.id",
            "Auto-Submitted: auto-replied\r\n",
            &format!("Re: Pengaduan {tracking}"),
            "Saya sedang cuti.",
        ));
        server.deliver(&bounce());
        // Oversized and malformed messages go to quarantine.
        server.deliver(&mail(
            "besar@contoh.id",
            "besar-1@contoh.id",
            "",
            "Lampiran besar",
            &"x".repeat(MAX_MESSAGE_BYTES + 1),
        ));
        server.deliver(b"ini bukan surel\r\n\r\n\x00\x01");

        let config = server.config();
        let summary = poll_once(&app.services, &config).await.expect("first poll");
        assert_eq!(
            summary,
            PollSummary {
                stored: 3,
                duplicates: 0,
                automatic: 2,
                quarantined: 2,
            },
            "{kind}"
        );

        // Processed messages are marked seen: a second poll imports nothing.
        let summary = poll_once(&app.services, &config)
            .await
            .expect("second poll");
        assert_eq!(summary, PollSummary::default(), "{kind}");
        // A copy with a known Message-ID is recognised.
        server.deliver(&mail_with_photo());
        let summary = poll_once(&app.services, &config).await.expect("third poll");
        assert_eq!(summary.duplicates, 1, "{kind}");
        assert_eq!(summary.stored, 0, "{kind}");

        let (_, new) = get(&admin, format!("{}/api/v1/triage?state=new", app.base)).await;
        let new = new.as_array().cloned().unwrap_or_default();
        assert_eq!(new.len(), 2, "{kind}: {new:?}");
        let stranger = new
            .iter()
            .find(|c| c["sender"] == "o***@contoh.id")
            .expect("stranger's conversation");
        assert_eq!(stranger["flag"], "foreign_reference", "{kind}");
        let photo = new
            .iter()
            .find(|c| c["sender"] == "w***@contoh.id")
            .expect("new message");
        let id = photo["id"].as_i64().expect("id");
        let (_, detail) = get(&admin, format!("{}/api/v1/triage/{id}", app.base)).await;
        assert_eq!(detail["messages"][0]["subject"], "Saluran tersumbat");
        assert_eq!(
            detail["messages"][0]["files"][0]["file_name"], "saluran.png",
            "{kind}: {detail}"
        );

        let (_, quarantined) = get(
            &admin,
            format!("{}/api/v1/triage?state=quarantined", app.base),
        )
        .await;
        let mut reasons: Vec<String> = quarantined
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["reason"].as_str().map(str::to_owned))
            .collect();
        reasons.sort();
        assert_eq!(reasons, ["malformed", "oversized"], "{kind}");

        let (_, attached) = get(&admin, format!("{}/api/v1/triage?state=attached", app.base)).await;
        assert_eq!(attached[0]["complaint_id"], complaint, "{kind}: {attached}");
        let (_, events) = get(
            &admin,
            format!("{}/api/v1/complaints/{complaint}/events", app.base),
        )
        .await;
        let texts: Vec<&str> = events
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["data"]["reporter_message"] == Value::Bool(true))
            .filter_map(|e| e["text"].as_str())
            .collect();
        assert_eq!(texts.len(), 1, "{kind}: {texts:?}");
        assert!(texts[0].contains("Lampunya masih mati."), "{kind}");
        assert!(
            !events.to_string().contains("Saya mau lihat"),
            "{kind}: stranger joined"
        );
        assert!(
            !events.to_string().contains("cuti"),
            "{kind}: auto-reply joined"
        );
        app.stop().await;
        drop(server);
    }
}

#[tokio::test]
async fn imap_over_tls() {
    let Some(mut server) = MailServer::start_tls() else {
        return;
    };
    let imaps_port = server.imaps_port.expect("IMAPS port");
    let app = App::spawn("sqlite").await;

    // Implicit TLS with the test CA trusted.
    server.deliver(&mail(
        "tls.satu@contoh.id",
        "tls-1@contoh.id",
        "",
        "Jalan berlubang",
        "Jalan di depan sekolah berlubang.",
    ));
    let implicit = ImapConfig {
        port: imaps_port,
        tls: true,
        ca_file: Some(server.ca_file()),
        ..server.config()
    };
    let summary = poll_once(&app.services, &implicit)
        .await
        .expect("poll over implicit TLS");
    assert_eq!(summary.stored, 1);

    // STARTTLS on the plain port.
    server.deliver(&mail(
        "tls.dua@contoh.id",
        "tls-2@contoh.id",
        "",
        "Sampah menumpuk",
        "Sampah di pasar belum diangkut.",
    ));
    let upgraded = ImapConfig {
        starttls: true,
        ca_file: Some(server.ca_file()),
        ..server.config()
    };
    let summary = poll_once(&app.services, &upgraded)
        .await
        .expect("poll over STARTTLS");
    assert_eq!(summary.stored, 1);

    // Without the CA the certificate is not trusted, on either path.
    let untrusted = ImapConfig {
        ca_file: None,
        ..implicit.clone()
    };
    let error = poll_once(&app.services, &untrusted)
        .await
        .expect_err("unknown CA accepted");
    assert!(error.to_string().contains("certificate"), "{error}");
    let untrusted = ImapConfig {
        ca_file: None,
        ..upgraded.clone()
    };
    let error = poll_once(&app.services, &untrusted)
        .await
        .expect_err("unknown CA accepted over STARTTLS");
    assert!(error.to_string().contains("certificate"), "{error}");

    // Both at once is a configuration error, reported before connecting.
    let both = ImapConfig {
        starttls: true,
        ..implicit.clone()
    };
    let error = poll_once(&app.services, &both)
        .await
        .expect_err("tls and starttls accepted together");
    assert!(matches!(error, ImapError::TlsConfig(_)), "{error}");

    let (_, new) = get(
        &app.login("admin").await,
        format!("{}/api/v1/triage?state=new", app.base),
    )
    .await;
    assert_eq!(new.as_array().map(Vec::len), Some(2), "{new}");
    app.stop().await;
    drop(server);
}
