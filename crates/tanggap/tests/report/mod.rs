//! Quarterly report figures on a fixed dataset built through the services.
//!
//! The expected values are worked out by hand in the comments below, from
//! the standards (verification 3, follow-up 5, resolution 14, reopened
//! response 5 working days) and the holidays of 2025 (25 and 26 December).
//! They are not computed by the report code.

use crate::REFERENCE;
use jiff::Timestamp;
use jiff::civil::date;
use tanggap_core::lifecycle::Intake;
use tanggap_core::{
    Actor, ActorKind, ArchiveReason, Channel, Command, Complaint, ComplaintType, Location, Role,
};
use tanggap_service::complaints::Registered;
use tanggap_service::report::{Period, RecurringProblem};
use tanggap_service::{Principal, ServiceConfig, ServiceError, Services};
use tanggap_store::testing::{TestDatabase, backends};

const ROADS: &str = "PERHUBUNGAN";
const ENVIRONMENT: &str = "LINGKUNGAN HIDUP DAN KEHUTANAN";
/// Mantuil and Kelayan Selatan in kecamatan 63.71.01, Kuripan in 63.71.02.
const MANTUIL: &str = "63.71.01.1001";
const KELAYAN_SELATAN: &str = "63.71.01.1002";
const KURIPAN: &str = "63.71.02.1001";

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

fn principal(role: Role, agency: Option<&str>) -> Principal {
    Principal {
        user_id: 1,
        username: "penguji".into(),
        display_name: "Penguji".into(),
        role,
        agency: agency.map(str::to_owned),
    }
}

pub(crate) struct Fixture {
    pub(crate) services: Services,
    admin: Actor,
}

impl Fixture {
    async fn register(
        &self,
        received: Timestamp,
        channel: Channel,
        category: Option<&str>,
        kelurahan: Option<&str>,
    ) -> Complaint {
        let intake = Intake {
            channel: Some(channel),
            received_at: Some(received),
            body: Some("Laporan uji untuk rekap triwulan.".into()),
            category: category.map(str::to_owned),
            location: Location {
                kelurahan_code: kelurahan.map(str::to_owned),
                ..Location::default()
            },
            ..Intake::default()
        };
        match self
            .services
            .register(&self.admin, intake, received, None)
            .await
            .expect("register")
        {
            Registered::New(complaint, _) => *complaint,
            Registered::Replayed(id) => panic!("complaint {id} replayed"),
        }
    }

    async fn apply(
        &self,
        c: &Complaint,
        actor: &Actor,
        command: Command,
        at: Timestamp,
    ) -> Complaint {
        self.services
            .apply_as(actor, c, command, at)
            .await
            .expect("command applies")
    }

    async fn verify(&self, c: &Complaint, category: &str, at: Timestamp) -> Complaint {
        let command = Command::Verify {
            complaint_type: ComplaintType::Complaint,
            supervision: false,
            title: Some("Laporan uji".into()),
            category: Some(category.into()),
            subcategory: None,
            tags: Vec::new(),
        };
        self.apply(c, &self.admin, command, at).await
    }

    async fn dispatch(&self, c: &Complaint, agency: &str, at: Timestamp) -> Complaint {
        let command = Command::Dispatch {
            lead_agency: agency.into(),
            supporting_agencies: Vec::new(),
            instruction: None,
        };
        self.apply(c, &self.admin, command, at).await
    }

    async fn follow_up(&self, c: &Complaint, agency: &str, at: Timestamp) -> Complaint {
        let liaison = staff(Role::LiaisonAdmin, Some(agency));
        let command = Command::FollowUp {
            text: "Sedang ditangani.".into(),
        };
        self.apply(c, &liaison, command, at).await
    }

    async fn respond(&self, c: &Complaint, agency: &str, at: Timestamp) -> Complaint {
        let liaison = staff(Role::LiaisonAdmin, Some(agency));
        let command = Command::Respond {
            text: "Sudah diperbaiki.".into(),
        };
        self.apply(c, &liaison, command, at).await
    }

    async fn reply(&self, c: &Complaint, satisfied: bool, rating: u8, at: Timestamp) -> Complaint {
        let reporter = Actor {
            kind: ActorKind::Reporter,
            user_id: None,
            label: "pelapor".into(),
        };
        let command = Command::ReporterReply {
            satisfied,
            rating: Some(rating),
            comment: None,
        };
        self.apply(c, &reporter, command, at).await
    }
}

/// Builds the dataset. Letters name the complaints in the expectations.
pub(crate) async fn build(services: Services) -> Fixture {
    let f = Fixture {
        services,
        admin: staff(Role::CentralAdmin, None),
    };
    let admin = f.admin.clone();

    // I, Q4 2024: dispatched to PUPR on Mon 4 Nov 2024 and never followed
    // up, so it is overdue at the end of every later quarter too.
    let i = f
        .register(
            wita(2024, 11, 4, 8),
            Channel::Web,
            Some(ROADS),
            Some(KURIPAN),
        )
        .await;
    let i = f.verify(&i, ROADS, wita(2024, 11, 4, 9)).await;
    f.dispatch(&i, "PUPR", wita(2024, 11, 4, 10)).await;

    // J, Q3 2025: verified and resolved in August, satisfied with rating 3.
    let j = f
        .register(
            wita(2025, 8, 4, 8),
            Channel::Web,
            Some(ROADS),
            Some(KURIPAN),
        )
        .await;
    let j = f.verify(&j, ROADS, wita(2025, 8, 4, 9)).await;
    let j = f.dispatch(&j, "DLH", wita(2025, 8, 4, 10)).await;
    let j = f.respond(&j, "DLH", wita(2025, 8, 6, 10)).await;
    f.reply(&j, true, 3, wita(2025, 8, 7, 10)).await;

    // D crosses the quarter boundary: received Tue 30 Sep 2025 (Q3),
    // verified on 1 Oct (Q4), responded, reopened by the central admin on
    // 10 Oct and responded again: reopened in Q4, but not received in Q4.
    let d = f
        .register(
            wita(2025, 9, 30, 10),
            Channel::Lapor,
            Some(ROADS),
            Some(KURIPAN),
        )
        .await;
    let d = f.verify(&d, ROADS, wita(2025, 10, 1, 9)).await;
    let d = f.dispatch(&d, "PUPR", wita(2025, 10, 1, 10)).await;
    let d = f.follow_up(&d, "PUPR", wita(2025, 10, 2, 10)).await;
    let d = f.respond(&d, "PUPR", wita(2025, 10, 3, 10)).await;
    let reopen = Command::Reopen {
        reason: "Perbaikan belum selesai.".into(),
    };
    let d = f.apply(&d, &admin, reopen, wita(2025, 10, 10, 10)).await;
    f.respond(&d, "PUPR", wita(2025, 10, 14, 10)).await;

    // A: Mon 6 Oct, verified after 1 working day, follow-up after 2 (7 to
    // 9 Oct), response after 9 (8, 9, 10, 13..17, 20 Oct), satisfied, 5.
    let a = f
        .register(
            wita(2025, 10, 6, 9),
            Channel::Whatsapp,
            Some(ROADS),
            Some(MANTUIL),
        )
        .await;
    let a = f.verify(&a, ROADS, wita(2025, 10, 7, 10)).await;
    let a = f.dispatch(&a, "PUPR", wita(2025, 10, 7, 11)).await;
    let a = f.follow_up(&a, "PUPR", wita(2025, 10, 9, 10)).await;
    let a = f.respond(&a, "PUPR", wita(2025, 10, 20, 10)).await;
    f.reply(&a, true, 5, wita(2025, 10, 21, 10)).await;

    // B: Fri 10 Oct, held Mon 13 to Wed 15 Oct (2 working days paused), so
    // the verification deadline moves from 15 to 17 Oct. Verified Fri 17
    // Oct: 5 working days elapsed minus 2 paused = 3, in time. Dispatched
    // to DLH and never followed up: the follow-up deadline (24 Oct) and
    // the resolution deadline (6 Nov) pass within the quarter.
    let b = f
        .register(
            wita(2025, 10, 10, 15),
            Channel::Sms,
            Some(ROADS),
            Some(MANTUIL),
        )
        .await;
    let hold = Command::Hold {
        question: "Mohon lengkapi alamat.".into(),
    };
    let b = f.apply(&b, &admin, hold, wita(2025, 10, 13, 9)).await;
    let complete = Command::Complete {
        text: "Alamat: Jalan Uji 1.".into(),
    };
    let b = f.apply(&b, &admin, complete, wita(2025, 10, 15, 9)).await;
    let b = f.verify(&b, ROADS, wita(2025, 10, 17, 10)).await;
    f.dispatch(&b, "DLH", wita(2025, 10, 17, 11)).await;

    // C: Mon 20 Oct, verified the same day (0 days), responded Wed 22 Oct
    // (2 days, also its first follow-up), rejected by the reporter with
    // rating 2 (reopened), responded again and accepted with rating 4.
    let c = f
        .register(
            wita(2025, 10, 20, 8),
            Channel::Email,
            Some(ROADS),
            Some(MANTUIL),
        )
        .await;
    let c = f.verify(&c, ROADS, wita(2025, 10, 20, 9)).await;
    let c = f.dispatch(&c, "PUPR", wita(2025, 10, 20, 10)).await;
    let c = f.respond(&c, "PUPR", wita(2025, 10, 22, 10)).await;
    let c = f.reply(&c, false, 2, wita(2025, 10, 23, 10)).await;
    let c = f.respond(&c, "PUPR", wita(2025, 10, 28, 10)).await;
    f.reply(&c, true, 4, wita(2025, 10, 29, 10)).await;

    // F: archived as spam.
    let fc = f
        .register(
            wita(2025, 11, 5, 9),
            Channel::Web,
            Some(ENVIRONMENT),
            Some(KURIPAN),
        )
        .await;
    let spam = Command::Archive {
        reason: ArchiveReason::Spam,
        note: None,
    };
    f.apply(&fc, &admin, spam, wita(2025, 11, 5, 10)).await;

    // G: no category and no place, forwarded outside the city government.
    let g = f
        .register(wita(2025, 11, 6, 9), Channel::Telephone, None, None)
        .await;
    let forward = Command::Forward {
        institution: "Balai Wilayah Sungai Kalimantan III".into(),
        note: None,
    };
    f.apply(&g, &admin, forward, wita(2025, 11, 6, 11)).await;

    // H: Mon 10 Nov, verified Fri 14 Nov after 4 working days (deadline 13
    // Nov: late), returned by DISHUB as not within its authority on 17
    // Nov; the new verification deadline (20 Nov) passes in the quarter.
    let h = f
        .register(
            wita(2025, 11, 10, 9),
            Channel::Letter,
            Some(ENVIRONMENT),
            Some(KELAYAN_SELATAN),
        )
        .await;
    let h = f.verify(&h, ENVIRONMENT, wita(2025, 11, 14, 9)).await;
    let h = f.dispatch(&h, "DISHUB", wita(2025, 11, 14, 10)).await;
    let dishub = staff(Role::LiaisonAdmin, Some("DISHUB"));
    let not_ours = Command::Return {
        reason: "Bukan wewenang Dishub.".into(),
    };
    f.apply(&h, &dishub, not_ours, wita(2025, 11, 17, 9)).await;

    // E: Thu 18 Dec, held Fri 19 Dec to Mon 29 Dec across the Christmas
    // holidays: 4 working days paused (22, 23, 24, 29 Dec; 25 and 26 are
    // holidays). The deadline moves from 23 Dec to 31 Dec, so verifying on
    // Tue 30 Dec is in time: 6 working days elapsed minus 4 = 2. Its
    // follow-up deadline (7 Jan 2026) is after the quarter: not counted.
    let e = f
        .register(
            wita(2025, 12, 18, 10),
            Channel::Lapor,
            Some(ENVIRONMENT),
            Some(KELAYAN_SELATAN),
        )
        .await;
    let hold = Command::Hold {
        question: "Mohon kirim foto lokasi.".into(),
    };
    let e = f.apply(&e, &admin, hold, wita(2025, 12, 19, 9)).await;
    let complete = Command::Complete {
        text: "Foto menyusul lewat WhatsApp.".into(),
    };
    let e = f.apply(&e, &admin, complete, wita(2025, 12, 29, 9)).await;
    let e = f.verify(&e, ENVIRONMENT, wita(2025, 12, 30, 10)).await;
    f.dispatch(&e, "DISHUB", wita(2025, 12, 30, 11)).await;

    f
}

fn tally(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

async fn check_quarterly_figures(kind: &str) {
    let db = TestDatabase::create(kind).await.expect("test database");
    let store = db.store().await.expect("store");
    let services = Services::new(store, ServiceConfig::default())
        .await
        .expect("services");
    services.seed_reference(REFERENCE).await.expect("seed");
    let f = build(services).await;
    let sekda = principal(Role::CitySecretary, None);
    let report = f
        .services
        .quarterly_report(&sekda, 2025, 4)
        .await
        .expect("report");
    let q4 = &report.current;

    // Cohort: A, B, C, E, F, G, H. D arrived in Q3, I and J earlier.
    assert_eq!(q4.received, 7);
    assert_eq!(
        q4.received_by_month,
        tally(&[("2025-10", 3), ("2025-11", 3), ("2025-12", 1)])
    );
    assert_eq!(
        q4.received_by_channel,
        tally(&[
            ("email", 1),
            ("lapor", 1),
            ("letter", 1),
            ("sms", 1),
            ("telephone", 1),
            ("web", 1),
            ("whatsapp", 1),
        ])
    );
    assert_eq!(q4.received_by_type, tally(&[("complaint", 7)]));
    assert_eq!(
        q4.received_by_category,
        tally(&[(ROADS, 3), (ENVIRONMENT, 3), ("none", 1)])
    );
    assert_eq!(
        q4.received_by_agency,
        tally(&[("PUPR", 2), ("DLH", 1), ("DISHUB", 1), ("none", 3)])
    );
    assert_eq!(
        q4.received_by_kecamatan,
        tally(&[("63.71.01", 5), ("63.71.02", 1), ("none", 1)])
    );
    assert_eq!(
        q4.received_by_kelurahan,
        tally(&[
            (MANTUIL, 3),
            (KELAYAN_SELATAN, 2),
            (KURIPAN, 1),
            ("none", 1)
        ])
    );
    assert_eq!(
        q4.status_at_end,
        tally(&[
            ("resolved", 2),
            ("dispatched", 2),
            ("archived", 1),
            ("forwarded", 1),
            ("returned", 1),
        ])
    );

    // Verified: A, B, C, E in time, H late; F and G were never verified.
    assert_eq!(
        (q4.verified_in_time.met, q4.verified_in_time.counted),
        (4, 5)
    );
    assert_eq!(q4.verified_in_time.share, Some(0.8));
    // Follow-up: A and C in time, B never; E not yet due, H returned.
    assert_eq!(
        (q4.followed_up_in_time.met, q4.followed_up_in_time.counted),
        (2, 3)
    );
    // Resolution: A and C in time, B overdue.
    assert_eq!(
        (q4.resolved_in_time.met, q4.resolved_in_time.counted),
        (2, 3)
    );
    let pupr = &q4.timeliness_by_agency["PUPR"];
    assert_eq!((pupr.verified.met, pupr.verified.counted), (2, 2));
    assert_eq!((pupr.resolved.met, pupr.resolved.counted), (2, 2));
    let dlh = &q4.timeliness_by_agency["DLH"];
    assert_eq!((dlh.followed_up.met, dlh.followed_up.counted), (0, 1));
    assert_eq!((dlh.resolved.met, dlh.resolved.counted), (0, 1));
    let unassigned = &q4.timeliness_by_agency["none"];
    assert_eq!(
        (unassigned.verified.met, unassigned.verified.counted),
        (0, 1)
    );

    // Days to verify: C 0, A 1, E 2, B 3, H 4.
    assert_eq!(q4.days_to_verify.count, 5);
    assert_eq!(q4.days_to_verify.median, Some(2.0));
    assert_eq!(q4.days_to_verify.p90, Some(4));
    // Days to follow up: A 2, C 2. Days to resolve: C 2, A 9.
    assert_eq!(q4.days_to_follow_up.median, Some(2.0));
    assert_eq!(q4.days_to_follow_up.p90, Some(2));
    assert_eq!(q4.days_to_resolve.median, Some(5.5));
    assert_eq!(q4.days_to_resolve.p90, Some(9));

    // Activity in Q4: B and E put on hold, F archived, G forwarded, H returned,
    // C (rejected by the reporter) and D (reopened by staff) reopened.
    assert_eq!(q4.held, 2);
    assert_eq!(q4.archived_by_reason, tally(&[("spam", 1)]));
    assert_eq!(q4.forwarded, 1);
    assert_eq!(q4.returned, 1);
    assert_eq!(q4.reopened, 2);
    // Replies: A satisfied 5, C rejected 2, C satisfied 4.
    assert_eq!(q4.satisfaction.replies, 3);
    assert_eq!(q4.satisfaction.satisfied, 2);
    assert_eq!(q4.satisfaction.ratings, 3);
    assert_eq!(q4.satisfaction.average_rating, Some(11.0 / 3.0));

    // Overdue at the end of 2025: B (DLH), I (PUPR, from 2024) and H
    // (returned, no agency). D waits for the reporter, E is not yet due.
    assert_eq!(q4.overdue_at_end, 3);
    assert_eq!(
        q4.overdue_by_agency,
        vec![
            ("DLH".to_owned(), 1),
            ("PUPR".to_owned(), 1),
            ("none".to_owned(), 1)
        ]
    );
    // A, B and C: roads in Mantuil. E and H in Kelayan Selatan are only 2.
    assert_eq!(
        q4.recurring,
        vec![RecurringProblem {
            category: ROADS.into(),
            kelurahan: MANTUIL.into(),
            count: 3,
        }]
    );

    // Q3 2025: J and D received; D was still `received` at the end and its
    // verification deadline (3 Oct) had not passed, so it is not counted.
    let q3 = &report.previous_quarter;
    assert_eq!(q3.period, Some(Period::quarter(2025, 3).expect("quarter")));
    assert_eq!(q3.received, 2);
    assert_eq!(q3.status_at_end, tally(&[("received", 1), ("resolved", 1)]));
    assert_eq!(
        (q3.verified_in_time.met, q3.verified_in_time.counted),
        (1, 1)
    );
    assert_eq!(q3.reopened, 0);
    assert_eq!(q3.satisfaction.replies, 1);
    assert_eq!(q3.overdue_by_agency, vec![("PUPR".to_owned(), 1)]);

    // Q4 2024: only I, dispatched and overdue at the end.
    let q4_2024 = &report.year_earlier;
    assert_eq!(q4_2024.received, 1);
    assert_eq!(q4_2024.status_at_end, tally(&[("dispatched", 1)]));
    assert_eq!(q4_2024.overdue_at_end, 1);

    // Headline counts in the order of Headline::NAMES. Q4 2025: 7 received,
    // 2 resolved, 2 held, 1 archived, 1 forwarded, 1 returned, 2 reopened,
    // 3 overdue and 1 recurring problem. Q3 2025: 2, 1, 0, 0, 0, 0, 0, 1, 0.
    // Q4 2024: 1, 0, 0, 0, 0, 0, 0, 1, 0.
    assert_eq!(
        report.change_from_previous_quarter.values(),
        [5, 1, 2, 1, 1, 1, 2, 2, 1]
    );
    assert_eq!(
        report.change_from_year_earlier.values(),
        [6, 2, 2, 1, 1, 1, 2, 2, 1]
    );

    let csv = report.to_csv().expect("csv");
    assert!(csv.starts_with("figure,dimension,value\n"));
    assert!(csv.contains("\nreceived,,7\n"));
    assert!(csv.contains("\nrecurring,PERHUBUNGAN@63.71.01.1001,3\n"));
    assert!(csv.contains("\nprevious_quarter.received,,2\n"));
    assert!(csv.contains("\nchange_from_year_earlier.received,,6\n"));
    assert!(!csv.contains("Jalan Uji"), "no personal data in the CSV");

    for role in [Role::CentralAdmin, Role::ComplaintTeam] {
        let figures = f
            .services
            .report_figures(
                &principal(role, None),
                Period::quarter(2025, 4).expect("quarter"),
            )
            .await
            .expect("allowed role");
        assert_eq!(figures.received, 7);
    }
    for (role, agency) in [
        (Role::LiaisonAdmin, Some("PUPR")),
        (Role::AgencyHead, Some("PUPR")),
        (Role::Inspectorate, None),
        (Role::SystemAdmin, None),
    ] {
        let denied = f
            .services
            .quarterly_report(&principal(role, agency), 2025, 4)
            .await;
        assert!(matches!(denied, Err(ServiceError::Forbidden)), "{role:?}");
    }

    f.services.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn quarterly_figures_on_every_backend() {
    for kind in backends() {
        check_quarterly_figures(kind).await;
    }
}

#[test]
fn report_command_writes_csv_and_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("report.db").display());
    let status = crate::process::tanggap(&url, &["seed"])
        .status()
        .expect("seed runs");
    assert!(status.success());
    let out = dir.path().join("open-data");
    let out_arg = out.display().to_string();
    let args = [
        "report",
        "quarterly",
        "--year",
        "2025",
        "--quarter",
        "4",
        "--format",
        "csv,json",
        "--out",
        &out_arg,
    ];
    let status = crate::process::tanggap(&url, &args)
        .status()
        .expect("report runs");
    assert!(status.success());

    let csv = std::fs::read_to_string(out.join("laporan-triwulan-2025-q4.csv")).expect("CSV file");
    assert!(csv.starts_with("figure,dimension,value\n"));
    assert!(csv.contains("\nperiod_from,,2025-10-01\n"));
    assert!(csv.contains("\nreceived,,0\n"));
    let json =
        std::fs::read_to_string(out.join("laporan-triwulan-2025-q4.json")).expect("JSON file");
    let json: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(json["quarter"], 4);
    assert_eq!(json["current"]["received"], 0);
    assert_eq!(json["previous_quarter"]["period"]["from"], "2025-07-01");

    let status = crate::process::tanggap(
        &url,
        &["report", "quarterly", "--year", "2025", "--quarter", "5"],
    )
    .stderr(std::process::Stdio::null())
    .status()
    .expect("report runs");
    assert!(!status.success(), "quarter 5 is rejected");
}
