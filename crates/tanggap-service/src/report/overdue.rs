//! The appendix of the quarterly report: the complaints overdue at the
//! period end, without any data about the reporter.

use super::Period;
use super::compute::replay;
use crate::complaints::scope_for;
use crate::error::ServiceError;
use crate::{Principal, Services};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tanggap_store::Scope;

/// One complaint open at the period end whose current deadline had passed.
/// It carries the tracking number and codes only: no reporter, text or
/// address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueComplaint {
    pub tracking_number: String,
    /// Local date of arrival.
    pub received_on: Date,
    /// Lead agency code at the period end.
    pub agency: Option<String>,
    pub category: Option<String>,
    /// Status code at the period end.
    pub status: String,
    /// Local date of the deadline that had passed.
    pub due_on: Date,
    /// Working days from the due day to the last day of the period.
    pub working_days_overdue: i64,
}

impl Services {
    /// Lists the complaints overdue at the end of `period`, longest overdue
    /// first. The same rule as the `overdue_at_end` figure selects them.
    pub async fn overdue_at_end(
        &self,
        principal: &Principal,
        period: Period,
    ) -> Result<Vec<OverdueComplaint>, ServiceError> {
        if scope_for(principal)? != Scope::All {
            return Err(ServiceError::Forbidden);
        }
        let calendar = self.calendar();
        let standards = self.standards();
        let (from, to) = period.instants(&calendar)?;
        let end = calendar.local_date(to);
        let last_day = end.yesterday().unwrap_or(end);
        let mut overdue = Vec::new();
        self.for_each_report_complaint(from, to, |complaint| {
            let state = replay(complaint, to, &calendar, &standards);
            let Some(due) = state.due_at.filter(|due| *due <= to) else {
                return;
            };
            if state.status.is_terminal() {
                return;
            }
            let due_on = calendar.local_date(due);
            overdue.push(OverdueComplaint {
                tracking_number: complaint.tracking_number.clone(),
                received_on: calendar.local_date(complaint.received_at),
                agency: state.lead_agency.clone(),
                category: complaint.category.clone(),
                status: state.status.code().to_owned(),
                due_on,
                working_days_overdue: calendar.working_days_between(due_on, last_day).max(0),
            });
        })
        .await?;
        overdue.sort_by(|a, b| {
            b.working_days_overdue
                .cmp(&a.working_days_overdue)
                .then_with(|| a.tracking_number.cmp(&b.tracking_number))
        });
        Ok(overdue)
    }
}
