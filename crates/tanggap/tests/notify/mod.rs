//! Notifications to reporters: the outbox, real delivery over SMTP to a
//! server started by the test (Python's aiosmtpd), and WhatsApp and SMS
//! through a local HTTP test double. Also the retention erasure.

use super::{App, get, post};
use crate::portal::{send_report, strong_text};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tanggap_channels::email::{SmtpConfig, SmtpSecurity};
use tanggap_channels::sms::{GatewayMethod, SmsGatewayConfig};
use tanggap_channels::whatsapp::WhatsAppConfig;
use tanggap_service::ServiceConfig;
use tanggap_service::notify::{NotifyConfig, Outbound};
use tanggap_store::Store;
use tanggap_store::outbox::{NotificationStatus, NotificationSummary};
use tanggap_store::testing::backends;

mod proxy;
mod retention;

/// A real SMTP server: Python's aiosmtpd, started by the test on a free
/// port of 127.0.0.1, which writes every message it accepts to a file.
struct SmtpTestServer {
    child: tokio::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

const SMTP_SERVER_PY: &str = r#"
import asyncio, os, sys
from aiosmtpd.smtp import SMTP

out = sys.argv[1]

class Store:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Store.count += 1
        path = os.path.join(out, "%04d.eml" % Store.count)
        with open(path + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 Message accepted"

async def main():
    handler = Store()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="localhost"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// Finds a Python with aiosmtpd: `TANGGAP_TEST_PYTHON`, the virtual
/// environment that `.ci/run` creates in `target/test-venv`, or `python3`.
fn python_with_aiosmtpd() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python");
    let candidates = [
        std::env::var_os("TANGGAP_TEST_PYTHON").map(PathBuf::from),
        Some(venv),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

impl SmtpTestServer {
    /// Starts the server. Without aiosmtpd the test fails when `CI=true`
    /// and is skipped with a message otherwise.
    async fn start() -> Option<SmtpTestServer> {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "aiosmtpd is missing: run `python3 -m venv target/test-venv && \
                 target/test-venv/bin/pip install aiosmtpd` (as .ci/run does)"
            );
            eprintln!("skipped: aiosmtpd is not installed (see .ci/run)");
            return None;
        };
        let dir = tempfile::tempdir().expect("mail directory");
        let mut child = tokio::process::Command::new(python)
            .args(["-c", SMTP_SERVER_PY])
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiosmtpd");
        let stdout = child.stdout.take().expect("aiosmtpd output");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let port = lines
            .next_line()
            .await
            .expect("aiosmtpd output")
            .and_then(|line| line.trim().parse().ok())
            .expect("aiosmtpd port");
        Some(SmtpTestServer { child, port, dir })
    }

    /// Messages received so far, in order, as raw text.
    fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("mail directory")
            .map(|entry| entry.expect("mail file").path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| std::fs::read_to_string(path).expect("mail"))
            .collect()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Returns the unfolded value of a header of a raw message.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// Returns a raw message's text with quoted-printable soft breaks and
/// `=3D` decoded, enough to search it for words and the secret.
fn body_text(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=3D", "=")
}

/// Response of the HTTP test double to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Accept,
    ServerError,
    /// No response within the client's time limit.
    Hang,
}

/// One request the test double received.
#[derive(Clone, Debug)]
struct Recorded {
    path: String,
    authorization: Option<String>,
    body: String,
}

/// Test double of the WhatsApp Cloud API and of an SMS gateway: a local
/// HTTP server on 127.0.0.1 that records every request and responds as its
/// script lists (the last entry repeats).
#[derive(Clone)]
struct HttpTestDouble {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    _server: Arc<tokio::task::JoinHandle<()>>,
}

type WhatsAppTestDouble = HttpTestDouble;
type SmsGatewayTestDouble = HttpTestDouble;

impl HttpTestDouble {
    async fn start(script: Vec<Behaviour>) -> HttpTestDouble {
        use axum::extract::State;
        use axum::http::{HeaderMap, Uri};

        type Shared = (Arc<Mutex<Vec<Recorded>>>, Arc<Vec<Behaviour>>);
        async fn handle(
            State((requests, script)): State<Shared>,
            uri: Uri,
            headers: HeaderMap,
            body: String,
        ) -> StatusCode {
            let n = {
                let mut requests = requests.lock().expect("requests");
                requests.push(Recorded {
                    path: uri.to_string(),
                    authorization: headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    body,
                });
                requests.len()
            };
            let behaviour = script
                .get(n - 1)
                .or(script.last())
                .copied()
                .unwrap_or(Behaviour::Accept);
            match behaviour {
                Behaviour::Accept => StatusCode::OK,
                Behaviour::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    StatusCode::OK
                }
            }
        }

        let requests = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .fallback(handle)
            .with_state((Arc::clone(&requests), Arc::new(script)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind test double");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("test double");
        });
        HttpTestDouble {
            base,
            requests,
            _server: Arc::new(server),
        }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Pengaduan Kota <pengaduan@example.go.id>".into(),
        reply_to: Some("balasan@example.go.id".into()),
        message_id_domain: None,
        timeout_seconds: Some(10),
    }
}

fn whatsapp_config(base: &str) -> WhatsAppConfig {
    WhatsAppConfig {
        base_url: format!("{base}/v21.0"),
        phone_number_id: "1098765".into(),
        token: Some("token-uji-whatsapp".into()),
        template: None,
        timeout_seconds: Some(1),
        country_code: None,
    }
}

/// Installs the channels of the app's configuration, as `serve` does.
fn install_outbound(app: &App) {
    let channels =
        tanggap_channels::Channels::from_config(&app.services.config().notifications.channels())
            .expect("channels");
    app.services.set_outbound(Outbound {
        channels,
        templates: Arc::new(tanggap_web::i18n::NotificationTemplates),
    });
}

/// Queues and sends everything due now; returns the number of attempts.
async fn deliver_all(app: &App) -> usize {
    deliver_at(app, jiff::Timestamp::now()).await
}

/// Queues and sends everything due at `at`; returns the number of attempts.
async fn deliver_at(app: &App, at: jiff::Timestamp) -> usize {
    app.services.scan_notifications(at).await.expect("scan");
    let mut attempts = 0;
    while app
        .services
        .deliver_next_notification("test-worker", at)
        .await
        .expect("deliver")
    {
        attempts += 1;
    }
    attempts
}

/// Opens a second connection to the app's database, for checks.
async fn open_store(app: &App) -> Arc<dyn Store> {
    app.db
        .as_ref()
        .expect("database")
        .store()
        .await
        .expect("store")
}

async fn outbox(store: &Arc<dyn Store>) -> Vec<NotificationSummary> {
    store
        .list_notifications(None, None, None, 100)
        .await
        .expect("outbox")
}

/// A browser-like client that prefers English.
fn english_visitor() -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    );
    Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Finds a complaint's id and version by its tracking number, as the admin.
async fn complaint_by_number(app: &App, admin: &Client, number: &str) -> (i64, i64) {
    let (status, page) = get(
        admin,
        format!("{}/api/v1/complaints?per_page=100", app.base),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let item = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["tracking_number"] == number)
        .expect("complaint in the list")
        .clone();
    (
        item["id"].as_i64().expect("id"),
        item["version"].as_i64().expect("version"),
    )
}

async fn act(app: &App, client: &Client, id: i64, action: &str, body: Value) -> i64 {
    let (status, answer) = post(
        client,
        format!("{}/api/v1/complaints/{id}/actions/{action}", app.base),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    answer["complaint"]["version"]
        .as_i64()
        .or_else(|| answer["version"].as_i64())
        .expect("version")
}

#[tokio::test]
async fn reporter_follows_complaint_by_email() {
    for kind in backends() {
        let Some(smtp) = SmtpTestServer::start().await else {
            return;
        };
        let whatsapp: WhatsAppTestDouble = HttpTestDouble::start(vec![Behaviour::Accept]).await;
        let app = App::spawn_with(kind, |config: &mut ServiceConfig| {
            config.notifications = NotifyConfig {
                public_base_url: Some("https://lapor.example.go.id/".into()),
                email: Some(smtp_config(smtp.port)),
                whatsapp: Some(whatsapp_config(&whatsapp.base)),
                ..NotifyConfig::default()
            };
        })
        .await;
        install_outbound(&app);
        let store = open_store(&app).await;

        // An English-speaking reporter uses the portal.
        let client = english_visitor();
        let (status, page) = send_report(
            &app,
            &client,
            "The street light in front of the school is broken",
            &[
                ("name", "Warga Notifikasi"),
                ("phone", "081255500077"),
                ("email", "warga.notifikasi@example.org"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        let number = strong_text(&page, "nomor-pelacakan").expect("tracking number");
        let secret = strong_text(&page, "kode-rahasia").expect("secret");

        // Staff take it through hold, dispatch, follow-up and response.
        let admin = app.login("admin").await;
        let pupr = app.login("pupr").await;
        let (id, version) = complaint_by_number(&app, &admin, &number).await;
        let version = act(
            &app,
            &admin,
            id,
            "hold",
            json!({ "version": version, "question": "Which pole number is it?" }),
        )
        .await;
        let version = act(
            &app,
            &admin,
            id,
            "complete",
            json!({ "version": version, "text": "Pole 17" }),
        )
        .await;
        let version = act(&app, &admin, id, "verify", json!({ "version": version, "complaint_type": "complaint", "category": "TOPIK LAINNYA" })).await;
        let version = act(&app, &admin, id, "dispatch", json!({ "version": version, "lead_agency": "PUPR", "instruction": "Internal: check the contractor" })).await;
        let version = act(
            &app,
            &pupr,
            id,
            "follow-up",
            json!({ "version": version, "text": "A crew is scheduled" }),
        )
        .await;
        act(
            &app,
            &admin,
            id,
            "note",
            json!({ "version": version, "text": "Internal note for staff" }),
        )
        .await;
        act(
            &app,
            &pupr,
            id,
            "respond",
            json!({ "version": version, "text": "The lamp was replaced" }),
        )
        .await;
        deliver_all(&app).await;

        // The automatic-close warning comes before the close instant.
        let auto_close_at = store
            .get_complaint(tanggap_core::ComplaintId(id))
            .await
            .expect("read")
            .expect("complaint")
            .deadlines
            .auto_close_at
            .expect("auto close");
        let before_close = auto_close_at - jiff::SignedDuration::from_hours(1);
        let queued = app
            .services
            .scan_notifications(before_close)
            .await
            .expect("scan");
        assert_eq!(queued, 2, "{kind}: one warning per channel");
        let again = app
            .services
            .scan_notifications(before_close)
            .await
            .expect("scan");
        assert_eq!(again, 0, "{kind}: the warning was queued twice");
        deliver_at(&app, before_close).await;

        // The reporter accepts the answer, which closes the complaint.
        app.services
            .reporter_act(
                &number,
                &secret,
                tanggap_core::lifecycle::Command::ReporterReply {
                    satisfied: true,
                    rating: Some(5),
                    comment: None,
                },
            )
            .await
            .expect("reporter accepts");
        deliver_all(&app).await;

        let kinds: Vec<(String, String, NotificationStatus)> = outbox(&store)
            .await
            .into_iter()
            .rev()
            .map(|n| (n.kind, n.channel, n.status))
            .collect();
        let expected_kinds = [
            "received",
            "held",
            "dispatched",
            "followed_up",
            "answered",
            "closing_soon",
            "closed",
        ];
        for expected in expected_kinds {
            for channel in ["email", "whatsapp"] {
                assert!(
                    kinds.contains(&(expected.into(), channel.into(), NotificationStatus::Sent)),
                    "{kind}: {expected} by {channel} not sent: {kinds:?}"
                );
            }
        }
        assert_eq!(kinds.len(), 14, "{kind}: {kinds:?}");

        let mails = smtp.messages();
        assert_eq!(mails.len(), 7, "{kind}");
        let root = header(&mails[0], "Message-ID").expect("Message-ID");
        assert_eq!(
            root,
            format!("<tanggap.complaint.{id}@example.go.id>"),
            "{kind}"
        );
        assert_eq!(header(&mails[0], "In-Reply-To"), None, "{kind}");
        let mut ids = vec![root.clone()];
        for mail in &mails {
            assert_eq!(
                header(mail, "Auto-Submitted").as_deref(),
                Some("auto-generated"),
                "{kind}"
            );
            assert_eq!(
                header(mail, "To").as_deref(),
                Some("warga.notifikasi@example.org"),
                "{kind}"
            );
            assert_eq!(
                header(mail, "Reply-To").as_deref(),
                Some("balasan@example.go.id"),
                "{kind}"
            );
            assert!(
                header(mail, "Subject").is_some_and(|s| s.contains(&number)),
                "{kind}: subject without the tracking number"
            );
            let text = body_text(mail);
            assert!(
                text.contains("Thank") || text.contains("Report"),
                "{kind}: not English"
            );
            assert!(
                !text.contains("Laporan"),
                "{kind}: Indonesian text in an English mail"
            );
            assert!(
                !text.contains("Internal"),
                "{kind}: an internal text leaked"
            );
        }
        for mail in &mails[1..] {
            assert_eq!(header(mail, "In-Reply-To").as_ref(), Some(&root), "{kind}");
            assert_eq!(header(mail, "References").as_ref(), Some(&root), "{kind}");
            let id = header(mail, "Message-ID").expect("Message-ID");
            assert!(!ids.contains(&id), "{kind}: Message-ID {id} reused");
            ids.push(id);
        }

        // The secret travels only in the received notice, inside the link.
        let received = body_text(&mails[0]);
        assert!(
            received.contains(&secret),
            "{kind}: no secret in the received mail"
        );
        assert!(
            received.contains(&format!(
                "https://lapor.example.go.id/lacak?nomor={number}&kode={secret}"
            )),
            "{kind}: no tracking link"
        );
        for mail in &mails[1..] {
            assert!(
                !body_text(mail).contains(&secret),
                "{kind}: secret repeated"
            );
        }
        assert!(
            body_text(&mails[1]).contains("Which pole number is it?"),
            "{kind}: hold question"
        );
        assert!(
            body_text(&mails[4]).contains("The lamp was replaced"),
            "{kind}: response"
        );

        // WhatsApp got the same steps as text messages to the number in
        // international form, with the bearer token.
        let requests = whatsapp.requests();
        assert_eq!(requests.len(), 7, "{kind}");
        for request in &requests {
            assert_eq!(request.path, "/v21.0/1098765/messages", "{kind}");
            assert_eq!(
                request.authorization.as_deref(),
                Some("Bearer token-uji-whatsapp"),
                "{kind}"
            );
            let body: Value = serde_json::from_str(&request.body).expect("JSON body");
            assert_eq!(body["to"], "6281255500077", "{kind}");
            assert_eq!(body["type"], "text", "{kind}");
        }
        assert!(requests[0].body.contains(&secret), "{kind}");
        assert!(
            requests[1..].iter().all(|r| !r.body.contains(&secret)),
            "{kind}: secret sent twice by WhatsApp"
        );

        // Nothing is left to send.
        let stored = store
            .claim_notification("probe", i64::MAX - 1, i64::MAX)
            .await
            .expect("claim");
        assert!(stored.is_none(), "{kind}: a notification is still due");

        store.close().await;
        app.stop().await;
        smtp.stop().await;
    }
}

/// Registers a complaint through the staff API with the given contacts.
async fn staff_complaint(app: &App, admin: &Client, reporter: Value) -> i64 {
    let (status, created) = post(
        admin,
        format!("{}/api/v1/complaints", app.base),
        json!({
            "channel": "telephone",
            "complaint_type": "complaint",
            "body": "Saluran air tersumbat di Jalan Veteran",
            "reporter": reporter,
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["complaint"]["id"].as_i64().expect("id")
}

/// Reads the CSRF token from the outbox page, as a browser would.
async fn outbox_page(app: &App, client: &Client) -> (StatusCode, String) {
    let response = client
        .get(format!("{}/admin/pemberitahuan", app.base))
        .send()
        .await
        .expect("outbox page request");
    let status = response.status();
    (status, response.text().await.expect("page"))
}

fn csrf_field(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("CSRF field")
}

#[tokio::test]
async fn failed_sends_retry_then_fail() {
    for kind in backends() {
        // HTTP 500, a timeout, HTTP 500 again, then success.
        let whatsapp: WhatsAppTestDouble = HttpTestDouble::start(vec![
            Behaviour::ServerError,
            Behaviour::Hang,
            Behaviour::ServerError,
            Behaviour::Accept,
        ])
        .await;
        let app = App::spawn_with(kind, |config: &mut ServiceConfig| {
            config.notifications = NotifyConfig {
                max_attempts: 3,
                retry_base_seconds: 60,
                whatsapp: Some(whatsapp_config(&whatsapp.base)),
                ..NotifyConfig::default()
            };
        })
        .await;
        install_outbound(&app);
        let store = open_store(&app).await;
        let admin = app.login("admin").await;
        // E-mail is not configured: that row is skipped, not retried.
        staff_complaint(
            &app,
            &admin,
            json!({ "name": "Warga Uji", "phone": "0812-5550-0088", "email": "warga.uji@example.org" }),
        )
        .await;

        let t0 = jiff::Timestamp::now();
        app.services.scan_notifications(t0).await.expect("scan");
        let rows = outbox(&store).await;
        assert_eq!(rows.len(), 2, "{kind}: {rows:?}");

        // First round: e-mail skipped, WhatsApp gets HTTP 500.
        assert_eq!(deliver_at(&app, t0).await, 2, "{kind}");
        let rows = outbox(&store).await;
        let email = rows
            .iter()
            .find(|n| n.channel == "email")
            .expect("email row");
        assert_eq!(email.status, NotificationStatus::Skipped, "{kind}");
        let chat = rows
            .iter()
            .find(|n| n.channel == "whatsapp")
            .expect("whatsapp row");
        assert_eq!(chat.status, NotificationStatus::Pending, "{kind}");
        assert_eq!(chat.attempts, 1, "{kind}");
        assert_eq!(
            chat.next_attempt_at,
            (t0 + jiff::SignedDuration::from_secs(60)).as_microsecond(),
            "{kind}: first back-off"
        );
        assert!(
            chat.last_error
                .as_deref()
                .is_some_and(|e| e.contains("500")),
            "{kind}: {chat:?}"
        );

        // Not due before the back-off ends.
        assert_eq!(deliver_at(&app, t0).await, 0, "{kind}");

        // The second attempt times out, and the back-off doubles.
        let t1 = t0 + jiff::SignedDuration::from_secs(60);
        assert_eq!(deliver_at(&app, t1).await, 1, "{kind}");
        let chat = whatsapp_row(&store).await;
        assert_eq!(chat.status, NotificationStatus::Pending, "{kind}");
        assert_eq!(chat.attempts, 2, "{kind}");
        assert_eq!(
            chat.next_attempt_at,
            (t1 + jiff::SignedDuration::from_secs(120)).as_microsecond(),
            "{kind}: second back-off"
        );
        assert!(
            chat.last_error
                .as_deref()
                .is_some_and(|e| e.contains("timed out")),
            "{kind}: {chat:?}"
        );

        // The third attempt is the last: the row fails for good.
        let t2 = t1 + jiff::SignedDuration::from_secs(120);
        assert_eq!(deliver_at(&app, t2).await, 1, "{kind}");
        let chat = whatsapp_row(&store).await;
        assert_eq!(chat.status, NotificationStatus::Failed, "{kind}");
        assert_eq!(chat.attempts, 3, "{kind}");
        assert!(
            chat.last_error
                .as_deref()
                .is_some_and(|e| e.contains("after 3 attempts")),
            "{kind}: {chat:?}"
        );
        assert_eq!(whatsapp.requests().len(), 3, "{kind}");
        let later = t2 + jiff::SignedDuration::from_hours(24);
        assert_eq!(
            deliver_at(&app, later).await,
            0,
            "{kind}: a failed row was retried"
        );

        // The staff page lists it without the contact, and a liaison
        // admin may not open it.
        let (status, page) = outbox_page(&app, &admin).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(page.contains("Gagal"), "{kind}: failed state not shown");
        assert!(!page.contains("0812"), "{kind}: phone number shown");
        assert!(!page.contains("warga.uji@"), "{kind}: e-mail address shown");
        assert!(
            !page.contains("Saluran air"),
            "{kind}: complaint text shown"
        );
        let pupr = app.login("pupr").await;
        let (status, _) = outbox_page(&app, &pupr).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{kind}: liaison admin saw the outbox"
        );

        // "Send again" queues it with fresh attempts, and it goes out.
        let response = admin
            .post(format!(
                "{}/admin/pemberitahuan/{}/ulang",
                app.base, chat.id
            ))
            .form(&[("csrf", csrf_field(&page))])
            .send()
            .await
            .expect("retry request");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let page = response.text().await.expect("page");
        assert!(page.contains("masuk antrean lagi"), "{kind}");
        let chat = whatsapp_row(&store).await;
        assert_eq!(chat.status, NotificationStatus::Pending, "{kind}");
        assert_eq!(chat.attempts, 0, "{kind}");
        assert_eq!(deliver_all(&app).await, 1, "{kind}");
        assert_eq!(
            whatsapp_row(&store).await.status,
            NotificationStatus::Sent,
            "{kind}"
        );

        // A sent row cannot be retried.
        let response = admin
            .post(format!(
                "{}/admin/pemberitahuan/{}/ulang",
                app.base, chat.id
            ))
            .form(&[("csrf", csrf_field(&page))])
            .send()
            .await
            .expect("retry request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{kind}");

        store.close().await;
        app.stop().await;
    }
}

async fn whatsapp_row(store: &Arc<dyn Store>) -> NotificationSummary {
    outbox(store)
        .await
        .into_iter()
        .find(|n| n.channel == "whatsapp")
        .expect("whatsapp row")
}

#[tokio::test]
async fn sms_gateway_gets_indonesian_text() {
    for kind in backends() {
        let sms: SmsGatewayTestDouble = HttpTestDouble::start(vec![Behaviour::Accept]).await;
        let app = App::spawn_with(kind, |config: &mut ServiceConfig| {
            config.notifications = NotifyConfig {
                phone_channel: tanggap_service::notify::PhoneChannel::Sms,
                sms: Some(SmsGatewayConfig {
                    url: format!("{}/kirim", sms.base),
                    method: GatewayMethod::Post,
                    to_param: Some("nomor".into()),
                    text_param: Some("pesan".into()),
                    token_param: Some("kunci".into()),
                    token: Some("token-uji-sms".into()),
                    extra_params: [("pengirim".to_owned(), "PEMKOT".to_owned())].into(),
                    timeout_seconds: Some(5),
                    country_code: None,
                }),
                ..NotifyConfig::default()
            };
        })
        .await;
        install_outbound(&app);
        let admin = app.login("admin").await;
        // An anonymous reporter is still told about their own complaint.
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/complaints", app.base),
            json!({
                "channel": "sms",
                "channel_reference": "081255500099",
                "complaint_type": "complaint",
                "body": "Pohon tumbang menutup jalan",
                "anonymous": true,
                "reporter": { "name": "Warga Rahasia", "phone": "081255500099" },
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let number = created["complaint"]["tracking_number"]
            .as_str()
            .expect("tracking number")
            .to_owned();
        assert_eq!(deliver_all(&app).await, 1, "{kind}");

        let requests = sms.requests();
        assert_eq!(requests.len(), 1, "{kind}");
        assert_eq!(requests[0].path, "/kirim", "{kind}");
        assert_eq!(requests[0].authorization, None, "{kind}");
        let form: Vec<(String, String)> = form_urlencoded::parse(requests[0].body.as_bytes())
            .into_owned()
            .collect();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(field("nomor"), "6281255500099", "{kind}");
        assert_eq!(field("kunci"), "token-uji-sms", "{kind}");
        assert_eq!(field("pengirim"), "PEMKOT", "{kind}");
        let text = field("pesan");
        assert!(text.contains(&number), "{kind}: {text}");
        assert!(
            text.contains("Laporan Anda sudah kami terima"),
            "{kind}: {text}"
        );
        assert!(
            !text.contains("Warga Rahasia"),
            "{kind}: name in the message"
        );
        app.stop().await;
    }
}

/// A complaint converted from an SMS conversation is answered by SMS at
/// the sender's number, although the reporter form has no phone number and
/// the configured phone channel is WhatsApp.
#[tokio::test]
async fn triage_complaint_answered_on_origin_channel() {
    const GATEWAY_TOKEN: &str = "rahasia-gateway-masuk";
    for kind in backends() {
        let sms: SmsGatewayTestDouble = HttpTestDouble::start(vec![Behaviour::Accept]).await;
        let whatsapp: WhatsAppTestDouble = HttpTestDouble::start(vec![Behaviour::Accept]).await;
        let app = App::spawn_with(kind, |config: &mut ServiceConfig| {
            config.triage.sms = Some(tanggap_service::triage::SmsConfig {
                token: Some(GATEWAY_TOKEN.into()),
                ..tanggap_service::triage::SmsConfig::default()
            });
            config.notifications = NotifyConfig {
                phone_channel: tanggap_service::notify::PhoneChannel::Whatsapp,
                whatsapp: Some(whatsapp_config(&whatsapp.base)),
                sms: Some(SmsGatewayConfig {
                    url: format!("{}/kirim", sms.base),
                    method: GatewayMethod::Post,
                    to_param: Some("nomor".into()),
                    text_param: Some("pesan".into()),
                    token_param: None,
                    token: None,
                    extra_params: Default::default(),
                    timeout_seconds: Some(5),
                    country_code: None,
                }),
                ..NotifyConfig::default()
            };
        })
        .await;
        install_outbound(&app);
        let store = open_store(&app).await;
        let admin = app.login("admin").await;

        let response = Client::new()
            .post(format!("{}/webhooks/sms", app.base))
            .header("x-gateway-token", GATEWAY_TOKEN)
            .form(&[
                ("id", "balas-1"),
                ("from", "081255500077"),
                ("text", "Sampah di Pasar Lama belum diangkut"),
            ])
            .send()
            .await
            .expect("SMS webhook");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let (_, list) = get(&admin, format!("{}/api/v1/triage?state=new", app.base)).await;
        let conversation = list[0]["id"].as_i64().expect("conversation id");
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/triage/{conversation}/convert", app.base),
            json!({ "complaint_type": "complaint" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let number = created["complaint"]["tracking_number"]
            .as_str()
            .expect("tracking number")
            .to_owned();

        assert_eq!(deliver_all(&app).await, 1, "{kind}");
        let rows = outbox(&store).await;
        assert_eq!(rows.len(), 1, "{kind}: {rows:?}");
        assert_eq!(rows[0].channel, "sms", "{kind}");
        assert_eq!(rows[0].status, NotificationStatus::Sent, "{kind}");
        assert!(whatsapp.requests().is_empty(), "{kind}: sent by WhatsApp");
        let requests = sms.requests();
        assert_eq!(requests.len(), 1, "{kind}");
        let form: Vec<(String, String)> = form_urlencoded::parse(requests[0].body.as_bytes())
            .into_owned()
            .collect();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(field("nomor"), "6281255500077", "{kind}");
        assert!(field("pesan").contains(&number), "{kind}");
        store.close().await;
        app.stop().await;
    }
}
