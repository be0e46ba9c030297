//! Import of spreadsheet rows as complaints.
//!
//! A row with a LAPOR! tracking ID is keyed on `lapor:<ID>`, the same
//! idempotency key as the LAPOR! sync, so a report imported from a sheet
//! and later pulled (or the reverse) is one complaint. A row without one
//! is keyed on a hash of its mapped values. Re-importing the same file
//! therefore creates nothing; a row whose content was corrected in between
//! and has no tracking ID becomes a new complaint.

use super::dates::parse_datetime;
use super::{Field, Format, Layout, Mapping, ReadError, Table, normalise};
use crate::error::ServiceError;
use crate::import::{parse_channel, parse_type};
use crate::lapor::sync::{LAPOR_KEY_USER_ID, lapor_claim};
use crate::{Principal, Services, now, sha256_hex};
use serde_json::json;
use tanggap_core::lifecycle::{Actor, Intake};
use tanggap_core::{Channel, Location, Reporter, Role};
use tanggap_store::{AuditDraft, IdempotencyClaim, micros};

/// Prefix of the setting that remembers a source's column mapping.
const MAPPING_SETTING: &str = "import.mapping.";
/// Maximum length of a source name, in characters.
const SOURCE_MAX: usize = 60;

/// Options of a spreadsheet import.
#[derive(Clone, Debug, Default)]
pub struct SpreadsheetOptions {
    /// Name of the source (e.g. `lapor-dashboard`); its mapping is
    /// remembered and used when no mapping is given.
    pub source: Option<String>,
    /// Field to header text; overrides the built-in header names.
    pub mapping: Option<Mapping>,
    /// Check every row without importing anything.
    pub dry_run: bool,
    /// Channel of rows without a channel column or tracking ID; LAPOR!
    /// when unset.
    pub default_channel: Option<Channel>,
}

/// A row left out, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based row number as the spreadsheet program shows it.
    pub row: usize,
    pub reason: String,
}

/// Outcome of an import (or of a dry run).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SpreadsheetReport {
    /// 1-based row number of the header row.
    pub header_row: usize,
    /// Field code and header text of each mapped column.
    pub columns: Vec<(String, String)>,
    /// Data rows seen (empty rows not counted).
    pub rows: usize,
    pub imported: usize,
    /// Rows imported before, left unchanged.
    pub unchanged: usize,
    /// Rows that passed the checks of a dry run.
    pub valid: usize,
    pub rejected: Vec<RowError>,
}

/// A parsed row, ready to register.
struct Row {
    intake: Intake,
    claim: IdempotencyClaim,
}

fn validate_source(source: &str) -> Result<String, ServiceError> {
    let source = source.trim();
    if source.is_empty()
        || source.chars().count() > SOURCE_MAX
        || !source
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ServiceError::field("source", "invalid_source"));
    }
    Ok(source.to_lowercase())
}

fn parse_flag(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(false);
    };
    match normalise(value).as_str() {
        "ya" | "y" | "yes" | "true" | "1" | "x" | "v" | "benar" => Ok(true),
        "tidak" | "t" | "no" | "n" | "false" | "0" | "" | "bukan" => Ok(false),
        _ => Err(format!("{value:?} is not yes or no")),
    }
}

impl Services {
    /// Reads the column mapping remembered for `source`.
    pub async fn remembered_mapping(&self, source: &str) -> Result<Option<Mapping>, ServiceError> {
        let source = validate_source(source)?;
        let Some(text) = self
            .store
            .get_setting(&format!("{MAPPING_SETTING}{source}"))
            .await?
        else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&text).ok())
    }

    async fn remember_mapping(
        &self,
        actor: &str,
        source: &str,
        mapping: &Mapping,
    ) -> Result<(), ServiceError> {
        let name = format!("{MAPPING_SETTING}{source}");
        let value = serde_json::to_string(mapping)
            .map_err(|e| ServiceError::Internal(format!("mapping does not serialise: {e}")))?;
        if self.store.get_setting(&name).await?.as_deref() == Some(value.as_str()) {
            return Ok(());
        }
        let audit = AuditDraft {
            at_micros: micros(now()),
            actor: actor.to_owned(),
            action: "import.mapping".into(),
            entity: format!("setting:{name}"),
            details: json!({ "fields": mapping.keys().map(|f| f.code()).collect::<Vec<_>>() }),
        };
        self.store.put_setting(&name, &value, audit).await?;
        Ok(())
    }

    /// Reads a spreadsheet and finds its layout with the mapping of
    /// `options` (or the source's remembered one).
    pub async fn spreadsheet_layout(
        &self,
        content: &[u8],
        format: Format,
        options: &SpreadsheetOptions,
    ) -> Result<(Table, Layout), ServiceError> {
        let mapping = match (&options.mapping, &options.source) {
            (Some(mapping), _) => mapping.clone(),
            (None, Some(source)) => self.remembered_mapping(source).await?.unwrap_or_default(),
            (None, None) => Mapping::new(),
        };
        let table = Table::read(content, format).map_err(read_error)?;
        let layout = table.layout(&mapping).map_err(read_error)?;
        Ok((table, layout))
    }

    /// Imports a spreadsheet for `principal` (the central admin); see
    /// [`Services::import_spreadsheet_as`].
    pub async fn import_spreadsheet(
        &self,
        principal: &Principal,
        content: &[u8],
        format: Format,
        options: &SpreadsheetOptions,
        progress: impl FnMut(usize, usize),
    ) -> Result<SpreadsheetReport, ServiceError> {
        if principal.role != Role::CentralAdmin {
            return Err(ServiceError::Forbidden);
        }
        let admin = principal.actor();
        self.import_spreadsheet_as(&admin, content, format, options, progress)
            .await
    }

    /// Imports the rows of a spreadsheet; rows with errors are listed and
    /// left out while the rest are imported. `progress` receives the rows
    /// done and the total. The command line calls this with a central
    /// admin actor of its own.
    pub async fn import_spreadsheet_as(
        &self,
        admin: &Actor,
        content: &[u8],
        format: Format,
        options: &SpreadsheetOptions,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<SpreadsheetReport, ServiceError> {
        let source = options.source.as_deref().map(validate_source).transpose()?;
        let (table, layout) = self.spreadsheet_layout(content, format, options).await?;
        if let Some(source) = &source
            && !options.dry_run
        {
            self.remember_mapping(&admin.audit_id(), source, &layout.mapping())
                .await?;
        }

        let mut report = SpreadsheetReport {
            header_row: layout.header_row + 1,
            columns: layout
                .columns
                .iter()
                .map(|(field, column)| {
                    (
                        field.code().to_owned(),
                        layout.headers.get(*column).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            ..SpreadsheetReport::default()
        };
        let header = normalise(&layout.headers.join(" "));
        let data: Vec<(usize, &Vec<String>)> = table
            .rows
            .iter()
            .enumerate()
            .skip(layout.header_row + 1)
            .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
            // A header repeated on every printed page is not a row.
            .filter(|(_, row)| normalise(&row.join(" ")) != header)
            .collect();
        let total = data.len();
        report.rows = total;

        for (done, (index, cells)) in data.into_iter().enumerate() {
            let number = index + 1;
            match self.import_row(admin, &layout, cells, options).await {
                Ok(RowOutcome::Imported) => report.imported += 1,
                Ok(RowOutcome::Unchanged) => report.unchanged += 1,
                Ok(RowOutcome::Valid) => report.valid += 1,
                Err(RowFailure::Rejected(reason)) => report.rejected.push(RowError {
                    row: number,
                    reason,
                }),
                Err(RowFailure::Service(e)) => return Err(e),
            }
            progress(done + 1, total);
        }

        if !options.dry_run {
            self.store
                .append_audit(AuditDraft {
                    at_micros: micros(now()),
                    actor: admin.audit_id(),
                    action: "import.spreadsheet".into(),
                    entity: format!("import:{}", source.as_deref().unwrap_or("-")),
                    details: json!({
                        "format": format,
                        "rows": report.rows,
                        "imported": report.imported,
                        "unchanged": report.unchanged,
                        "rejected": report.rejected.len(),
                    }),
                })
                .await?;
        }
        tracing::info!(
            rows = report.rows,
            imported = report.imported,
            unchanged = report.unchanged,
            rejected = report.rejected.len(),
            dry_run = options.dry_run,
            "spreadsheet import finished"
        );
        Ok(report)
    }

    async fn import_row(
        &self,
        admin: &Actor,
        layout: &Layout,
        cells: &[String],
        options: &SpreadsheetOptions,
    ) -> Result<RowOutcome, RowFailure> {
        let row = self.parse_row(layout, cells, options)?;
        if options.dry_run {
            let intake = row.intake.validated(now()).map_err(|errors| {
                RowFailure::Rejected(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.code))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
            self.check_intake_references(&intake).map_err(rejection)?;
            return Ok(RowOutcome::Valid);
        }
        let actor = if row.intake.channel == Some(Channel::Lapor) {
            Actor::system()
        } else {
            admin.clone()
        };
        let at = row.intake.received_at.unwrap_or_else(now);
        match self.register(&actor, row.intake, at, Some(row.claim)).await {
            Ok(crate::complaints::Registered::New(..)) => Ok(RowOutcome::Imported),
            Ok(crate::complaints::Registered::Replayed(_)) => Ok(RowOutcome::Unchanged),
            Err(e) => Err(rejection(e)),
        }
    }

    /// Turns a row into an intake and its idempotency claim.
    fn parse_row(
        &self,
        layout: &Layout,
        cells: &[String],
        options: &SpreadsheetOptions,
    ) -> Result<Row, RowFailure> {
        let value = |field| layout.value(cells, field);
        let reject = |reason: String| RowFailure::Rejected(reason);

        let body = value(Field::Body).ok_or_else(|| reject("the report text is empty".into()))?;
        let received_at = value(Field::ReceivedAt)
            .ok_or_else(|| reject("the date is empty".into()))
            .and_then(|d| parse_datetime(d, &self.config.time_zone).map_err(reject))?;
        let complaint_type = match value(Field::Classification) {
            None => Some(tanggap_core::ComplaintType::Complaint),
            Some(text) => Some(
                parse_type(&normalise(text).replace(' ', "_"))
                    .ok_or_else(|| reject(format!("unknown classification {text:?}")))?,
            ),
        };
        let tracking_id = value(Field::TrackingId).map(|t| t.trim_start_matches('#').to_owned());
        let channel = match (&tracking_id, value(Field::Channel)) {
            (Some(_), _) => Channel::Lapor,
            (None, Some(text)) => parse_channel(&normalise(text).replace(' ', "_"))
                .ok_or_else(|| reject(format!("unknown channel {text:?}")))?,
            (None, None) => options.default_channel.unwrap_or(Channel::Lapor),
        };

        let reference = self.reference_cache();
        let (category, subcategory) = match value(Field::Category) {
            Some(category) if reference.category_exists(category) => (
                Some(category.to_owned()),
                value(Field::Subcategory)
                    .filter(|sub| reference.subcategory_exists(category, sub))
                    .map(str::to_owned),
            ),
            // An unknown category is left for verification to set.
            _ => (None, None),
        };
        let mut address = value(Field::Address).map(str::to_owned);
        let kelurahan_code = match value(Field::Kelurahan) {
            Some(code) if reference.kelurahan_exists(code) => Some(code.to_owned()),
            Some(name) => {
                let wanted = normalise(name);
                let found = self
                    .kelurahan_options()
                    .into_iter()
                    .find(|(_, label)| {
                        normalise(label.split(',').next().unwrap_or_default()) == wanted
                    })
                    .map(|(code, _)| code);
                if found.is_none() {
                    // Kept as address text so that no value of the sheet is lost.
                    address = Some(match address {
                        Some(a) => format!("{a}, {name}"),
                        None => name.to_owned(),
                    });
                }
                found
            }
            None => None,
        };

        let intake = Intake {
            channel: Some(channel),
            channel_reference: match channel {
                Channel::Lapor => tracking_id.clone(),
                Channel::Telephone | Channel::Whatsapp | Channel::Sms => {
                    value(Field::Phone).map(str::to_owned)
                }
                Channel::Email => value(Field::Email).map(str::to_owned),
                _ => None,
            },
            received_at: Some(received_at),
            complaint_type,
            title: value(Field::Title).map(str::to_owned),
            body: Some(body.to_owned()),
            category,
            subcategory,
            tags: Vec::new(),
            location: Location {
                text: address,
                kelurahan_code,
                latitude: None,
                longitude: None,
            },
            reporter: Reporter {
                name: value(Field::ReporterName).map(str::to_owned),
                phone: value(Field::Phone).map(str::to_owned),
                email: value(Field::Email).map(str::to_owned),
                nik: None,
                address: None,
            },
            anonymous: parse_flag(value(Field::Anonymous)).map_err(reject)?,
            confidential: parse_flag(value(Field::Confidential)).map_err(reject)?,
        };

        let claim = match &tracking_id {
            Some(id) => lapor_claim(id),
            None => {
                let values: Vec<&str> = Field::ALL
                    .iter()
                    .map(|f| value(*f).unwrap_or_default())
                    .collect();
                let key = format!("sheet:{}", sha256_hex(values.join("\u{1f}").as_bytes()));
                IdempotencyClaim {
                    user_id: LAPOR_KEY_USER_ID,
                    request_hash: sha256_hex(key.as_bytes()),
                    key,
                }
            }
        };
        Ok(Row { intake, claim })
    }
}

enum RowOutcome {
    Imported,
    Unchanged,
    Valid,
}

enum RowFailure {
    Rejected(String),
    /// A failure of the system (the database), which stops the import.
    Service(ServiceError),
}

fn rejection(error: ServiceError) -> RowFailure {
    match error {
        ServiceError::Validation(errors) => RowFailure::Rejected(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.code))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ServiceError::IdempotencyKeyReused => {
            RowFailure::Rejected("imported before with different content".into())
        }
        other => RowFailure::Service(other),
    }
}

fn file_too_large() -> ServiceError {
    ServiceError::Validation(vec![tanggap_core::validate::FieldError::with_limit(
        "file",
        "file_too_large",
        super::FILE_MAX_BYTES / (1024 * 1024),
    )])
}

fn read_error(error: ReadError) -> ServiceError {
    if error == ReadError::TooLarge {
        return file_too_large();
    }
    ServiceError::field(
        "file",
        match error {
            ReadError::TooLarge => "file_too_large",
            ReadError::Xlsx(_) | ReadError::Csv(_) | ReadError::NoSheet => "unreadable_spreadsheet",
            ReadError::TooManyRows => "too_many_rows",
            ReadError::NoHeader => "no_header_row",
        },
    )
}

/// Folder under `upload_dir` of spreadsheets uploaded on the staff page,
/// kept between the preview and the import.
const STAGING_FOLDER: &str = "imports";

impl Services {
    /// Stores a spreadsheet uploaded on the staff page until it is
    /// imported, and returns its id (the SHA-256 of the content). Only the
    /// central admin imports.
    pub async fn stage_spreadsheet(
        &self,
        principal: &Principal,
        content: Vec<u8>,
    ) -> Result<String, ServiceError> {
        if principal.role != Role::CentralAdmin {
            return Err(ServiceError::Forbidden);
        }
        if content.is_empty() {
            return Err(ServiceError::field("file", "required"));
        }
        if content.len() > super::FILE_MAX_BYTES {
            return Err(file_too_large());
        }
        let id = sha256_hex(&content);
        let folder = self.config.upload_dir.join(STAGING_FOLDER);
        let path = folder.join(&id);
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&folder)?;
            std::fs::write(&path, &content)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("storing a spreadsheet failed: {e}")))?
        .map_err(|e| {
            ServiceError::Internal(format!(
                "writing a spreadsheet under {} failed (check that upload_dir is writable): {e}",
                self.config.upload_dir.display()
            ))
        })?;
        Ok(id)
    }

    /// Reads a spreadsheet stored by [`Services::stage_spreadsheet`].
    pub async fn staged_spreadsheet(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Vec<u8>, ServiceError> {
        if principal.role != Role::CentralAdmin {
            return Err(ServiceError::Forbidden);
        }
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ServiceError::NotFound { entity: "file" });
        }
        let path = self.config.upload_dir.join(STAGING_FOLDER).join(id);
        tokio::fs::read(path)
            .await
            .map_err(|_| ServiceError::NotFound { entity: "file" })
    }
}
