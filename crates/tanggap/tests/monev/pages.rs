//! The staff pages of SOP versions, monitoring runs and compliance, over
//! HTTP: role checks, the explanation of a step started too early, the
//! localized SOP editor errors, and the downloads.

use crate::App;
use reqwest::{Client, StatusCode};
use tanggap_store::testing::backends;

/// Returns the client's CSRF token, read from the hidden field of a page.
async fn csrf_token(app: &App, client: &Client) -> String {
    let page = page(app, client, "/beranda").await.1;
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("CSRF field on the home page")
}

async fn page(app: &App, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client
        .get(format!("{}{path}", app.base))
        .header("accept-language", "id")
        .send()
        .await
        .expect("page request");
    let status = response.status();
    (status, response.text().await.expect("page body"))
}

/// Posts a form without following the redirect; returns the status, the
/// `Location` header and the body.
async fn submit(
    app: &App,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = csrf_token(app, client).await;
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client
        .post(format!("{}{path}", app.base))
        .header("accept-language", "id")
        .form(&form)
        .send()
        .await
        .expect("form request");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

/// A client that does not follow redirects, signed in as `username`.
async fn staff(app: &App, username: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .post(format!("{}/api/v1/session", app.base))
        .json(&serde_json::json!({ "username": username, "password": crate::PASSWORD }))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "login as {username}");
    client
}

#[tokio::test]
async fn monev_pages_check_roles() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let team = staff(&app, "team").await;
        let sysadmin = staff(&app, "sysadmin").await;
        let liaison = staff(&app, "pupr").await;

        // Roles without a part in monitoring get a localized refusal.
        for client in [&sysadmin, &liaison] {
            let (status, body) = page(&app, client, "/monev").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{kind}: {body}");
            let (status, _) = page(&app, client, "/kepatuhan").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        }
        let head = staff(&app, "head.pupr").await;
        let denied = submit(
            &app,
            &head,
            "/monev/mulai",
            &[("tahun", "2026"), ("triwulan", "3")],
        )
        .await;
        assert_eq!(denied.0, StatusCode::FORBIDDEN, "{kind}: {}", denied.2);

        // A quarter without an approved report version cannot start.
        let (status, _, body) = submit(
            &app,
            &team,
            "/monev/mulai",
            &[("tahun", "2026"), ("triwulan", "3")],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{kind}: {body}");
        assert!(
            body.contains("belum memiliki versi laporan triwulan yang disetujui Sekda"),
            "{kind}: {body}"
        );

        let (_, report_sha256) = super::approve_report(&app.services, 2026, 3).await;
        let (status, location, body) = submit(
            &app,
            &team,
            "/monev/mulai",
            &[("tahun", "2026"), ("triwulan", "3")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{kind}: {body}");
        let run = location.split('?').next().unwrap_or_default().to_owned();
        assert!(run.starts_with("/monev/"), "{location}");

        // Starting the meeting before the monitoring report exists is
        // rejected with the missing requirement named.
        let (status, _, body) =
            submit(&app, &team, &format!("{run}/agency_meeting/mulai"), &[]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{kind}");
        assert!(
            body.contains("belum dapat dimulai") && body.contains("Laporan hasil pemantauan"),
            "{kind}: {body}"
        );
        let (status, body) = page(&app, &team, &run).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("Menunggu: Rekap laporan aduan masyarakat per triwulan"),
            "{kind}: the page explains what a step waits for"
        );
        assert!(
            body.contains(&format!(
                "Dimulai dari laporan triwulan versi 1 yang disetujui Sekda (SHA-256 PDF {report_sha256})"
            )),
            "{kind}: the run shows its report version"
        );

        // The recap is the first step's document and can be finished.
        let (status, location, _) =
            submit(&app, &team, &format!("{run}/prepare/selesai"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{kind}");
        assert!(location.contains("ok=monev-completed"), "{location}");

        // The Sekda may read the run but not carry out the team's steps.
        let sekda = staff(&app, "sekda").await;
        let (status, _) = page(&app, &sekda, &run).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = submit(&app, &sekda, &format!("{run}/site_visit/mulai"), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");

        let (status, body) = page(&app, &sekda, "/kepatuhan?tahun=2026&triwulan=3").await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        let csv = sekda
            .get(format!("{}/kepatuhan/data.csv?tahun=2026", app.base))
            .send()
            .await
            .expect("CSV request");
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(
            csv.text()
                .await
                .expect("CSV")
                .starts_with("sop,activity,agency,year,quarter,")
        );
        let (status, body) = page(&app, &team, "/monev/arsip").await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn sop_editor_points_at_fields() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let sysadmin = staff(&app, "sysadmin").await;
        let team = staff(&app, "team").await;

        let (status, _) = page(&app, &team, "/sop/05-humpro/ubah").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        let (status, editor) = page(&app, &sysadmin, "/sop/05-humpro/ubah").await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(
            editor.contains("version = 2"),
            "the editor raises the version"
        );

        let source = tanggap_core::sop::SHIPPED[4]
            .replacen("version = 1", "version = 2", 1)
            .replacen("performer = \"agency_head\"", "performer = \"lurah\"", 1);
        let (status, _, body) = submit(
            &app,
            &sysadmin,
            "/sop/05-humpro/ubah",
            &[("source", source.as_str()), ("aksi", "periksa")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            body.contains("activities[2].performer: Pelaksana ini tidak ada di daftar pelaksana."),
            "{kind}: {body}"
        );
        assert!(body.contains("effective_on: Wajib diisi."), "{kind}");

        let broken = "number = \"05/humpro\"\nversion = [\n";
        let (status, _, body) = submit(
            &app,
            &sysadmin,
            "/sop/05-humpro/ubah",
            &[("source", broken), ("aksi", "periksa")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            body.contains("Teks SOP tidak dapat dibaca"),
            "{kind}: {body}"
        );

        let today = app
            .services
            .calendar()
            .local_date(jiff::Timestamp::now())
            .to_string();
        let valid = tanggap_core::sop::SHIPPED[4]
            .replacen("version = 1", "version = 2", 1)
            .replacen(
                "made_on = 2019-10-07",
                &format!("made_on = 2019-10-07\nrevised_on = {today}\neffective_on = {today}"),
                1,
            );
        let (status, _, body) = submit(
            &app,
            &sysadmin,
            "/sop/05-humpro/ubah",
            &[("source", valid.as_str()), ("aksi", "periksa")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert!(
            body.contains("id=\"sop-check-ok\""),
            "{kind}: preview shown"
        );
        let (status, location, _) = submit(
            &app,
            &sysadmin,
            "/sop/05-humpro/ubah",
            &[("source", valid.as_str()), ("aksi", "simpan")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(location, "/sop/05-humpro?ok=1");

        let anonymous = Client::new();
        let (status, body) = page(&app, &anonymous, "/sop/05-humpro").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Versi 2, berlaku"), "{kind}: {body}");
        let (status, body) = page(&app, &anonymous, "/sop/05-humpro?versi=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Anda melihat versi 1"), "{kind}");
        app.stop().await;
    }
}

/// The rendered SOP 05 page against the regulation's table: four performer
/// columns, six activities with their descriptions, 1 day each and 6 days
/// in total.
#[tokio::test]
async fn sop05_page_matches_regulation() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let (status, body) = page(&app, &Client::new(), "/sop/05-humpro").await;
        assert_eq!(status, StatusCode::OK);

        let performers: Vec<&str> = body
            .split("<th scope=\"col\" class=\"lane\">")
            .skip(1)
            .filter_map(|rest| rest.split('<').next())
            .collect();
        assert_eq!(
            performers,
            [
                "Tim Pengaduan",
                "Pimpinan SKPD/Instansi",
                "Sekda",
                "Komunitas dan Masyarakat Sipil"
            ]
        );
        let flow = body
            .split("<table class=\"sop-flow\">")
            .nth(1)
            .expect("flowchart table");
        let rows: Vec<&str> = flow.split("<td class=\"num\">").skip(1).collect();
        assert_eq!(rows.len(), 6, "six activities");
        let descriptions = [
            "Persiapan pelaksanaan pemantauan oleh Tim Pengelola Pengaduan",
            "Kunjungan ke lokasi aduan dan SKPD/Instansi terlapor",
            "Rapat koordinasi dengan SKPD/Instansi terlapor",
            "Analisa laporan hasil rapat dan pemantauan",
            "Rapat koordinasi bersama Komunitas LAPOR Baiman dan masyarakat sipil",
            "Mengarsipkan Laporan periodik",
        ];
        for (i, (row, description)) in rows.iter().zip(descriptions).enumerate() {
            assert!(row.starts_with(&format!("{}<", i + 1)), "row {}", i + 1);
            assert!(row.contains(description), "row {}: {description}", i + 1);
            assert!(row.contains("<td>1 hari</td>"), "row {}: 1 day", i + 1);
        }
        assert!(
            body.contains("id=\"sop-total\">6 hari<"),
            "total of exactly 6 working days"
        );
        app.stop().await;
    }
}
