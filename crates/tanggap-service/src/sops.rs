//! SOP versions. Version 1 of each SOP is the file shipped in `sop/`; the
//! system administrator saves later versions in the application, each with
//! an effective date.
//!
//! Which version applies to a piece of work is resolved from the instant
//! the work started: the complaint's intake, or a monitoring run's start
//! (which also records its version). The version in effect at an instant
//! is the highest-numbered one whose `effective_from` (the start of its
//! effective date in local time, or its save time if that is later) is not
//! after the instant. A new version must take effect today or later, so
//! saving one never changes the version of work already started.

use crate::error::ServiceError;
use crate::{Principal, Services, now, sha256_hex};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;
use tanggap_core::Role;
use tanggap_core::sop::{SHIPPED, Sop};
use tanggap_core::validate::FieldError;
use tanggap_store::monev::SopVersionRecord;
use tanggap_store::{AuditDraft, from_micros, micros};

/// Longest SOP text accepted, in bytes.
pub const SOP_SOURCE_MAX: usize = 200_000;

/// One version of an SOP.
#[derive(Clone, Debug)]
pub struct SopVersion {
    pub sop: Sop,
    pub version: i64,
    /// Absent for a shipped version whose file gives no effective date.
    pub effective_on: Option<Date>,
    /// Work started at or after this instant uses the version.
    pub effective_from: Timestamp,
    pub source: String,
    /// Absent for the shipped version.
    pub saved_at: Option<Timestamp>,
}

/// Returns the shipped SOPs, in number order.
pub fn shipped_sops() -> Vec<SopVersion> {
    SHIPPED
        .iter()
        .filter_map(|text| {
            let sop = Sop::parse(text).ok()?;
            let effective_on = sop
                .effective_on
                .as_ref()
                .and_then(|d| d.date)
                .and_then(|d| Date::new(d.year as i16, d.month as i8, d.day as i8).ok());
            Some(SopVersion {
                version: 1,
                effective_on,
                effective_from: Timestamp::MIN,
                source: (*text).to_owned(),
                saved_at: None,
                sop,
            })
        })
        .collect()
}

/// Turns a file name slug (`05-humpro`) into an SOP number (`05/humpro`).
pub fn number_from_slug(slug: &str) -> String {
    slug.replacen('-', "/", 1)
}

fn stored_version(record: SopVersionRecord) -> Result<SopVersion, ServiceError> {
    let sop = Sop::parse(&record.source).map_err(|problems| {
        ServiceError::Internal(format!(
            "stored SOP {} version {} is invalid: {}",
            record.number,
            record.version,
            problems.join("; ")
        ))
    })?;
    Ok(SopVersion {
        sop,
        version: record.version,
        effective_on: record.effective_on.parse().ok(),
        effective_from: from_micros(record.effective_from)?,
        source: record.source,
        saved_at: Some(from_micros(record.created_at)?),
    })
}

impl Services {
    /// Lists every version of an SOP, oldest first. SOPs are public, so
    /// anyone may read them.
    pub async fn sop_versions(&self, number: &str) -> Result<Vec<SopVersion>, ServiceError> {
        let Some(first) = shipped_sops().into_iter().find(|s| s.sop.number == number) else {
            return Err(ServiceError::NotFound { entity: "sop" });
        };
        let mut versions = vec![first];
        for record in self.store.list_sop_versions(Some(number)).await? {
            versions.push(stored_version(record)?);
        }
        Ok(versions)
    }

    /// Returns the version of an SOP that applies to work started at `at`.
    pub async fn sop_in_effect(
        &self,
        number: &str,
        at: Timestamp,
    ) -> Result<SopVersion, ServiceError> {
        let versions = self.sop_versions(number).await?;
        pick_in_effect(versions, at).ok_or(ServiceError::NotFound { entity: "sop" })
    }

    /// Returns each SOP's version in effect now, in number order.
    pub async fn sops_in_effect(&self) -> Result<Vec<SopVersion>, ServiceError> {
        let mut out = Vec::new();
        for shipped in shipped_sops() {
            out.push(self.sop_in_effect(&shipped.sop.number, now()).await?);
        }
        Ok(out)
    }

    /// Checks an edited SOP text as the next version of `number`, without
    /// saving it: the rules of the SOP format, the number, the version
    /// number and an effective date of today or later.
    pub async fn check_sop_version(
        &self,
        number: &str,
        source: &str,
    ) -> Result<(Sop, Date), ServiceError> {
        let versions = self.sop_versions(number).await?;
        let expected = versions.last().map_or(1, |v| v.version) + 1;
        if source.len() > SOP_SOURCE_MAX {
            return Err(ServiceError::Validation(vec![FieldError::with_limit(
                "source",
                "too_long",
                SOP_SOURCE_MAX,
            )]));
        }
        let check = Sop::check(source);
        let mut errors = check.errors;
        let Some(sop) = check.sop else {
            return Err(ServiceError::Validation(errors));
        };
        if sop.number != number {
            errors.push(FieldError::new("number", "sop_number_mismatch"));
        }
        if i64::from(sop.version) != expected {
            errors.push(FieldError::with_limit(
                "version",
                "sop_version_expected",
                usize::try_from(expected).unwrap_or(0),
            ));
        }
        let today = self.calendar().local_date(now());
        let effective_on = sop
            .effective_on
            .as_ref()
            .and_then(|d| d.date)
            .and_then(|d| Date::new(d.year as i16, d.month as i8, d.day as i8).ok());
        match effective_on {
            None => errors.push(FieldError::new("effective_on", "required")),
            Some(date) if date < today => {
                errors.push(FieldError::new("effective_on", "sop_effective_past"));
            }
            Some(_) => {}
        }
        match (effective_on, errors.is_empty()) {
            (Some(date), true) => Ok((sop, date)),
            _ => Err(ServiceError::Validation(errors)),
        }
    }

    /// Saves an edited SOP text as the next version of `number`. Only the
    /// system administrator may.
    pub async fn save_sop_version(
        &self,
        principal: &Principal,
        number: &str,
        source: &str,
    ) -> Result<SopVersion, ServiceError> {
        if principal.role != Role::SystemAdmin {
            return Err(ServiceError::Forbidden);
        }
        let (sop, effective_on) = self.check_sop_version(number, source).await?;
        let saved_at = now();
        let start_of_day = effective_on
            .to_zoned(self.calendar().time_zone().clone())
            .map(|z| z.timestamp())
            .map_err(|e| ServiceError::Internal(format!("effective date {effective_on}: {e}")))?;
        let effective_from = start_of_day.max(saved_at);
        let record = SopVersionRecord {
            number: number.to_owned(),
            version: i64::from(sop.version),
            effective_on: effective_on.to_string(),
            effective_from: micros(effective_from),
            source: source.to_owned(),
            sha256: sha256_hex(source.as_bytes()),
            created_by: Some(principal.user_id),
            created_at: micros(saved_at),
        };
        let audit = AuditDraft {
            at_micros: micros(saved_at),
            actor: principal.actor().audit_id(),
            action: "sop.version".into(),
            entity: format!("sop:{number}"),
            details: json!({
                "version": record.version,
                "effective_on": record.effective_on,
                "sha256": record.sha256,
            }),
        };
        if !self.store.insert_sop_version(&record, audit).await? {
            return Err(ServiceError::Conflict {
                current: record.version,
            });
        }
        stored_version(record)
    }
}

/// Picks the highest version whose `effective_from` is not after `at`.
fn pick_in_effect(versions: Vec<SopVersion>, at: Timestamp) -> Option<SopVersion> {
    versions
        .into_iter()
        .filter(|v| v.effective_from <= at)
        .max_by_key(|v| v.version)
}
