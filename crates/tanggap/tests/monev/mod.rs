//! SOP versions, a whole monitoring and evaluation run (SOP 05) through the
//! services, its staff pages over HTTP, and the compliance figures, on
//! SQLite and PostgreSQL.

use crate::REFERENCE;
use jiff::Timestamp;
use jiff::civil::date;
use tanggap_core::lifecycle::Intake;
use tanggap_core::monev::{Analysis, Attendee, Minutes, SiteVisit, TaskError, TaskStatus};
use tanggap_core::{Actor, ActorKind, Channel, Command, Complaint, ComplaintType, Role};
use tanggap_service::complaints::Registered;
use tanggap_service::monev::{DocumentEdit, NewActionItem, RunView};
use tanggap_service::report_versions::HEAD_OF_SECTION_AGENCY;
use tanggap_service::{Principal, ServiceConfig, ServiceError, Services};
use tanggap_store::testing::{TestDatabase, backends};
use tanggap_web::i18n::Lang;
use tanggap_web::report_document::VersionRenderer;

mod api;
mod documents;
mod pages;

/// Services over a fresh database with the reference data and one user
/// per role that the run needs.
struct Fixture {
    services: Services,
    db: TestDatabase,
    _uploads: tempfile::TempDir,
    team: Principal,
    sekda: Principal,
    head: Principal,
    sysadmin: Principal,
    admin: Principal,
}

impl Fixture {
    async fn new(kind: &str) -> Fixture {
        let db = TestDatabase::create(kind).await.expect("test database");
        let store = db.store().await.expect("store");
        let uploads = tempfile::tempdir().expect("upload directory");
        let config = ServiceConfig {
            upload_dir: uploads.path().to_owned(),
            ..ServiceConfig::default()
        };
        let services = Services::new(store, config).await.expect("services");
        services.seed_reference(REFERENCE).await.expect("seed");
        let mut principals = Vec::new();
        for (name, role, agency) in [
            ("team", Role::ComplaintTeam, None),
            ("sekda", Role::CitySecretary, None),
            ("head.pupr", Role::AgencyHead, Some("PUPR")),
            ("sysadmin", Role::SystemAdmin, None),
            ("admin", Role::CentralAdmin, None),
        ] {
            let user_id = services
                .add_user(None, name, name, "kata-sandi-uji-123", role, agency)
                .await
                .expect("user");
            principals.push(Principal {
                user_id,
                username: name.into(),
                display_name: name.into(),
                role,
                agency: agency.map(str::to_owned),
            });
        }
        let [team, sekda, head, sysadmin, admin]: [Principal; 5] =
            principals.try_into().expect("five users");
        Fixture {
            services,
            db,
            _uploads: uploads,
            team,
            sekda,
            head,
            sysadmin,
            admin,
        }
    }

    async fn stop(self) {
        self.services.close().await;
        self.db.cleanup().await;
    }

    async fn run(&self, id: i64) -> RunView {
        self.services
            .monev_run(&self.team, id)
            .await
            .expect("run view")
    }
}

/// Takes a report version of the quarter through generation, review and
/// the Sekda's approval, with users made for it; returns the version's id
/// and the SHA-256 of its approved PDF. A run starts from such a version.
pub(crate) async fn approve_report(s: &Services, year: i16, quarter: u8) -> (i64, String) {
    let mut principals = Vec::new();
    for (name, role, agency) in [
        ("report.team", Role::ComplaintTeam, None),
        (
            "report.head",
            Role::AgencyHead,
            Some(HEAD_OF_SECTION_AGENCY),
        ),
        ("report.sekda", Role::CitySecretary, None),
    ] {
        let username = format!("{name}.{year}.{quarter}");
        let user_id = s
            .add_user(
                None,
                &username,
                &username,
                "kata-sandi-uji-123",
                role,
                agency,
            )
            .await
            .expect("report user");
        principals.push(Principal {
            user_id,
            username,
            display_name: name.into(),
            role,
            agency: agency.map(str::to_owned),
        });
    }
    let [team, head, sekda]: [Principal; 3] = principals.try_into().expect("three users");
    let renderer = VersionRenderer {
        services: s.clone(),
    };
    let version = s
        .generate_report_version(&team, year, quarter, "id", &renderer)
        .await
        .expect("report version generated");
    s.submit_report_version(&team, version.id)
        .await
        .expect("report version submitted");
    s.review_report_version(&head, version.id, true, "")
        .await
        .expect("report version accepted");
    let approved = s
        .decide_report_version(&sekda, version.id, true, &version.pdf_sha256, "")
        .await
        .expect("report version approved");
    (approved.id, approved.pdf_sha256)
}

fn minutes(place: &str) -> Minutes {
    Minutes {
        held_on: "2026-10-07".into(),
        place: place.into(),
        attendees: vec![
            Attendee {
                name: "Peserta Satu".into(),
                institution: "Dinas PUPR".into(),
            },
            Attendee {
                name: "Peserta Dua".into(),
                institution: "Bagian Humas dan Protokol".into(),
            },
        ],
        agenda: "Tindak lanjut hasil pemantauan".into(),
        discussion: "Pembahasan temuan di lokasi.".into(),
        decisions: "Perbaikan jalan dijadwalkan.".into(),
    }
}

/// Lists the fields of a validation error.
fn field_errors(result: Result<(), ServiceError>) -> Vec<String> {
    match result {
        Err(ServiceError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub(crate) fn visit() -> SiteVisit {
    SiteVisit {
        complaints: vec!["BJM-26-000001".into()],
        agency: "PUPR".into(),
        visited_on: "2026-10-06".into(),
        location: "Jalan Mantuil".into(),
        findings: "Lubang jalan belum ditambal.".into(),
        agency_explanation: "Menunggu material.".into(),
    }
}

fn analysis(summary: &str) -> Analysis {
    Analysis {
        summary: summary.into(),
        findings: "Tindak lanjut terlambat di dua instansi.".into(),
        recommendations: "Percepat perbaikan jalan.".into(),
    }
}

/// A small JPEG, made here so the test needs no fixture file.
fn jpeg() -> Vec<u8> {
    let picture =
        image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 60]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode JPEG");
    out.into_inner()
}

fn status_of(view: &RunView, activity: &str) -> TaskStatus {
    view.tasks
        .iter()
        .find(|t| t.activity.id == activity)
        .map(|t| t.status)
        .expect("task")
}

#[tokio::test]
async fn monev_run_through_services() {
    for kind in backends() {
        let f = Fixture::new(kind).await;
        let s = &f.services;

        // Only the complaint team starts a run, and only from the
        // quarter's approved report version.
        let denied = s.start_monev_run(&f.sekda, 2026, 3).await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{kind}");
        let unapproved = s.start_monev_run(&f.team, 2026, 3).await;
        assert!(
            matches!(
                unapproved,
                Err(ServiceError::Task(TaskError::ReportNotApproved))
            ),
            "{kind}: {unapproved:?}"
        );
        let (report_id, report_sha256) = approve_report(s, 2026, 3).await;
        let id = s.start_monev_run(&f.team, 2026, 3).await.expect("start");
        let again = s.start_monev_run(&f.team, 2026, 3).await;
        assert!(
            matches!(again, Err(ServiceError::Task(TaskError::QuarterHasRun))),
            "{kind}: {again:?}"
        );

        let view = f.run(id).await;
        assert_eq!(view.run.sop_version, 1);
        assert_eq!(view.tasks.len(), 6);
        assert_eq!(status_of(&view, "prepare"), TaskStatus::InProgress);
        assert_eq!(view.recap().basis, "approved_report");
        assert_eq!(view.run.report_version_id, Some(report_id), "{kind}");
        assert_eq!(
            view.run.report_sha256.as_deref(),
            Some(report_sha256.as_str()),
            "{kind}"
        );
        let source = view.recap().report.expect("report source");
        assert_eq!((source.id, source.sha256), (report_id, report_sha256));
        // Each task is due one working day after the one before.
        for pair in view.tasks.windows(2) {
            assert!(pair[0].due_at < pair[1].due_at, "{kind}");
        }

        // The meeting cannot start before the monitoring report exists.
        let early = s.start_monev_task(&f.team, id, "agency_meeting").await;
        match early {
            Err(ServiceError::Task(TaskError::RequirementMissing { requirement })) => {
                assert_eq!(requirement, "Laporan hasil pemantauan");
            }
            other => panic!("{kind}: expected a missing requirement, got {other:?}"),
        }
        let early = s.start_monev_task(&f.team, id, "site_visit").await;
        assert!(
            matches!(
                early,
                Err(ServiceError::Task(TaskError::RequirementMissing { .. }))
            ),
            "{kind}: {early:?}"
        );

        // 1. Preparation: the recap exists, so the team finishes it.
        s.complete_monev_task(&f.team, id, "prepare")
            .await
            .expect("prepare done");

        // 2. Site visit, with a photo and its location.
        let head_denied = s.start_monev_task(&f.head, id, "site_visit").await;
        assert!(
            matches!(head_denied, Err(ServiceError::Forbidden)),
            "{kind}"
        );
        s.start_monev_task(&f.team, id, "site_visit")
            .await
            .expect("site visit starts");
        let empty = s.complete_monev_task(&f.team, id, "site_visit").await;
        assert!(matches!(empty, Err(ServiceError::Validation(_))), "{kind}");
        s.edit_monev_document(&f.team, id, "site_visit", DocumentEdit::AddVisit(visit()))
            .await
            .expect("visit added");
        let photo = s
            .check_uploads(vec![tanggap_service::attachments::Upload {
                file_name: "lokasi.jpg".into(),
                content: jpeg(),
            }])
            .await
            .expect("photo checks")
            .remove(0);
        let no_place = s
            .add_monev_photo(&f.team, id, 0, photo.clone(), None, Some(114.59))
            .await;
        assert!(
            matches!(no_place, Err(ServiceError::Validation(_))),
            "{kind}"
        );
        s.add_monev_photo(&f.team, id, 0, photo, Some(-3.33), Some(114.59))
            .await
            .expect("photo added");
        s.complete_monev_task(&f.team, id, "site_visit")
            .await
            .expect("site visit done");
        let view = f.run(id).await;
        let photo_id = view.photos[0].id;
        let file = s
            .monev_photo_file(&f.sekda, id, photo_id)
            .await
            .expect("photo file");
        assert_eq!(file.media_type, "image/jpeg");

        // 3. Meeting with the reported agency, started by its head.
        s.start_monev_task(&f.head, id, "agency_meeting")
            .await
            .expect("meeting starts");
        let without_minutes = s.complete_monev_task(&f.head, id, "agency_meeting").await;
        assert_eq!(
            field_errors(without_minutes),
            ["meetings"],
            "{kind}: a meeting task needs minutes"
        );
        s.edit_monev_document(
            &f.head,
            id,
            "agency_meeting",
            DocumentEdit::AddMinutes(minutes("Ruang rapat PUPR")),
        )
        .await
        .expect("first minutes saved");
        // A second meeting of the same step, recorded first with its place only.
        let second = Minutes {
            place: "Kantor Kecamatan Banjarmasin Selatan".into(),
            ..Minutes::default()
        };
        s.edit_monev_document(
            &f.team,
            id,
            "agency_meeting",
            DocumentEdit::AddMinutes(second),
        )
        .await
        .expect("second minutes saved");
        let incomplete = s.complete_monev_task(&f.head, id, "agency_meeting").await;
        assert_eq!(
            field_errors(incomplete),
            [
                "meetings[1].held_on",
                "meetings[1].agenda",
                "meetings[1].discussion",
                "meetings[1].decisions",
                "meetings[1].attendees"
            ],
            "{kind}: every set of minutes must be complete"
        );
        let mut second = minutes("Kantor Kecamatan Banjarmasin Selatan");
        second.decisions = "Saluran dibersihkan bersama kecamatan.".into();
        s.edit_monev_document(
            &f.head,
            id,
            "agency_meeting",
            DocumentEdit::EditMinutes {
                meeting: 1,
                minutes: second,
            },
        )
        .await
        .expect("second minutes completed");
        let missing = s
            .edit_monev_document(
                &f.head,
                id,
                "agency_meeting",
                DocumentEdit::EditMinutes {
                    meeting: 2,
                    minutes: minutes("Tidak ada"),
                },
            )
            .await;
        assert!(
            matches!(missing, Err(ServiceError::NotFound { .. })),
            "{kind}: {missing:?}"
        );
        for (meeting, description) in [
            (0, "Menambal jalan Mantuil"),
            (1, "Membersihkan saluran Kelayan"),
        ] {
            s.add_monev_action_item(
                &f.team,
                id,
                "agency_meeting",
                NewActionItem {
                    meeting,
                    description: description.into(),
                    owner: "Dinas PUPR".into(),
                    due_on: "2026-10-20".into(),
                },
            )
            .await
            .expect("action item");
        }
        let no_meeting = s
            .add_monev_action_item(
                &f.team,
                id,
                "agency_meeting",
                NewActionItem {
                    meeting: 2,
                    description: "Tanpa rapat".into(),
                    owner: "Dinas PUPR".into(),
                    due_on: "2026-10-20".into(),
                },
            )
            .await;
        assert!(
            matches!(no_meeting, Err(ServiceError::NotFound { .. })),
            "{kind}: {no_meeting:?}"
        );
        let view = f.run(id).await;
        let places: Vec<String> = view
            .minutes("agency_meeting")
            .meetings
            .into_iter()
            .map(|m| m.place)
            .collect();
        assert_eq!(
            places,
            ["Ruang rapat PUPR", "Kantor Kecamatan Banjarmasin Selatan"],
            "{kind}"
        );
        let meetings: Vec<i64> = view.action_items.iter().map(|i| i.meeting).collect();
        assert_eq!(meetings, [0, 1], "{kind}");
        s.complete_monev_task(&f.head, id, "agency_meeting")
            .await
            .expect("meeting done");

        // 4. Analysis: approved with the Sekda's paraf on its current hash.
        s.start_monev_task(&f.team, id, "analysis")
            .await
            .expect("analysis starts");
        s.edit_monev_document(
            &f.team,
            id,
            "analysis",
            DocumentEdit::Analysis(analysis("Ringkasan pertama")),
        )
        .await
        .expect("analysis saved");
        let unapproved = s.complete_monev_task(&f.team, id, "analysis").await;
        assert!(
            matches!(
                unapproved,
                Err(ServiceError::Task(TaskError::ApprovalMissing))
            ),
            "{kind}: {unapproved:?}"
        );
        let team_approves = s.approve_monev_analysis(&f.team, id, "0").await;
        assert!(
            matches!(team_approves, Err(ServiceError::Forbidden)),
            "{kind}"
        );
        let first_hash = f
            .run(id)
            .await
            .document("analysis")
            .expect("analysis")
            .sha256
            .clone();
        let stale = s
            .approve_monev_analysis(&f.sekda, id, &"0".repeat(64))
            .await;
        assert!(matches!(stale, Err(ServiceError::Validation(_))), "{kind}");
        s.approve_monev_analysis(&f.sekda, id, &first_hash)
            .await
            .expect("approved");
        assert!(f.run(id).await.approved("analysis"));

        // A change after approval needs a new approval.
        s.edit_monev_document(
            &f.team,
            id,
            "analysis",
            DocumentEdit::Analysis(analysis("Ringkasan kedua")),
        )
        .await
        .expect("analysis changed");
        let view = f.run(id).await;
        assert!(!view.approved("analysis"), "{kind}");
        let changed = s.complete_monev_task(&f.team, id, "analysis").await;
        assert!(
            matches!(changed, Err(ServiceError::Task(TaskError::ApprovalMissing))),
            "{kind}"
        );
        let second_hash = view.document("analysis").expect("analysis").sha256.clone();
        assert_ne!(first_hash, second_hash);
        s.approve_monev_analysis(&f.sekda, id, &second_hash)
            .await
            .expect("approved again");
        s.complete_monev_task(&f.team, id, "analysis")
            .await
            .expect("analysis done");
        let approvals = s
            .audit_log(
                &f.sekda,
                tanggap_service::admin::AuditQuery {
                    action_prefix: Some("monev.analysis.approve".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("audit log");
        let hashes: Vec<String> = approvals
            .iter()
            .filter_map(|e| {
                let details: serde_json::Value = serde_json::from_str(&e.details).ok()?;
                details["sha256"].as_str().map(str::to_owned)
            })
            .collect();
        assert_eq!(hashes, [second_hash.clone(), first_hash.clone()], "{kind}");

        // 5. Meeting with the community and civil society.
        s.start_monev_task(&f.team, id, "community_meeting")
            .await
            .expect("community meeting starts");
        s.edit_monev_document(
            &f.team,
            id,
            "community_meeting",
            DocumentEdit::AddMinutes(minutes("Aula Sekretariat Daerah")),
        )
        .await
        .expect("minutes saved");
        s.complete_monev_task(&f.team, id, "community_meeting")
            .await
            .expect("community meeting done");

        // 6. Archive: one bundle, stored and listed.
        s.start_monev_task(&f.team, id, "archive")
            .await
            .expect("archive starts");
        let render = tanggap_web::monev_bundle_renderer(s.clone(), Lang::Id);
        s.archive_monev_run(&f.team, id, render)
            .await
            .expect("archived");
        let view = f.run(id).await;
        assert!(
            view.tasks.iter().all(|t| t.status == TaskStatus::Done),
            "{kind}"
        );
        let archives = s.monev_archives(&f.sekda).await.expect("archives");
        assert_eq!(archives.len(), 1);
        let bundle = s.monev_archive_file(&f.sekda, id).await.expect("bundle");
        assert_eq!(bundle.media_type, "application/pdf", "{kind}");
        assert_eq!(bundle.file_name, "monev-2026-triwulan-3.pdf", "{kind}");
        assert_eq!(
            tanggap_documents::sha256_hex(&bundle.content),
            archives[0].1.sha256,
            "{kind}: the archive lists the stored bundle's hash"
        );
        if let Some(text) = documents::pdf_words(&bundle.content) {
            check_bundle_text(&text, &second_hash);
        }

        // The archived run changes no more, but its action items are
        // still followed up.
        let late = s
            .edit_monev_document(
                &f.team,
                id,
                "analysis",
                DocumentEdit::Analysis(analysis("Terlambat")),
            )
            .await;
        assert!(
            matches!(late, Err(ServiceError::Task(TaskError::RunArchived))),
            "{kind}: {late:?}"
        );
        let item = view.action_items[0].id;
        s.complete_monev_action_item(&f.head, id, item)
            .await
            .expect("action item done");
        assert!(f.run(id).await.action_items[0].done_at.is_some());

        // Roles without a part in monitoring cannot see runs.
        let hidden = s.monev_runs(&f.sysadmin).await;
        assert!(matches!(hidden, Err(ServiceError::Forbidden)), "{kind}");
        assert_eq!(s.monev_runs(&f.admin).await.expect("runs").len(), 1);
        f.stop().await;
    }
}

/// Checks the archive bundle's text: the index names every document
/// before the documents follow in order, each with its key content.
fn check_bundle_text(text: &str, analysis_hash: &str) {
    let (index, documents) = text
        .split_once("Daftar isi")
        .map(|(_, rest)| {
            rest.split_once("1. Persiapan pelaksanaan pemantauan")
                .expect("the first document follows the index")
        })
        .expect("index page");
    assert!(
        text.starts_with("Dokumen Hasil Laporan Pemantauan dan Evaluasi"),
        "{text}"
    );
    assert!(text.contains("Triwulan 3 tahun 2026"), "{text}");
    for output in [
        "Rekap laporan aduan masyarakat per triwulan",
        "Laporan hasil pemantauan",
        "Notulen rapat",
        "Laporan telah diperiksa, disetujui dan berparaf Sekda",
    ] {
        assert!(index.contains(output), "index lists {output:?}: {index}");
    }
    let expected = [
        // The monitoring report of the site visit.
        "2. Kunjungan ke lokasi aduan",
        "BJM-26-000001",
        "Jalan Mantuil",
        "Lubang jalan belum ditambal.",
        "Menunggu material.",
        "lokasi.jpg",
        // The minutes of both meetings with the reported agency, in order,
        // each with its action item.
        "3. Rapat koordinasi dengan SKPD/Instansi terlapor",
        "Notulen rapat 1",
        "Ruang rapat PUPR",
        "Peserta Satu (Dinas PUPR)",
        "Perbaikan jalan dijadwalkan.",
        "Menambal jalan Mantuil",
        "Notulen rapat 2",
        "Kantor Kecamatan Banjarmasin Selatan",
        "Saluran dibersihkan bersama kecamatan.",
        "Membersihkan saluran Kelayan",
        // The analysis with the Sekda's paraf on its hash.
        "4. Analisa laporan hasil rapat dan pemantauan",
        "Ringkasan kedua",
        "Percepat perbaikan jalan.",
        "Persetujuan dan paraf Sekda",
        // The minutes of the meeting with the community.
        "5. Rapat koordinasi bersama Komunitas LAPOR Baiman",
        "Aula Sekretariat Daerah",
    ];
    let mut rest = documents;
    for phrase in expected {
        let at = rest
            .find(phrase)
            .unwrap_or_else(|| panic!("{phrase:?} in order in the documents: {documents}"));
        rest = &rest[at + phrase.len()..];
    }
    let approval = format!("Disetujui dan diparaf untuk isi dengan SHA-256 {analysis_hash}");
    assert!(documents.contains(&approval), "{approval:?} in {documents}");
    assert!(
        !documents.contains("6. Mengarsipkan"),
        "the archive step has no document of its own"
    );
}

/// SOP 05 with the site visit's time standard raised to `days`, as
/// version `version` effective on `effective_on`.
fn edited_sop05(version: u32, days: u32, effective_on: &str) -> String {
    let text = tanggap_core::sop::SHIPPED[4];
    let text = text.replacen("version = 1", &format!("version = {version}"), 1);
    let text = text.replacen(
        "made_on = 2019-10-07",
        &format!(
            "made_on = 2019-10-07\nrevised_on = {effective_on}\neffective_on = {effective_on}"
        ),
        1,
    );
    let marker = "id = \"site_visit\"";
    let (head, tail) = text.split_once(marker).expect("site visit");
    let tail = tail.replacen(
        "time = { value = 1, unit = \"working_days\" }",
        &format!("time = {{ value = {days}, unit = \"working_days\" }}"),
        1,
    );
    format!("{head}{marker}{tail}")
}

#[tokio::test]
async fn sop_versions_keep_started_work() {
    for kind in backends() {
        let f = Fixture::new(kind).await;
        let s = &f.services;
        let today = s.calendar().local_date(Timestamp::now());
        let number = "05/humpro";

        approve_report(s, 2026, 3).await;
        approve_report(s, 2026, 4).await;
        let q3 = s.start_monev_run(&f.team, 2026, 3).await.expect("start");

        // Only the system administrator saves versions.
        let source = edited_sop05(2, 2, &today.to_string());
        let denied = s.save_sop_version(&f.team, number, &source).await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{kind}");

        // Problems are reported under the field they concern.
        let yesterday = today.yesterday().expect("yesterday");
        let cases = [
            (
                edited_sop05(3, 2, &today.to_string()),
                "version",
                "sop_version_expected",
            ),
            (
                edited_sop05(2, 2, &yesterday.to_string()),
                "effective_on",
                "sop_effective_past",
            ),
            (
                source.replacen("performer = \"agency_head\"", "performer = \"lurah\"", 1),
                "activities[2].performer",
                "sop_unknown_performer",
            ),
            (
                source.replacen("number = \"05/humpro\"", "number = \"04/humpro\"", 1),
                "number",
                "sop_number_mismatch",
            ),
        ];
        for (text, field, code) in cases {
            match s.save_sop_version(&f.sysadmin, number, &text).await {
                Err(ServiceError::Validation(errors)) => assert!(
                    errors.iter().any(|e| e.field == field && e.code == code),
                    "{kind} {field}: {errors:?}"
                ),
                other => panic!("{kind} {field}: expected a validation error, got {other:?}"),
            }
        }

        let saved = s
            .save_sop_version(&f.sysadmin, number, &source)
            .await
            .expect("version 2");
        assert_eq!(saved.version, 2);
        let versions = s.sop_versions(number).await.expect("versions");
        assert_eq!(versions.len(), 2);
        let current = s
            .sop_in_effect(number, Timestamp::now())
            .await
            .expect("in effect");
        assert_eq!(current.version, 2);

        // The run started under version 1 keeps it; a new run uses version 2.
        assert_eq!(f.run(q3).await.run.sop_version, 1);
        let q4 = s.start_monev_run(&f.team, 2026, 4).await.expect("start");
        let view = f.run(q4).await;
        assert_eq!(view.run.sop_version, 2);
        let calendar = s.calendar();
        let prepare = calendar.due_date(view.tasks[0].due_at);
        let site_visit = calendar.due_date(view.tasks[1].due_at);
        assert_eq!(
            calendar.working_days_between(prepare, site_visit),
            2,
            "{kind}"
        );
        f.stop().await;
    }
}

/// Local time in WITA (UTC+8).
fn wita(year: i16, month: i8, day: i8, hour: i8) -> Timestamp {
    date(year, month, day)
        .at(hour, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Asia/Makassar").expect("WITA time zone"))
        .expect("valid local time")
        .timestamp()
}

fn staff(role: Role, agency: Option<&str>) -> Actor {
    Actor {
        kind: ActorKind::Staff {
            role,
            agency: agency.map(str::to_owned),
        },
        user_id: None,
        label: format!("{role:?}"),
    }
}

async fn complaint(s: &Services, received: Timestamp) -> Complaint {
    let intake = Intake {
        channel: Some(Channel::Whatsapp),
        received_at: Some(received),
        body: Some("Laporan uji untuk kepatuhan standar.".into()),
        ..Intake::default()
    };
    match s
        .register(&staff(Role::CentralAdmin, None), intake, received, None)
        .await
        .expect("register")
    {
        Registered::New(complaint, _) => *complaint,
        Registered::Replayed(id) => panic!("complaint {id} replayed"),
    }
}

async fn verify_and_dispatch(s: &Services, c: &Complaint, at: Timestamp) -> Complaint {
    let admin = staff(Role::CentralAdmin, None);
    let verify = Command::Verify {
        complaint_type: ComplaintType::Complaint,
        supervision: false,
        title: Some("Laporan uji".into()),
        category: Some("PERHUBUNGAN".into()),
        subcategory: None,
        tags: Vec::new(),
    };
    let c = s.apply_as(&admin, c, verify, at).await.expect("verify");
    let dispatch = Command::Dispatch {
        lead_agency: "PUPR".into(),
        supporting_agencies: Vec::new(),
        instruction: None,
    };
    s.apply_as(&admin, &c, dispatch, at)
        .await
        .expect("dispatch")
}

/// Verification has 3 working days in SOP 02. A is registered on Monday
/// 6 July 2026 and verified on Thursday 9 July (3 working days, within);
/// B is registered the same Monday and verified on Monday 13 July (5
/// working days, late). A's agency follows up on Friday 10 July, 1 working
/// day after dispatch (standard 5).
#[tokio::test]
async fn compliance_counts_working_days() {
    for kind in backends() {
        let f = Fixture::new(kind).await;
        let s = &f.services;
        let a = complaint(s, wita(2026, 7, 6, 9)).await;
        let b = complaint(s, wita(2026, 7, 6, 10)).await;
        let a = verify_and_dispatch(s, &a, wita(2026, 7, 9, 15)).await;
        verify_and_dispatch(s, &b, wita(2026, 7, 13, 9)).await;
        let liaison = staff(Role::LiaisonAdmin, Some("PUPR"));
        let follow_up = Command::FollowUp {
            text: "Sedang ditangani.".into(),
        };
        s.apply_as(&liaison, &a, follow_up, wita(2026, 7, 10, 9))
            .await
            .expect("follow-up");

        let denied = s.compliance(&f.head, 2026, Some(3), None).await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{kind}");

        let figures = s
            .compliance(&f.sekda, 2026, Some(3), None)
            .await
            .expect("compliance");
        let overall = figures.overall();
        let verify = overall
            .iter()
            .find(|r| r.key.activity == "verify")
            .expect("verify row");
        assert_eq!(verify.key.sop, "02/humpro");
        assert_eq!(verify.standard_value, 3);
        assert_eq!(verify.measure.measured, 2, "{kind}");
        assert_eq!(verify.measure.within, 1, "{kind}");
        assert_eq!(verify.measure.median(), Some(3), "{kind}");
        let worst: Vec<(i64, &str)> = verify
            .measure
            .worst
            .iter()
            .map(|(d, t)| (*d, t.as_str()))
            .collect();
        assert_eq!(
            worst,
            [
                (5, b.tracking_number.as_str()),
                (3, a.tracking_number.as_str())
            ]
        );
        let follow = overall
            .iter()
            .find(|r| r.key.activity == "follow_up")
            .expect("follow-up row");
        assert_eq!((follow.measure.measured, follow.measure.within), (1, 1));
        // Dispatch has no time standard of its own.
        assert!(overall.iter().all(|r| r.key.activity != "dispatch"));
        let by_agency = figures.by_agency();
        assert!(by_agency.iter().all(|r| r.key.agency == "PUPR"), "{kind}");

        // Another agency or quarter has nothing measured.
        let other = s
            .compliance(&f.sekda, 2026, Some(3), Some("DLH"))
            .await
            .expect("compliance");
        assert!(other.rows.is_empty(), "{kind}");
        let q2 = s
            .compliance(&f.sekda, 2026, Some(2), None)
            .await
            .expect("compliance");
        assert!(q2.rows.is_empty(), "{kind}");

        let csv = figures.to_csv().expect("CSV");
        assert!(
            csv.starts_with("sop,activity,agency,year,quarter,"),
            "{csv}"
        );
        assert!(csv.contains(&b.tracking_number), "{csv}");
        f.stop().await;
    }
}
