//! Use cases of Tanggap, and the one place where authorization is decided.
//!
//! The web layer, the command line and the channel adapters call
//! [`Services`]; none of them touches the store directly. Each method checks
//! who is asking, applies the domain rules from `tanggap-core`, and writes
//! the change with its audit entry in one store transaction.

use std::sync::{Arc, RwLock};
use tanggap_core::lifecycle::Context;
use tanggap_core::{TimeStandards, WorkingCalendar};
use tanggap_store::Store;

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod complaints;
pub mod compliance;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod generate;
pub mod import;
pub mod jobs;
pub mod lapor;
pub mod monev;
pub mod notify;
pub mod open311;
pub mod portal;
pub mod reference;
pub mod report;
pub mod report_versions;
pub mod retention;
pub mod sops;
pub mod spreadsheet;
pub mod transparency;
pub mod triage;

pub use auth::Principal;
pub use error::ServiceError;

/// Settings the services need; loaded by the binary from configuration.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Prefix of tracking numbers, e.g. `BJM` gives `BJM-26-000123`.
    pub tracking_prefix: String,
    pub time_zone: jiff::tz::TimeZone,
    pub standards: TimeStandards,
    /// How long a sign-in session lasts.
    pub session_hours: i64,
    /// Failed sign-ins in a row that lock an account.
    pub lockout_failures: i64,
    pub lockout_minutes: i64,
    /// Directory of uploaded files, outside the web root; created on the
    /// first upload.
    pub upload_dir: std::path::PathBuf,
    /// The public portal's retention period and rate limits.
    pub portal: portal::PortalConfig,
    /// Inbound channels of the triage inbox; each is off until configured.
    pub triage: triage::TriageConfig,
    /// Notifications to reporters: channels, retries, the tracking link.
    pub notifications: notify::NotifyConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            tracking_prefix: "BJM".into(),
            time_zone: jiff::tz::TimeZone::get("Asia/Makassar").unwrap_or(jiff::tz::TimeZone::UTC),
            standards: TimeStandards::default(),
            session_hours: 12,
            lockout_failures: 5,
            lockout_minutes: 15,
            upload_dir: std::path::PathBuf::from("./tanggap-files"),
            portal: portal::PortalConfig::default(),
            triage: triage::TriageConfig::default(),
            notifications: notify::NotifyConfig::default(),
        }
    }
}

/// Everything a request handler, a job or a command needs.
#[derive(Clone)]
pub struct Services {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<ServiceConfig>,
    /// Rebuilt whenever holidays change.
    pub(crate) calendar: Arc<RwLock<Arc<WorkingCalendar>>>,
    pub(crate) reference: Arc<RwLock<Arc<reference::ReferenceCache>>>,
    /// The configured time standards, or those an administrator saved.
    pub(crate) standards: Arc<RwLock<Arc<TimeStandards>>>,
    /// Dashboards computed recently, per scope.
    pub(crate) dashboards: dashboard::DashboardCache,
    /// The LAPOR! connector; `None` turns the synchronisation off.
    pub(crate) lapor: Arc<RwLock<Option<lapor::sync::LaporSetup>>>,
    /// Channels and texts for notifications, installed by the binary.
    pub(crate) outbound: Arc<RwLock<Option<Arc<notify::Outbound>>>>,
}

impl Services {
    /// Builds the services over a migrated store and loads the calendar
    /// and reference data from it.
    pub async fn new(store: Arc<dyn Store>, config: ServiceConfig) -> Result<Self, ServiceError> {
        let calendar = WorkingCalendar::new(config.time_zone.clone(), []);
        let services = Self {
            store,
            config: Arc::new(config.clone()),
            calendar: Arc::new(RwLock::new(Arc::new(calendar))),
            reference: Arc::new(RwLock::new(Arc::new(reference::ReferenceCache::default()))),
            standards: Arc::new(RwLock::new(Arc::new(config.standards.clone()))),
            dashboards: dashboard::DashboardCache::default(),
            lapor: Arc::new(RwLock::new(None)),
            outbound: Arc::default(),
        };
        services.reload_reference().await?;
        Ok(services)
    }

    pub fn store_kind(&self) -> &'static str {
        self.store.kind()
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Checks that the database responds, for `/readyz`.
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.store.ping().await?;
        Ok(())
    }

    pub fn calendar(&self) -> Arc<WorkingCalendar> {
        self.calendar
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    pub(crate) fn reference_cache(&self) -> Arc<reference::ReferenceCache> {
        self.reference
            .read()
            .map(|r| Arc::clone(&r))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// Returns the time standards in force.
    pub fn standards(&self) -> Arc<TimeStandards> {
        self.standards
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// Runs `f` with the lifecycle context of the current calendar.
    pub(crate) fn with_context<T>(&self, f: impl FnOnce(Context<'_>) -> T) -> T {
        let calendar = self.calendar();
        let standards = self.standards();
        f(Context {
            calendar: &calendar,
            standards: &standards,
        })
    }

    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// Current instant; one place so that the demo and tests can reason about it.
pub(crate) fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Returns `n` random bytes as lowercase hex, from the operating system's generator.
pub(crate) fn random_hex(n: usize) -> Result<String, ServiceError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("random number generator failed: {e}")))?;
    Ok(hex::encode(bytes))
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}
