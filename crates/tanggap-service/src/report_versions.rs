//! Versions of the quarterly report document and their review and
//! approval (SOP 04/humpro).

use crate::report::{OverdueComplaint, Period, QuarterlyReport};
use crate::{Principal, ServiceError, Services, now, sha256_hex};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tanggap_core::Role;
use tanggap_core::report_workflow::{ReportState, ReportStep, next_state, rule};
use tanggap_store::report_versions::{
    NewReportVersion, ReportFile, ReportStateChange, ReportVersionRecord,
};
use tanggap_store::{AuditDraft, micros};

/// The texts the complaint team writes into the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrative {
    /// General summary of the quarter.
    pub summary: String,
    /// Findings (temuan).
    pub findings: String,
    /// Recommendations (rekomendasi).
    pub recommendations: String,
    /// Follow-up plan (rencana tindak lanjut).
    pub follow_up: String,
}

/// A person who signs the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub name: String,
    /// Nomor Induk Pegawai, the civil-service registration number.
    pub nip: String,
}

/// The three signature blocks of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signers {
    /// The complaint team member who prepared the report.
    pub preparer: Signer,
    /// Kepala Bagian Humas dan Protokol.
    pub head_of_section: Signer,
    /// Sekretaris Daerah.
    pub city_secretary: Signer,
}

/// Agency code of the Bagian Humas dan Protokol. The agency head account of
/// this agency acts as the head of section who reviews the report.
// NOTE: the code comes from data/perangkat-daerah-banjarmasin.csv; an
// installation that names the section differently must change it here.
pub const HEAD_OF_SECTION_AGENCY: &str = "HUMPRO";

/// Maximum length of a return note, in characters.
pub const NOTE_MAX_CHARS: usize = 2000;

/// Maximum length of a narrative field, in characters.
pub const NARRATIVE_MAX_CHARS: usize = 20_000;

/// The figures frozen in a version: the quarter's report and the overdue
/// list at the moment of generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrozenFigures {
    pub report: QuarterlyReport,
    pub overdue: Vec<OverdueComplaint>,
}

/// Everything a renderer needs for the files of one version.
#[derive(Clone, Debug)]
pub struct VersionContent<'a> {
    pub figures: &'a FrozenFigures,
    pub narrative: &'a Narrative,
    pub signers: &'a Signers,
    /// `id` or `en`.
    pub lang: &'a str,
    pub number: i64,
    pub issued_on: Date,
}

/// A rendered file of a version.
#[derive(Clone, Debug)]
pub struct RenderedFile {
    /// `pdf`, `docx` or `xlsx`; the PDF is required, because approvals
    /// are bound to its bytes.
    pub format: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// Renders the files of a version. The web layer implements it with the
/// document templates and the translations.
pub trait ReportRenderer: Send + Sync {
    fn render(&self, content: &VersionContent<'_>) -> Result<Vec<RenderedFile>, String>;
}

/// A version of the quarterly report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportVersion {
    pub id: i64,
    pub year: i16,
    pub quarter: u8,
    /// 1 for the first version of the quarter.
    pub number: i64,
    pub state: ReportState,
    pub lang: String,
    pub narrative: Narrative,
    pub signers: Signers,
    pub issued_on: String,
    /// SHA-256 of the PDF bytes of this version.
    pub pdf_sha256: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub submitted: Option<(String, Timestamp)>,
    pub reviewed: Option<(String, Timestamp)>,
    /// The note, who and when of the last return.
    pub returned: Option<(String, String, Timestamp)>,
    /// Approver, time, and the SHA-256 of the approved PDF.
    pub approved: Option<(String, Timestamp, String)>,
    pub published: Option<(String, Timestamp)>,
}

fn instant(micros: i64) -> Result<Timestamp, ServiceError> {
    tanggap_store::from_micros(micros).map_err(ServiceError::from)
}

impl ReportVersion {
    fn from_record(record: ReportVersionRecord) -> Result<Self, ServiceError> {
        let corrupt = |what: &str| ServiceError::Internal(format!("stored report version: {what}"));
        let pair = |p: Option<(String, i64)>| -> Result<_, ServiceError> {
            p.map(|(by, at)| Ok((by, instant(at)?))).transpose()
        };
        Ok(Self {
            id: record.id,
            year: i16::try_from(record.year).map_err(|_| corrupt("year"))?,
            quarter: u8::try_from(record.quarter).map_err(|_| corrupt("quarter"))?,
            number: record.number,
            state: ReportState::from_code(&record.state).ok_or_else(|| corrupt("state"))?,
            lang: record.lang,
            narrative: serde_json::from_value(record.narrative)
                .map_err(|_| corrupt("narrative"))?,
            signers: serde_json::from_value(record.signers).map_err(|_| corrupt("signers"))?,
            issued_on: record.issued_on,
            pdf_sha256: record.pdf_sha256,
            created_by: record.created_by,
            created_at: instant(record.created_at_micros)?,
            submitted: pair(record.submitted)?,
            reviewed: pair(record.reviewed)?,
            returned: record
                .returned
                .map(|(note, by, at)| Ok::<_, ServiceError>((note, by, instant(at)?)))
                .transpose()?,
            approved: record
                .approved
                .map(|(by, at, sha)| Ok::<_, ServiceError>((by, instant(at)?, sha)))
                .transpose()?,
            published: pair(record.published)?,
        })
    }
}

/// Tells whether a principal is the head of section who reviews reports.
pub fn is_head_of_section(principal: &Principal) -> bool {
    principal.role == Role::AgencyHead
        && principal.agency.as_deref() == Some(HEAD_OF_SECTION_AGENCY)
}

/// Tells whether a principal may read the report versions: the roles that
/// see every complaint, and the head of section.
pub fn may_read_versions(principal: &Principal) -> bool {
    matches!(
        principal.role,
        Role::CentralAdmin | Role::CitySecretary | Role::ComplaintTeam
    ) || is_head_of_section(principal)
}

/// Tells whether a principal may take a step, whatever the version's state.
pub fn may_take(principal: &Principal, step: ReportStep) -> bool {
    match step {
        ReportStep::Generate | ReportStep::Revise | ReportStep::Submit => {
            principal.role == Role::ComplaintTeam
        }
        ReportStep::Accept | ReportStep::ReturnByHead => is_head_of_section(principal),
        ReportStep::Approve | ReportStep::ReturnBySecretary => {
            principal.role == Role::CitySecretary
        }
        ReportStep::Publish => principal.role == Role::CentralAdmin,
    }
}

fn require(principal: &Principal, step: ReportStep) -> Result<(), ServiceError> {
    if may_take(principal, step) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn check_length(field: &str, text: &str, max: usize) -> Result<(), ServiceError> {
    if text.chars().count() > max {
        return Err(ServiceError::Validation(vec![
            tanggap_core::validate::FieldError::with_limit(field, "too_long", max),
        ]));
    }
    Ok(())
}

fn validate_texts(narrative: &Narrative, signers: &Signers) -> Result<(), ServiceError> {
    for (field, text) in [
        ("summary", &narrative.summary),
        ("findings", &narrative.findings),
        ("recommendations", &narrative.recommendations),
        ("follow_up", &narrative.follow_up),
    ] {
        check_length(field, text, NARRATIVE_MAX_CHARS)?;
    }
    for (field, signer) in [
        ("preparer", &signers.preparer),
        ("head_of_section", &signers.head_of_section),
        ("city_secretary", &signers.city_secretary),
    ] {
        check_length(&format!("{field}_name"), &signer.name, 200)?;
        let nip = signer.nip.replace(' ', "");
        if !nip.is_empty() && (nip.len() != 18 || !nip.chars().all(|c| c.is_ascii_digit())) {
            return Err(ServiceError::field(&format!("{field}_nip"), "invalid_nip"));
        }
    }
    Ok(())
}

fn step_not_allowed() -> ServiceError {
    ServiceError::field("state", "report_step_not_allowed")
}

fn audit_draft(principal: &Principal, step: ReportStep, details: serde_json::Value) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor: principal.actor().audit_id(),
        action: format!("report_version.{}", step.code()),
        // The store sets the entity to the version id.
        entity: String::new(),
        details,
    }
}

impl Services {
    /// Lists the versions of every quarter, newest first.
    pub async fn report_versions(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ReportVersion>, ServiceError> {
        if !may_read_versions(principal) {
            return Err(ServiceError::Forbidden);
        }
        let records = self.store.list_report_versions(false, false).await?;
        records
            .into_iter()
            .map(ReportVersion::from_record)
            .collect()
    }

    /// Lists the approved versions: the archive of the quarterly reports.
    pub async fn report_archive(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ReportVersion>, ServiceError> {
        if !may_read_versions(principal) {
            return Err(ServiceError::Forbidden);
        }
        let records = self.store.list_report_versions(true, false).await?;
        records
            .into_iter()
            .map(ReportVersion::from_record)
            .collect()
    }

    /// Lists the versions published on the public page; anyone may ask.
    pub async fn published_report_versions(&self) -> Result<Vec<ReportVersion>, ServiceError> {
        let records = self.store.list_report_versions(true, true).await?;
        records
            .into_iter()
            .map(ReportVersion::from_record)
            .collect()
    }

    /// Returns one version.
    pub async fn report_version(
        &self,
        principal: &Principal,
        id: i64,
    ) -> Result<ReportVersion, ServiceError> {
        if !may_read_versions(principal) {
            return Err(ServiceError::Forbidden);
        }
        self.load_version(id).await
    }

    async fn load_version(&self, id: i64) -> Result<ReportVersion, ServiceError> {
        let record = self
            .store
            .get_report_version(id)
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "report_version",
            })?;
        ReportVersion::from_record(record)
    }

    /// Returns a file of a version for staff who may read versions.
    pub async fn report_file(
        &self,
        principal: &Principal,
        id: i64,
        format: &str,
    ) -> Result<ReportFile, ServiceError> {
        if !may_read_versions(principal) {
            return Err(ServiceError::Forbidden);
        }
        self.store
            .get_report_file(id, format)
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "report_file",
            })
    }

    /// Returns the PDF of a published version for the public page. A
    /// version that is not published is reported as not found.
    pub async fn published_report_pdf(&self, id: i64) -> Result<ReportFile, ServiceError> {
        let not_found = ServiceError::NotFound {
            entity: "report_file",
        };
        let version = self
            .load_version(id)
            .await
            .map_err(|_| ServiceError::NotFound {
                entity: "report_file",
            })?;
        if version.state != ReportState::Approved || version.published.is_none() {
            return Err(not_found);
        }
        self.store
            .get_report_file(id, "pdf")
            .await?
            .ok_or(not_found)
    }

    /// Generates a new draft version of a quarter with the figures computed
    /// now (SOP 04 activity `draft`). The narrative and signers carry over
    /// from the newest version of the quarter.
    pub async fn generate_report_version(
        &self,
        principal: &Principal,
        year: i16,
        quarter: u8,
        lang: &str,
        renderer: &dyn ReportRenderer,
    ) -> Result<ReportVersion, ServiceError> {
        require(principal, ReportStep::Generate)?;
        let report = self.quarterly_report(principal, year, quarter).await?;
        let overdue = self
            .overdue_at_end(principal, Period::quarter(year, quarter)?)
            .await?;
        let figures = FrozenFigures { report, overdue };
        let latest = self
            .store
            .list_report_versions(false, false)
            .await?
            .into_iter()
            .find(|r| r.year == i32::from(year) && r.quarter == i32::from(quarter));
        let (narrative, signers) = match latest {
            Some(record) => {
                let version = ReportVersion::from_record(record)?;
                (version.narrative, version.signers)
            }
            None => (Narrative::default(), Signers::default()),
        };
        self.store_version(
            principal,
            ReportStep::Generate,
            &figures,
            &narrative,
            &signers,
            lang,
            renderer,
        )
        .await
    }

    /// Makes a new draft version with a changed narrative and signers from
    /// an existing one (SOP 04 activity `narrate`). The figures stay those
    /// frozen in the existing version.
    pub async fn revise_report_version(
        &self,
        principal: &Principal,
        id: i64,
        narrative: &Narrative,
        signers: &Signers,
        renderer: &dyn ReportRenderer,
    ) -> Result<ReportVersion, ServiceError> {
        require(principal, ReportStep::Revise)?;
        validate_texts(narrative, signers)?;
        let version = self.load_version(id).await?;
        if next_state(ReportStep::Revise, version.state).is_none() {
            return Err(step_not_allowed());
        }
        let record = self
            .store
            .get_report_version(id)
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "report_version",
            })?;
        let figures: FrozenFigures = serde_json::from_value(record.figures)
            .map_err(|e| ServiceError::Internal(format!("stored figures: {e}")))?;
        self.store_version(
            principal,
            ReportStep::Revise,
            &figures,
            narrative,
            signers,
            &version.lang,
            renderer,
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per step, all named"
    )]
    async fn store_version(
        &self,
        principal: &Principal,
        step: ReportStep,
        figures: &FrozenFigures,
        narrative: &Narrative,
        signers: &Signers,
        lang: &str,
        renderer: &dyn ReportRenderer,
    ) -> Result<ReportVersion, ServiceError> {
        let year = figures.report.year;
        let quarter = figures.report.quarter;
        let number = self
            .store
            .next_report_version_number(i32::from(year), i32::from(quarter))
            .await?;
        let issued_on = self.calendar().local_date(now());
        let content = VersionContent {
            figures,
            narrative,
            signers,
            lang,
            number,
            issued_on,
        };
        let rendered = renderer
            .render(&content)
            .map_err(|e| ServiceError::Internal(format!("report rendering failed: {e}")))?;
        let files: Vec<ReportFile> = rendered
            .into_iter()
            .map(|file| ReportFile {
                sha256: sha256_hex(&file.content),
                format: file.format,
                media_type: file.media_type,
                content: file.content,
            })
            .collect();
        let pdf_sha256 = files
            .iter()
            .find(|f| f.format == "pdf")
            .map(|f| f.sha256.clone())
            .ok_or_else(|| ServiceError::Internal("the renderer made no PDF".into()))?;
        let json = |value: serde_json::Result<serde_json::Value>| {
            value.map_err(|e| ServiceError::Internal(format!("report version JSON: {e}")))
        };
        let new = NewReportVersion {
            year: i32::from(year),
            quarter: i32::from(quarter),
            number,
            state: rule(step).to.code().to_owned(),
            lang: lang.to_owned(),
            figures: json(serde_json::to_value(figures))?,
            narrative: json(serde_json::to_value(narrative))?,
            signers: json(serde_json::to_value(signers))?,
            issued_on: issued_on.to_string(),
            pdf_sha256: pdf_sha256.clone(),
            created_by: principal.username.clone(),
            created_at_micros: micros(now()),
        };
        let audit = audit_draft(
            principal,
            step,
            serde_json::json!({
                "year": year,
                "quarter": quarter,
                "number": number,
                "activity": rule(step).activity,
                "pdf_sha256": pdf_sha256,
            }),
        );
        let record = self
            .store
            .insert_report_version(&new, &files, audit)
            .await?;
        tracing::info!(
            year,
            quarter,
            number,
            step = step.code(),
            "stored a quarterly report version"
        );
        ReportVersion::from_record(record)
    }

    /// Submits a draft to the head of section.
    pub async fn submit_report_version(
        &self,
        principal: &Principal,
        id: i64,
    ) -> Result<ReportVersion, ServiceError> {
        let change = |by: String, at: i64| ReportStateChange {
            submitted: Some((by, at)),
            ..ReportStateChange::default()
        };
        self.take_step(principal, id, ReportStep::Submit, None, change)
            .await
    }

    /// The head of section accepts a submitted version for the Sekda, or
    /// returns it to the team with a note.
    pub async fn review_report_version(
        &self,
        principal: &Principal,
        id: i64,
        accept: bool,
        note: &str,
    ) -> Result<ReportVersion, ServiceError> {
        if accept {
            let change = |by: String, at: i64| ReportStateChange {
                reviewed: Some((by, at)),
                ..ReportStateChange::default()
            };
            self.take_step(principal, id, ReportStep::Accept, None, change)
                .await
        } else {
            let note = returned_note(note)?;
            let change = move |by: String, at: i64| ReportStateChange {
                returned: Some((note.clone(), by, at)),
                ..ReportStateChange::default()
            };
            self.take_step(principal, id, ReportStep::ReturnByHead, None, change)
                .await
        }
    }

    /// The Sekda approves a reviewed version, or returns it with a note.
    /// An approval names the SHA-256 of the PDF the Sekda saw; it fails
    /// unless that is the hash of the stored PDF bytes of this version.
    pub async fn decide_report_version(
        &self,
        principal: &Principal,
        id: i64,
        approve: bool,
        seen_sha256: &str,
        note: &str,
    ) -> Result<ReportVersion, ServiceError> {
        if !approve {
            let note = returned_note(note)?;
            let change = move |by: String, at: i64| ReportStateChange {
                returned: Some((note.clone(), by, at)),
                ..ReportStateChange::default()
            };
            return self
                .take_step(principal, id, ReportStep::ReturnBySecretary, None, change)
                .await;
        }

        require(principal, ReportStep::Approve)?;
        let version = self.load_version(id).await?;
        let pdf = self
            .store
            .get_report_file(id, "pdf")
            .await?
            .ok_or(ServiceError::NotFound {
                entity: "report_file",
            })?;
        let actual = sha256_hex(&pdf.content);
        if actual != version.pdf_sha256 || actual != seen_sha256.trim().to_lowercase() {
            tracing::warn!(
                version = id,
                "approval rejected: the PDF hash differs from the one shown"
            );
            return Err(ServiceError::field("sha256", "report_hash_mismatch"));
        }
        let change = move |by: String, at: i64| ReportStateChange {
            approved: Some((by, at, actual.clone())),
            ..ReportStateChange::default()
        };
        self.take_step(
            principal,
            id,
            ReportStep::Approve,
            Some(version.pdf_sha256.clone()),
            change,
        )
        .await
    }

    /// The central admin publishes an approved version on the public page.
    pub async fn publish_report_version(
        &self,
        principal: &Principal,
        id: i64,
    ) -> Result<ReportVersion, ServiceError> {
        let version = self
            .report_version_for_step(principal, id, ReportStep::Publish)
            .await?;
        if version.published.is_some() {
            return Err(step_not_allowed());
        }
        let change = |by: String, at: i64| ReportStateChange {
            published: Some((by, at)),
            ..ReportStateChange::default()
        };
        self.take_step(principal, id, ReportStep::Publish, None, change)
            .await
    }

    async fn report_version_for_step(
        &self,
        principal: &Principal,
        id: i64,
        step: ReportStep,
    ) -> Result<ReportVersion, ServiceError> {
        require(principal, step)?;
        self.load_version(id).await
    }

    /// Checks the role and the state, then stores the step's change with
    /// its audit entry. The store applies it only if the state is still
    /// the one checked here.
    async fn take_step(
        &self,
        principal: &Principal,
        id: i64,
        step: ReportStep,
        pdf_sha256: Option<String>,
        change: impl Fn(String, i64) -> ReportStateChange,
    ) -> Result<ReportVersion, ServiceError> {
        let version = self.report_version_for_step(principal, id, step).await?;
        let Some(to) = next_state(step, version.state) else {
            return Err(step_not_allowed());
        };
        let mut change = change(principal.username.clone(), micros(now()));
        change.state = to.code().to_owned();
        let audit = audit_draft(
            principal,
            step,
            serde_json::json!({
                "year": version.year,
                "quarter": version.quarter,
                "number": version.number,
                "activity": rule(step).activity,
                "from": version.state.code(),
                "to": to.code(),
                "pdf_sha256": pdf_sha256.unwrap_or(version.pdf_sha256.clone()),
            }),
        );
        let applied = self
            .store
            .change_report_state(id, version.state.code(), &change, audit)
            .await?;
        if !applied {
            return Err(step_not_allowed());
        }
        tracing::info!(
            version = id,
            step = step.code(),
            to = to.code(),
            "quarterly report version changed state"
        );
        self.load_version(id).await
    }
}

fn returned_note(note: &str) -> Result<String, ServiceError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ServiceError::field("note", "required"));
    }
    check_length("note", note, NOTE_MAX_CHARS)?;
    Ok(note.to_owned())
}
