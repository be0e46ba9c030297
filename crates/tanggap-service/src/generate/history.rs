//! One generated complaint: its intake and its history through the real
//! lifecycle rules, cut off at the generation's end instant.

use super::Rng;
use super::corpus::{
    CLOSINGS, Corpus, DURATIONS, FIRST_NAMES, LAST_NAMES, OPENINGS, OUTSIDE_INSTITUTIONS, STREETS,
};
use crate::error::ServiceError;
use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, VecDeque};
use tanggap_core::complaint::{ArchiveReason, hash_secret};
use tanggap_core::lifecycle::{self, Actor, ActorKind, Command, Context, Event, Intake};
use tanggap_core::{Channel, Complaint, ComplaintId, ComplaintType, Location, Reporter, Role};
use tanggap_store::GeneratedComplaint;

/// Earlier complaints kept per agency as targets for duplicates.
const DUPLICATE_TARGETS: usize = 64;

/// Builds complaints one after another. The only state carried from one
/// complaint to the next is the list of recent complaints per agency that
/// duplicates point at, so the output depends only on the seed, the
/// options and the order of generation.
pub(crate) struct HistoryBuilder<'a> {
    pub corpus: &'a Corpus,
    pub ctx: Context<'a>,
    pub seed: u64,
    pub until: Timestamp,
    recent: HashMap<String, VecDeque<ComplaintId>>,
}

fn central_admin() -> Actor {
    Actor {
        kind: ActorKind::Staff {
            role: Role::CentralAdmin,
            agency: None,
        },
        user_id: None,
        label: "admin.utama".into(),
    }
}

fn liaison(agency: &str) -> Actor {
    Actor {
        kind: ActorKind::Staff {
            role: Role::LiaisonAdmin,
            agency: Some(agency.to_owned()),
        },
        user_id: None,
        label: format!("penghubung.{}", agency.to_lowercase()),
    }
}

/// The history of one complaint while it is being built.
struct Timeline<'a> {
    ctx: Context<'a>,
    complaint: Complaint,
    events: Vec<Event>,
    clock: Timestamp,
    until: Timestamp,
}

impl Timeline<'_> {
    /// Returns the instant `working_days` after the clock at `hour:minute`
    /// local time, or `minutes` after the clock for 0 working days.
    fn later(&self, working_days: u32, hour: i8, minute: i8) -> Timestamp {
        if working_days == 0 {
            return self.clock + SignedDuration::from_mins(30 + i64::from(minute));
        }
        let calendar = self.ctx.calendar;
        let start = calendar.effective_date(calendar.local_date(self.clock));
        let day = calendar.add_working_days(start, working_days);
        day.to_datetime(Time::constant(hour, minute, 0, 0))
            .to_zoned(calendar.time_zone().clone())
            .map(|z| z.timestamp())
            .unwrap_or(self.clock)
            .max(self.clock + SignedDuration::from_mins(1))
    }

    /// Applies `command` at `at` through the lifecycle rules. Returns false,
    /// changing nothing, when `at` lies after the generation's end.
    fn step(
        &mut self,
        actor: &Actor,
        command: Command,
        at: Timestamp,
    ) -> Result<bool, ServiceError> {
        if at > self.until {
            return Ok(false);
        }
        let (next, event) = lifecycle::apply(&self.complaint, command, actor, at, self.ctx)?;
        self.complaint = next;
        self.events.push(event);
        self.clock = at;
        Ok(true)
    }

    /// Takes the automatic archive or close when it falls due before the end.
    fn automatic(&mut self) -> Result<(), ServiceError> {
        let deadlines = &self.complaint.deadlines;
        let due = match (deadlines.hold_expires_at, deadlines.auto_close_at) {
            (Some(at), _) => Some((at, Command::AutoArchive)),
            (None, Some(at)) => Some((at, Command::AutoResolve)),
            _ => None,
        };
        if let Some((at, command)) = due {
            self.step(&Actor::system(), command, at)?;
        }
        Ok(())
    }
}

impl<'a> HistoryBuilder<'a> {
    pub fn new(corpus: &'a Corpus, ctx: Context<'a>, seed: u64, until: Timestamp) -> Self {
        Self {
            corpus,
            ctx,
            seed,
            until,
            recent: HashMap::new(),
        }
    }

    /// Builds the complaint number `index` of the run, with database id `id`,
    /// arriving at `arrival`.
    pub fn build(
        &mut self,
        index: u64,
        id: ComplaintId,
        arrival: Timestamp,
    ) -> Result<GeneratedComplaint, ServiceError> {
        let mut rng = Rng::new(self.seed, index + 1);
        let profile = rng.pick(&self.corpus.profiles).clone();
        let agency = profile.agency.as_deref();

        let (intake, registrar) = self.intake(&profile, arrival, &mut rng)?;
        let secret = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let (complaint, event) = lifecycle::register(
            intake,
            id,
            String::new(),
            Some(hash_secret(&secret)),
            &registrar,
            arrival,
            self.ctx,
        )?;
        let mut t = Timeline {
            ctx: self.ctx,
            complaint,
            events: vec![event],
            clock: arrival,
            until: self.until,
        };
        self.handle(&mut t, &profile, &mut rng)?;

        if let Some(agency) = agency {
            let recent = self.recent.entry(agency.to_owned()).or_default();
            if recent.len() == DUPLICATE_TARGETS {
                recent.pop_front();
            }
            recent.push_back(id);
        }
        let year = self.ctx.calendar.local_date(arrival).year();
        Ok(GeneratedComplaint {
            complaint: t.complaint,
            events: t.events,
            year,
        })
    }

    /// Builds what arrived and who registers it.
    fn intake(
        &self,
        profile: &super::corpus::Profile,
        arrival: Timestamp,
        rng: &mut Rng,
    ) -> Result<(Intake, Actor), ServiceError> {
        let agency = profile.agency.as_deref();
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        let phone = format!("08{}{:09}", 11 + rng.below(12), rng.below(1_000_000_000));
        let email = format!(
            "{}.{}{}@contoh.id",
            first.to_lowercase(),
            last.to_lowercase(),
            rng.below(100)
        );
        let reporter = Reporter {
            name: rng.chance(0.9).then(|| format!("{first} {last}")),
            phone: (!matches!(profile.channel, Channel::Email) || rng.chance(0.3))
                .then(|| phone.clone()),
            email: matches!(profile.channel, Channel::Email | Channel::Web).then(|| email.clone()),
            nik: None,
            address: None,
        };

        let mut location = Location::default();
        let mut place = None;
        if profile.has_location {
            let kelurahan = rng.pick(&self.corpus.kelurahan);
            let street = *rng.pick(STREETS);
            let rt = 1 + rng.below(40);
            location.kelurahan_code = Some(kelurahan.code.clone());
            location.text = Some(format!("{street} RT {rt:03}, Kelurahan {}", kelurahan.name));
            if profile.has_coordinates {
                let (longitude, latitude) = kelurahan.random_point(rng);
                location.longitude = Some(longitude);
                location.latitude = Some(latitude);
            }
            place = Some(format!(
                "Lokasinya di {street} RT {rt:03}, Kelurahan {}, Kecamatan {}.",
                kelurahan.name, kelurahan.kecamatan
            ));
        }

        let mut body: Vec<&str> = Vec::new();
        if rng.chance(0.4) {
            body.push(*rng.pick(OPENINGS));
        }
        let sentences = 1 + rng.below(3);
        for _ in 0..sentences {
            body.push(self.corpus.sentence(agency, rng));
        }
        if let Some(place) = &place {
            body.push(place);
        }
        if rng.chance(0.5) {
            body.push(*rng.pick(DURATIONS));
        }
        if rng.chance(0.6) {
            body.push(*rng.pick(CLOSINGS));
        }
        let body = body.join(" ");

        let channel_reference = match profile.channel {
            Channel::Telephone | Channel::Whatsapp | Channel::Sms => Some(phone),
            Channel::Email => Some(email),
            Channel::Lapor => Some(format!("{:08}", 10_000_000 + rng.below(90_000_000))),
            Channel::Letter => Some(format!(
                "{:03}/RT.{:03}/{}",
                1 + rng.below(300),
                1 + rng.below(40),
                self.ctx.calendar.local_date(arrival).year()
            )),
            Channel::SocialMedia => Some(format!(
                "https://www.instagram.com/p/{:011x}/",
                rng.below(1 << 44)
            )),
            Channel::WalkIn | Channel::Web => None,
        };
        let intake = Intake {
            channel: Some(profile.channel),
            channel_reference,
            received_at: Some(arrival),
            complaint_type: Some(profile.complaint_type),
            title: if profile.has_title {
                self.corpus.title(agency, rng).map(str::to_owned)
            } else {
                None
            },
            body: Some(body),
            category: None,
            subcategory: None,
            tags: Vec::new(),
            location,
            reporter,
            anonymous: profile.anonymous,
            confidential: profile.confidential,
        }
        .validated(self.until)
        .map_err(|errors| {
            ServiceError::Internal(format!("generated intake is invalid: {errors:?}"))
        })?;

        // As in the sample import: LAPOR! reports arrive through the
        // integration and portal reports from the reporter. A share of the
        // walk-ins, letters and calls is recorded by the agency (SOP 03).
        let registrar = match (profile.channel, agency) {
            (Channel::Lapor, _) => Actor::system(),
            (Channel::Web, _) => Actor::reporter(),
            (Channel::WalkIn | Channel::Letter | Channel::Telephone, Some(agency))
                if rng.chance(0.15) =>
            {
                liaison(agency)
            }
            _ => central_admin(),
        };
        Ok((intake, registrar))
    }

    /// Plays the staff's, the agency's and the reporter's steps.
    fn handle(
        &self,
        t: &mut Timeline<'_>,
        profile: &super::corpus::Profile,
        rng: &mut Rng,
    ) -> Result<(), ServiceError> {
        let admin = central_admin();
        let minute = i8::try_from(rng.below(60)).unwrap_or(0);

        // A few complaints wait for verification far past the deadline.
        if rng.chance(0.01) {
            return Ok(());
        }
        if rng.chance(0.015) {
            let reason = if rng.chance(0.5) {
                ArchiveReason::Spam
            } else {
                ArchiveReason::NotAComplaint
            };
            let command = Command::Archive {
                reason,
                note: Some("Bukan pengaduan yang dapat ditindaklanjuti.".into()),
            };
            t.step(&admin, command, t.later(rng.below(2) as u32, 9, minute))?;
            return Ok(());
        }

        // Incomplete reports are held, and about half of the reporters complete them.
        if !profile.complete {
            let question =
                "Mohon lengkapi laporan: lokasi persis (nama jalan/RT) dan foto kondisi.";
            let at = t.later(rng.below(2) as u32, 9, minute);
            if !t.step(
                &admin,
                Command::Hold {
                    question: question.into(),
                },
                at,
            )? {
                return Ok(());
            }
            if rng.chance(0.5) {
                let text = "Lokasinya di depan rumah nomor 12, foto sudah saya kirim.";
                let at = t.later(1 + rng.below(4) as u32, 19, minute);
                if !t.step(
                    &Actor::reporter(),
                    Command::Complete { text: text.into() },
                    at,
                )? {
                    return Ok(());
                }
            } else {
                return t.automatic();
            }
        }

        // Duplicates are archived into a recent complaint of the same agency.
        let target = profile
            .agency
            .as_ref()
            .and_then(|a| self.recent.get(a))
            .filter(|recent| !recent.is_empty())
            .map(|recent| recent[rng.below(recent.len() as u64) as usize]);
        if profile.duplicate
            && let Some(of) = target
        {
            let command = Command::Archive {
                reason: ArchiveReason::Duplicate { of },
                note: Some("Laporan sama dengan laporan sebelumnya; ditangani bersama.".into()),
            };
            t.step(&admin, command, t.later(rng.below(2) as u32, 9, minute))?;
            return Ok(());
        }

        let Some(agency) = profile
            .agency
            .clone()
            .filter(|_| !profile.outside_authority)
        else {
            let command = Command::Forward {
                institution: (*rng.pick(OUTSIDE_INSTITUTIONS)).into(),
                note: Some(
                    "Bukan kewenangan Pemerintah Kota; diteruskan kepada instansi yang berwenang."
                        .into(),
                ),
            };
            t.step(
                &admin,
                command,
                t.later(1 + rng.below(2) as u32, 10, minute),
            )?;
            return Ok(());
        };

        // Verification: usually within the standard, one in ten late.
        let verify_days = if rng.chance(0.1) {
            4 + rng.below(3)
        } else {
            rng.below(3)
        } as u32;
        let complaint_type = t.complaint.complaint_type;
        let verify = Command::Verify {
            complaint_type,
            supervision: complaint_type == ComplaintType::Complaint && rng.chance(1.0 / 12.0),
            title: t
                .complaint
                .title
                .clone()
                .or_else(|| Some(t.complaint.body.chars().take(80).collect())),
            category: profile
                .category
                .clone()
                .or_else(|| Some("TOPIK LAINNYA".into())),
            subcategory: profile
                .subcategory
                .clone()
                .filter(|_| profile.category.is_some()),
            tags: Vec::new(),
        };
        if !t.step(&admin, verify, t.later(verify_days, 9, minute))? {
            return Ok(());
        }
        let supporting = if rng.chance(0.1) {
            let other = rng.pick(&self.corpus.agencies);
            if *other == agency {
                Vec::new()
            } else {
                vec![other.clone()]
            }
        } else {
            Vec::new()
        };
        let dispatch = Command::Dispatch {
            lead_agency: agency.clone(),
            supporting_agencies: supporting,
            instruction: Some("Mohon ditindaklanjuti sesuai kewenangan.".into()),
        };
        let at = t.clock + SignedDuration::from_mins(20 + i64::from(minute));
        if !t.step(&admin, dispatch.clone(), at)? {
            return Ok(());
        }
        let agency_actor = liaison(&agency);

        // One in twelve is first returned as not within the agency's authority.
        if rng.chance(1.0 / 12.0) {
            let reason = "Lokasi ini bukan aset instansi kami; mohon dicek kembali.";
            let at = t.later(1 + rng.below(2) as u32, 11, minute);
            if !t.step(
                &agency_actor,
                Command::Return {
                    reason: reason.into(),
                },
                at,
            )? {
                return Ok(());
            }
            if !t.step(&admin, dispatch, t.later(1, 9, minute))? {
                return Ok(());
            }
        }
        // Some agencies never respond, so these complaints stay overdue.
        if rng.chance(0.02) {
            return Ok(());
        }

        let followup_days = if rng.chance(1.0 / 7.0) {
            6 + rng.below(5)
        } else {
            1 + rng.below(4)
        } as u32;
        let text = "Laporan sudah kami terima dan tim lapangan dijadwalkan meninjau lokasi.";
        let at = t.later(followup_days, 10, minute);
        if !t.step(&agency_actor, Command::FollowUp { text: text.into() }, at)? {
            return Ok(());
        }
        if rng.chance(0.02) {
            return Ok(());
        }
        let resolution_days = if rng.chance(0.1) {
            15 + rng.below(10)
        } else {
            2 + rng.below(8)
        } as u32;
        let text = "Telah dilakukan penanganan di lokasi. Terima kasih atas laporan Bapak/Ibu.";
        let at = t.later(resolution_days, 14, minute);
        if !t.step(&agency_actor, Command::Respond { text: text.into() }, at)? {
            return Ok(());
        }

        // The reporter's reply: half are satisfied, some are not and the
        // complaint is reopened, the rest are silent and it closes itself.
        let reply = rng.below(20);
        let at = t.later(1 + rng.below(3) as u32, 19, minute);
        if reply < 10 {
            let command = Command::ReporterReply {
                satisfied: true,
                rating: Some(3 + rng.below(3) as u8),
                comment: Some("Terima kasih, sudah ditangani.".into()),
            };
            t.step(&Actor::reporter(), command, at)?;
        } else if reply < 13 {
            let command = Command::ReporterReply {
                satisfied: false,
                rating: Some(1 + rng.below(2) as u8),
                comment: Some("Belum tuntas, kondisi di lokasi masih sama.".into()),
            };
            if t.step(&Actor::reporter(), command, at)? {
                let text = "Sudah kami tinjau ulang dan perbaikan lanjutan telah selesai.";
                let at = t.later(2 + rng.below(5) as u32, 15, minute);
                if t.step(&agency_actor, Command::Respond { text: text.into() }, at)? {
                    t.automatic()?;
                }
            }
        } else {
            t.automatic()?;
        }
        Ok(())
    }
}
