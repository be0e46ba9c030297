//! Reference data: agencies, regions, categories and holidays.
//!
//! Loaded from the CSV and JSON files in `data/` by `tanggap seed`, then
//! editable master data. An in-memory copy answers the checks made on every
//! request (does this agency exist?) and is rebuilt after each change.

use crate::error::ServiceError;
use crate::{Services, now};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use tanggap_core::WorkingCalendar;
use tanggap_store::{Agency, AuditDraft, Category, Holiday, Region, micros};

/// Name of the setting that contains the time standards saved in the application.
pub(crate) const TIME_STANDARDS_SETTING: &str = "time_standards";

/// Reference data that requests are checked against.
#[derive(Debug, Default)]
pub struct ReferenceCache {
    agencies: HashMap<String, Agency>,
    /// (category, subcategory); the category itself has an empty subcategory.
    categories: HashSet<(String, String)>,
    kelurahan: HashSet<String>,
    region_names: HashMap<String, String>,
}

impl ReferenceCache {
    pub fn agency_exists(&self, code: &str) -> bool {
        self.agencies.get(code).is_some_and(|a| a.active)
    }

    pub fn agency_name(&self, code: &str) -> Option<&str> {
        self.agencies.get(code).map(|a| a.name.as_str())
    }

    pub fn category_exists(&self, category: &str) -> bool {
        self.categories
            .contains(&(category.to_owned(), String::new()))
    }

    pub fn subcategory_exists(&self, category: &str, subcategory: &str) -> bool {
        self.categories
            .contains(&(category.to_owned(), subcategory.to_owned()))
    }

    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.region_names.get(code).map(String::as_str)
    }

    pub fn kelurahan_exists(&self, code: &str) -> bool {
        self.kelurahan.contains(code)
    }
}

/// Counts of what `seed` loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub agencies: usize,
    pub regions: usize,
    pub categories: usize,
    pub holidays: usize,
}

/// The reference files' contents.
pub struct ReferenceData<'a> {
    /// `perangkat-daerah-banjarmasin.csv`: kode, nama, singkatan, jenis.
    pub agencies_csv: &'a str,
    /// `wilayah-banjarmasin.csv`: kode, nama, tingkat, kode_induk.
    pub regions_csv: &'a str,
    /// `lapor-categories.json`: category name to subcategory names.
    pub categories_json: &'a str,
    /// `hari-libur-2025-2026.csv`: tanggal, jenis, keterangan.
    pub holidays_csv: &'a str,
}

fn read(dir: &Path, name: &str) -> Result<String, ServiceError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path)
        .map_err(|e| ServiceError::Internal(format!("cannot read {}: {e}", path.display())))
}

fn csv_rows(text: &str, name: &str) -> Result<Vec<HashMap<String, String>>, ServiceError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ServiceError::Internal(format!("{name}: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ServiceError::Internal(format!("{name}: {e}")))?;
        rows.push(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.trim().to_owned()))
                .collect(),
        );
    }
    Ok(rows)
}

fn field(row: &HashMap<String, String>, name: &str) -> String {
    row.get(name).cloned().unwrap_or_default()
}

fn nonempty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl Services {
    /// Loads the reference files from `dir` (laid out like the project's `data/`).
    pub async fn seed_reference_dir(&self, dir: &Path) -> Result<SeedReport, ServiceError> {
        let agencies_csv = read(dir, "perangkat-daerah-banjarmasin.csv")?;
        let regions_csv = read(dir, "wilayah-banjarmasin.csv")?;
        let categories_json = read(dir, "lapor-categories.json")?;
        let holidays_csv = read(dir, "hari-libur-2025-2026.csv")?;
        self.seed_reference(ReferenceData {
            agencies_csv: &agencies_csv,
            regions_csv: &regions_csv,
            categories_json: &categories_json,
            holidays_csv: &holidays_csv,
        })
        .await
    }

    /// Loads reference data. Running it again updates rows in place and adds
    /// new ones; nothing is removed.
    pub async fn seed_reference(
        &self,
        data: ReferenceData<'_>,
    ) -> Result<SeedReport, ServiceError> {
        let at = micros(now());
        let audit = |what: &str, count: usize| AuditDraft {
            at_micros: at,
            actor: "system".into(),
            action: "reference.seed".into(),
            entity: format!("reference:{what}"),
            details: json!({ "rows": count }),
        };

        let agencies: Vec<Agency> = csv_rows(data.agencies_csv, "agencies")?
            .into_iter()
            .map(|r| Agency {
                code: field(&r, "kode"),
                name: field(&r, "nama"),
                short_name: nonempty(field(&r, "singkatan")),
                kind: field(&r, "jenis"),
                active: true,
            })
            .collect();
        self.store
            .upsert_agencies(&agencies, audit("agencies", agencies.len()))
            .await?;

        let regions: Vec<Region> = csv_rows(data.regions_csv, "regions")?
            .into_iter()
            .map(|r| Region {
                code: field(&r, "kode"),
                name: field(&r, "nama"),
                level: field(&r, "tingkat"),
                parent_code: nonempty(field(&r, "kode_induk")),
            })
            .collect();
        self.store
            .upsert_regions(&regions, audit("regions", regions.len()))
            .await?;

        let taxonomy: BTreeMap<String, Vec<String>> = serde_json::from_str(data.categories_json)
            .map_err(|e| ServiceError::Internal(format!("lapor-categories.json: {e}")))?;
        let mut categories = Vec::new();
        for (category, subcategories) in taxonomy {
            categories.push(Category {
                category: category.clone(),
                subcategory: String::new(),
                active: true,
            });
            let mut seen = HashSet::new();
            for sub in subcategories {
                if seen.insert(sub.clone()) {
                    categories.push(Category {
                        category: category.clone(),
                        subcategory: sub,
                        active: true,
                    });
                }
            }
        }
        self.store
            .upsert_categories(&categories, audit("categories", categories.len()))
            .await?;

        let mut holidays = Vec::new();
        for r in csv_rows(data.holidays_csv, "holidays")? {
            let day = field(&r, "tanggal");
            holidays.push(Holiday {
                day: day
                    .parse()
                    .map_err(|e| ServiceError::Internal(format!("holiday date {day:?}: {e}")))?,
                kind: field(&r, "jenis"),
                description: field(&r, "keterangan"),
            });
        }
        self.store
            .upsert_holidays(&holidays, audit("holidays", holidays.len()))
            .await?;

        self.reload_reference().await?;
        Ok(SeedReport {
            agencies: agencies.len(),
            regions: regions.len(),
            categories: categories.len(),
            holidays: holidays.len(),
        })
    }

    /// Rebuilds the calendar and the reference cache from the store.
    pub async fn reload_reference(&self) -> Result<(), ServiceError> {
        let holidays = self.store.list_holidays().await?;
        let regions = self.store.list_regions().await?;
        let calendar = WorkingCalendar::new(
            self.config.time_zone.clone(),
            holidays.iter().map(|h| h.day),
        );
        let cache = ReferenceCache {
            agencies: self
                .store
                .list_agencies()
                .await?
                .into_iter()
                .map(|a| (a.code.clone(), a))
                .collect(),
            categories: self
                .store
                .list_categories()
                .await?
                .into_iter()
                .filter(|c| c.active)
                .map(|c| (c.category, c.subcategory))
                .collect(),
            kelurahan: regions
                .iter()
                .filter(|r| r.level == "kelurahan")
                .map(|r| r.code.clone())
                .collect(),
            region_names: regions.into_iter().map(|r| (r.code, r.name)).collect(),
        };
        // Time standards saved by an administrator replace the configured ones.
        if let Some(saved) = self.store.get_setting(TIME_STANDARDS_SETTING).await? {
            match serde_json::from_str::<tanggap_core::TimeStandards>(&saved) {
                Ok(standards) => {
                    if let Ok(mut slot) = self.standards.write() {
                        *slot = Arc::new(standards);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "saved time standards are invalid; using the configured ones")
                }
            }
        }
        if let Ok(mut slot) = self.calendar.write() {
            *slot = Arc::new(calendar);
        }
        if let Ok(mut slot) = self.reference.write() {
            *slot = Arc::new(cache);
        }
        Ok(())
    }

    /// Active agencies as (code, name), sorted by name, for forms.
    pub fn agency_options(&self) -> Vec<(String, String)> {
        let cache = self.reference_cache();
        let mut options: Vec<(String, String)> = cache
            .agencies
            .values()
            .filter(|a| a.active)
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect();
        options.sort_by(|a, b| a.1.cmp(&b.1));
        options
    }

    /// Names of the active top-level categories, sorted.
    pub fn category_names(&self) -> Vec<String> {
        let cache = self.reference_cache();
        let mut names: Vec<String> = cache
            .categories
            .iter()
            .filter(|(_, sub)| sub.is_empty())
            .map(|(category, _)| category.clone())
            .collect();
        names.sort();
        names
    }

    /// Kelurahan as (code, "Kelurahan, Kecamatan"), sorted by code.
    pub fn kelurahan_options(&self) -> Vec<(String, String)> {
        let cache = self.reference_cache();
        let mut options: Vec<(String, String)> = cache
            .kelurahan
            .iter()
            .map(|code| {
                let name = cache.region_name(code).unwrap_or(code);
                let kecamatan = code
                    .get(..8)
                    .and_then(|k| cache.region_name(k))
                    .unwrap_or_default();
                (code.clone(), format!("{name}, {kecamatan}"))
            })
            .collect();
        options.sort();
        options
    }

    pub async fn agencies(&self) -> Result<Vec<Agency>, ServiceError> {
        Ok(self.store.list_agencies().await?)
    }

    pub async fn regions(&self) -> Result<Vec<Region>, ServiceError> {
        Ok(self.store.list_regions().await?)
    }

    pub async fn categories(&self) -> Result<Vec<Category>, ServiceError> {
        Ok(self.store.list_categories().await?)
    }

    pub async fn holidays(&self) -> Result<Vec<Holiday>, ServiceError> {
        Ok(self.store.list_holidays().await?)
    }
}
