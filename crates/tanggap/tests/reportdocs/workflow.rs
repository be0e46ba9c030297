//! The quarterly report's workflow through the staff application, on
//! every backend: generate, submit, review, approve bound to the PDF's
//! SHA-256, a narrative change that needs a new approval, publication, the
//! role checks and the audit entries.

use crate::{App, PASSWORD};
use reqwest::{Client, StatusCode};
use tanggap_core::Role;
use tanggap_service::admin::AuditQuery;
use tanggap_service::report_versions::HEAD_OF_SECTION_AGENCY;
use tanggap_store::testing::backends;

/// Returns the client's CSRF token, read from the hidden field of a page.
async fn csrf_token(app: &App, client: &Client) -> String {
    let page = client
        .get(format!("{}/beranda", app.base))
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
        .expect("CSRF field on the home page")
}

/// Posts a form with the client's CSRF token; returns the status, the
/// final URL after redirects, and the page.
async fn submit(
    app: &App,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let token = csrf_token(app, client).await;
    let mut form: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    let response = client
        .post(format!("{}{path}", app.base))
        .form(&form)
        .send()
        .await
        .expect("form request");
    let status = response.status();
    let url = response.url().path().to_owned();
    (status, url, response.text().await.expect("page"))
}

async fn download(app: &App, client: &Client, path: &str) -> (StatusCode, Vec<u8>) {
    let response = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("download request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

fn sha256(bytes: &[u8]) -> String {
    tanggap_documents::sha256_hex(bytes)
}

async fn audit_actions(app: &App) -> Vec<(String, String, serde_json::Value)> {
    let sekda = tanggap_service::Principal {
        user_id: 0,
        username: "auditor".into(),
        display_name: "auditor".into(),
        role: Role::CitySecretary,
        agency: None,
    };
    app.services
        .audit_log(
            &sekda,
            AuditQuery {
                action_prefix: Some("report_version.".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .expect("audit log")
        .into_iter()
        .map(|e| {
            let details = serde_json::from_str(&e.details).expect("JSON details");
            (e.action, e.entity, details)
        })
        .collect()
}

async fn check_workflow(kind: &str) {
    let app = App::spawn(kind).await;
    app.services
        .add_user(
            None,
            "head.humpro",
            "head.humpro",
            PASSWORD,
            Role::AgencyHead,
            Some(HEAD_OF_SECTION_AGENCY),
        )
        .await
        .expect("head of section");
    let team = app.login("team").await;
    let head = app.login("head.humpro").await;
    let other_head = app.login("head.pupr").await;
    let sekda = app.login("sekda").await;
    let admin = app.login("admin").await;
    let liaison = app.login("dlh").await;

    // Only the complaint team generates; other agencies' staff see nothing.
    let quarter = [("tahun", "2025"), ("triwulan", "4"), ("bahasa", "id")];
    let (status, _, _) = submit(&app, &sekda, "/laporan/versi", &quarter).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the Sekda cannot generate");
    let (status, _) = download(&app, &liaison, "/laporan/versi").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a liaison admin cannot list");
    let (status, _) = download(&app, &other_head, "/laporan/versi").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another agency head cannot list"
    );
    let (status, _, page) = submit(
        &app,
        &team,
        "/laporan/versi",
        &[("tahun", "2025"), ("triwulan", "9")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

    let (status, url, _) = submit(&app, &team, "/laporan/versi", &quarter).await;
    assert_eq!(status, StatusCode::OK);
    let first: i64 = url
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("version page URL {url}"));
    let base = format!("/laporan/versi/{first}");

    // A draft is not reviewed before it is submitted.
    let (status, _, _) = submit(&app, &head, &format!("{base}/terima"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = submit(&app, &head, &format!("{base}/ajukan"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the team submits");
    let (status, _, _) = submit(&app, &team, &format!("{base}/ajukan"), &[]).await;
    assert_eq!(status, StatusCode::OK);

    // Review: the HUMPRO head only, and a return needs a note.
    let (status, _, _) = submit(&app, &other_head, &format!("{base}/terima"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = submit(&app, &head, &format!("{base}/kembalikan"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = submit(&app, &head, &format!("{base}/terima"), &[]).await;
    assert_eq!(status, StatusCode::OK);

    // Approval is bound to the SHA-256 of the stored PDF.
    let (status, pdf) = download(&app, &sekda, &format!("{base}/berkas/pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let hash = sha256(&pdf);
    let wrong = "0".repeat(64);
    let (status, _, _) = submit(
        &app,
        &team,
        &format!("{base}/setujui"),
        &[("sha256", &hash)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the team cannot approve");
    let (status, _, page) = submit(
        &app,
        &sekda,
        &format!("{base}/setujui"),
        &[("sha256", &wrong)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let version = app
        .services
        .report_version(&admin_principal(), first)
        .await
        .expect("version");
    assert_eq!(
        version.state.code(),
        "reviewed",
        "a wrong hash approves nothing"
    );
    let (status, _, _) = submit(
        &app,
        &sekda,
        &format!("{base}/setujui"),
        &[("sha256", &hash)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let version = app
        .services
        .report_version(&admin_principal(), first)
        .await
        .expect("version");
    assert_eq!(version.state.code(), "approved");
    let approved = version.approved.clone().expect("approval record");
    assert_eq!(approved.0, "sekda");
    assert_eq!(approved.2, hash, "the approval records the PDF's hash");

    // A changed narrative makes a new version that needs its own approval.
    let narrative = [
        ("summary", "Ringkasan baru"),
        ("findings", "Temuan baru"),
        ("recommendations", ""),
        ("follow_up", ""),
        ("preparer_name", "Penyusun Rekaan"),
        ("preparer_nip", "199001012020121001"),
        ("head_of_section_name", ""),
        ("head_of_section_nip", ""),
        ("city_secretary_name", ""),
        ("city_secretary_nip", "12345"),
    ];
    let (status, _, page) = submit(&app, &team, &format!("{base}/ubah"), &narrative).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an NIP has 18 digits: {page}"
    );
    let mut narrative = narrative.to_vec();
    narrative[9] = ("city_secretary_nip", "");
    let (status, url, _) = submit(&app, &team, &format!("{base}/ubah"), &narrative).await;
    assert_eq!(status, StatusCode::OK);
    let second: i64 = url
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("new version id");
    assert_ne!(second, first);
    let revised = app
        .services
        .report_version(&admin_principal(), second)
        .await
        .expect("revised version");
    assert_eq!(revised.number, 2);
    assert_eq!(revised.state.code(), "draft");
    assert_eq!(revised.narrative.findings, "Temuan baru");
    assert!(revised.approved.is_none());
    assert_ne!(revised.pdf_sha256, hash, "the new PDF has other bytes");
    let (status, _, _) = submit(
        &app,
        &sekda,
        &format!("/laporan/versi/{second}/setujui"),
        &[("sha256", &revised.pdf_sha256)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a draft is not approved"
    );
    let still = app
        .services
        .report_version(&admin_principal(), first)
        .await
        .expect("first version");
    assert_eq!(still.state.code(), "approved", "the approved version stays");

    // Publication: the central admin only; the public sees only that PDF.
    let (status, _, _) = submit(&app, &team, &format!("{base}/terbitkan"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = submit(&app, &admin, &format!("{base}/terbitkan"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let public = Client::new();
    let (status, listing) = download(&app, &public, "/publikasi/laporan").await;
    assert_eq!(status, StatusCode::OK);
    let listing = String::from_utf8(listing).expect("HTML");
    assert!(listing.contains(&format!("/publikasi/laporan/{first}")));
    assert!(listing.contains(&hash));
    let (status, published) = download(&app, &public, &format!("/publikasi/laporan/{first}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sha256(&published), hash);
    let (status, _) = download(&app, &public, &format!("/publikasi/laporan/{second}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not public");
    let (status, _) = download(&app, &liaison, &format!("{base}/berkas/pdf")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every step is in the audit log with the PDF's hash.
    let entries = audit_actions(&app).await;
    let entity = format!("report_version:{first}");
    for action in [
        "report_version.generate",
        "report_version.submit",
        "report_version.accept",
        "report_version.approve",
        "report_version.publish",
    ] {
        let entry = entries
            .iter()
            .find(|(a, e, _)| a == action && *e == entity)
            .unwrap_or_else(|| panic!("no {action} entry in {entries:?}"));
        assert_eq!(entry.2["pdf_sha256"], hash.as_str(), "{action}");
    }
    let approval = entries
        .iter()
        .find(|(a, _, _)| a == "report_version.approve")
        .expect("approval entry");
    assert_eq!(approval.2["activity"], "approve");
    assert!(
        entries
            .iter()
            .any(|(a, e, _)| a == "report_version.revise"
                && *e == format!("report_version:{second}")),
        "the revision is audited"
    );

    app.stop().await;
}

fn admin_principal() -> tanggap_service::Principal {
    tanggap_service::Principal {
        user_id: 0,
        username: "reader".into(),
        display_name: "reader".into(),
        role: Role::CentralAdmin,
        agency: None,
    }
}

#[tokio::test]
async fn report_workflow_on_every_backend() {
    for kind in backends() {
        check_workflow(kind).await;
    }
}
