//! Compliance with the SOPs' time standards: for every activity that a
//! complaint's history records (each lifecycle event names the SOP activity
//! it fulfils), how long it took against its time standard.
//!
//! An activity's time runs from the end of the activity before it in the
//! complaint's history, or from the end of its `counted_from` activity,
//! to the event that records it. The standard is that of the SOP version in
//! effect at the complaint's intake, with the variants for information
//! requests and complaints that need inspection. Activities with a standard
//! of 0 have no time of their own and are not measured.
//!
//! The events are streamed from the store one complaint after another and
//! folded into histograms per activity, agency and quarter, so memory grows
//! with the number of groups and distinct durations, not with the number
//! of complaints.
//!
//! NOTE: the time a complaint spends on hold is counted too, while the
//! lifecycle's verification clock pauses during a hold.

use crate::error::ServiceError;
use crate::sops::SopVersion;
use crate::{Principal, Services};
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use tanggap_core::sop::TimeUnit;
use tanggap_core::{Role, WorkingCalendar};
use tanggap_store::monev::ActivityEvent;
use tanggap_store::{from_micros, micros};

/// Worst cases kept per group.
pub const WORST_MAX: usize = 5;

/// Roles that may see the compliance figures.
pub const COMPLIANCE_ROLES: &[Role] =
    &[Role::CitySecretary, Role::CentralAdmin, Role::ComplaintTeam];

/// Durations of one activity in one group, as a histogram.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measure {
    pub measured: u64,
    pub within: u64,
    /// Duration (working days, or minutes for standards in hours or
    /// minutes) to the number of times it occurred.
    pub histogram: BTreeMap<i64, u64>,
    /// Longest durations with the complaint's tracking number, longest first.
    pub worst: Vec<(i64, String)>,
}

impl Measure {
    fn add(&mut self, duration: i64, within: bool, tracking_number: &str) {
        self.measured += 1;
        self.within += u64::from(within);
        *self.histogram.entry(duration).or_default() += 1;
        self.keep_worst(duration, tracking_number.to_owned());
    }

    fn keep_worst(&mut self, duration: i64, tracking_number: String) {
        let full = self.worst.len() >= WORST_MAX;
        if full && self.worst.last().is_some_and(|w| w.0 >= duration) {
            return;
        }
        let at = self.worst.partition_point(|w| w.0 >= duration);
        self.worst.insert(at, (duration, tracking_number));
        self.worst.truncate(WORST_MAX);
    }

    fn merge(&mut self, other: &Measure) {
        self.measured += other.measured;
        self.within += other.within;
        for (duration, count) in &other.histogram {
            *self.histogram.entry(*duration).or_default() += count;
        }
        for (duration, tracking) in &other.worst {
            self.keep_worst(*duration, tracking.clone());
        }
    }

    /// Share within the standard, 0 to 100; `None` when nothing was measured.
    pub fn percent_within(&self) -> Option<f64> {
        (self.measured > 0).then(|| self.within as f64 * 100.0 / self.measured as f64)
    }

    /// Returns the lower median.
    pub fn median(&self) -> Option<i64> {
        if self.measured == 0 {
            return None;
        }
        let target = (self.measured - 1) / 2;
        let mut seen = 0;
        for (duration, count) in &self.histogram {
            seen += count;
            if seen > target {
                return Some(*duration);
            }
        }
        None
    }
}

/// The group a measurement falls in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub sop: String,
    pub activity: String,
    /// Lead agency; empty for complaints without one.
    pub agency: String,
    pub year: i16,
    pub quarter: u8,
}

/// One activity's figures in one group.
#[derive(Clone, Debug, PartialEq)]
pub struct ComplianceRow {
    pub key: GroupKey,
    /// The activity's description in the SOP version in effect now.
    pub description: String,
    /// The base time standard (variants may apply to some complaints).
    pub standard_value: u32,
    pub standard_unit: TimeUnit,
    pub measure: Measure,
}

/// The compliance figures of a period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compliance {
    pub year: i16,
    pub quarter: Option<u8>,
    pub agency: Option<String>,
    /// One row per SOP, activity, agency and quarter, in that order.
    pub rows: Vec<ComplianceRow>,
}

impl Compliance {
    /// Merges the rows whose keys agree after `project`.
    fn merged(&self, project: impl Fn(&GroupKey) -> GroupKey) -> Vec<ComplianceRow> {
        let mut out: BTreeMap<GroupKey, ComplianceRow> = BTreeMap::new();
        for row in &self.rows {
            let key = project(&row.key);
            out.entry(key.clone())
                .and_modify(|r| r.measure.merge(&row.measure))
                .or_insert_with(|| ComplianceRow { key, ..row.clone() });
        }
        out.into_values().collect()
    }

    /// Returns one row per SOP activity.
    pub fn overall(&self) -> Vec<ComplianceRow> {
        self.merged(|k| GroupKey {
            agency: String::new(),
            quarter: 0,
            ..k.clone()
        })
    }

    /// Returns one row per SOP activity and agency.
    pub fn by_agency(&self) -> Vec<ComplianceRow> {
        self.merged(|k| GroupKey {
            quarter: 0,
            ..k.clone()
        })
    }

    /// Returns one row per SOP activity and quarter.
    pub fn by_quarter(&self) -> Vec<ComplianceRow> {
        self.merged(|k| GroupKey {
            agency: String::new(),
            ..k.clone()
        })
    }

    /// Writes the rows as CSV, one per SOP, activity, agency and quarter.
    /// Durations are in working days, or in minutes when `unit` says so.
    pub fn to_csv(&self) -> Result<String, ServiceError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let failed = |e: csv::Error| ServiceError::Internal(format!("CSV writing failed: {e}"));
        writer
            .write_record([
                "sop",
                "activity",
                "agency",
                "year",
                "quarter",
                "standard",
                "unit",
                "measured",
                "within_standard",
                "percent_within",
                "median",
                "worst",
            ])
            .map_err(failed)?;
        for row in &self.rows {
            let unit = match row.standard_unit {
                TimeUnit::WorkingDays => "working_days",
                TimeUnit::Hours | TimeUnit::Minutes => "minutes",
            };
            let standard = match row.standard_unit {
                TimeUnit::Hours => row.standard_value * 60,
                _ => row.standard_value,
            };
            let worst: Vec<String> = row
                .measure
                .worst
                .iter()
                .map(|(d, tracking)| format!("{tracking}:{d}"))
                .collect();
            writer
                .write_record([
                    row.key.sop.clone(),
                    row.key.activity.clone(),
                    row.key.agency.clone(),
                    row.key.year.to_string(),
                    row.key.quarter.to_string(),
                    standard.to_string(),
                    unit.to_owned(),
                    row.measure.measured.to_string(),
                    row.measure.within.to_string(),
                    row.measure
                        .percent_within()
                        .map(|p| format!("{p:.1}"))
                        .unwrap_or_default(),
                    row.measure
                        .median()
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    worst.join(" "),
                ])
                .map_err(failed)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| ServiceError::Internal(format!("CSV writing failed: {e}")))?;
        String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

/// The measured duration and whether it met the standard.
fn measure_one(
    calendar: &WorkingCalendar,
    start: Timestamp,
    end: Timestamp,
    value: u32,
    unit: TimeUnit,
) -> (i64, bool) {
    match unit {
        TimeUnit::WorkingDays => {
            let from = calendar.effective_date(calendar.local_date(start));
            let days = calendar.working_days_between(from, calendar.local_date(end));
            (days, end <= calendar.deadline(start, value))
        }
        TimeUnit::Hours | TimeUnit::Minutes => {
            let minutes = end.duration_since(start).as_mins();
            let limit = if unit == TimeUnit::Hours {
                i64::from(value) * 60
            } else {
                i64::from(value)
            };
            (minutes, minutes <= limit)
        }
    }
}

/// Folds the events of one complaint at a time into the groups.
struct Folder<'a> {
    calendar: &'a WorkingCalendar,
    versions: &'a HashMap<String, Vec<SopVersion>>,
    from: Timestamp,
    to: Timestamp,
    agency: Option<&'a str>,
    groups: BTreeMap<GroupKey, (u32, TimeUnit, Measure)>,
    complaint: i64,
    intake: Option<Timestamp>,
    previous: Option<Timestamp>,
    /// End of each activity in the current complaint's history so far.
    ended: HashMap<String, Timestamp>,
}

impl Folder<'_> {
    fn version_at(&self, number: &str, at: Timestamp) -> Option<&SopVersion> {
        self.versions
            .get(number)?
            .iter()
            .filter(|v| v.effective_from <= at)
            .max_by_key(|v| v.version)
    }

    fn push(&mut self, event: ActivityEvent) {
        let Ok(at) = from_micros(event.at) else {
            return;
        };
        if event.complaint_id != self.complaint {
            self.complaint = event.complaint_id;
            self.intake = Some(at);
            self.previous = None;
            self.ended.clear();
        }
        let previous = self.previous.replace(at);
        let Some((number, activity_id)) = event.sop_activity.split_once('#') else {
            return;
        };
        let start = self
            .measure_start(number, activity_id, previous)
            .filter(|_| at >= self.from && at < self.to);
        self.ended.insert(activity_id.to_owned(), at);
        let Some((start, value, unit)) = start else {
            return;
        };
        let agency = event.lead_agency.clone().unwrap_or_default();
        if self.agency.is_some_and(|a| a != agency) {
            return;
        }
        let variant_kind = if event.complaint_type == "information_request" {
            Some("information_request")
        } else if event.supervision {
            Some("complaint_requiring_inspection")
        } else {
            None
        };
        let (value, unit, base) = self
            .variant(number, activity_id, variant_kind)
            .map_or((value, unit, (value, unit)), |(v, u)| (v, u, (value, unit)));
        let (duration, within) = measure_one(self.calendar, start, at, value, unit);
        let date = self.calendar.local_date(at);
        let key = GroupKey {
            sop: number.to_owned(),
            activity: activity_id.to_owned(),
            agency,
            year: date.year(),
            quarter: u8::try_from((date.month() - 1) / 3 + 1).unwrap_or(1),
        };
        let group = self
            .groups
            .entry(key)
            .or_insert_with(|| (base.0, base.1, Measure::default()));
        group.2.add(duration, within, &event.tracking_number);
    }

    /// Returns where an activity's time starts and its base standard, or
    /// `None` when it is not measured.
    fn measure_start(
        &self,
        number: &str,
        activity_id: &str,
        previous: Option<Timestamp>,
    ) -> Option<(Timestamp, u32, TimeUnit)> {
        let intake = self.intake?;
        let version = self.version_at(number, intake)?;
        let activity = version
            .sop
            .activities
            .iter()
            .find(|a| a.id == activity_id)?;
        if activity.time.value == 0 {
            return None;
        }
        let start = match &activity.time.counted_from {
            Some(from) => *self.ended.get(from)?,
            None => previous?,
        };
        Some((start, activity.time.value, activity.time.unit))
    }

    fn variant(
        &self,
        number: &str,
        activity_id: &str,
        kind: Option<&str>,
    ) -> Option<(u32, TimeUnit)> {
        let kind = kind?;
        let version = self.version_at(number, self.intake?)?;
        let activity = version
            .sop
            .activities
            .iter()
            .find(|a| a.id == activity_id)?;
        activity
            .time_variants
            .iter()
            .find(|v| v.when == kind)
            .map(|v| (v.value, v.unit))
    }
}

impl Services {
    /// Computes the compliance figures of `year`, or of one quarter of it,
    /// optionally for one lead agency.
    pub async fn compliance(
        &self,
        principal: &Principal,
        year: i16,
        quarter: Option<u8>,
        agency: Option<&str>,
    ) -> Result<Compliance, ServiceError> {
        if !COMPLIANCE_ROLES.contains(&principal.role) {
            return Err(ServiceError::Forbidden);
        }
        let (first, last) = match quarter {
            Some(q) => (q, q),
            None => (1, 4),
        };
        let start = crate::report::Period::quarter(year, first)?;
        let end = crate::report::Period::quarter(year, last)?;
        let calendar = self.calendar();
        let instant = |date: Date| {
            date.to_zoned(calendar.time_zone().clone())
                .map(|z| z.timestamp())
                .map_err(|e| ServiceError::Internal(format!("period bound {date}: {e}")))
        };
        let (from, to) = (instant(start.from)?, instant(end.to)?);

        let mut versions = HashMap::new();
        let mut current = HashMap::new();
        for shipped in crate::sops::shipped_sops() {
            let number = shipped.sop.number.clone();
            let all = self.sop_versions(&number).await?;
            current.insert(
                number.clone(),
                self.sop_in_effect(&number, crate::now()).await?,
            );
            versions.insert(number, all);
        }
        let mut folder = Folder {
            calendar: &calendar,
            versions: &versions,
            from,
            to,
            agency,
            groups: BTreeMap::new(),
            complaint: 0,
            intake: None,
            previous: None,
            ended: HashMap::new(),
        };
        self.store
            .for_each_activity_event(micros(from), micros(to), &mut |event| folder.push(event))
            .await?;

        let rows = folder
            .groups
            .into_iter()
            .map(|(key, (value, unit, measure))| {
                let description = current
                    .get(&key.sop)
                    .and_then(|v| v.sop.activities.iter().find(|a| a.id == key.activity))
                    .map(|a| a.description.clone())
                    .unwrap_or_default();
                ComplianceRow {
                    key,
                    description,
                    standard_value: value,
                    standard_unit: unit,
                    measure,
                }
            })
            .collect();
        Ok(Compliance {
            year,
            quarter,
            agency: agency.map(str::to_owned),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_keeps_median_and_worst() {
        let mut m = Measure::default();
        for (i, d) in [3, 1, 7, 2, 9, 4, 8].into_iter().enumerate() {
            m.add(d, d <= 3, &format!("BJM-26-{i:06}"));
        }
        assert_eq!(m.measured, 7);
        assert_eq!(m.within, 3);
        assert_eq!(m.median(), Some(4));
        let worst: Vec<i64> = m.worst.iter().map(|w| w.0).collect();
        assert_eq!(worst, [9, 8, 7, 4, 3]);
    }
}
