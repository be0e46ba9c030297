//! The triage inbox: WhatsApp and SMS webhooks with their signature checks
//! and deduplication, and staff turning conversations into complaints,
//! attaching them, and dismissing them over HTTP.

pub(crate) mod mail;

use super::{App, get, post};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::get as get_route;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tanggap_intake::signature::sign_hmac_sha256_hex;
use tanggap_service::triage::{SmsConfig, WhatsAppConfig};
use tanggap_store::testing::backends;

const APP_SECRET: &str = "rahasia-aplikasi-uji";
const VERIFY_TOKEN: &str = "token-verifikasi-uji";
const ACCESS_TOKEN: &str = "token-akses-uji";
const SMS_TOKEN: &str = "rahasia-gateway-uji";
const WA_SENDER: &str = "6281200000011";

/// Builds a small PNG picture.
pub(super) fn png() -> Vec<u8> {
    let picture =
        image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 60]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// Starts a test double of the WhatsApp Graph API on 127.0.0.1: it
/// resolves media id `M1` to a download URL on itself and serves a PNG
/// there, both only with the expected bearer token. Returns its base URL.
async fn graph_api_test_double() -> String {
    async fn authorised(headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {ACCESS_TOKEN}"))
    }
    async fn media_info(
        State(base): State<String>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Result<axum::Json<Value>, AxumStatus> {
        if !authorised(&headers).await || id != "M1" {
            return Err(AxumStatus::NOT_FOUND);
        }
        Ok(axum::Json(json!({
            "url": format!("{base}/download/{id}"),
            "mime_type": "image/png",
            "id": id,
        })))
    }
    async fn download(headers: HeaderMap) -> Result<Vec<u8>, AxumStatus> {
        if !authorised(&headers).await {
            return Err(AxumStatus::UNAUTHORIZED);
        }
        Ok(png())
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind Graph API test double");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = Router::new()
        .route("/download/{id}", get_route(download))
        .route("/{id}", get_route(media_info))
        .with_state(base.clone());
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("Graph API test double");
    });
    base
}

fn whatsapp_config(graph_base_url: String) -> WhatsAppConfig {
    WhatsAppConfig {
        verify_token: VERIFY_TOKEN.into(),
        app_secret: APP_SECRET.into(),
        access_token: ACCESS_TOKEN.into(),
        graph_base_url,
    }
}

fn sms_config() -> SmsConfig {
    SmsConfig {
        token: Some(SMS_TOKEN.into()),
        ..SmsConfig::default()
    }
}

/// A webhook body as Meta sends it: a text and an image message.
fn whatsapp_body() -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "1",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "620000", "phone_number_id": "1" },
                    "contacts": [{ "wa_id": WA_SENDER, "profile": { "name": "Warga Uji" } }],
                    "messages": [
                        {
                            "from": WA_SENDER, "id": "wamid.UJI1", "timestamp": "1767225600",
                            "type": "text", "text": { "body": "Lampu jalan di Jalan Sutoyo mati sejak seminggu" }
                        },
                        {
                            "from": WA_SENDER, "id": "wamid.UJI2", "timestamp": "1767225660",
                            "type": "image", "image": { "id": "M1", "mime_type": "image/png", "caption": "Fotonya" }
                        }
                    ]
                }
            }]
        }]
    })
    .to_string()
    .into_bytes()
}

/// Posts a WhatsApp webhook body signed with `secret`, as Meta signs it.
async fn post_whatsapp(app: &App, body: &[u8], secret: &str) -> (StatusCode, Value) {
    let signature = format!("sha256={}", sign_hmac_sha256_hex(secret.as_bytes(), body));
    let response = Client::new()
        .post(format!("{}/webhooks/whatsapp", app.base))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("webhook request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts an SMS gateway form with the given shared secret.
async fn post_sms(app: &App, token: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = Client::new()
        .post(format!("{}/webhooks/sms", app.base))
        .header("x-gateway-token", token)
        .form(form)
        .send()
        .await
        .expect("SMS request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn conversations(app: &App, admin: &Client, state: &str) -> Vec<Value> {
    let (status, list) = get(admin, format!("{}/api/v1/triage?state={state}", app.base)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn whatsapp_webhook_signed_and_deduplicated() {
    let graph = graph_api_test_double().await;
    for kind in backends() {
        let config = whatsapp_config(graph.clone());
        let app = App::spawn_with(kind, |c| c.triage.whatsapp = Some(config)).await;
        let admin = app.login("admin").await;
        let client = Client::new();

        // The subscription handshake echoes the challenge only for our token.
        let handshake = |token: &str| {
            format!(
                "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=12345",
                app.base
            )
        };
        let response = client
            .get(handshake(VERIFY_TOKEN))
            .send()
            .await
            .expect("handshake");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        assert_eq!(response.text().await.expect("challenge"), "12345");
        let response = client
            .get(handshake("salah"))
            .send()
            .await
            .expect("handshake");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{kind}");

        // A bad signature is rejected and stores nothing.
        let body = whatsapp_body();
        let (status, problem) = post_whatsapp(&app, &body, "rahasia-lain").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{kind}: {problem}");
        assert_eq!(problem["code"], "invalid_signature", "{kind}");
        assert!(conversations(&app, &admin, "").await.is_empty(), "{kind}");

        // A signed delivery stores both messages, with the image fetched
        // from the Graph API test double.
        let (status, delivery) = post_whatsapp(&app, &body, APP_SECRET).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {delivery}");
        assert_eq!(delivery, json!({ "stored": 2, "duplicates": 0 }), "{kind}");

        // Meta retries the same delivery: nothing is stored twice.
        let (status, delivery) = post_whatsapp(&app, &body, APP_SECRET).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(delivery, json!({ "stored": 0, "duplicates": 2 }), "{kind}");

        let list = conversations(&app, &admin, "new").await;
        assert_eq!(list.len(), 1, "{kind}: {list:?}");
        let item = &list[0];
        assert_eq!(item["channel"], "whatsapp");
        assert_eq!(item["message_count"], 2);
        assert_eq!(item["sender"], "6281*******11", "{kind}: masked in lists");
        assert!(
            !item.to_string().contains(WA_SENDER),
            "{kind}: number in list"
        );
        assert!(
            item["preview"]
                .as_str()
                .is_some_and(|p| p.starts_with("Lampu jalan")),
            "{kind}: {item}"
        );

        let id = item["id"].as_i64().expect("conversation id");
        let (status, detail) = get(&admin, format!("{}/api/v1/triage/{id}", app.base)).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(detail["sender_address"], WA_SENDER);
        assert_eq!(detail["sender_name"], "Warga Uji");
        assert_eq!(
            detail["messages"][1]["files"][0]["media_type"], "image/png",
            "{detail}"
        );
        assert_eq!(detail["messages"][1]["body"], "Fotonya");

        // Turning it into a complaint carries the photo over.
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/triage/{id}/convert", app.base),
            json!({ "complaint_type": "complaint", "reporter": { "name": "Warga Uji", "phone": WA_SENDER } }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let complaint = created["complaint"]["id"].as_i64().expect("complaint id");
        assert_eq!(created["complaint"]["channel"], "whatsapp");
        assert_eq!(created["complaint"]["channel_reference"], WA_SENDER);
        assert!(
            created["complaint"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Lampu jalan") && b.contains("Fotonya")),
            "{kind}: {created}"
        );
        let (_, events) = get(
            &admin,
            format!("{}/api/v1/complaints/{complaint}/events", app.base),
        )
        .await;
        let attached = events
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["action"] == "attach")
            .count();
        assert_eq!(attached, 1, "{kind}: {events}");
        app.stop().await;
    }
}

#[tokio::test]
async fn sms_webhook_checks_secret() {
    for kind in backends() {
        let app = App::spawn_with(kind, |c| c.triage.sms = Some(sms_config())).await;
        let admin = app.login("admin").await;
        let form = [
            ("id", "sms-1"),
            ("from", "+6281200000021"),
            ("text", "Sampah menumpuk di pasar"),
            ("timestamp", "1767225600"),
        ];

        let (status, problem) = post_sms(&app, "salah", &form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{kind}: {problem}");
        assert!(conversations(&app, &admin, "").await.is_empty(), "{kind}");

        let (status, body) = post_sms(&app, SMS_TOKEN, &form).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["stored"], true);
        let (status, body) = post_sms(&app, SMS_TOKEN, &form).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["duplicate"], true, "{kind}: replayed id");

        let (status, problem) =
            post_sms(&app, SMS_TOKEN, &[("id", "sms-2"), ("from", "0812")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}: {problem}");

        let list = conversations(&app, &admin, "new").await;
        assert_eq!(list.len(), 1, "{kind}");
        assert_eq!(list[0]["message_count"], 1, "{kind}");

        // The inbox is the central admin's.
        let pupr = app.login("pupr").await;
        let (status, _) = get(&pupr, format!("{}/api/v1/triage", app.base)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");

        // An unconfigured channel does not exist.
        let response = Client::new()
            .post(format!("{}/webhooks/whatsapp", app.base))
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{kind}");
        app.stop().await;
    }
}

#[tokio::test]
async fn conversations_convert_attach_dismiss() {
    for kind in backends() {
        let app = App::spawn_with(kind, |c| c.triage.sms = Some(sms_config())).await;
        let admin = app.login("admin").await;
        let sms = |id: &'static str, from: &'static str, text: &'static str| {
            [("id", id), ("from", from), ("text", text)]
        };
        for form in [
            sms("a-1", "081200000031", "Jalan berlubang di Kelayan"),
            sms("b-1", "081200000032", "Lubangnya makin besar"),
            sms("c-1", "081200000033", "Menang undian!"),
        ] {
            let (status, body) = post_sms(&app, SMS_TOKEN, &form).await;
            assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        }
        let list = conversations(&app, &admin, "new").await;
        assert_eq!(list.len(), 3, "{kind}");
        let id_of = |preview: &str| {
            list.iter()
                .find(|c| {
                    c["preview"]
                        .as_str()
                        .is_some_and(|p| p.starts_with(preview))
                })
                .and_then(|c| c["id"].as_i64())
                .expect("conversation")
        };
        let (first, second, spam) = (id_of("Jalan"), id_of("Lubangnya"), id_of("Menang"));

        // Convert the first conversation with the recording form.
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/triage/{first}/convert", app.base),
            json!({ "complaint_type": "complaint", "title": "Jalan berlubang" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let complaint = created["complaint"]["id"].as_i64().expect("complaint id");
        assert_eq!(created["complaint"]["channel"], "sms");
        assert_eq!(created["complaint"]["channel_reference"], "081200000031");

        // Converting twice is refused.
        let (status, problem) = post(
            &admin,
            format!("{}/api/v1/triage/{first}/convert", app.base),
            json!({}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {problem}"
        );
        assert_eq!(
            problem["errors"][0]["code"], "triage_not_new",
            "{kind}: {problem}"
        );

        // The reporter writes again: the message follows the complaint.
        let (status, _) = post_sms(
            &app,
            SMS_TOKEN,
            &sms("a-2", "081200000031", "Sudah ada perbaikan?"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let converted = conversations(&app, &admin, "converted").await;
        assert_eq!(converted.len(), 1, "{kind}");
        assert_eq!(converted[0]["complaint_id"], complaint);
        assert_eq!(converted[0]["unread"], true, "{kind}: new reporter input");
        let events = complaint_events(&app, &admin, complaint).await;
        assert!(
            events.iter().any(|e| e["text"] == "Sudah ada perbaikan?"
                && e["data"]["reporter_message"] == true
                && e["visibility"] == "internal"),
            "{kind}: {events:?}"
        );

        // Attach the second conversation to the same complaint.
        let (status, body) = post(
            &admin,
            format!("{}/api/v1/triage/{second}/attach", app.base),
            json!({ "complaint_id": complaint }),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{kind}: {body}");
        let events = complaint_events(&app, &admin, complaint).await;
        assert!(
            events.iter().any(|e| e["text"] == "Lubangnya makin besar"),
            "{kind}: {events:?}"
        );
        let (status, problem) = post(
            &admin,
            format!("{}/api/v1/triage/{spam}/attach", app.base),
            json!({ "complaint_id": 999_999 }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {problem}"
        );

        // Dismiss the spam, with a reason from the list only.
        let (status, _) = post(
            &admin,
            format!("{}/api/v1/triage/{spam}/dismiss", app.base),
            json!({ "reason": "bukan" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let (status, _) = post(
            &admin,
            format!("{}/api/v1/triage/{spam}/dismiss", app.base),
            json!({ "reason": "spam" }),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{kind}");
        let dismissed = conversations(&app, &admin, "dismissed").await;
        assert_eq!(dismissed.len(), 1, "{kind}");
        assert_eq!(dismissed[0]["reason"], "spam");
        assert!(
            conversations(&app, &admin, "new").await.is_empty(),
            "{kind}"
        );

        // A dismissed sender who writes again starts a new conversation.
        let (status, _) = post_sms(&app, SMS_TOKEN, &sms("c-2", "081200000033", "Halo")).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(conversations(&app, &admin, "new").await.len(), 1, "{kind}");
        app.stop().await;
    }
}

/// Two central admins convert the same conversations at the same time:
/// each conversation yields one complaint, the request that created it
/// succeeds with the reporter's secret, and the other gets the error that
/// the conversation is no longer new.
#[tokio::test]
async fn concurrent_convert_creates_one_complaint() {
    const CONVERSATIONS: usize = 6;
    for kind in backends() {
        let app = App::spawn_with(kind, |c| c.triage.sms = Some(sms_config())).await;
        app.services
            .add_user(
                None,
                "admin2",
                "admin2",
                super::PASSWORD,
                tanggap_core::Role::CentralAdmin,
                None,
            )
            .await
            .expect("second central admin");
        let first = app.login("admin").await;
        let second = app.login("admin2").await;
        for index in 0..CONVERSATIONS {
            let id = format!("race-{index}");
            let from = format!("08120000004{index}");
            let form = [
                ("id", id.as_str()),
                ("from", from.as_str()),
                ("text", "Drainase tersumbat di Jalan Pramuka"),
            ];
            let (status, body) = post_sms(&app, SMS_TOKEN, &form).await;
            assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        }
        let list = conversations(&app, &first, "new").await;
        assert_eq!(list.len(), CONVERSATIONS, "{kind}");

        for conversation in &list {
            let id = conversation["id"].as_i64().expect("conversation id");
            let url = format!("{}/api/v1/triage/{id}/convert", app.base);
            let form = json!({ "complaint_type": "complaint" });
            let ((status_a, body_a), (status_b, body_b)) = tokio::join!(
                post(&first, url.clone(), form.clone()),
                post(&second, url.clone(), form.clone()),
            );
            let mut statuses = [status_a, status_b];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
                "{kind}: {body_a} {body_b}"
            );
            let (created, refused) = if status_a == StatusCode::CREATED {
                (body_a, body_b)
            } else {
                (body_b, body_a)
            };
            assert_eq!(refused["errors"][0]["code"], "triage_not_new", "{kind}");
            // The successful response comes from the request that created
            // the complaint, so the reporter's secret is shown once.
            assert!(
                created["secret"].as_str().is_some_and(|s| !s.is_empty()),
                "{kind}: {created}"
            );
        }

        let (_, complaints) = get(&first, format!("{}/api/v1/complaints", app.base)).await;
        assert_eq!(complaints["total"], CONVERSATIONS, "{kind}: {complaints}");
        let converted = conversations(&app, &first, "converted").await;
        assert_eq!(converted.len(), CONVERSATIONS, "{kind}");
        let mut complaint_ids: Vec<i64> = converted
            .iter()
            .filter_map(|c| c["complaint_id"].as_i64())
            .collect();
        complaint_ids.sort_unstable();
        complaint_ids.dedup();
        assert_eq!(complaint_ids.len(), CONVERSATIONS, "{kind}: {converted:?}");
        app.stop().await;
    }
}

/// The demo inbox goes through the webhook and e-mail parsers into three
/// conversations, and a second run stores nothing.
#[tokio::test]
async fn demo_inbox_seeded_once() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let first = tanggap_intake::demo::seed_triage_inbox(&app.services)
            .await
            .expect("demo inbox");
        assert_eq!(
            (first.whatsapp, first.sms, first.email),
            (3, 1, 1),
            "{kind}"
        );
        let again = tanggap_intake::demo::seed_triage_inbox(&app.services)
            .await
            .expect("demo inbox again");
        assert_eq!(
            (again.whatsapp, again.sms, again.email),
            (0, 0, 0),
            "{kind}"
        );

        let list = conversations(&app, &admin, "new").await;
        let mut channels: Vec<&str> = list.iter().filter_map(|c| c["channel"].as_str()).collect();
        channels.sort_unstable();
        assert_eq!(channels, ["email", "sms", "whatsapp"], "{kind}: {list:?}");
        let mail = list
            .iter()
            .find(|c| c["channel"] == "email")
            .and_then(|c| c["id"].as_i64())
            .expect("e-mail conversation");
        let (_, detail) = get(&admin, format!("{}/api/v1/triage/{mail}", app.base)).await;
        assert_eq!(
            detail["messages"][0]["files"][0]["file_name"], "saluran.png",
            "{kind}: {detail}"
        );
        app.stop().await;
    }
}

async fn complaint_events(app: &App, admin: &Client, complaint: i64) -> Vec<Value> {
    let (status, events) = get(
        admin,
        format!("{}/api/v1/complaints/{complaint}/events", app.base),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    events.as_array().cloned().unwrap_or_default()
}

/// Returns the client's CSRF token, read from the hidden field of a page.
async fn csrf_token(app: &App, client: &Client, path: &str) -> String {
    let page = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("page request")
        .text()
        .await
        .expect("page");
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("CSRF field")
}

#[tokio::test]
async fn inbox_pages_convert_by_form() {
    for kind in backends() {
        let app = App::spawn_with(kind, |c| c.triage.sms = Some(sms_config())).await;
        let admin = app.login("admin").await;
        let form = [
            ("id", "ui-1"),
            ("from", "081200000041"),
            ("text", "Pohon tumbang menutup jalan di Pekapuran"),
        ];
        let (status, _) = post_sms(&app, SMS_TOKEN, &form).await;
        assert_eq!(status, StatusCode::OK, "{kind}");

        let page = admin
            .get(format!("{}/triase", app.base))
            .send()
            .await
            .expect("inbox")
            .text()
            .await
            .expect("inbox page");
        assert!(page.contains("Pohon tumbang"), "{kind}");
        assert!(page.contains("0812******41"), "{kind}: masked number");
        assert!(
            !page.contains("081200000041"),
            "{kind}: full number in list"
        );
        let id = page
            .split("href=\"/triase/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("conversation link")
            .to_owned();

        let csrf = csrf_token(&app, &admin, &format!("/triase/{id}")).await;
        let response = admin
            .post(format!("{}/triase/{id}/jadikan", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("complaint_type", "complaint"),
                ("title", "Pohon tumbang"),
                ("body", "Pohon tumbang menutup jalan di Pekapuran"),
                ("phone", "081200000041"),
            ])
            .send()
            .await
            .expect("convert form");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        assert!(
            response.url().path().starts_with("/pengaduan/"),
            "{kind}: {}",
            response.url()
        );
        let detail = response.text().await.expect("complaint page");
        assert!(detail.contains("Pohon tumbang"), "{kind}");

        // Without the CSRF field nothing changes.
        let (status, _) = post_sms(
            &app,
            SMS_TOKEN,
            &[("id", "ui-2"), ("from", "081200000042"), ("text", "Halo")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let new = conversations(&app, &admin, "new").await;
        let other = new[0]["id"].as_i64().expect("id");
        let response = admin
            .post(format!("{}/triase/{other}/abaikan", app.base))
            .form(&[("reason", "spam")])
            .send()
            .await
            .expect("dismiss form");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{kind}");
        assert_eq!(conversations(&app, &admin, "new").await.len(), 1, "{kind}");

        // Liaison admins do not see the inbox.
        let pupr = app.login("pupr").await;
        let response = pupr
            .get(format!("{}/triase", app.base))
            .send()
            .await
            .expect("inbox");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{kind}");
        app.stop().await;
    }
}
