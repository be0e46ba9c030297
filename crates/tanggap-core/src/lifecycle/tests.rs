use super::*;
use jiff::civil::date;
use jiff::tz::TimeZone;

fn calendar() -> WorkingCalendar {
    let csv = include_str!("../../../../data/hari-libur-2025-2026.csv");
    let holidays = csv
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .map(|d| d.parse().expect("holiday date"));
    WorkingCalendar::new(
        TimeZone::get("Asia/Makassar").expect("tzdb has Asia/Makassar"),
        holidays,
    )
}

fn staff(role: Role, agency: Option<&str>) -> Actor {
    Actor {
        kind: ActorKind::Staff {
            role,
            agency: agency.map(str::to_owned),
        },
        user_id: Some(7),
        label: "tester".into(),
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

struct Fixture {
    cal: WorkingCalendar,
    std: TimeStandards,
}

impl Fixture {
    fn new() -> Self {
        Self {
            cal: calendar(),
            std: TimeStandards::default(),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            calendar: &self.cal,
            standards: &self.std,
        }
    }

    fn registered(&self, received: &str) -> Complaint {
        let intake = Intake {
            channel: Some(Channel::Whatsapp),
            received_at: Some(at(received)),
            body: Some("Jalan berlubang di depan sekolah".into()),
            ..Intake::default()
        }
        .validated(at("2026-12-01T00:00:00Z"))
        .expect("valid intake");
        let (complaint, event) = register(
            intake,
            ComplaintId(1),
            "BJM-26-000001".into(),
            None,
            &staff(Role::CentralAdmin, None),
            at(received),
            self.ctx(),
        )
        .expect("registered");
        assert_eq!(event.sop_activity.as_deref(), Some("02/humpro#register"));
        complaint
    }

    fn run(&self, c: &Complaint, cmd: Command, actor: &Actor, now: &str) -> Complaint {
        apply(c, cmd, actor, at(now), self.ctx())
            .expect("transition applies")
            .0
    }
}

fn verify_cmd() -> Command {
    Command::Verify {
        complaint_type: ComplaintType::Complaint,
        supervision: false,
        title: Some("Jalan berlubang".into()),
        category: Some("INFRASTRUKTUR".into()),
        subcategory: None,
        tags: vec!["jalan".into()],
    }
}

fn dispatch_cmd(lead: &str, supporting: &[&str]) -> Command {
    Command::Dispatch {
        lead_agency: lead.into(),
        supporting_agencies: supporting.iter().map(|s| s.to_string()).collect(),
        instruction: Some("Mohon ditindaklanjuti".into()),
    }
}

#[test]
fn happy_path_sets_deadlines() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    let pupr = staff(Role::LiaisonAdmin, Some("PUPR"));

    // Monday 2 February 2026, 09:00 WITA.
    let c = f.registered("2026-02-02T01:00:00Z");
    assert_eq!(c.status, Status::Received);
    let due = c
        .deadlines
        .verification_due_at
        .expect("verification deadline");
    assert_eq!(f.cal.due_date(due), date(2026, 2, 5));

    let c = f.run(&c, verify_cmd(), &admin, "2026-02-03T01:00:00Z");
    assert_eq!(c.status, Status::Verified);
    assert_eq!(c.version, 2);

    let c = f.run(
        &c,
        dispatch_cmd("PUPR", &["DLH"]),
        &admin,
        "2026-02-03T02:00:00Z",
    );
    assert_eq!(c.status, Status::Dispatched);
    let followup = c.deadlines.followup_due_at.expect("follow-up deadline");
    assert_eq!(f.cal.due_date(followup), date(2026, 2, 10));
    let resolution = c.deadlines.resolution_due_at.expect("resolution deadline");
    // 14 working days from Tuesday 3 February; 16 and 17 February are Imlek
    // cuti bersama and holiday.
    assert_eq!(f.cal.due_date(resolution), date(2026, 2, 25));
    assert_eq!(c.deadlines.due_at, Some(followup));

    let c = f.run(
        &c,
        Command::FollowUp {
            text: "Tim sudah survei".into(),
        },
        &pupr,
        "2026-02-04T01:00:00Z",
    );
    assert_eq!(c.status, Status::InProgress);
    assert_eq!(c.deadlines.due_at, Some(resolution));

    let c = f.run(
        &c,
        Command::Respond {
            text: "Sudah ditambal".into(),
        },
        &pupr,
        "2026-02-09T01:00:00Z",
    );
    assert_eq!(c.status, Status::Responded);
    assert_eq!(c.deadlines.due_at, None);
    assert!(c.deadlines.auto_close_at.is_some());

    let c = f.run(
        &c,
        Command::ReporterReply {
            satisfied: true,
            rating: Some(5),
            comment: None,
        },
        &Actor::reporter(),
        "2026-02-10T01:00:00Z",
    );
    assert_eq!(c.status, Status::Resolved);
    assert!(c.closed_at.is_some());
}

#[test]
fn invalid_transition_names_current_status() {
    let f = Fixture::new();
    let c = f.registered("2026-02-02T01:00:00Z");
    let err = apply(
        &c,
        dispatch_cmd("PUPR", &[]),
        &staff(Role::CentralAdmin, None),
        at("2026-02-02T02:00:00Z"),
        f.ctx(),
    )
    .expect_err("dispatch needs verification first");
    assert_eq!(
        err,
        LifecycleError::InvalidTransition {
            action: Action::Dispatch,
            status: Status::Received,
        }
    );
}

#[test]
fn every_action_checks_source_status() {
    let f = Fixture::new();
    let base = f.registered("2026-02-02T01:00:00Z");
    for status in Status::ALL {
        let mut c = base.clone();
        c.status = *status;
        let err = apply(
            &c,
            verify_cmd(),
            &staff(Role::CentralAdmin, None),
            at("2026-02-02T02:00:00Z"),
            f.ctx(),
        );
        assert_eq!(
            err.is_ok(),
            *status == Status::Received,
            "verify from {status}"
        );
    }
}

#[test]
fn agency_scope_limits_performers() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    let c = f.registered("2026-02-02T01:00:00Z");
    let c = f.run(&c, verify_cmd(), &admin, "2026-02-02T02:00:00Z");
    let c = f.run(
        &c,
        dispatch_cmd("PUPR", &["DLH"]),
        &admin,
        "2026-02-02T03:00:00Z",
    );
    let now = at("2026-02-03T01:00:00Z");

    let other = staff(Role::LiaisonAdmin, Some("DISHUB"));
    let err = apply(
        &c,
        Command::FollowUp { text: "x".into() },
        &other,
        now,
        f.ctx(),
    );
    assert_eq!(
        err.expect_err("other agency"),
        LifecycleError::NotPermitted {
            action: Action::FollowUp
        }
    );

    let supporting = staff(Role::LiaisonAdmin, Some("DLH"));
    assert!(
        apply(
            &c,
            Command::FollowUp { text: "x".into() },
            &supporting,
            now,
            f.ctx()
        )
        .is_ok()
    );
    let err = apply(
        &c,
        Command::Respond { text: "x".into() },
        &supporting,
        now,
        f.ctx(),
    );
    assert!(matches!(err, Err(LifecycleError::NotPermitted { .. })));

    let head = staff(Role::AgencyHead, Some("PUPR"));
    let err = apply(
        &c,
        Command::Respond { text: "x".into() },
        &head,
        now,
        f.ctx(),
    );
    assert!(matches!(err, Err(LifecycleError::NotPermitted { .. })));
}

#[test]
fn hold_pauses_verification_clock() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    // Monday 2 February 2026: due Thursday 5 February.
    let c = f.registered("2026-02-02T01:00:00Z");
    let c = f.run(
        &c,
        Command::Hold {
            question: "Mohon lokasi lengkap".into(),
        },
        &admin,
        "2026-02-03T01:00:00Z",
    );
    assert_eq!(c.status, Status::OnHold);
    assert_eq!(c.deadlines.due_at, None);
    let expiry = c.deadlines.hold_expires_at.expect("hold expiry");
    // 10 working days from Tuesday 3 February, skipping 16-17 February.
    assert_eq!(f.cal.due_date(expiry), date(2026, 2, 19));

    // Completed on Thursday 5 February: two working days on hold.
    let c = f.run(
        &c,
        Command::Complete {
            text: "Di Jl. Veteran".into(),
        },
        &Actor::reporter(),
        "2026-02-05T01:00:00Z",
    );
    assert_eq!(c.status, Status::Received);
    assert_eq!(c.deadlines.verification_paused_days, 2);
    let due = c.deadlines.due_at.expect("deadline resumes");
    assert_eq!(f.cal.due_date(due), date(2026, 2, 9));
}

#[test]
fn auto_archive_waits_for_expiry() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    let c = f.registered("2026-02-02T01:00:00Z");
    let c = f.run(
        &c,
        Command::Hold {
            question: "Mohon foto".into(),
        },
        &admin,
        "2026-02-02T02:00:00Z",
    );
    let early = apply(
        &c,
        Command::AutoArchive,
        &Actor::system(),
        at("2026-02-10T00:00:00Z"),
        f.ctx(),
    );
    assert!(early.is_err());
    let expiry = c.deadlines.hold_expires_at.expect("expiry");
    let (archived, _) = apply(&c, Command::AutoArchive, &Actor::system(), expiry, f.ctx())
        .expect("archived at expiry");
    assert_eq!(archived.status, Status::Archived);
    assert_eq!(archived.archive_reason, Some(ArchiveReason::NoResponse));
}

#[test]
fn unsatisfied_reply_reopens() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    let pupr = staff(Role::LiaisonAdmin, Some("PUPR"));
    let c = f.registered("2026-02-02T01:00:00Z");
    let c = f.run(&c, verify_cmd(), &admin, "2026-02-02T02:00:00Z");
    let c = f.run(
        &c,
        dispatch_cmd("PUPR", &[]),
        &admin,
        "2026-02-02T03:00:00Z",
    );
    let c = f.run(
        &c,
        Command::Respond {
            text: "Selesai".into(),
        },
        &pupr,
        "2026-02-03T01:00:00Z",
    );
    let c = f.run(
        &c,
        Command::ReporterReply {
            satisfied: false,
            rating: Some(1),
            comment: Some("Belum diperbaiki".into()),
        },
        &Actor::reporter(),
        "2026-02-04T01:00:00Z",
    );
    assert_eq!(c.status, Status::InProgress);
    assert_eq!(c.reopen_count, 1);
    assert_eq!(c.deadlines.auto_close_at, None);
    let due = c.deadlines.due_at.expect("new response deadline");
    assert_eq!(f.cal.due_date(due), date(2026, 2, 11));
}

#[test]
fn rating_out_of_range_is_rejected() {
    let f = Fixture::new();
    let admin = staff(Role::CentralAdmin, None);
    let pupr = staff(Role::LiaisonAdmin, Some("PUPR"));
    let c = f.registered("2026-02-02T01:00:00Z");
    let c = f.run(&c, verify_cmd(), &admin, "2026-02-02T02:00:00Z");
    let c = f.run(
        &c,
        dispatch_cmd("PUPR", &[]),
        &admin,
        "2026-02-02T03:00:00Z",
    );
    let c = f.run(
        &c,
        Command::Respond {
            text: "Selesai".into(),
        },
        &pupr,
        "2026-02-03T01:00:00Z",
    );
    let err = apply(
        &c,
        Command::ReporterReply {
            satisfied: true,
            rating: Some(9),
            comment: None,
        },
        &Actor::reporter(),
        at("2026-02-04T01:00:00Z"),
        f.ctx(),
    );
    assert!(matches!(err, Err(LifecycleError::Invalid(_))));
}

#[test]
fn every_action_has_one_row() {
    for action in Action::ALL {
        let rows = TRANSITIONS.iter().filter(|t| t.action == *action).count();
        assert_eq!(rows, 1, "{action}");
    }
}

/// The SOP files in `sop/` define every activity the lifecycle refers to.
#[test]
fn referenced_sop_activities_exist() {
    let files = [
        ("01/humpro", include_str!("../../../../sop/01-humpro.toml")),
        ("02/humpro", include_str!("../../../../sop/02-humpro.toml")),
        ("03/humpro", include_str!("../../../../sop/03-humpro.toml")),
    ];
    for (number, text) in files {
        let sop: toml::Value = toml::from_str(text).expect("SOP file is valid TOML");
        assert_eq!(sop["number"].as_str(), Some(number));
        let ids: Vec<&str> = sop["activities"]
            .as_array()
            .expect("activities list")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        for row in TRANSITIONS {
            if let Some(activity) = row.activity {
                assert!(
                    ids.contains(&activity),
                    "{number} lacks activity {activity}"
                );
            }
        }
    }
}
