//! LAPOR! synchronisation against the LAPOR! simulator on 127.0.0.1, and
//! the spreadsheet import.

mod crash;

use crate::triage::mail::create_certificates;
use crate::{App, get, post};
use lapor_simulator::{Fault, Handle, Options, Simulator};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tanggap_service::Services;
use tanggap_service::lapor::client::{HttpConnector, LaporConfig};
use tanggap_store::testing::backends;

const SAMPLES: &str = include_str!("../../../../data/pengaduan-contoh.jsonl");
const TOKEN: &str = "token-uji-lapor";

/// Starts a simulator whose `timeout` fault outlasts the client's timeout.
async fn start_simulator() -> Handle {
    let options = Options {
        token: TOKEN.into(),
        seed: 7,
        timeout_delay: Duration::from_secs(3),
    };
    Simulator::new(SAMPLES, options)
        .start(([127, 0, 0, 1], 0).into())
        .await
        .expect("simulator starts")
}

fn connect(services: &Services, simulator: &Handle) {
    let config = LaporConfig {
        request_timeout_seconds: 1,
        page_size: 4,
        ..LaporConfig::new(simulator.base_url())
    };
    let connector = HttpConnector::new(&config, TOKEN.into()).expect("connector");
    services.set_lapor_connector(Arc::new(connector), config.page_size);
}

/// Complaints of the LAPOR! channel, as the central admin lists them.
async fn lapor_complaints(app: &App, admin: &Client) -> Vec<Value> {
    let (status, body) = get(
        admin,
        format!(
            "{}/api/v1/complaints?channel=lapor&per_page=100&sort=received_oldest",
            app.base
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

fn references(items: &[Value]) -> Vec<String> {
    let mut references: Vec<String> = items
        .iter()
        .filter_map(|c| c["channel_reference"].as_str().map(str::to_owned))
        .collect();
    references.sort();
    references
}

#[tokio::test]
async fn sync_pulls_each_report_once() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let simulator = start_simulator().await;
        connect(&app.services, &simulator);
        let first = simulator.simulator.generate(6);

        let report = app.services.run_lapor_sync().await.expect("first sync");
        assert_eq!(report.created, 6, "{kind}");
        assert_eq!(
            report.attachments, 2,
            "{kind}: every third report has a photo"
        );
        let again = app.services.run_lapor_sync().await.expect("second sync");
        assert_eq!(again.created, 0, "{kind}");
        assert_eq!(again.pulled, 0, "{kind}");

        // Duplicated items in a page create nothing twice.
        let second = simulator.simulator.generate(3);
        simulator.simulator.inject(Fault::Duplicate, 1);
        let report = app
            .services
            .run_lapor_sync()
            .await
            .expect("sync with duplicates");
        assert_eq!(report.created, 3, "{kind}");
        assert!(report.stale >= 3, "{kind}: {report:?}");

        // Server errors and a timeout are retried within the run.
        let third = simulator.simulator.generate(2);
        simulator.simulator.inject(Fault::Http500, 1);
        simulator.simulator.inject(Fault::Timeout, 1);
        let report = app
            .services
            .run_lapor_sync()
            .await
            .expect("sync after retries");
        assert_eq!(report.created, 2, "{kind}");

        // A run that keeps failing leaves the cursor where it was.
        let fourth = simulator.simulator.generate(1);
        simulator.simulator.inject(Fault::Http500, 3);
        assert!(app.services.run_lapor_sync().await.is_err(), "{kind}");
        simulator.simulator.inject(Fault::RateLimit, 1);
        let report = app
            .services
            .run_lapor_sync()
            .await
            .expect("sync after outage");
        assert_eq!(report.created, 1, "{kind}");

        let mut expected: Vec<String> = [first, second, third, fourth].concat();
        expected.sort();
        let items = lapor_complaints(&app, &admin).await;
        assert_eq!(
            references(&items),
            expected,
            "{kind}: each report exactly once"
        );
        assert!(
            items.iter().all(|c| c["status"] == "received"),
            "{kind}: pulled reports wait for verification"
        );

        // Every pulled page is in the audit log.
        let auditor = tanggap_service::Principal {
            user_id: 0,
            username: "sysadmin".into(),
            display_name: "sysadmin".into(),
            role: tanggap_core::Role::SystemAdmin,
            agency: None,
        };
        let query = tanggap_service::admin::AuditQuery {
            action_prefix: Some("lapor.pull".into()),
            ..Default::default()
        };
        let entries = app
            .services
            .audit_log(&auditor, query)
            .await
            .expect("audit");
        assert!(entries.len() >= 5, "{kind}: {} pull entries", entries.len());

        simulator.stop();
        app.stop().await;
    }
}

/// Verifies, dispatches to PUPR, follows up and responds to a complaint
/// over the API, returning the version after the response.
async fn handle_complaint(app: &App, admin: &Client, id: i64) {
    let action = |name: &str| format!("{}/api/v1/complaints/{id}/actions/{name}", app.base);
    let (status, body) = post(
        admin,
        action("verify"),
        json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(
        admin,
        action("dispatch"),
        json!({ "version": 2, "lead_agency": "PUPR", "supporting_agencies": [] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pupr = app.login("pupr").await;
    let (status, body) = post(
        &pupr,
        action("follow-up"),
        json!({ "version": 3, "text": "Tim sudah meninjau lokasi" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(
        &pupr,
        action("respond"),
        json!({ "version": 4, "text": "Perbaikan sudah selesai" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Starts a TLS proxy on 127.0.0.1 in front of `backend`, with the server
/// certificate that [`create_certificates`] wrote to `dir`. Returns its port.
async fn tls_proxy(backend: std::net::SocketAddr, dir: &std::path::Path) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certificates = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("server certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("server certificate PEM");
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server key");
    #[expect(deprecated, reason = "ring is the workspace's only TLS provider")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .expect("TLS server configuration");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind TLS proxy");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    port
}

/// The LAPOR! client over https: the simulator behind a TLS proxy whose
/// certificate is signed by a CA that only `ca_file` names.
#[tokio::test]
async fn sync_over_https_with_ca_file() {
    let app = App::spawn("sqlite").await;
    let simulator = start_simulator().await;
    let dir = tempfile::tempdir().expect("certificate directory");
    create_certificates(dir.path());
    let port = tls_proxy(simulator.address, dir.path()).await;
    simulator.simulator.generate(3);
    let base_url = format!("https://127.0.0.1:{port}/api/v1");

    // Without the CA the certificate is not trusted, and nothing is pulled.
    let untrusted = LaporConfig {
        request_timeout_seconds: 5,
        ..LaporConfig::new(base_url.clone())
    };
    let connector = HttpConnector::new(&untrusted, TOKEN.into()).expect("connector");
    app.services
        .set_lapor_connector(Arc::new(connector), untrusted.page_size);
    assert!(app.services.run_lapor_sync().await.is_err());

    let trusted = LaporConfig {
        ca_file: Some(dir.path().join("ca.pem")),
        ..untrusted
    };
    let connector = HttpConnector::new(&trusted, TOKEN.into()).expect("connector");
    app.services
        .set_lapor_connector(Arc::new(connector), trusted.page_size);
    let report = app
        .services
        .run_lapor_sync()
        .await
        .expect("sync over https");
    assert_eq!(report.created, 3);

    // A file without certificates is a configuration error.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("empty file");
    let broken = LaporConfig {
        ca_file: Some(empty),
        ..trusted
    };
    let error = HttpConnector::new(&broken, TOKEN.into())
        .err()
        .expect("an empty ca_file was accepted");
    assert!(error.to_string().contains("no PEM certificate"), "{error}");
    simulator.stop();
    app.stop().await;
}

#[tokio::test]
async fn sync_pushes_handling_and_takes_replies() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let simulator = start_simulator().await;
        connect(&app.services, &simulator);
        let created = simulator.simulator.generate(2);
        app.services.run_lapor_sync().await.expect("pull");
        let items = lapor_complaints(&app, &admin).await;
        let handled = items
            .iter()
            .find(|c| c["channel_reference"] == created[0].as_str())
            .and_then(|c| c["id"].as_i64())
            .expect("complaint of the first report");
        handle_complaint(&app, &admin, handled).await;

        // Pull and push fail three times each; the outbox keeps the changes.
        simulator.simulator.inject(Fault::Http500, 6);
        assert!(app.services.run_lapor_sync().await.is_err(), "{kind}");
        assert!(simulator.simulator.updates().is_empty(), "{kind}");
        let counts = app.services.lapor_outbox_counts().await.expect("counts");
        assert_eq!(
            counts.pending, 4,
            "{kind}: verify, dispatch, follow-up, response"
        );

        // After the back-off the changes go out once each, in order.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let report = app.services.run_lapor_sync().await.expect("push");
        assert_eq!(report.pushed, 4, "{kind}: {report:?}");
        app.services.run_lapor_sync().await.expect("nothing left");
        let updates = simulator.simulator.updates();
        let kinds: Vec<&str> = updates
            .iter()
            .map(|u| u.body["kind"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            kinds,
            ["status", "status", "follow_up", "response"],
            "{kind}"
        );
        let statuses: Vec<&str> = updates
            .iter()
            .map(|u| u.body["status"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            statuses,
            [
                "terverifikasi",
                "terdisposisi",
                "ditindaklanjuti",
                "ditindaklanjuti"
            ],
            "{kind}"
        );
        assert_eq!(updates[3].body["text"], "Perbaikan sudah selesai", "{kind}");
        assert!(
            updates.iter().all(|u| u.tracking_id == created[0]),
            "{kind}"
        );

        // The reporter's reply on LAPOR! closes the complaint here, and
        // an out-of-order copy of the older version changes nothing.
        assert!(simulator.simulator.reply(&created[0], true, Some(5)));
        simulator.simulator.inject(Fault::OutOfOrder, 1);
        let report = app.services.run_lapor_sync().await.expect("reply");
        assert_eq!(report.replies_applied, 1, "{kind}: {report:?}");
        assert_eq!(report.updated, 1, "{kind}: {report:?}");
        assert!(report.stale >= 1, "{kind}: {report:?}");
        let (status, complaint) =
            get(&admin, format!("{}/api/v1/complaints/{handled}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(complaint["status"], "resolved", "{kind}");
        let report = app.services.run_lapor_sync().await.expect("after reply");
        assert_eq!(
            report.pushed, 0,
            "{kind}: the reply came from LAPOR!, nothing echoes"
        );

        simulator.stop();
        app.stop().await;
    }
}

/// Builds an awkward LAPOR! export: a merged title, a two-row header with
/// merged group cells, empty rows, mixed date formats and three bad rows
/// (sheet rows 8, 9 and 12).
fn awkward_xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    sheet
        .merge_range(
            0,
            0,
            0,
            5,
            "Rekap Pengaduan LAPOR! Kota Banjarmasin",
            &plain,
        )
        .expect("title");
    sheet
        .merge_range(2, 0, 3, 0, "No. Tracking", &plain)
        .expect("tracking header");
    sheet
        .merge_range(2, 1, 3, 1, "Waktu", &plain)
        .expect("date header");
    sheet
        .merge_range(2, 2, 2, 3, "Laporan", &plain)
        .expect("report group");
    sheet
        .merge_range(2, 4, 2, 5, "Pelapor", &plain)
        .expect("reporter group");
    for (column, header) in [(2, "Judul"), (3, "Isi"), (4, "Nama"), (5, "Telepon")] {
        sheet.write_string(3, column, header).expect("sub-header");
    }
    let rows: &[(u32, &str, &str, &str, &str)] = &[
        (
            4,
            "5100001",
            "Senin, 14 Juli 2025 13:53",
            "Jalan berlubang",
            "Jalan di depan pasar berlubang besar",
        ),
        (
            7,
            "5100003",
            "kemarin sore",
            "Lampu mati",
            "Lampu jalan mati sejak seminggu",
        ),
        (8, "5100004", "15/07/2025", "Tanpa isi", ""),
        (
            9,
            "",
            "14-07-2025 13.53 WITA",
            "Sampah",
            "Sampah menumpuk di pinggir sungai",
        ),
        (
            10,
            "",
            "14/07/2025",
            "Parkir liar",
            "Parkir liar di trotoar depan sekolah",
        ),
        (
            11,
            "5100005",
            "14/07/2099",
            "Masa depan",
            "Tanggal laporan belum terjadi",
        ),
    ];
    for (row, tracking, date, title, body) in rows {
        if !tracking.is_empty() {
            sheet.write_string(*row, 0, *tracking).expect("tracking");
        }
        sheet.write_string(*row, 1, *date).expect("date");
        sheet.write_string(*row, 2, *title).expect("title");
        if !body.is_empty() {
            sheet.write_string(*row, 3, *body).expect("body");
        }
        sheet.write_string(*row, 4, "Warga Uji").expect("name");
        sheet.write_string(*row, 5, "081200000101").expect("phone");
    }
    // Row 7 of the sheet: a numeric tracking ID and a real Excel date.
    sheet
        .write_number(6, 0, 5_100_002.0)
        .expect("numeric tracking");
    let when = ExcelDateTime::from_ymd(2025, 7, 15)
        .and_then(|d| d.and_hms(9, 30, 0))
        .expect("date");
    sheet
        .write_datetime_with_format(6, 1, &when, &date_format)
        .expect("excel date");
    sheet
        .write_string(6, 3, "Drainase tersumbat di Jalan Veteran")
        .expect("body");
    workbook.save_to_buffer().expect("xlsx")
}

fn central_admin() -> tanggap_service::Principal {
    tanggap_service::Principal {
        user_id: 1,
        username: "admin".into(),
        display_name: "admin".into(),
        role: tanggap_core::Role::CentralAdmin,
        agency: None,
    }
}

#[tokio::test]
async fn awkward_xlsx_and_csv_import_once() {
    use tanggap_service::spreadsheet::Format;
    use tanggap_service::spreadsheet::import::SpreadsheetOptions;

    let xlsx = awkward_xlsx();
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let options = SpreadsheetOptions {
            source: Some("lapor-dashboard".into()),
            ..SpreadsheetOptions::default()
        };
        let principal = central_admin();

        let dry = SpreadsheetOptions {
            dry_run: true,
            ..options.clone()
        };
        let report = app
            .services
            .import_spreadsheet(&principal, &xlsx, Format::Xlsx, &dry, |_, _| {})
            .await
            .expect("dry run");
        assert_eq!(report.valid, 4, "{kind}: {report:?}");
        assert!(
            lapor_complaints(&app, &admin).await.is_empty(),
            "{kind}: dry run imports nothing"
        );

        let report = app
            .services
            .import_spreadsheet(&principal, &xlsx, Format::Xlsx, &options, |_, _| {})
            .await
            .expect("import");
        assert_eq!(report.header_row, 4, "{kind}");
        assert_eq!(report.rows, 7, "{kind}: empty rows are not rows");
        assert_eq!(report.imported, 4, "{kind}: {report:?}");
        let bad: Vec<usize> = report.rejected.iter().map(|e| e.row).collect();
        assert_eq!(bad, [8, 9, 12], "{kind}: {report:?}");
        assert!(
            report.rejected[0].reason.contains("unrecognised date"),
            "{kind}"
        );
        assert!(
            report.rejected[1].reason.contains("text is empty"),
            "{kind}"
        );
        assert!(report.rejected[2].reason.contains("received_at"), "{kind}");

        let again = app
            .services
            .import_spreadsheet(&principal, &xlsx, Format::Xlsx, &options, |_, _| {})
            .await
            .expect("re-import");
        assert_eq!(
            (again.imported, again.unchanged),
            (0, 4),
            "{kind}: {again:?}"
        );

        // The same reports as CSV with other headers, through the mapping.
        let csv = "Tgl;ID;Uraian Masalah\n\
                   14/07/2025 13:53;5100001;Jalan di depan pasar berlubang besar\n\
                   ;;\n\
                   16/07/2025 08:00;5100009;Banjir di Jalan Sutoyo\n";
        let mapped = SpreadsheetOptions {
            source: Some("rekap-manual".into()),
            mapping: Some(
                tanggap_service::spreadsheet::parse_mapping(
                    "received_at=Tgl,tracking_id=ID,body=Uraian Masalah",
                )
                .expect("mapping"),
            ),
            ..SpreadsheetOptions::default()
        };
        let report = app
            .services
            .import_spreadsheet(&principal, csv.as_bytes(), Format::Csv, &mapped, |_, _| {})
            .await
            .expect("csv import");
        assert_eq!(
            (report.imported, report.unchanged),
            (1, 1),
            "{kind}: {report:?}"
        );
        // The mapping is remembered for the source.
        let remembered = SpreadsheetOptions {
            source: Some("rekap-manual".into()),
            ..SpreadsheetOptions::default()
        };
        let report = app
            .services
            .import_spreadsheet(
                &principal,
                csv.as_bytes(),
                Format::Csv,
                &remembered,
                |_, _| {},
            )
            .await
            .expect("csv re-import");
        assert_eq!(
            (report.imported, report.unchanged),
            (0, 2),
            "{kind}: {report:?}"
        );

        let items = lapor_complaints(&app, &admin).await;
        assert_eq!(
            references(&items),
            ["5100001", "5100002", "5100009"],
            "{kind}: each tracking ID once"
        );
        assert_eq!(items.len(), 5, "{kind}: two rows without tracking ID");

        // Only the central admin imports.
        let liaison = tanggap_service::Principal {
            role: tanggap_core::Role::LiaisonAdmin,
            agency: Some("PUPR".into()),
            ..central_admin()
        };
        let forbidden = app
            .services
            .import_spreadsheet(&liaison, &xlsx, Format::Xlsx, &options, |_, _| {})
            .await;
        assert!(forbidden.is_err(), "{kind}");
        app.stop().await;
    }
}

/// Reads the value of the hidden field `name` from a page.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .unwrap_or_default()
}

#[tokio::test]
async fn import_page_previews_then_imports() {
    use reqwest::multipart::{Form, Part};

    let xlsx = awkward_xlsx();
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let page = admin
            .get(format!("{}/impor", app.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK, "{kind}");
        let page = page.text().await.expect("page text");
        assert!(page.contains("id=\"import-upload\""), "{kind}");
        let csrf = hidden(&page, "csrf");

        // Upload: a preview with the detected mapping and the dry run.
        let form = Form::new()
            .text("csrf", csrf.clone())
            .text("source", "rekap-lapor")
            .part("berkas", Part::bytes(xlsx.clone()).file_name("rekap.xlsx"));
        let response = admin
            .post(format!("{}/impor", app.base))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let preview = response.text().await.expect("preview");
        assert!(
            preview.contains("id=\"import-preview\""),
            "{kind}: {preview}"
        );
        assert!(preview.contains("7 baris, 4 benar, 3 salah"), "{kind}");
        assert!(
            lapor_complaints(&app, &admin).await.is_empty(),
            "{kind}: preview imports nothing"
        );

        // Import with the mapping the page proposed.
        let file_id = hidden(&preview, "berkas");
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("berkas".into(), file_id),
            ("source".into(), "rekap-lapor".into()),
            ("aksi".into(), "impor".into()),
        ];
        for (index, header) in ["No. Tracking", "Waktu", "Judul", "Isi", "Nama", "Telepon"]
            .iter()
            .enumerate()
        {
            fields.push((format!("header_{index}"), (*header).to_owned()));
        }
        for (field, index) in [
            ("tracking_id", 0),
            ("received_at", 1),
            ("title", 2),
            ("body", 3),
        ] {
            fields.push((format!("map_{field}"), index.to_string()));
        }
        let response = admin
            .post(format!("{}/impor/proses", app.base))
            .form(&fields)
            .send()
            .await
            .expect("import");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let result = response.text().await.expect("result");
        assert!(result.contains("4 pengaduan baru"), "{kind}: {result}");
        assert!(result.contains("id=\"import-rejected\""), "{kind}");
        assert_eq!(lapor_complaints(&app, &admin).await.len(), 4, "{kind}");

        // Bad input: an unreadable file is a form error, and a liaison
        // admin may not open the page.
        let form = Form::new().text("csrf", csrf.clone()).part(
            "berkas",
            Part::bytes(b"\x00\x01 bukan lembar kerja".to_vec()).file_name("x.csv"),
        );
        let response = admin
            .post(format!("{}/impor", app.base))
            .multipart(form)
            .send()
            .await
            .expect("bad upload");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}"
        );
        let pupr = app.login("pupr").await;
        let response = pupr
            .get(format!("{}/impor", app.base))
            .send()
            .await
            .expect("liaison page");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{kind}");
        app.stop().await;
    }
}
