//! Figures for the staff home pages and dashboards, always within the
//! caller's scope.

use crate::complaints::scope_for;
use crate::error::ServiceError;
use crate::{Principal, Services, now};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tanggap_core::Status;
use tanggap_store::{ComplaintFilter, GroupBy, micros};

/// Counts per value; the value is a code (status, channel, agency) or a name.
pub type Counts = Vec<(Option<String>, i64)>;

/// What a dashboard shows.
#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub by_status: Counts,
    pub by_agency: Counts,
    pub by_channel: Counts,
    pub by_category: Counts,
    /// Keyed by the kecamatan's Kemendagri code.
    pub by_kecamatan: Counts,
    pub overdue_by_agency: Counts,
    /// Complaints that arrived today (local time), per channel.
    pub today_by_channel: Counts,
}

const OPEN_STATUSES: &[Status] = &[
    Status::Received,
    Status::OnHold,
    Status::Verified,
    Status::Dispatched,
    Status::InProgress,
    Status::Responded,
    Status::Returned,
];

/// How long a computed dashboard may be shown again. The counts cover the
/// whole history, so on a large database computing them takes seconds.
/// Any change to a complaint makes the next request compute them again,
/// and this limit bounds how stale the time-dependent counts (overdue,
/// today) can be.
const DASHBOARD_REUSE: Duration = Duration::from_secs(60);

/// Dashboards computed recently, keyed by scope, with the newest audit
/// sequence number at the time each was computed.
#[derive(Clone, Default)]
pub(crate) struct DashboardCache(Arc<Mutex<HashMap<String, CachedDashboard>>>);

struct CachedDashboard {
    computed: Instant,
    audit_seq: i64,
    dashboard: Dashboard,
}

impl DashboardCache {
    fn get(&self, key: &str, audit_seq: i64) -> Option<Dashboard> {
        let entries = self.0.lock().ok()?;
        let cached = entries.get(key)?;
        (cached.audit_seq == audit_seq && cached.computed.elapsed() < DASHBOARD_REUSE)
            .then(|| cached.dashboard.clone())
    }

    fn put(&self, key: String, audit_seq: i64, dashboard: &Dashboard) {
        if let Ok(mut entries) = self.0.lock() {
            entries.retain(|_, c| c.computed.elapsed() < DASHBOARD_REUSE);
            entries.insert(
                key,
                CachedDashboard {
                    computed: Instant::now(),
                    audit_seq,
                    dashboard: dashboard.clone(),
                },
            );
        }
    }
}

impl Services {
    /// Returns the dashboard figures for the caller's scope: computed again
    /// when a complaint changed since the last time or after a minute, and
    /// otherwise the ones computed then.
    pub async fn dashboard(&self, principal: &Principal) -> Result<Dashboard, ServiceError> {
        let scope = scope_for(principal)?;
        let key = format!("{scope:?}");
        let audit_seq = self.store.latest_audit_seq().await?;
        if let Some(dashboard) = self.dashboards.get(&key, audit_seq) {
            return Ok(dashboard);
        }
        let dashboard = self.compute_dashboard(scope).await?;
        self.dashboards.put(key, audit_seq, &dashboard);
        Ok(dashboard)
    }

    async fn compute_dashboard(
        &self,
        scope: tanggap_store::Scope,
    ) -> Result<Dashboard, ServiceError> {
        let at = now();
        let all = ComplaintFilter {
            scope: scope.clone(),
            ..ComplaintFilter::default()
        };
        let open = ComplaintFilter {
            statuses: OPEN_STATUSES.to_vec(),
            ..all.clone()
        };
        let overdue = ComplaintFilter {
            due_before: Some(micros(at)),
            ..all.clone()
        };
        let calendar = self.calendar();
        let today_start = calendar.end_of_day(
            calendar
                .local_date(at)
                .yesterday()
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        let today = ComplaintFilter {
            received_from: Some(micros(today_start)),
            ..all.clone()
        };

        let by_status = self.store.count_grouped(&all, GroupBy::Status).await?;
        let sum = |counts: &Counts| counts.iter().map(|(_, n)| n).sum::<i64>();
        let overdue_by_agency = self
            .store
            .count_grouped(&overdue, GroupBy::LeadAgency)
            .await?;
        Ok(Dashboard {
            total: sum(&by_status),
            open: sum(&self.store.count_grouped(&open, GroupBy::Status).await?),
            overdue: sum(&overdue_by_agency),
            by_agency: self.store.count_grouped(&all, GroupBy::LeadAgency).await?,
            by_channel: self.store.count_grouped(&all, GroupBy::Channel).await?,
            by_category: self.store.count_grouped(&all, GroupBy::Category).await?,
            by_kecamatan: self.store.count_grouped(&all, GroupBy::Kecamatan).await?,
            today_by_channel: self.store.count_grouped(&today, GroupBy::Channel).await?,
            by_status,
            overdue_by_agency,
        })
    }

    /// Returns the agency's name, or `None` for an unknown code.
    pub fn agency_name(&self, code: &str) -> Option<String> {
        self.reference_cache().agency_name(code).map(str::to_owned)
    }

    /// Returns the region's name for a Kemendagri code.
    pub fn region_name(&self, code: &str) -> Option<String> {
        self.reference_cache().region_name(code).map(str::to_owned)
    }

    /// Working days from today to the due day of `due_at`: 0 on the due
    /// day itself, negative once it has passed.
    pub fn working_days_left(&self, due_at: Timestamp) -> i64 {
        let calendar = self.calendar();
        let today = calendar.local_date(now());
        let due = calendar.due_date(due_at);
        if due >= today {
            calendar.working_days_between(today, due)
        } else {
            -calendar.working_days_between(due, today)
        }
    }
}
