//! Erasure of the reporter's personal data when the retention period ends.

use super::open_store;
use crate::{App, get};
use jiff::{SignedDuration, Timestamp, ToSpan};
use reqwest::StatusCode;
use tanggap_core::complaint::ArchiveReason;
use tanggap_core::lifecycle::{Actor, ActorKind, Command, Intake};
use tanggap_core::{Channel, ComplaintId, ComplaintType, Reporter, Role};
use tanggap_service::complaints::Registered;
use tanggap_store::testing::backends;

fn central_admin() -> Actor {
    Actor {
        kind: ActorKind::Staff {
            role: Role::CentralAdmin,
            agency: None,
        },
        user_id: None,
        label: "admin".into(),
    }
}

/// Registers a complaint at `at` and, with `archive`, archives it one hour later.
async fn complaint_at(app: &App, at: Timestamp, archive: bool) -> ComplaintId {
    let intake = Intake {
        channel: Some(Channel::Telephone),
        channel_reference: Some("081255500111".into()),
        complaint_type: Some(ComplaintType::Complaint),
        body: Some("Lampu taman padam sejak seminggu".into()),
        reporter: Reporter {
            name: Some("Warga Lama".into()),
            phone: Some("081255500111".into()),
            email: Some("warga.lama@example.org".into()),
            nik: Some("6371010101800002".into()),
            address: Some("Jalan Contoh 12".into()),
        },
        ..Intake::default()
    };
    let admin = central_admin();
    let complaint = match app
        .services
        .register(&admin, intake, at, None)
        .await
        .expect("register")
    {
        Registered::New(complaint, _) => *complaint,
        Registered::Replayed(_) => panic!("a new complaint was replayed"),
    };
    if archive {
        app.services
            .apply_as(
                &admin,
                &complaint,
                Command::Archive {
                    reason: ArchiveReason::NotAComplaint,
                    note: None,
                },
                at + SignedDuration::from_hours(1),
            )
            .await
            .expect("archive");
    }
    complaint.id
}

#[tokio::test]
async fn retention_erases_old_reporters() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let store = open_store(&app).await;
        let now = Timestamp::now();
        let six_years_ago = now
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_sub(6.years())
            .expect("date")
            .timestamp();
        let old_closed = complaint_at(&app, six_years_ago, true).await;
        let old_open = complaint_at(&app, six_years_ago, false).await;
        let recent_closed = complaint_at(&app, now - SignedDuration::from_hours(48), true).await;

        let erased = app.services.run_retention(now).await.expect("retention");
        assert_eq!(erased, 1, "{kind}");
        let again = app.services.run_retention(now).await.expect("retention");
        assert_eq!(again, 0, "{kind}: erased twice");

        let admin = app.login("admin").await;
        let read = |id: ComplaintId| {
            let admin = admin.clone();
            let url = format!("{}/api/v1/complaints/{id}", app.base);
            async move {
                let (status, body) = get(&admin, url).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                body
            }
        };
        let body = read(old_closed).await;
        let text = body.to_string();
        for personal in [
            "Warga Lama",
            "081255500111",
            "warga.lama@example.org",
            "6371010101800002",
            "Jalan Contoh 12",
        ] {
            assert!(!text.contains(personal), "{kind}: {personal} kept");
        }
        assert_eq!(body["status"], "archived", "{kind}");
        assert_eq!(
            body["body"], "Lampu taman padam sejak seminggu",
            "{kind}: the complaint itself must stay"
        );
        for id in [old_open, recent_closed] {
            let body = read(id).await;
            assert_eq!(
                body["reporter"]["name"], "Warga Lama",
                "{kind}: {id} erased"
            );
        }

        // The audit log names the complaint and the period, not the data.
        let entries = store
            .list_audit(Some("complaint.personal_data_erased"), None, None, 10)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1, "{kind}");
        assert_eq!(
            entries[0].entity,
            format!("complaint:{old_closed}"),
            "{kind}"
        );
        let details = entries[0].details.clone();
        assert!(details.contains("retention_years"), "{kind}: {details}");
        assert!(!details.contains("Warga Lama"), "{kind}: {details}");

        store.close().await;
        app.stop().await;
    }
}

/// Lists the files stored under the app's upload directory.
fn stored_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for folder in ["original", "sanitised"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(folder)) {
            files.extend(entries.map(|entry| entry.expect("entry").path()));
        }
    }
    files
}

#[tokio::test]
async fn retention_removes_reporter_files() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let uploads = app
            .services
            .check_uploads(vec![tanggap_service::attachments::Upload {
                file_name: "foto-rumah-warga.png".into(),
                content: crate::portal::photo(),
            }])
            .await
            .expect("check");
        let intake = Intake {
            complaint_type: Some(ComplaintType::Complaint),
            body: Some("Selokan meluap ke halaman rumah".into()),
            reporter: Reporter {
                name: Some("Warga Berfoto".into()),
                ..Reporter::default()
            },
            ..Intake::default()
        };
        let reported = app.services.report(intake, uploads).await.expect("report");
        assert!(!reported.files_failed, "{kind}");
        let now = Timestamp::now();
        app.services
            .apply_as(
                &central_admin(),
                &reported.complaint,
                Command::Archive {
                    reason: ArchiveReason::NotAComplaint,
                    note: None,
                },
                now,
            )
            .await
            .expect("archive");
        let dir = app._uploads.path().to_owned();
        assert!(!stored_files(&dir).is_empty(), "{kind}: no file stored");

        // Six years on, the retention period of five years has passed.
        let later = now
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(6.years())
            .expect("date")
            .timestamp();
        assert_eq!(
            app.services.run_retention(later).await.expect("retention"),
            1,
            "{kind}"
        );
        assert_eq!(
            stored_files(&dir),
            Vec::<std::path::PathBuf>::new(),
            "{kind}: files kept"
        );

        let admin = app.login("admin").await;
        let id = reported.complaint.id;
        let (status, body) = get(&admin, format!("{}/api/v1/complaints/{id}", app.base)).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        let text = body.to_string();
        assert!(!text.contains("Warga Berfoto"), "{kind}: name kept");
        assert!(!text.contains("foto-rumah-warga"), "{kind}: file name kept");
        app.stop().await;
    }
}
