//! The public portal: reporting without an account, the reporter's view on
//! the tracking page, and the abuse controls (honeypot, rate limits).

use super::{App, post};
use reqwest::{Client, StatusCode};
use serde_json::json;
use tanggap_service::portal::PublicActor;
use tanggap_store::testing::backends;

/// Builds a client without a session that keeps cookies, like a browser.
pub(crate) fn visitor() -> Client {
    Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Returns the CSRF token from the hidden field of the report form.
async fn csrf_token(app: &App, client: &Client) -> String {
    let page = client
        .get(format!("{}/lapor", app.base))
        .send()
        .await
        .expect("report form request")
        .text()
        .await
        .expect("report form");
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("CSRF field on the report form")
}

/// Sends the report form with `extra` fields; returns the final status and page.
pub(crate) async fn send_report(
    app: &App,
    client: &Client,
    body: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let csrf = csrf_token(app, client).await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("complaint_type", "complaint"),
        ("body", body),
        ("consent", "on"),
    ];
    fields.extend_from_slice(extra);
    let response = client
        .post(format!("{}/lapor", app.base))
        .form(&fields)
        .send()
        .await
        .expect("report request");
    let status = response.status();
    (status, response.text().await.expect("page"))
}

/// Reads the text of the `<strong>` inside the element with `id`.
pub(crate) fn strong_text(page: &str, id: &str) -> Option<String> {
    page.split(&format!("id=\"{id}\"><strong>"))
        .nth(1)
        .and_then(|rest| rest.split("</strong>").next())
        .map(str::to_owned)
}

async fn complaint_total(app: &App) -> i64 {
    let admin = app.login("admin").await;
    let (status, page) = super::get(&admin, format!("{}/api/v1/complaints", app.base)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["total"].as_i64().expect("total")
}

async fn tracking_page(
    app: &App,
    client: &Client,
    number: &str,
    secret: &str,
) -> (StatusCode, String) {
    let response = client
        .get(format!("{}/lacak", app.base))
        .query(&[("nomor", number), ("kode", secret)])
        .send()
        .await
        .expect("tracking request");
    let status = response.status();
    (status, response.text().await.expect("page"))
}

#[tokio::test]
async fn report_gives_number_and_secret_once() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = visitor();
        let (status, page) = send_report(
            &app,
            &client,
            "Lampu jalan mati di depan sekolah",
            &[("name", "Warga Portal"), ("phone", "081255500001")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        let number = strong_text(&page, "nomor-pelacakan").expect("tracking number");
        let secret = strong_text(&page, "kode-rahasia").expect("secret");
        assert!(number.starts_with("BJM-"), "{kind}: {number}");
        assert_eq!(secret.len(), 32, "{kind}");

        let again = client
            .get(format!("{}/lapor/terkirim", app.base))
            .send()
            .await
            .expect("receipt request");
        let again = again.text().await.expect("page");
        assert!(
            !again.contains(&secret),
            "{kind}: the secret was shown twice"
        );

        let (status, page) = tracking_page(&app, &client, &number, &secret).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        assert!(page.contains("Belum diverifikasi"), "{kind}");
        assert!(page.contains("Lampu jalan mati"), "{kind}");
        assert!(
            !page.contains("Warga Portal"),
            "{kind}: identity on the tracking page"
        );

        let view = app
            .services
            .reporter_view(&number, &secret)
            .await
            .expect("reporter view");
        assert_eq!(view.events.len(), 1, "{kind}");
        assert_eq!(view.events[0].actor, PublicActor::Reporter, "{kind}");
        app.stop().await;
    }
}

#[tokio::test]
async fn reporter_view_hides_internal_events() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let pupr = app.login("pupr").await;
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/complaints", app.base),
            json!({
                "channel": "whatsapp",
                "complaint_type": "complaint",
                "body": "Saluran air tersumbat di Pekapuran",
                "reporter": { "name": "Warga Rahasia", "phone": "081255500002" },
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let id = created["complaint"]["id"].as_i64().expect("id");
        let number = created["complaint"]["tracking_number"]
            .as_str()
            .expect("tracking number")
            .to_owned();
        let secret = created["secret"].as_str().expect("secret").to_owned();
        let action = |name: &str| format!("{}/api/v1/complaints/{id}/actions/{name}", app.base);
        let steps = [
            (
                &admin,
                "note",
                json!({ "version": 1, "text": "CATATAN-INTERNAL-ADMIN" }),
            ),
            (
                &admin,
                "verify",
                json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
            ),
            (
                &admin,
                "dispatch",
                json!({ "version": 2, "lead_agency": "PUPR", "instruction": "INSTRUKSI-DISPOSISI" }),
            ),
            (
                &pupr,
                "follow-up",
                json!({ "version": 3, "text": "Tim sudah meninjau lokasi" }),
            ),
            (
                &pupr,
                "note",
                json!({ "version": 4, "text": "CATATAN-INTERNAL-DINAS" }),
            ),
        ];
        for (client, name, body) in steps {
            let (status, answer) = post(client, action(name), body).await;
            assert_eq!(status, StatusCode::OK, "{kind} {name}: {answer}");
        }

        let view = app
            .services
            .reporter_view(&number, &secret)
            .await
            .expect("reporter view");
        let codes: Vec<&str> = view.events.iter().map(|e| e.action.code()).collect();
        assert_eq!(codes, ["register", "verify", "follow_up"], "{kind}");
        let actors: Vec<&PublicActor> = view.events.iter().map(|e| &e.actor).collect();
        assert_eq!(
            actors,
            [
                &PublicActor::Admin,
                &PublicActor::Admin,
                &PublicActor::Agency("PUPR".into())
            ],
            "{kind}"
        );

        let (status, page) = tracking_page(&app, &visitor(), &number, &secret).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        assert!(page.contains("Ditindaklanjuti oleh"), "{kind}");
        assert!(page.contains("Tim sudah meninjau lokasi"), "{kind}");
        for hidden in [
            "CATATAN-INTERNAL-ADMIN",
            "CATATAN-INTERNAL-DINAS",
            "INSTRUKSI-DISPOSISI",
            "Warga Rahasia",
            "081255500002",
            "· admin",
            "· pupr",
        ] {
            assert!(
                !page.contains(hidden),
                "{kind}: {hidden} on the tracking page"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn wrong_secret_hides_existence() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = visitor();
        let (status, page) = send_report(&app, &client, "Trotoar rusak", &[]).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        let number = strong_text(&page, "nomor-pelacakan").expect("tracking number");

        let (wrong_secret, wrong_page) =
            tracking_page(&app, &client, &number, "0".repeat(32).as_str()).await;
        let missing_number = "BJM-99-999999";
        let (no_number, missing_page) =
            tracking_page(&app, &client, missing_number, "0".repeat(32).as_str()).await;
        let (empty_secret, _) = tracking_page(&app, &client, &number, "").await;
        assert_eq!(wrong_secret, StatusCode::NOT_FOUND, "{kind}");
        assert_eq!(no_number, StatusCode::NOT_FOUND, "{kind}");
        assert_eq!(empty_secret, StatusCode::NOT_FOUND, "{kind}");
        // The pages differ only in the number echoed into the form.
        assert_eq!(
            wrong_page.replace(&number, "NOMOR"),
            missing_page.replace(missing_number, "NOMOR"),
            "{kind}"
        );
        assert!(wrong_page.contains("Laporan tidak ditemukan"), "{kind}");
        app.stop().await;
    }
}

#[tokio::test]
async fn honeypot_creates_nothing() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let before = complaint_total(&app).await;
        let client = visitor();
        let (status, page) = send_report(
            &app,
            &client,
            "Iklan obat murah",
            &[("situs_web", "http://spam.example")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        assert!(
            strong_text(&page, "nomor-pelacakan").is_some(),
            "{kind}: no decoy receipt"
        );
        assert_eq!(
            complaint_total(&app).await,
            before,
            "{kind}: honeypot report saved"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn rate_limits_answer_429() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = visitor();
        // Three reports per phone number and hour.
        for n in 0..3 {
            let (status, page) = send_report(
                &app,
                &client,
                &format!("Laporan {n}"),
                &[("phone", "0812-5550-0003")],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{kind} report {n}: {page}");
        }
        let (status, page) = send_report(
            &app,
            &client,
            "Laporan keempat",
            &[("phone", "081255500003")],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: per-contact limit"
        );
        assert!(page.contains("Terlalu banyak permintaan"), "{kind}");

        // Five reports per client address in ten minutes: the rejected
        // fourth one counted too, so the fifth is the last accepted.
        let (status, _) = send_report(&app, &client, "Laporan kelima", &[]).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let (status, _) = send_report(&app, &client, "Laporan keenam", &[]).await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: per-address limit"
        );

        // Thirty tracking lookups per client address in ten minutes.
        for n in 0..30 {
            let (status, _) = tracking_page(&app, &client, "BJM-99-000001", "salah").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{kind} lookup {n}");
        }
        let (status, _) = tracking_page(&app, &client, "BJM-99-000001", "salah").await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: lookup limit"
        );
        app.stop().await;
    }
}

/// Returns a small PNG photo.
pub(crate) fn photo() -> Vec<u8> {
    let picture =
        image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([x as u8 * 15, y as u8 * 20, 90]));
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("encode PNG");
    png.into_inner()
}

#[tokio::test]
async fn report_with_photo_attaches_it() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = visitor();
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf_token(&app, &client).await)
            .text("complaint_type", "complaint")
            .text("body", "Pohon tumbang menutup jalan FOTO-PORTAL")
            .text("consent", "on")
            .part(
                "lampiran",
                reqwest::multipart::Part::bytes(photo()).file_name("pohon.png"),
            );
        let response = client
            .post(format!("{}/lapor", app.base))
            .multipart(form)
            .send()
            .await
            .expect("report request");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let page = response.text().await.expect("page");
        assert!(
            strong_text(&page, "nomor-pelacakan").is_some(),
            "{kind}: {page}"
        );

        let admin = app.login("admin").await;
        let (status, list) = super::get(
            &admin,
            format!("{}/api/v1/complaints?q=FOTO-PORTAL", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {list}");
        let complaint = &list["items"][0];
        assert_eq!(complaint["channel"], "web", "{kind}");
        let id = complaint["id"].as_i64().expect("id");
        let (status, events) = super::get(
            &admin,
            format!("{}/api/v1/complaints/{id}/events", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {events}");
        let attached = events
            .as_array()
            .expect("event list")
            .iter()
            .filter(|e| e["action"] == "attach")
            .count();
        assert_eq!(attached, 1, "{kind}: {events}");
        app.stop().await;
    }
}

#[tokio::test]
async fn rejected_file_saves_nothing() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let before = complaint_total(&app).await;
        let client = visitor();
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf_token(&app, &client).await)
            .text("complaint_type", "complaint")
            .text("body", "Laporan dengan berkas program")
            .text("consent", "on")
            .part(
                "lampiran",
                reqwest::multipart::Part::bytes(b"MZ\x90\x00program".to_vec())
                    .file_name("foto.exe"),
            );
        let response = client
            .post(format!("{}/lapor", app.base))
            .multipart(form)
            .send()
            .await
            .expect("report request");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}"
        );
        assert_eq!(
            complaint_total(&app).await,
            before,
            "{kind}: complaint saved"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn not_resolved_reply_reopens() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let pupr = app.login("pupr").await;
        let (status, created) = post(
            &admin,
            format!("{}/api/v1/complaints", app.base),
            json!({
                "channel": "web",
                "complaint_type": "complaint",
                "body": "Jembatan kayu di Sungai Jingah lapuk",
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {created}");
        let id = created["complaint"]["id"].as_i64().expect("id");
        let number = created["complaint"]["tracking_number"]
            .as_str()
            .expect("tracking number")
            .to_owned();
        let secret = created["secret"].as_str().expect("secret").to_owned();
        let action = |name: &str| format!("{}/api/v1/complaints/{id}/actions/{name}", app.base);
        let steps = [
            (
                &admin,
                "verify",
                json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
            ),
            (
                &admin,
                "dispatch",
                json!({ "version": 2, "lead_agency": "PUPR" }),
            ),
            (
                &pupr,
                "respond",
                json!({ "version": 3, "text": "Papan jembatan sudah diganti" }),
            ),
        ];
        for (client, name, body) in steps {
            let (status, answer) = post(client, action(name), body).await;
            assert_eq!(status, StatusCode::OK, "{kind} {name}: {answer}");
        }

        let client = visitor();
        let (status, page) = tracking_page(&app, &client, &number, &secret).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        assert!(page.contains("Ditanggapi"), "{kind}");
        assert!(page.contains("Papan jembatan sudah diganti"), "{kind}");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("CSRF field on the tracking page")
            .to_owned();
        let reply = |rating: &'static str| {
            let form = [
                ("csrf", csrf.clone()),
                ("nomor", number.clone()),
                ("kode", secret.clone()),
                ("satisfied", "no".to_owned()),
                ("rating", rating.to_owned()),
                ("comment", "Papan di sisi utara masih lapuk".to_owned()),
            ];
            client
                .post(format!("{}/lacak/tanggapan", app.base))
                .form(&form)
                .send()
        };

        let response = reply("9").await.expect("reply request");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: rating 9 accepted"
        );

        let response = reply("2").await.expect("reply request");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let page = response.text().await.expect("page");
        assert!(page.contains("balasan Anda sudah tercatat"), "{kind}");
        assert!(
            page.contains("Ditindaklanjuti oleh"),
            "{kind}: not reopened"
        );
        assert!(page.contains("Papan di sisi utara masih lapuk"), "{kind}");
        assert!(page.contains("2/5"), "{kind}");
        app.stop().await;
    }
}

#[tokio::test]
async fn map_pin_finds_kelurahan() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let client = visitor();
        // The centroid of Mantuil from the boundary file, then Jakarta.
        let pins = [
            ("PIN-DALAM-KOTA", "-3.356463", "114.546867"),
            ("PIN-LUAR-KOTA", "-6.200000", "106.800000"),
        ];
        for (marker, latitude, longitude) in pins {
            let (status, page) = send_report(
                &app,
                &client,
                &format!("Genangan air {marker}"),
                &[("latitude", latitude), ("longitude", longitude)],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{kind} {marker}: {page}");
        }

        let admin = app.login("admin").await;
        let find = |marker: &'static str| {
            super::get(&admin, format!("{}/api/v1/complaints?q={marker}", app.base))
        };
        let (_, inside) = find("PIN-DALAM-KOTA").await;
        let inside = &inside["items"][0];
        assert_eq!(
            inside["location"]["kelurahan_code"], "63.71.01.1001",
            "{kind}: {inside}"
        );
        assert_eq!(inside["tags"], json!([]), "{kind}: {inside}");

        let (_, outside) = find("PIN-LUAR-KOTA").await;
        let outside = &outside["items"][0];
        assert!(
            outside["location"]["kelurahan_code"].is_null(),
            "{kind}: {outside}"
        );
        assert_eq!(outside["location"]["latitude"], -6.2, "{kind}: {outside}");
        assert_eq!(
            outside["tags"],
            json!(["lokasi-di-luar-kota"]),
            "{kind}: {outside}"
        );
        app.stop().await;
    }
}
