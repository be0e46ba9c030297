//! No anonymous reporter's identity and no confidential complaint's text
//! appears in a public response: Open311, the transparency page, or the
//! tracking page opened with another complaint's number and secret.

use super::super::{App, post};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tanggap_store::testing::backends;

/// Invented identity of the anonymous reporter.
const NAME: &str = "Siti Rahasiawati";
const PHONE: &str = "081299887766";
const EMAIL: &str = "siti.rahasia@example.org";
const NIK: &str = "6371019912340001";
/// Invented identity of the confidential complaint's reporter.
const OTHER_NAME: &str = "Bambang Tersembunyi";
const OTHER_PHONE: &str = "085311223344";
/// Text of the confidential complaint.
const SECRET_TEXT: &str = "Pungutan liar di loket perizinan oleh petugas berinisial QZX";

fn forbidden() -> [&'static str; 7] {
    [
        NAME,
        PHONE,
        EMAIL,
        NIK,
        OTHER_NAME,
        OTHER_PHONE,
        "Pungutan liar di loket",
    ]
}

fn assert_clean(place: &str, text: &str) {
    for value in forbidden() {
        assert!(!text.contains(value), "{place} contains {value:?}");
    }
}

/// Registers a complaint through the staff API and moves it to
/// `responded`; returns its tracking number and secret.
async fn responded(app: &App, admin: &Client, body: Value) -> (String, String) {
    let (status, created) = post(admin, format!("{}/api/v1/complaints", app.base), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["complaint"]["id"].as_i64().expect("id");
    let number = created["complaint"]["tracking_number"]
        .as_str()
        .expect("number")
        .to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let steps = [
        (
            "verify",
            json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
        ),
        ("dispatch", json!({ "version": 2, "lead_agency": "PUPR" })),
    ];
    for (action, body) in steps {
        let (status, answer) = post(
            admin,
            format!("{}/api/v1/complaints/{id}/actions/{action}", app.base),
            body,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    }
    let pupr = app.login("pupr").await;
    let (status, answer) = post(
        &pupr,
        format!("{}/api/v1/complaints/{id}/actions/respond", app.base),
        json!({ "version": 3, "text": "Sudah ditangani oleh petugas lapangan" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    (number, secret)
}

async fn text(client: &Client, url: String) -> (StatusCode, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn public_views_hide_identity() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let (anonymous, anonymous_secret) = responded(
            &app,
            &admin,
            json!({
                "channel": "whatsapp",
                "complaint_type": "complaint",
                "body": "Jalan berlubang di depan sekolah",
                "reporter": { "name": NAME, "phone": PHONE, "email": EMAIL, "nik": NIK },
                "anonymous": true,
                "location": { "kelurahan_code": "63.71.01.1001", "latitude": -3.3564, "longitude": 114.5468 }
            }),
        )
        .await;
        let (confidential, _) = responded(
            &app,
            &admin,
            json!({
                "channel": "telephone",
                "complaint_type": "complaint",
                "body": SECRET_TEXT,
                "reporter": { "name": OTHER_NAME, "phone": OTHER_PHONE },
                "confidential": true,
                "location": { "kelurahan_code": "63.71.01.1001", "latitude": -3.3564, "longitude": 114.5468 }
            }),
        )
        .await;
        let (_, other_secret) = responded(
            &app,
            &admin,
            json!({
                "channel": "walk_in",
                "complaint_type": "complaint",
                "body": "Saluran air tersumbat di gang",
                "location": { "kelurahan_code": "63.71.01.1001" }
            }),
        )
        .await;

        let visitor = Client::new();
        let base = format!("{}/open311/v2", app.base);
        for format in ["json", "xml"] {
            let (status, body) = text(
                &visitor,
                format!("{base}/requests.{format}?start_date=2000-01-01"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_clean(&format!("{kind} requests.{format}"), &body);
            assert!(
                body.contains(&anonymous),
                "the anonymous complaint is listed"
            );
            assert!(
                !body.contains(&confidential),
                "{kind}: the confidential complaint is not listed"
            );

            let (status, body) =
                text(&visitor, format!("{base}/requests/{anonymous}.{format}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_clean(&format!("{kind} requests/{anonymous}.{format}"), &body);
            assert!(body.contains("Jalan berlubang di depan sekolah"));

            let (status, body) =
                text(&visitor, format!("{base}/requests/{confidential}.{format}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");
            assert_clean(&format!("{kind} requests/{confidential}.{format}"), &body);

            let (_, body) = text(&visitor, format!("{base}/services.{format}")).await;
            assert_clean("services", &body);
        }

        // The transparency page and its list pages.
        for path in ["/transparansi", "/transparansi?halaman=1"] {
            let (status, body) = text(&visitor, format!("{}{path}", app.base)).await;
            assert_eq!(status, StatusCode::OK, "{kind} {path}");
            assert_clean(&format!("{kind} {path}"), &body);
            assert!(
                body.contains(&anonymous),
                "{path} lists the anonymous complaint"
            );
            assert!(
                !body.contains(&confidential),
                "{path} lists no confidential complaint"
            );
        }

        // Someone else's tracking page shows only their own complaint, and
        // their secret does not open the anonymous complaint.
        let (status, body) = text(
            &visitor,
            format!("{}/lacak?nomor={anonymous}&kode={other_secret}", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_clean("tracking page with another secret", &body);
        assert!(!body.contains("Jalan berlubang di depan sekolah"));
        let (status, body) = text(
            &visitor,
            format!(
                "{}/lacak?nomor={confidential}&kode={anonymous_secret}",
                app.base
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_clean("tracking page of the confidential complaint", &body);
        // The anonymous reporter's own page does not show the identity either.
        let (status, body) = text(
            &visitor,
            format!(
                "{}/lacak?nomor={anonymous}&kode={anonymous_secret}",
                app.base
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_clean("the anonymous reporter's tracking page", &body);

        app.stop().await;
    }
}

#[tokio::test]
async fn transparency_page_shows_figures() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let (number, _) = responded(
            &app,
            &admin,
            json!({
                "channel": "walk_in",
                "complaint_type": "complaint",
                "body": "Lampu taman kota padam",
                "location": { "kelurahan_code": "63.71.01.1001", "latitude": -3.3564, "longitude": 114.5468 }
            }),
        )
        .await;
        let visitor = Client::new();
        let (status, page) = text(&visitor, format!("{}/transparansi", app.base)).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(page.contains(&number), "the complaint is listed");
        assert!(
            page.contains("Lampu taman kota padam"),
            "verified text is shown"
        );
        assert!(
            page.contains("Sudah ditangani oleh petugas lapangan"),
            "the response is shown"
        );
        assert!(page.contains("TOPIK LAINNYA"), "the category table");
        assert!(page.contains("Mantuil"), "the kelurahan of the map table");
        assert!(page.contains("data-points=\"[["), "the map gets the pin");
        assert!(
            page.contains("href=\"/transparansi\""),
            "the header links the page"
        );

        // A page past the end is empty but valid, and bad numbers fall back to 1.
        let (status, page) = text(&visitor, format!("{}/transparansi?halaman=9", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("Lampu taman kota padam"));
        let (status, page) = text(&visitor, format!("{}/transparansi?halaman=-3", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Lampu taman kota padam"));
        app.stop().await;
    }
}
