//! Synthetic complaints for demos and benchmarks (`tanggap demo generate`).
//!
//! Each complaint copies the classification and flags of a random sample
//! complaint. Its body is assembled from sample sentences and stock
//! phrases, and its place lies inside a kelurahan boundary. Arrival times
//! follow daily, weekly and seasonal patterns. The history is played through
//! [`tanggap_core::lifecycle`] with the installation's working-day calendar.
//! Steps that would fall after the end instant are not taken, so recent
//! complaints stay open at every stage, and some are overdue.
//!
//! The output is a function of the corpus, the options, the calendar and
//! the first free complaint id: the same seed gives the same complaints.
//! Batches are written with [`tanggap_store::Store::insert_generated`], one
//! transaction and one audit entry per batch.

mod corpus;
mod history;

pub use corpus::Corpus;

use crate::error::ServiceError;
use crate::{Services, now};
use history::HistoryBuilder;
use jiff::civil::Weekday;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tanggap_core::lifecycle::Context;
use tanggap_core::{ComplaintId, TimeStandards, WorkingCalendar};
use tanggap_store::{AuditDraft, GeneratedBatch, GeneratedComplaint, micros};

/// Options of a generation run.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub complaints: u64,
    /// Arrivals are spread over this many years before `until`.
    pub years: u32,
    pub seed: u64,
    /// End of the generated history: nothing arrives or happens after it.
    pub until: Timestamp,
    /// Complaints per transaction.
    pub batch_size: usize,
}

/// Counts of what a generation run wrote.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct GenerateReport {
    pub complaints: u64,
    pub events: u64,
    pub first_id: i64,
    pub last_id: i64,
    /// Complaints per final status code.
    pub statuses: BTreeMap<&'static str, u64>,
}

/// The SplitMix64 generator: small, fast and with the same output on every
/// platform, which is all the generator needs. Not for secrets.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// Creates the generator of one `stream` (e.g. one complaint) of a `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD605_BBB5_8C8A_BBEF));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n`. `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Returns a number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// Returns an element of a non-empty slice.
    pub fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Relative arrival rate per local hour, read off the sample corpus's
/// arrival hours and smoothed by hand. It has a morning peak at 9-10 and an
/// evening peak at 20-21, when people write from home.
const HOUR_WEIGHTS: [f64; 24] = [
    4.0, 3.0, 2.0, 2.0, 2.0, 3.0, 8.0, 11.0, 16.0, 24.0, 24.0, 16.0, 10.0, 15.0, 15.0, 11.0, 9.0,
    7.0, 7.0, 11.0, 17.0, 18.0, 12.0, 7.0,
];

fn weekday_weight(weekday: Weekday) -> f64 {
    match weekday {
        Weekday::Monday => 1.2,
        Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday => 1.0,
        Weekday::Friday => 0.85,
        Weekday::Saturday => 0.6,
        Weekday::Sunday => 0.5,
    }
}

/// Weights the rainy season (November to April) higher, because it brings
/// floods, potholes and blocked drains.
fn month_weight(month: i8) -> f64 {
    match month {
        11 | 12 | 1 | 2 | 3 | 4 => 1.25,
        _ => 0.85,
    }
}

/// Draws `count` arrival instants in `(until - years, until]`, sorted, by
/// rejection sampling against the hourly, weekly and seasonal weights, a
/// lower rate on holidays and a volume that doubles over the period.
fn arrivals(
    count: u64,
    years: u32,
    until: Timestamp,
    seed: u64,
    calendar: &WorkingCalendar,
) -> Vec<Timestamp> {
    let span = SignedDuration::from_hours(24 * 365 * i64::from(years) + 6 * i64::from(years));
    let start = until - span;
    let span_micros = span.as_micros() as f64;
    let max_weight = 24.0 * 1.2 * 1.25 * 2.0;
    let mut rng = Rng::new(seed, 0);
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    while (out.len() as u64) < count {
        let fraction = rng.unit();
        let offset = SignedDuration::from_micros((fraction * span_micros) as i64);
        let at = start + offset + SignedDuration::from_micros(1);
        let local = at.to_zoned(calendar.time_zone().clone());
        let date = local.date();
        let mut weight = HOUR_WEIGHTS[local.hour() as usize]
            * weekday_weight(date.weekday())
            * month_weight(date.month())
            * (1.0 + fraction);
        if !calendar.is_working_day(date)
            && !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        {
            weight *= 0.5;
        }
        if rng.unit() * max_weight < weight {
            out.push(at);
        }
    }
    out.sort_unstable();
    out
}

/// Builds every complaint of a run in order and hands them out in batches.
/// Runs on a blocking thread while the previous batch is being written.
fn produce_batches(
    corpus: &Corpus,
    calendar: &WorkingCalendar,
    standards: &TimeStandards,
    options: &GenerateOptions,
    first_id: i64,
    mut send: impl FnMut(Vec<GeneratedComplaint>) -> bool,
) -> Result<(), ServiceError> {
    let ctx = Context {
        calendar,
        standards,
    };
    let arrivals = arrivals(
        options.complaints,
        options.years,
        options.until,
        options.seed,
        calendar,
    );
    let mut builder = HistoryBuilder::new(corpus, ctx, options.seed, options.until);
    let mut batch = Vec::with_capacity(options.batch_size);
    for (index, arrival) in arrivals.into_iter().enumerate() {
        let id = ComplaintId(first_id + index as i64);
        batch.push(builder.build(index as u64, id, arrival)?);
        if batch.len() == options.batch_size {
            if !send(std::mem::take(&mut batch)) {
                return Ok(());
            }
            batch.reserve(options.batch_size);
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    Ok(())
}

/// Checks the options and returns them with the batch size clamped to 1..=50,000.
fn checked(options: &GenerateOptions) -> Result<GenerateOptions, ServiceError> {
    if options.complaints == 0 {
        return Err(ServiceError::field("complaints", "out_of_range"));
    }
    if !(1..=50).contains(&options.years) {
        return Err(ServiceError::field("years", "out_of_range"));
    }
    let mut options = options.clone();
    options.batch_size = options.batch_size.clamp(1, 50_000);
    Ok(options)
}

impl Services {
    /// Tells whether the reference data (agencies, holidays) has not been
    /// loaded yet, so that `demo generate` can seed it first.
    pub async fn reference_missing(&self) -> Result<bool, ServiceError> {
        Ok(self.store.list_agencies().await?.is_empty())
    }

    /// Generates `options.complaints` synthetic complaints and writes them
    /// in batches after the complaints already stored. `progress` is called
    /// with the number written so far after each batch.
    pub async fn generate_complaints(
        &self,
        corpus: Arc<Corpus>,
        options: &GenerateOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<GenerateReport, ServiceError> {
        let options = checked(options)?;
        let first_id = self.store.max_complaint_id().await? + 1;
        let calendar = self.calendar();
        let standards = (*self.standards()).clone();
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<GeneratedComplaint>>(2);
        let producer = {
            let options = options.clone();
            tokio::task::spawn_blocking(move || {
                produce_batches(
                    &corpus,
                    &calendar,
                    &standards,
                    &options,
                    first_id,
                    |batch| sender.blocking_send(batch).is_ok(),
                )
            })
        };

        let mut report = GenerateReport {
            first_id,
            last_id: first_id - 1,
            ..GenerateReport::default()
        };
        while let Some(batch) = receiver.recv().await {
            let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
                continue;
            };
            let events: usize = batch.iter().map(|g| g.events.len()).sum();
            let audit = AuditDraft {
                at_micros: micros(now()),
                actor: "system".into(),
                action: "complaint.generate".into(),
                entity: format!("complaints:{}-{}", first.complaint.id, last.complaint.id),
                details: json!({
                    "complaints": batch.len(),
                    "events": events,
                    "seed": options.seed,
                }),
            };
            self.store
                .insert_generated(GeneratedBatch {
                    complaints: &batch,
                    tracking_prefix: &self.config.tracking_prefix,
                    audit,
                })
                .await?;
            report.complaints += batch.len() as u64;
            report.events += events as u64;
            report.last_id = last.complaint.id.0;
            for generated in &batch {
                *report
                    .statuses
                    .entry(generated.complaint.status.code())
                    .or_default() += 1;
            }
            progress(report.complaints);
        }
        producer
            .await
            .map_err(|e| ServiceError::Internal(format!("generator thread failed: {e}")))??;
        tracing::info!(
            complaints = report.complaints,
            events = report.events,
            first_id = report.first_id,
            last_id = report.last_id,
            "synthetic complaints generated"
        );
        Ok(report)
    }
}

/// Builds the first `count` complaints of a run in memory, without a
/// store; for tests of determinism.
pub fn generate_in_memory(
    corpus: &Corpus,
    calendar: &WorkingCalendar,
    standards: &TimeStandards,
    options: &GenerateOptions,
    first_id: i64,
    count: usize,
) -> Result<Vec<GeneratedComplaint>, ServiceError> {
    let options = checked(options)?;
    let mut out = Vec::new();
    produce_batches(corpus, calendar, standards, &options, first_id, |batch| {
        out.extend(batch);
        out.len() < count
    })?;
    out.truncate(count);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        Corpus::parse(
            include_str!("../../../data/pengaduan-contoh.jsonl"),
            include_str!("../../../data/kelurahan-banjarmasin.geojson"),
        )
        .expect("corpus parses")
    }

    fn options(seed: u64) -> GenerateOptions {
        GenerateOptions {
            complaints: 400,
            years: 2,
            seed,
            until: "2026-03-02T00:00:00Z".parse().expect("instant"),
            batch_size: 100,
        }
    }

    fn calendar() -> WorkingCalendar {
        let zone = jiff::tz::TimeZone::get("Asia/Makassar").expect("zone");
        WorkingCalendar::new(zone, [jiff::civil::date(2025, 12, 25)])
    }

    #[test]
    fn generator_same_seed_same_complaints() {
        let corpus = corpus();
        let standards = TimeStandards::default();
        let first = generate_in_memory(&corpus, &calendar(), &standards, &options(7), 1, 150)
            .expect("first run");
        let second = generate_in_memory(&corpus, &calendar(), &standards, &options(7), 1, 150)
            .expect("second run");
        assert_eq!(first.len(), 150);
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.complaint, b.complaint);
            assert_eq!(a.events, b.events);
        }
        let other = generate_in_memory(&corpus, &calendar(), &standards, &options(8), 1, 150)
            .expect("other seed");
        assert_ne!(first[0].complaint.body, other[0].complaint.body);
    }

    #[test]
    fn generator_covers_statuses_and_bounds() {
        let corpus = corpus();
        let standards = TimeStandards::default();
        let options = options(3);
        let all = generate_in_memory(&corpus, &calendar(), &standards, &options, 1, 400)
            .expect("generated");
        let mut statuses = std::collections::BTreeSet::new();
        for (i, g) in all.iter().enumerate() {
            assert_eq!(g.complaint.id, ComplaintId(1 + i as i64));
            assert!(g.complaint.received_at <= options.until);
            assert!(g.events.iter().all(|e| e.at <= options.until));
            assert!(g.events.windows(2).all(|w| w[0].at <= w[1].at));
            if i > 0 {
                assert!(all[i - 1].complaint.received_at <= g.complaint.received_at);
            }
            statuses.insert(g.complaint.status.code());
        }
        for expected in [
            "resolved",
            "archived",
            "forwarded",
            "dispatched",
            "in_progress",
        ] {
            assert!(statuses.contains(expected), "no complaint ends {expected}");
        }
    }

    #[test]
    fn rng_below_stays_in_range() {
        let mut rng = Rng::new(1, 2);
        for n in [1, 2, 3, 1000] {
            for _ in 0..1000 {
                assert!(rng.below(n) < n);
            }
        }
    }
}
