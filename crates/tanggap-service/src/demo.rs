//! Demo data: one user per role, the sample complaints, and a plausible
//! history of staff work on them up to now.
//!
//! The replay is deterministic: every choice (how fast the admin verifies,
//! whether an agency is late, whether the reporter is satisfied) comes from
//! a hash of the sample's id. Steps planned after now are not taken, so the
//! most recent complaints stay open at every stage.

use crate::error::ServiceError;
use crate::import::SampleComplaint;
use crate::report_versions::ReportRenderer;
use crate::{Principal, Services, now};
use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeSet, HashMap};
use tanggap_core::complaint::ArchiveReason;
use tanggap_core::lifecycle::{Actor, ActorKind, Command};
use tanggap_core::{Complaint, ComplaintId, ComplaintType, Role, Status};

/// Password of every demo account. Demo mode is for trying the system out,
/// never for real data.
pub const DEMO_PASSWORD: &str = "Tanggap-Demo-2026";

/// The demo account of each role, with the agency of agency-scoped roles.
pub const DEMO_USERS: &[(&str, &str, Role, Option<&str>)] = &[
    (
        "admin.utama",
        "Admin Utama Humpro",
        Role::CentralAdmin,
        None,
    ),
    (
        "penghubung.pupr",
        "Admin Penghubung Dinas PUPR",
        Role::LiaisonAdmin,
        Some("PUPR"),
    ),
    (
        "penghubung.dishub",
        "Admin Penghubung Dishub",
        Role::LiaisonAdmin,
        Some("DISHUB"),
    ),
    (
        "kepala.pupr",
        "Kepala Dinas PUPR",
        Role::AgencyHead,
        Some("PUPR"),
    ),
    (
        "kepala.humpro",
        "Kepala Bagian Humas dan Protokol",
        Role::AgencyHead,
        Some("HUMPRO"),
    ),
    ("sekda", "Sekretaris Daerah", Role::CitySecretary, None),
    ("tim.pengaduan", "Tim Pengaduan", Role::ComplaintTeam, None),
    ("inspektorat", "Inspektorat", Role::Inspectorate, None),
    ("sysadmin", "Administrator Sistem", Role::SystemAdmin, None),
];

/// Counts of what the demo set-up created.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DemoReport {
    pub users_created: usize,
    pub complaints_imported: usize,
    pub steps_replayed: usize,
    pub rejected_lines: Vec<(usize, String)>,
    /// Quarterly report versions taken to the Sekda's approval.
    pub reports_approved: usize,
    /// Monitoring and evaluation runs started from an approved report.
    pub monev_runs_started: usize,
}

/// Quarters whose report the demo takes to the Sekda's approval, so that
/// a monitoring and evaluation run can start from them.
pub const DEMO_APPROVED_QUARTERS: &[(i16, u8)] = &[(2026, 1), (2026, 3)];

/// The quarter whose monitoring and evaluation run the demo starts; the
/// other approved quarters are left for a user to start.
pub const DEMO_MONEV_QUARTER: (i16, u8) = (2026, 3);

/// Derives a deterministic number from a sample id, for choices in the replay.
fn dice(id: &str, salt: u64) -> u64 {
    // FNV-1a; stable across platforms and releases, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Guesses the outside institution from the text of a complaint outside the city's authority.
fn outside_institution(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    let rules: &[(&[&str], &str)] = &[
        (
            &["pln", "listrik", "tiang"],
            "PT PLN (Persero) UP3 Banjarmasin",
        ),
        (&["bpjs"], "BPJS Kesehatan Cabang Banjarmasin"),
        (
            &[
                "polisi",
                "balap",
                "pencuri",
                "maling",
                "pinjol",
                "pinjaman online",
                "tawuran",
            ],
            "Polresta Banjarmasin",
        ),
        (
            &["sertifikat", "bpn"],
            "Kantor Pertanahan Kota Banjarmasin (BPN)",
        ),
        (&["kua", "buku nikah"], "Kementerian Agama Kota Banjarmasin"),
        (
            &[
                "sma",
                "smk",
                "pajak kendaraan",
                "samsat",
                "ulin",
                "provinsi",
                "banjarbakula",
            ],
            "Pemerintah Provinsi Kalimantan Selatan",
        ),
        (
            &["jembatan alalak", "a. yani", "ahmad yani", "nasional"],
            "BPJN Kalimantan Selatan",
        ),
        (&["mbg", "makan bergizi"], "Badan Gizi Nasional"),
    ];
    for (words, institution) in rules {
        if words.iter().any(|w| lower.contains(w)) {
            return institution;
        }
    }
    "Instansi di luar kewenangan Pemerintah Kota Banjarmasin"
}

/// The demo liaison admin of `agency`, with the user id that
/// [`Services::ensure_demo_users`] gave the account, so that the audit log
/// names who acted.
async fn liaison(services: &Services, agency: &str) -> Result<Actor, ServiceError> {
    let label = format!("penghubung.{}", agency.to_lowercase());
    let user_id = services.store.find_user(&label).await?.map(|u| u.id);
    Ok(Actor {
        kind: ActorKind::Staff {
            role: Role::LiaisonAdmin,
            agency: Some(agency.to_owned()),
        },
        user_id,
        label,
    })
}

/// Replays one complaint's handling, step by step, never past `until`.
struct Replay<'a> {
    services: &'a Services,
    complaint: Complaint,
    clock: Timestamp,
    until: Timestamp,
    steps: usize,
}

impl Replay<'_> {
    /// Returns the instant `working_days` after the clock at about `hour`
    /// local time, or shortly after the clock for 0 days.
    fn later(&self, working_days: u32, hour: i8, minute: i8) -> Timestamp {
        if working_days == 0 {
            return self.clock + SignedDuration::from_mins(45 + i64::from(minute));
        }
        let calendar = self.services.calendar();
        let start = calendar.effective_date(calendar.local_date(self.clock));
        let day = calendar.add_working_days(start, working_days);
        day.to_datetime(Time::constant(hour, minute, 0, 0))
            .to_zoned(calendar.time_zone().clone())
            .map(|z| z.timestamp())
            .unwrap_or(self.clock)
    }

    /// Applies `command` at `at`; returns false (and does nothing) when `at`
    /// is still in the future.
    async fn step(
        &mut self,
        actor: &Actor,
        command: Command,
        at: Timestamp,
    ) -> Result<bool, ServiceError> {
        if at > self.until {
            return Ok(false);
        }
        self.complaint = self
            .services
            .apply_as(actor, &self.complaint, command, at)
            .await?;
        self.clock = at;
        self.steps += 1;
        Ok(true)
    }

    /// Runs the automatic close or archive when its time has come.
    async fn automatic(&mut self) -> Result<(), ServiceError> {
        let system = Actor::system();
        let due = match self.complaint.status {
            Status::OnHold => self
                .complaint
                .deadlines
                .hold_expires_at
                .map(|at| (at, Command::AutoArchive)),
            Status::Responded => self
                .complaint
                .deadlines
                .auto_close_at
                .map(|at| (at, Command::AutoResolve)),
            _ => None,
        };
        if let Some((at, command)) = due {
            self.step(&system, command, at).await?;
        }
        Ok(())
    }
}

impl Services {
    /// Creates the demo users when missing. Returns how many were created.
    pub async fn ensure_demo_users(
        &self,
        liaison_agencies: &BTreeSet<String>,
    ) -> Result<usize, ServiceError> {
        let mut created = 0;
        let mut wanted: Vec<(String, String, Role, Option<String>)> = DEMO_USERS
            .iter()
            .map(|(u, n, r, a)| (u.to_string(), n.to_string(), *r, a.map(str::to_owned)))
            .collect();
        for agency in liaison_agencies {
            let username = format!("penghubung.{}", agency.to_lowercase());
            if !wanted.iter().any(|(u, ..)| *u == username) {
                wanted.push((
                    username,
                    format!("Admin Penghubung {agency}"),
                    Role::LiaisonAdmin,
                    Some(agency.clone()),
                ));
            }
        }
        for (username, name, role, agency) in wanted {
            if self.store.find_user(&username).await?.is_some() {
                continue;
            }
            self.add_user(
                None,
                &username,
                &name,
                DEMO_PASSWORD,
                role,
                agency.as_deref(),
            )
            .await?;
            created += 1;
        }
        Ok(created)
    }

    /// Sets up the demo: users, the sample complaints and their history,
    /// the approved reports of [`DEMO_APPROVED_QUARTERS`] and the run of
    /// [`DEMO_MONEV_QUARTER`]. `renderer` renders the report versions'
    /// files. Safe to run again: nothing is created twice.
    pub async fn setup_demo(
        &self,
        samples_jsonl: &str,
        renderer: &dyn ReportRenderer,
    ) -> Result<DemoReport, ServiceError> {
        let mut report = DemoReport::default();
        let reference = self.reference_cache();
        let mut agencies = BTreeSet::new();
        for line in samples_jsonl.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(sample) = serde_json::from_str::<SampleComplaint>(line)
                && let Some(code) = sample.kode_perangkat_daerah
                && reference.agency_exists(&code)
            {
                agencies.insert(code);
            }
        }
        report.users_created = self.ensure_demo_users(&agencies).await?;

        let admin_user = self
            .store
            .find_user("admin.utama")
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        let admin = Actor {
            kind: ActorKind::Staff {
                role: Role::CentralAdmin,
                agency: None,
            },
            user_id: Some(admin_user.id),
            label: admin_user.username,
        };

        // Samples in arrival order, so the first of a duplicate group exists
        // before its duplicates are archived into it.
        let mut lines: Vec<(Timestamp, usize, &str)> = samples_jsonl
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let at = serde_json::from_str::<SampleComplaint>(l)
                    .map(|s| s.diterima_pada)
                    .unwrap_or(Timestamp::MIN);
                (at, i, l)
            })
            .collect();
        lines.sort();

        let until = now();
        let newest = lines.last().map_or(until, |(at, ..)| *at);
        let mut group_first: HashMap<String, ComplaintId> = HashMap::new();
        for (_, index, line) in lines {
            let imported = match self.import_line(line, &admin).await {
                Ok(imported) => imported,
                Err(reason) => {
                    report.rejected_lines.push((index + 1, reason));
                    continue;
                }
            };
            if let Some(group) = &imported.sample.kelompok_duplikat {
                group_first.entry(group.clone()).or_insert(imported.id);
            }
            if !imported.created {
                continue;
            }
            report.complaints_imported += 1;
            report.steps_replayed += self
                .replay_sample(
                    &imported.sample,
                    imported.id,
                    &admin,
                    &group_first,
                    newest,
                    until,
                )
                .await?;
        }
        let sweep = self.run_lifecycle_sweep(until).await?;
        tracing::info!(?sweep, "demo lifecycle sweep done");
        self.setup_demo_reports(&mut report, renderer).await?;
        Ok(report)
    }

    async fn demo_principal(&self, username: &str) -> Result<Principal, ServiceError> {
        let user = self
            .store
            .find_user(username)
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        Ok(Principal {
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            agency: user.agency_code,
        })
    }

    /// Takes the reports of the demo quarters through review and approval
    /// (SOP 04), and starts the demo quarter's run (SOP 05) from its
    /// approved version. Quarters that have an approved version or a run
    /// already are left as they are.
    async fn setup_demo_reports(
        &self,
        report: &mut DemoReport,
        renderer: &dyn ReportRenderer,
    ) -> Result<(), ServiceError> {
        let team = self.demo_principal("tim.pengaduan").await?;
        let head = self.demo_principal("kepala.humpro").await?;
        let sekda = self.demo_principal("sekda").await?;
        let approved = self.report_archive(&sekda).await?;
        for &(year, quarter) in DEMO_APPROVED_QUARTERS {
            if approved
                .iter()
                .any(|v| v.year == year && v.quarter == quarter)
            {
                continue;
            }
            let version = self
                .generate_report_version(&team, year, quarter, "id", renderer)
                .await?;
            self.submit_report_version(&team, version.id).await?;
            self.review_report_version(&head, version.id, true, "")
                .await?;
            self.decide_report_version(&sekda, version.id, true, &version.pdf_sha256, "")
                .await?;
            report.reports_approved += 1;
        }
        let (year, quarter) = DEMO_MONEV_QUARTER;
        let runs = self.monev_runs(&team).await?;
        if !runs
            .iter()
            .any(|r| r.year == i64::from(year) && r.quarter == i64::from(quarter))
        {
            self.start_monev_run(&team, year, quarter).await?;
            report.monev_runs_started += 1;
        }
        Ok(())
    }

    async fn replay_sample(
        &self,
        sample: &SampleComplaint,
        id: ComplaintId,
        admin: &Actor,
        group_first: &HashMap<String, ComplaintId>,
        newest: Timestamp,
        until: Timestamp,
    ) -> Result<usize, ServiceError> {
        let complaint = self
            .store
            .get_complaint(id)
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "complaint",
            })?;
        let mut r = Replay {
            services: self,
            clock: complaint.received_at,
            complaint,
            until,
            steps: 0,
        };
        let d = |salt| dice(&sample.id, salt);
        let minute = i8::try_from(d(9) % 50).unwrap_or(0);

        // Staff have not finished with the most recent complaints (those of
        // the corpus's last 45 working days, whenever the demo runs): each
        // stops at a stage, so the demo shows every open status.
        let recent = self
            .calendar()
            .working_days_elapsed(sample.diterima_pada, newest)
            <= 45;
        let stage_cap = if recent { d(20) % 8 } else { u64::MAX };
        if stage_cap == 0 {
            return Ok(r.steps);
        }
        if stage_cap == 1 {
            let question = "Mohon lengkapi laporan dengan lokasi persis dan foto kondisi terkini.";
            r.step(
                admin,
                Command::Hold {
                    question: question.into(),
                },
                // A late hold, so that the reporter still has time to reply.
                r.later(0, 9, minute)
                    .max(until - SignedDuration::from_hours(20)),
            )
            .await?;
            return Ok(r.steps);
        }

        // Incomplete reports are held, and half of the reporters complete them.
        if !sample.lengkap {
            let at = r.later(u32::from(d(1) % 2 == 0), 9, minute);
            let question = "Mohon lengkapi laporan: lokasi persis (nama jalan/RT) dan foto kondisi, agar dapat kami teruskan ke instansi terkait.";
            if !r
                .step(
                    admin,
                    Command::Hold {
                        question: question.into(),
                    },
                    at,
                )
                .await?
            {
                return Ok(r.steps);
            }
            if d(2) % 2 == 0 {
                let at = r.later(2 + (d(3) % 3) as u32, 10, minute);
                let text =
                    "Lokasinya di depan rumah nomor 12, foto sudah saya kirim lewat WhatsApp.";
                if !r
                    .step(
                        &Actor::reporter(),
                        Command::Complete { text: text.into() },
                        at,
                    )
                    .await?
                {
                    return Ok(r.steps);
                }
            } else {
                r.automatic().await?;
                return Ok(r.steps);
            }
        }

        // Duplicates are archived into the first complaint of their group.
        if let Some(first) = sample
            .kelompok_duplikat
            .as_ref()
            .and_then(|g| group_first.get(g))
            && *first != id
        {
            let at = r.later((d(4) % 2) as u32, 9, minute);
            let command = Command::Archive {
                reason: ArchiveReason::Duplicate { of: *first },
                note: Some("Laporan sama dengan laporan sebelumnya; ditangani bersama.".into()),
            };
            r.step(admin, command, at).await?;
            return Ok(r.steps);
        }

        // Matters outside the city's authority are forwarded.
        if sample.bukan_kewenangan || sample.kode_perangkat_daerah.is_none() {
            let at = r.later(1 + (d(4) % 2) as u32, 10, minute);
            let command = Command::Forward {
                institution: outside_institution(&sample.isi).into(),
                note: Some(
                    "Bukan kewenangan Pemerintah Kota; diteruskan kepada instansi yang berwenang."
                        .into(),
                ),
            };
            r.step(admin, command, at).await?;
            return Ok(r.steps);
        }
        let Some(agency) = sample.kode_perangkat_daerah.clone() else {
            return Ok(r.steps);
        };

        // Verification: usually within the standard, one in ten late.
        let verify_days = if d(5) % 10 == 0 {
            4 + (d(6) % 3) as u32
        } else {
            (d(6) % 3) as u32
        };
        let complaint_type = r.complaint.complaint_type;
        let category = sample
            .kategori
            .clone()
            .filter(|c| self.reference_cache().category_exists(c));
        let subcategory = sample.subkategori.clone().filter(|s| {
            category
                .as_deref()
                .is_some_and(|c| self.reference_cache().subcategory_exists(c, s))
        });
        let verify = Command::Verify {
            complaint_type,
            supervision: complaint_type == ComplaintType::Complaint && d(7) % 12 == 0,
            title: sample
                .judul
                .clone()
                .or_else(|| Some(sample.isi.chars().take(80).collect())),
            category: category.or_else(|| Some("TOPIK LAINNYA".into())),
            subcategory,
            tags: Vec::new(),
        };
        if !r
            .step(admin, verify, r.later(verify_days, 9, minute))
            .await?
            || stage_cap == 2
        {
            return Ok(r.steps);
        }
        let dispatch = Command::Dispatch {
            lead_agency: agency.clone(),
            supporting_agencies: Vec::new(),
            instruction: Some(
                "Mohon ditindaklanjuti sesuai kewenangan dan dilaporkan perkembangannya.".into(),
            ),
        };
        let at = r.clock + SignedDuration::from_mins(20);
        if !r.step(admin, dispatch.clone(), at).await? || stage_cap == 3 {
            return Ok(r.steps);
        }
        let agency_actor = liaison(self, &agency).await?;

        // One in twelve is first returned as not within the agency's authority.
        if d(8) % 12 == 0 || stage_cap == 4 {
            let reason =
                "Menurut kami lokasi ini bukan aset/kewenangan instansi kami; mohon dicek kembali.";
            if !r
                .step(
                    &agency_actor,
                    Command::Return {
                        reason: reason.into(),
                    },
                    r.later(1, 11, minute),
                )
                .await?
                || stage_cap == 4
            {
                return Ok(r.steps);
            }
            if !r.step(admin, dispatch, r.later(1, 9, minute)).await? {
                return Ok(r.steps);
            }
        }

        // Follow-up, then the final response; some agencies are late.
        let followup_days = if d(10) % 7 == 0 {
            7 + (d(11) % 4) as u32
        } else {
            1 + (d(11) % 4) as u32
        };
        let text =
            "Laporan sudah kami terima dan tim lapangan telah dijadwalkan untuk peninjauan lokasi.";
        if !r
            .step(
                &agency_actor,
                Command::FollowUp { text: text.into() },
                r.later(followup_days, 10, minute),
            )
            .await?
            || stage_cap == 5
        {
            return Ok(r.steps);
        }
        let response_days = if d(12) % 10 == 0 {
            15 + (d(13) % 5) as u32
        } else {
            2 + (d(13) % 7) as u32
        };
        let text = "Telah dilakukan penanganan di lokasi. Terima kasih atas laporan Bapak/Ibu; silakan sampaikan bila masih ada kendala.";
        if !r
            .step(
                &agency_actor,
                Command::Respond { text: text.into() },
                r.later(response_days, 14, minute),
            )
            .await?
            || stage_cap == 6
        {
            return Ok(r.steps);
        }

        // The reporter's reply: half are satisfied, some are not, the rest are silent.
        let reply = d(14) % 20;
        let reply_at = r.later(1 + (d(15) % 3) as u32, 19, minute);
        if reply < 10 {
            let command = Command::ReporterReply {
                satisfied: true,
                rating: Some(4 + (d(16) % 2) as u8),
                comment: Some("Terima kasih, sudah ditangani.".into()),
            };
            r.step(&Actor::reporter(), command, reply_at).await?;
        } else if reply < 13 {
            let command = Command::ReporterReply {
                satisfied: false,
                rating: Some(1 + (d(16) % 2) as u8),
                comment: Some("Belum tuntas, kondisi di lokasi masih sama.".into()),
            };
            if r.step(&Actor::reporter(), command, reply_at).await? {
                let text =
                    "Sudah kami tinjau ulang dan perbaikan lanjutan telah selesai dikerjakan.";
                if r.step(
                    &agency_actor,
                    Command::Respond { text: text.into() },
                    r.later(3, 15, minute),
                )
                .await?
                {
                    r.automatic().await?;
                }
            }
        } else {
            r.automatic().await?;
        }
        Ok(r.steps)
    }
}
