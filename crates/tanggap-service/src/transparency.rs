//! Figures of the public transparency page.
//!
//! The page shows the quarterly report's figures (see [`crate::report`])
//! for the twelve months up to the current month, so the definitions are
//! the report's. The figures contain only counts and codes, never personal
//! data, so anyone may read them. Confidential complaints are counted like
//! the others: a count reveals neither their text nor their reporter.

use crate::error::ServiceError;
use crate::report::{Figures, Period};
use crate::{Services, now};
use jiff::civil::Date;

/// Months covered by [`Services::public_figures`], the current one included.
pub const MONTHS: i32 = 12;

impl Services {
    /// Returns the period of the transparency page: the first day of the
    /// month eleven months ago up to the first day of the next month.
    pub fn transparency_period(&self) -> Result<Period, ServiceError> {
        let today = self.calendar().local_date(now());
        let this_month = Date::new(today.year(), today.month(), 1)
            .map_err(|e| ServiceError::Internal(format!("first day of the month: {e}")))?;
        let shift = |months: i32| {
            this_month
                .checked_add(jiff::Span::new().months(months))
                .map_err(|e| ServiceError::Internal(format!("month arithmetic: {e}")))
        };
        Period::new(shift(1 - MONTHS)?, shift(1)?)
    }

    /// Computes the report figures of `period` for the public, with the
    /// same streamed reading as the staff report. It reads every complaint
    /// of the period, so callers cache the result.
    pub async fn public_figures(&self, period: Period) -> Result<Figures, ServiceError> {
        let calendar = self.calendar();
        let standards = self.standards();
        let (from, to) = period.instants(&calendar)?;
        let mut figures = self.figures_of(from, to, &calendar, &standards).await?;
        figures.period = Some(period);
        Ok(figures)
    }
}
