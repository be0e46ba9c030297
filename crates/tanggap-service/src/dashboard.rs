//! Figures for the staff home pages and dashboards, always within the
//! caller's scope.

use crate::complaints::scope_for;
use crate::error::ServiceError;
use crate::{Principal, Services, now};
use jiff::Timestamp;
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

impl Services {
    /// Computes the dashboard figures for the caller's scope.
    pub async fn dashboard(&self, principal: &Principal) -> Result<Dashboard, ServiceError> {
        let scope = scope_for(principal)?;
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
