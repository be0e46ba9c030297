//! End-to-end tests: the real server on a random port over real HTTP, on
//! SQLite and (when `TANGGAP_TEST_DATABASE_URL` is set) PostgreSQL.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tanggap_core::Role;
use tanggap_service::reference::ReferenceData;
use tanggap_service::{ServiceConfig, Services};
use tanggap_store::testing::{TestDatabase, backends};

mod attachments;
mod lapor;
mod monev;
mod notify;
mod open311;
mod openapi;
mod portal;
mod process;
mod report;
mod reportdocs;
mod triage;

const PASSWORD: &str = "kata-sandi-uji-123";

pub(crate) const REFERENCE: ReferenceData<'static> = ReferenceData {
    agencies_csv: include_str!("../../../data/perangkat-daerah-banjarmasin.csv"),
    regions_csv: include_str!("../../../data/wilayah-banjarmasin.csv"),
    categories_json: include_str!("../../../data/lapor-categories.json"),
    holidays_csv: include_str!("../../../data/hari-libur-2025-2026.csv"),
};

struct App {
    base: String,
    services: Services,
    db: Option<TestDatabase>,
    server: tokio::task::JoinHandle<()>,
    /// Upload directory of this server, removed when the test ends.
    _uploads: tempfile::TempDir,
}

impl App {
    async fn spawn(kind: &str) -> App {
        Self::spawn_with(kind, |_| {}).await
    }

    /// Starts a server whose service configuration `configure` changes.
    async fn spawn_with(kind: &str, configure: impl FnOnce(&mut ServiceConfig)) -> App {
        let db = TestDatabase::create(kind).await.expect("test database");
        let store = db.store().await.expect("store");
        let uploads = tempfile::tempdir().expect("upload directory");
        let mut config = ServiceConfig {
            upload_dir: uploads.path().to_owned(),
            ..ServiceConfig::default()
        };
        configure(&mut config);
        let services = Services::new(store, config).await.expect("services");
        services.seed_reference(REFERENCE).await.expect("seed");
        let users: &[(&str, Role, Option<&str>)] = &[
            ("admin", Role::CentralAdmin, None),
            ("pupr", Role::LiaisonAdmin, Some("PUPR")),
            ("dlh", Role::LiaisonAdmin, Some("DLH")),
            ("dishub", Role::LiaisonAdmin, Some("DISHUB")),
            ("head.pupr", Role::AgencyHead, Some("PUPR")),
            ("head.dishub", Role::AgencyHead, Some("DISHUB")),
            ("sekda", Role::CitySecretary, None),
            ("team", Role::ComplaintTeam, None),
            ("inspector", Role::Inspectorate, None),
            ("sysadmin", Role::SystemAdmin, None),
        ];
        for (username, role, agency) in users {
            services
                .add_user(None, username, username, PASSWORD, *role, *agency)
                .await
                .expect("user");
        }
        let router = tanggap_web::router(
            services.clone(),
            tanggap_web::WebConfig {
                secure_cookies: false,
                map_tile_url: None,
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            // The connection's address feeds the portal's rate limits.
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("server");
        });
        App {
            base,
            services,
            db: Some(db),
            server,
            _uploads: uploads,
        }
    }

    /// A client signed in as `username`.
    async fn login(&self, username: &str) -> Client {
        let client = Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let response = client
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        client
    }

    async fn stop(mut self) {
        self.server.abort();
        self.services.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

async fn post(client: &Client, url: String, body: Value) -> (StatusCode, Value) {
    let response = client.post(url).json(&body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(client: &Client, url: String) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn intake(body: &str, anonymous: bool) -> Value {
    json!({
        "channel": "whatsapp",
        "channel_reference": "081200000002",
        "complaint_type": "complaint",
        "body": body,
        "reporter": { "name": "Warga Uji", "phone": "081200000002", "nik": "6371010101900001" },
        "anonymous": anonymous,
        "location": { "kelurahan_code": "63.71.01.1001" }
    })
}

/// Creates, verifies and dispatches a complaint to PUPR with DLH supporting.
async fn dispatched(app: &App, admin: &Client, anonymous: bool) -> i64 {
    let (status, created) = post(
        admin,
        format!("{}/api/v1/complaints", app.base),
        intake("Jalan berlubang di Mantuil", anonymous),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["complaint"]["id"].as_i64().expect("id");
    assert!(created["secret"].as_str().is_some_and(|s| s.len() == 32));
    let (status, verified) = post(
        admin,
        format!("{}/api/v1/complaints/{id}/actions/verify", app.base),
        json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    let (status, body) = post(
        admin,
        format!("{}/api/v1/complaints/{id}/actions/dispatch", app.base),
        json!({ "version": 2, "lead_agency": "PUPR", "supporting_agencies": ["DLH"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[tokio::test]
async fn agency_scope_and_identity_by_role() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let anonymous = dispatched(&app, &admin, true).await;
        let open = dispatched(&app, &admin, false).await;

        // (user, sees the complaint, sees an anonymous reporter)
        let cases = [
            ("admin", true, true),
            ("pupr", true, false),
            ("dlh", true, false),
            ("dishub", false, false),
            ("head.pupr", true, false),
            ("head.dishub", false, false),
            ("sekda", true, false),
            ("team", true, false),
            ("inspector", false, false),
        ];
        for (user, sees, sees_identity) in cases {
            let client = app.login(user).await;
            let (status, body) = get(
                &client,
                format!("{}/api/v1/complaints/{anonymous}", app.base),
            )
            .await;
            if !sees {
                assert_eq!(status, StatusCode::NOT_FOUND, "{kind} {user}: {body}");
                let (status, _) = get(
                    &client,
                    format!("{}/api/v1/complaints/{anonymous}/events", app.base),
                )
                .await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{kind} {user} events");
                let (status, _) = post(
                    &client,
                    format!(
                        "{}/api/v1/complaints/{anonymous}/actions/follow-up",
                        app.base
                    ),
                    json!({ "version": 3, "text": "x" }),
                )
                .await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{kind} {user} action");
                let (_, list) = get(&client, format!("{}/api/v1/complaints", app.base)).await;
                assert_eq!(list["total"], 0, "{kind} {user} list");
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{kind} {user}: {body}");
            assert_eq!(body["identity_visible"], sees_identity, "{kind} {user}");
            let text = body.to_string();
            assert_eq!(
                text.contains("Warga Uji"),
                sees_identity,
                "{kind} {user} name"
            );
            assert_eq!(
                text.contains("6371010101900001"),
                sees_identity,
                "{kind} {user} NIK"
            );
            // Without the anonymous flag the agencies see who reported.
            let (_, open_body) =
                get(&client, format!("{}/api/v1/complaints/{open}", app.base)).await;
            assert_eq!(open_body["reporter"]["name"], "Warga Uji", "{kind} {user}");
            let (_, list) = get(&client, format!("{}/api/v1/complaints", app.base)).await;
            assert_eq!(list["total"], 2, "{kind} {user} list");
            assert!(
                list.to_string().contains("Warga Uji"),
                "{kind} {user} list identity"
            );
        }

        let sysadmin = app.login("sysadmin").await;
        let (status, body) = get(
            &sysadmin,
            format!("{}/api/v1/complaints/{anonymous}", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

        // A supporting agency follows up, only the lead responds.
        let dlh = app.login("dlh").await;
        let (status, _) = post(
            &dlh,
            format!(
                "{}/api/v1/complaints/{anonymous}/actions/follow-up",
                app.base
            ),
            json!({ "version": 3, "text": "Sampah diangkut" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = post(
            &dlh,
            format!("{}/api/v1/complaints/{anonymous}/actions/respond", app.base),
            json!({ "version": 4, "text": "Selesai" }),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let pupr = app.login("pupr").await;
        let (status, body) = post(
            &pupr,
            format!("{}/api/v1/complaints/{anonymous}/actions/respond", app.base),
            json!({ "version": 4, "text": "Sudah ditambal" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "responded");
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let url = format!("{}/api/v1/complaints", app.base);

        let response = admin
            .post(&url)
            .header("content-type", "application/json")
            .body("{\"channel\":")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "malformed_json");
        assert!(
            body["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Isi permintaan bukan JSON"))
        );

        let mut long = intake("x", false);
        long["title"] = json!("a".repeat(201));
        long["location"]["kelurahan_code"] = json!("99.99");
        long["reporter"]["nik"] = json!("123");
        let response = admin
            .post(&url)
            .header("accept-language", "en")
            .json(&long)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.expect("json");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["title", "reporter.nik"], "{body}");
        assert_eq!(
            body["errors"][0]["message"],
            "Too long; at most 200 characters."
        );

        let mut unknown = intake("Banjir", false);
        unknown["location"]["kelurahan_code"] = json!("99.99");
        let (status, body) = post(&admin, url.clone(), unknown).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["code"], "unknown_kelurahan");

        let id = dispatched(&app, &admin, false).await;
        let action = |name: &str| format!("{}/api/v1/complaints/{id}/actions/{name}", app.base);
        let (status, body) = post(
            &admin,
            action("verify"),
            json!({ "version": 3, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "invalid_transition");
        assert_eq!(body["current_status"], "dispatched");
        let (status, body) = post(
            &admin,
            action("note"),
            json!({ "version": 1, "text": "catatan" }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "version_conflict");
        assert_eq!(body["current_version"], 3);
        let (status, body) = post(
            &admin,
            action("archive"),
            json!({ "version": 3, "reason": "spam" }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let pupr = app.login("pupr").await;
        let (status, body) = post(
            &pupr,
            action("follow-up"),
            json!({ "version": 3, "text": "" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = post(&admin, action("bogus"), json!({ "version": 3 })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (_, unchanged) = get(&admin, format!("{}/api/v1/complaints/{id}", app.base)).await;
        assert_eq!(unchanged["version"], 3);
        assert_eq!(unchanged["status"], "dispatched");

        let dispatch_unknown = post(
            &admin,
            format!("{}/api/v1/complaints/{id}/actions/return", app.base),
            json!({ "version": 3, "reason": "x" }),
        )
        .await;
        assert_eq!(dispatch_unknown.0, StatusCode::FORBIDDEN);

        // Idempotency: the same key and body give the same complaint.
        let send = |body: Value| {
            admin
                .post(&url)
                .header("idempotency-key", "retry-42")
                .json(&body)
                .send()
        };
        let first = send(intake("Drainase tersumbat", false))
            .await
            .expect("request");
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.expect("json");
        let again = send(intake("Drainase tersumbat", false))
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.headers()["idempotency-replayed"], "true");
        let again: Value = again.json().await.expect("json");
        assert_eq!(again["complaint"]["id"], first["complaint"]["id"]);
        assert_eq!(again["secret"], Value::Null);
        let other = send(intake("Isi lain", false)).await.expect("request");
        assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let (_, list) = get(&admin, url.clone()).await;
        assert_eq!(list["total"], 2);

        // Wrong passwords lock the account, in the user's language.
        let client = Client::new();
        for _ in 0..5 {
            let r = client
                .post(format!("{}/api/v1/session", app.base))
                .json(&json!({"username": "team", "password": "salah-sekali"}))
                .send()
                .await
                .expect("request");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = client
            .post(format!("{}/api/v1/session", app.base))
            .json(&json!({"username": "team", "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::LOCKED);
        app.stop().await;
    }
}

#[tokio::test]
async fn openapi_and_health() {
    let app = App::spawn("sqlite").await;
    let client = Client::new();
    let (status, doc) = get(&client, format!("{}/api/v1/openapi.json", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/api/v1/complaints/{id}/actions/{action}"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ComplaintDto"].is_object());
    let (status, ready) = get(&client, format!("{}/readyz", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["database"], "sqlite");
    let (status, body) = get(&client, format!("{}/api/v1/complaints", app.base)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    app.stop().await;
}

/// The sample complaints get their verification deadlines in working days,
/// pinned here for arrivals around Imlek, Nyepi and Idulfitri 2026.
#[tokio::test]
async fn sample_deadlines_around_idulfitri() {
    let app = App::spawn("sqlite").await;
    let report = app
        .services
        .import_jsonl(include_str!("../../../data/pengaduan-contoh.jsonl"))
        .await
        .expect("import");
    assert_eq!(report.imported, 240, "{:?}", report.rejected);
    let again = app
        .services
        .import_jsonl(include_str!("../../../data/pengaduan-contoh.jsonl"))
        .await
        .expect("re-import");
    assert_eq!((again.imported, again.unchanged), (0, 240));

    let admin = app.login("admin").await;
    // (received at, due date): computed by hand from the SKB holiday list.
    let pins = [
        ("2026-02-16T10:20:38Z", "2026-02-23"), // Monday 18:20 WITA, Imlek cuti bersama day
        ("2026-03-11T06:47:08Z", "2026-03-16"), // Wednesday before Nyepi
        ("2026-03-18T03:02:21Z", "2026-03-30"), // during cuti bersama
        ("2026-03-22T06:52:40Z", "2026-03-30"), // Sunday, Idulfitri day 2
        ("2026-03-31T13:26:43Z", "2026-04-06"), // 21:26 WITA, across Good Friday
    ];
    for (received, due) in pins {
        let url = format!(
            "{}/api/v1/complaints?received_from={received}&received_until={}&per_page=5",
            app.base,
            received.parse::<jiff::Timestamp>().expect("instant")
                + jiff::SignedDuration::from_secs(1)
        );
        let (status, page) = get(&admin, url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 1, "{received}");
        assert_eq!(page["items"][0]["deadlines"]["due_date"], due, "{received}");
    }
    app.stop().await;
}

#[tokio::test]
async fn demo_runs_and_audit_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let url = format!("sqlite://{}", db.display());
    let store = tanggap_store::connect(&url).await.expect("store");
    store.migrate().await.expect("migrate");
    let services = Services::new(store.clone(), ServiceConfig::default())
        .await
        .expect("services");
    services.seed_reference(REFERENCE).await.expect("seed");
    let renderer = tanggap_web::report_document::VersionRenderer {
        services: services.clone(),
    };
    let report = services
        .setup_demo(
            include_str!("../../../data/pengaduan-contoh.jsonl"),
            &renderer,
        )
        .await
        .expect("demo");
    assert_eq!(report.complaints_imported, 240);
    assert_eq!(
        report.reports_approved,
        tanggap_service::demo::DEMO_APPROVED_QUARTERS.len()
    );
    assert_eq!(report.monev_runs_started, 1, "the demo has a run");
    assert!(
        report.rejected_lines.is_empty(),
        "{:?}",
        report.rejected_lines
    );
    let again = services
        .setup_demo(
            include_str!("../../../data/pengaduan-contoh.jsonl"),
            &renderer,
        )
        .await
        .expect("demo again");
    assert_eq!(again.complaints_imported, 0);
    assert_eq!(again.reports_approved, 0);
    assert_eq!(again.monev_runs_started, 0);
    // Every staff step of the demo names its account in the audit log.
    let entries = store
        .audit_entries(0, 1_000_000)
        .await
        .expect("audit entries");
    assert!(entries.iter().any(|e| e.actor.starts_with("user:")));
    assert!(entries.iter().all(|e| e.actor != "user:unknown"));
    services.close().await;

    let output = process::tanggap(&url, &["audit", "verify"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Audit log intact"));

    // Someone with database access edits an entry behind the system's back.
    let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&pool)
        .await
        .expect("drop trigger");
    sqlx::query("UPDATE audit_log SET details = '{\"rows\":1}' WHERE seq = 3")
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;
    let output = process::tanggap(&url, &["audit", "verify"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("audit entry 3"));
    let _ = Duration::from_secs(0);
}

#[tokio::test]
async fn dashboard_counts_new_complaints_at_once() {
    use tanggap_core::lifecycle::{Actor, Intake};
    use tanggap_core::{Channel, Status};
    use tanggap_service::Principal;
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = Principal {
            user_id: 1,
            username: "admin".into(),
            display_name: "admin".into(),
            role: Role::CentralAdmin,
            agency: None,
        };
        let register = |body: &'static str| {
            let services = app.services.clone();
            async move {
                let intake = Intake {
                    channel: Some(Channel::Web),
                    body: Some(body.into()),
                    ..Intake::default()
                };
                services
                    .register(&Actor::reporter(), intake, jiff::Timestamp::now(), None)
                    .await
                    .expect("registered");
            }
        };
        register("Lampu jalan padam di depan pasar.").await;
        let first = app.services.dashboard(&admin).await.expect("dashboard");
        let again = app.services.dashboard(&admin).await.expect("dashboard");
        assert_eq!(first.total, 1, "{kind}");
        assert_eq!(again.total, 1, "{kind}");

        // A change made after the dashboard was computed shows on the next
        // request, however soon it comes.
        register("Sampah menumpuk di tepi sungai.").await;
        let after = app.services.dashboard(&admin).await.expect("dashboard");
        assert_eq!(after.total, 2, "{kind}");
        let received = after
            .by_status
            .iter()
            .find(|(code, _)| code.as_deref() == Some(Status::Received.code()))
            .map(|(_, n)| *n);
        assert_eq!(received, Some(2), "{kind}");
        app.stop().await;
    }
}
