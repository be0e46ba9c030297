//! Attachments through the staff application: checks by content, the size
//! and count limits, the access rules, and photo metadata removal.

use super::{App, dispatched};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use tanggap_core::attachment::{MAX_FILE_BYTES, MAX_FILES_PER_COMPLAINT};
use tanggap_store::testing::backends;

/// Content Security Policy that every served file must carry.
const FILE_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox";

/// Latitude bytes written into the test photo's GPS block; they must not
/// survive in the copy that others receive.
const GPS_MARKER: &[u8] = b"GPSMARK!";

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

/// Uploads files on the complaint page; returns the final status and page.
async fn upload(
    app: &App,
    client: &Client,
    id: i64,
    files: &[(&str, Vec<u8>)],
) -> (StatusCode, String) {
    let mut form = Form::new().text("csrf", csrf_token(app, client).await);
    for (name, content) in files {
        form = form.part(
            "lampiran",
            Part::bytes(content.clone()).file_name((*name).to_owned()),
        );
    }
    let response = client
        .post(format!("{}/pengaduan/{id}/lampiran", app.base))
        .multipart(form)
        .send()
        .await
        .expect("upload request");
    let status = response.status();
    (status, response.text().await.expect("page"))
}

/// Returns the attachment ids linked from a complaint page, in page order.
async fn attachment_ids(app: &App, client: &Client, id: i64) -> Vec<i64> {
    let page = client
        .get(format!("{}/pengaduan/{id}", app.base))
        .send()
        .await
        .expect("detail request")
        .text()
        .await
        .expect("detail page");
    let prefix = format!("href=\"/pengaduan/{id}/lampiran/");
    let mut ids = Vec::new();
    for part in page.split(&prefix).skip(1) {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<i64>()
            && part[digits.len()..].starts_with('"')
            && !ids.contains(&n)
        {
            ids.push(n);
        }
    }
    ids
}

/// Builds a small JPEG with an EXIF block that holds a GPS latitude.
fn jpeg_with_gps() -> Vec<u8> {
    let picture =
        image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([x as u8 * 15, y as u8 * 20, 90]));
    let mut plain = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .expect("encode JPEG");
    let plain = plain.into_inner();

    // TIFF (little endian): IFD0 with one GPSInfo pointer, then a GPS IFD
    // with GPSLatitude as three RATIONALs. Offsets count from "II".
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes()); // GPSInfo
    tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes()); // GPSLatitude
    tiff.extend_from_slice(&5u16.to_le_bytes()); // RATIONAL
    tiff.extend_from_slice(&3u32.to_le_bytes());
    tiff.extend_from_slice(&44u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(GPS_MARKER);
    tiff.extend_from_slice(&[3, 0, 0, 0, 1, 0, 0, 0, 19, 0, 0, 0, 1, 0, 0, 0]);

    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let length = u16::try_from(segment.len() + 2).expect("segment length");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend_from_slice(&length.to_be_bytes());
    jpeg.extend_from_slice(&segment);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn upload_checked_by_content() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let id = dispatched(&app, &admin, false).await;

        let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
        let (status, _) = upload(&app, &admin, id, &[("foto.jpg", pdf)]).await;
        assert_eq!(status, StatusCode::OK, "{kind}: PDF named .jpg");
        let ids = attachment_ids(&app, &admin, id).await;
        assert_eq!(ids.len(), 1, "{kind}: one attachment");
        let response = admin
            .get(format!("{}/pengaduan/{id}/lampiran/{}", app.base, ids[0]))
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/pdf", "{kind}");
        assert!(
            headers["content-disposition"]
                .to_str()
                .expect("ascii")
                .starts_with("attachment;"),
            "{kind}: a PDF is a download"
        );
        assert_eq!(headers["content-security-policy"], FILE_POLICY);
        assert_eq!(headers["x-content-type-options"], "nosniff");

        let executable = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
        let (status, page) = upload(&app, &admin, id, &[("foto.png", executable)]).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: .exe as .png"
        );
        assert!(
            page.contains("foto.png"),
            "{kind}: the message names the file"
        );
        assert_eq!(attachment_ids(&app, &admin, id).await.len(), 1, "{kind}");

        let too_large = vec![b'a'; MAX_FILE_BYTES + 1];
        let (status, _) = upload(&app, &admin, id, &[("besar.txt", too_large)]).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: over 10 MiB"
        );
        let at_limit = vec![b'a'; MAX_FILE_BYTES];
        let (status, _) = upload(&app, &admin, id, &[("pas.txt", at_limit)]).await;
        assert_eq!(status, StatusCode::OK, "{kind}: exactly 10 MiB");

        let notes: Vec<(String, Vec<u8>)> = (0..MAX_FILES_PER_COMPLAINT)
            .map(|n| {
                (
                    format!("catatan-{n}.txt"),
                    format!("catatan {n}\n").into_bytes(),
                )
            })
            .collect();
        let files: Vec<(&str, Vec<u8>)> = notes
            .iter()
            .map(|(name, content)| (name.as_str(), content.clone()))
            .collect();
        let (status, _) = upload(&app, &admin, id, &files).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: over the count"
        );
        assert_eq!(
            attachment_ids(&app, &admin, id).await.len(),
            MAX_FILES_PER_COMPLAINT,
            "{kind}: files up to the limit stay attached"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn photo_metadata_and_scope() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let pupr = app.login("pupr").await;
        let dishub = app.login("dishub").await;
        let id = dispatched(&app, &admin, false).await;

        let photo = jpeg_with_gps();
        assert!(contains(&photo, GPS_MARKER), "the test photo carries GPS");
        let (status, _) = upload(&app, &pupr, id, &[("jalan.jpg", photo.clone())]).await;
        assert_eq!(status, StatusCode::OK, "{kind}: the lead agency uploads");
        let ids = attachment_ids(&app, &pupr, id).await;
        assert_eq!(ids.len(), 1, "{kind}");
        let url = format!("{}/pengaduan/{id}/lampiran/{}", app.base, ids[0]);

        let response = pupr.get(&url).send().await.expect("download");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .starts_with("inline;"),
            "{kind}: the cleaned photo shows inline"
        );
        let copy = response.bytes().await.expect("body");
        assert!(copy.starts_with(&[0xFF, 0xD8, 0xFF]), "{kind}: a JPEG");
        assert!(!contains(&copy, b"Exif"), "{kind}: no EXIF block");
        assert!(!contains(&copy, GPS_MARKER), "{kind}: no GPS data");
        image::load_from_memory(&copy).expect("the copy decodes");

        let original_url = format!("{url}/asli");
        let status = pupr
            .get(&original_url)
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{kind}: original only for the central admin"
        );
        let original = admin.get(&original_url).send().await.expect("request");
        assert_eq!(original.status(), StatusCode::OK, "{kind}");
        let original = original.bytes().await.expect("body");
        assert_eq!(
            original.as_ref(),
            photo.as_slice(),
            "{kind}: original unchanged"
        );

        let status = dishub.get(&url).send().await.expect("request").status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: another agency");
        let (status, _) = upload(&app, &dishub, id, &[("lain.txt", b"teks\n".to_vec())]).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{kind}: another agency uploads"
        );
        let anonymous = Client::new().get(&url).send().await.expect("request");
        assert_eq!(
            anonymous.status(),
            StatusCode::NOT_FOUND,
            "{kind}: signed out"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn recording_form_takes_files() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let admin = app.login("admin").await;
        let pupr = app.login("pupr").await;
        let form = Form::new()
            .text("csrf", csrf_token(&app, &admin).await)
            .text("channel", "walk_in")
            .text("complaint_type", "complaint")
            .text("body", "Lampu jalan mati sejak seminggu.")
            .text("kelurahan_code", "63.71.01.1001")
            .text("phone", "081200000003")
            .text("anonymous", "on")
            .part(
                "lampiran",
                Part::bytes(b"%PDF-1.4\nsurat pelapor\n".to_vec()).file_name("surat.pdf"),
            )
            .part(
                "lampiran",
                Part::bytes(jpeg_with_gps()).file_name("foto.jpg"),
            );
        let response = admin
            .post(format!("{}/pengaduan/baru", app.base))
            .multipart(form)
            .send()
            .await
            .expect("record request");
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let id: i64 = response
            .url()
            .path()
            .trim_start_matches("/pengaduan/")
            .parse()
            .expect("redirected to the new complaint");
        assert_eq!(attachment_ids(&app, &admin, id).await.len(), 2, "{kind}");

        // The reporter's letter on an anonymous complaint follows the
        // identity rule; the cleaned photo does not identify anyone.
        let (status, body) = super::post(
            &admin,
            format!("{}/api/v1/complaints/{id}/actions/verify", app.base),
            serde_json::json!({ "version": 1, "complaint_type": "complaint", "category": "TOPIK LAINNYA" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = super::post(
            &admin,
            format!("{}/api/v1/complaints/{id}/actions/dispatch", app.base),
            serde_json::json!({ "version": 2, "lead_agency": "PUPR" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let visible = attachment_ids(&app, &pupr, id).await;
        assert_eq!(visible.len(), 1, "{kind}: only the photo for the agency");
        app.stop().await;
    }
}
