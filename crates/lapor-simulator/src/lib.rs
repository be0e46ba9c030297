//! A local SIMULATOR of the SP4N-LAPOR! integration API, as Tanggap assumes
//! it (docs/lapor.md describes the contract). It is not LAPOR!: it keeps
//! reports in memory, makes new ones from a sample corpus, records the
//! updates a client pushes, and injects faults on request. The tests and
//! the demo run it on 127.0.0.1.
//!
//! Contract routes (bearer token required):
//! - `GET /api/v1/reports?cursor=C&limit=N`: reports changed after cursor `C`;
//! - `POST /api/v1/reports/{tracking_id}/updates`: push a status change,
//!   follow-up or response, deduplicated by the `Idempotency-Key` header;
//! - `GET /api/v1/reports/{tracking_id}/attachments/{id}`: an attachment.
//!
//! Control routes of the simulator (no token), under `/simulator`:
//! `POST reports` (`{"count": n}`) makes new reports, `POST
//! reports/{tracking_id}/reply` records a reporter's reply, `POST faults`
//! (`{"fault": "http_500", "count": 2}`) arms faults, `GET updates` lists
//! pushed updates and `GET reports` lists the reports.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Largest page the pull route returns.
pub const PAGE_LIMIT_MAX: usize = 100;
const PAGE_LIMIT_DEFAULT: usize = 50;
/// First tracking ID the simulator hands out.
const FIRST_TRACKING_NUMBER: u64 = 5_000_001;
/// A 2x2 PNG image, the photo attached to every third generated report.
const SAMPLE_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x13, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0xe0, 0xa0, 0x00,
    0x44, 0x0c, 0x0a, 0x0e, 0x07, 0x80, 0x08, 0x00, 0x1f, 0x8e, 0x04, 0x81, 0x12, 0x3e, 0xb2, 0x44,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A fault the simulator injects into the next contract requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Responds 500 Internal Server Error.
    Http500,
    /// Responds 429 Too Many Requests with `Retry-After: 1`.
    RateLimit,
    /// Waits [`Options::timeout_delay`] before responding normally.
    Timeout,
    /// Returns every report of a pulled page twice.
    Duplicate,
    /// Returns a pulled page newest first, followed by the previous
    /// version of each report that has one.
    OutOfOrder,
}

/// Settings of a simulator instance.
#[derive(Clone, Debug)]
pub struct Options {
    /// Bearer token that contract requests must carry.
    pub token: String,
    /// Seed of the choice of sample records.
    pub seed: u64,
    /// Delay of the `timeout` fault.
    pub timeout_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token: "simulator-token".into(),
            seed: 1,
            timeout_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub address: Option<String>,
    pub kelurahan_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReporterReply {
    pub satisfied: bool,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    pub at: jiff::Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
}

/// One version of a report, as the pull route returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub tracking_id: String,
    pub version: i64,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    /// `pengaduan`, `aspirasi` or `permintaan_informasi`.
    pub classification: String,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub status: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub reporter: Reporter,
    pub location: Location,
    pub reporter_reply: Option<ReporterReply>,
    pub attachments: Vec<AttachmentInfo>,
}

/// An update a client pushed, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushedUpdate {
    pub update_id: String,
    pub tracking_id: String,
    pub idempotency_key: String,
    pub body: Value,
}

/// A record of the sample corpus; only the fields a report needs.
#[derive(Clone, Debug, Deserialize)]
struct SampleRecord {
    jenis: String,
    judul: Option<String>,
    isi: String,
    nama_pelapor: Option<String>,
    telepon: Option<String>,
    email: Option<String>,
    #[serde(default)]
    anonim: bool,
    #[serde(default)]
    rahasia: bool,
    kode_kelurahan: Option<String>,
    alamat: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    kategori: Option<String>,
    subkategori: Option<String>,
}

#[derive(Default)]
struct Inner {
    /// Every version of every report, oldest first, by tracking ID.
    versions: BTreeMap<String, Vec<Report>>,
    /// Change log: position `i` contains the tracking ID changed at sequence `i + 1`.
    changes: Vec<String>,
    faults: VecDeque<Fault>,
    updates: Vec<PushedUpdate>,
    next_number: u64,
    rng: u64,
    attachments: BTreeMap<(String, String), Vec<u8>>,
}

/// The simulator's state, shared by its routes and by the code that started it.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Mutex<Inner>>,
    corpus: Arc<Vec<SampleRecord>>,
    options: Arc<Options>,
}

/// A running simulator.
pub struct Handle {
    pub address: SocketAddr,
    pub simulator: Simulator,
    task: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// Returns the base URL of the contract routes, e.g. `http://127.0.0.1:4000/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.address)
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

impl Simulator {
    /// Builds a simulator over the sample corpus in JSON Lines; lines that
    /// do not parse are skipped.
    pub fn new(corpus_jsonl: &str, options: Options) -> Self {
        let corpus: Vec<SampleRecord> = corpus_jsonl
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let inner = Inner {
            next_number: FIRST_TRACKING_NUMBER,
            rng: options.seed.max(1),
            ..Inner::default()
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            corpus: Arc::new(corpus),
            options: Arc::new(options),
        }
    }

    /// Binds `address` (port 0 picks a free port) and serves in a task.
    pub async fn start(self, address: SocketAddr) -> std::io::Result<Handle> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let app = self.router();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "LAPOR! simulator stopped");
            }
        });
        Ok(Handle {
            address,
            simulator: self,
            task,
        })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v1/reports", get(pull))
            .route("/api/v1/reports/{tracking_id}/updates", post(push))
            .route(
                "/api/v1/reports/{tracking_id}/attachments/{id}",
                get(attachment),
            )
            .route("/simulator/reports", post(generate).get(list_reports))
            .route("/simulator/reports/{tracking_id}/reply", post(reply))
            .route("/simulator/faults", post(arm_faults))
            .route("/simulator/updates", get(list_updates))
            .with_state(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes `count` new reports from the corpus and returns their tracking IDs.
    pub fn generate(&self, count: usize) -> Vec<String> {
        let mut inner = self.lock();
        let mut created = Vec::with_capacity(count);
        for _ in 0..count {
            let record = self.pick(&mut inner);
            let number = inner.next_number;
            inner.next_number += 1;
            let tracking_id = number.to_string();
            let now = jiff::Timestamp::now();
            let mut report = Report {
                tracking_id: tracking_id.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
                classification: record.map_or("pengaduan".into(), |r| r.jenis.clone()),
                title: record.and_then(|r| r.judul.clone()),
                body: record.map_or_else(
                    || "Laporan contoh dari simulator LAPOR!".into(),
                    |r| r.isi.clone(),
                ),
                category: record.and_then(|r| r.kategori.clone()),
                subcategory: record.and_then(|r| r.subkategori.clone()),
                status: "belum_diverifikasi".into(),
                anonymous: record.is_some_and(|r| r.anonim),
                confidential: record.is_some_and(|r| r.rahasia),
                reporter: Reporter {
                    name: record.and_then(|r| r.nama_pelapor.clone()),
                    phone: record.and_then(|r| r.telepon.clone()),
                    email: record.and_then(|r| r.email.clone()),
                },
                location: Location {
                    address: record.and_then(|r| r.alamat.clone()),
                    kelurahan_code: record.and_then(|r| r.kode_kelurahan.clone()),
                    latitude: record.and_then(|r| r.lat),
                    longitude: record.and_then(|r| r.lng),
                },
                reporter_reply: None,
                attachments: Vec::new(),
            };
            // Every third report carries a photo.
            if number.is_multiple_of(3) {
                report.attachments.push(AttachmentInfo {
                    id: "1".into(),
                    file_name: "foto.png".into(),
                    media_type: "image/png".into(),
                    size_bytes: SAMPLE_PNG.len() as u64,
                });
                inner
                    .attachments
                    .insert((tracking_id.clone(), "1".into()), SAMPLE_PNG.to_vec());
            }
            inner.versions.insert(tracking_id.clone(), vec![report]);
            inner.changes.push(tracking_id.clone());
            created.push(tracking_id);
        }
        created
    }

    fn pick<'a>(&'a self, inner: &mut Inner) -> Option<&'a SampleRecord> {
        if self.corpus.is_empty() {
            return None;
        }
        // xorshift64: deterministic for a seed, good enough to vary the samples.
        let mut x = inner.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        inner.rng = x;
        let index = usize::try_from(x % self.corpus.len() as u64).unwrap_or(0);
        self.corpus.get(index)
    }

    /// Records a reporter's reply on a report; `false` when it is unknown.
    pub fn reply(&self, tracking_id: &str, satisfied: bool, rating: Option<u8>) -> bool {
        self.change(tracking_id, |report| {
            report.status = "ditanggapi_pelapor".into();
            report.reporter_reply = Some(ReporterReply {
                satisfied,
                rating,
                comment: None,
                at: jiff::Timestamp::now(),
            });
        })
    }

    /// Applies `f` to a new version of the report and logs the change.
    fn change(&self, tracking_id: &str, f: impl FnOnce(&mut Report)) -> bool {
        let mut inner = self.lock();
        let Some(versions) = inner.versions.get_mut(tracking_id) else {
            return false;
        };
        let Some(mut next) = versions.last().cloned() else {
            return false;
        };
        f(&mut next);
        next.version += 1;
        next.updated_at = jiff::Timestamp::now();
        versions.push(next);
        inner.changes.push(tracking_id.to_owned());
        true
    }

    /// Arms `count` faults of one kind, applied to the next contract requests.
    pub fn inject(&self, fault: Fault, count: usize) {
        let mut inner = self.lock();
        inner.faults.extend(std::iter::repeat_n(fault, count));
    }

    pub fn updates(&self) -> Vec<PushedUpdate> {
        self.lock().updates.clone()
    }

    /// The latest version of every report.
    pub fn reports(&self) -> Vec<Report> {
        self.lock()
            .versions
            .values()
            .filter_map(|v| v.last().cloned())
            .collect()
    }

    fn take_fault(&self) -> Option<Fault> {
        self.lock().faults.pop_front()
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| token == self.options.token)
    }

    /// Checks the token and applies an armed fault; `Err` is the response
    /// to send instead of the normal one.
    async fn gate(&self, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
        if !self.authorised(headers) {
            return Err(problem(
                StatusCode::UNAUTHORIZED,
                "missing or invalid token",
            ));
        }
        match self.take_fault() {
            Some(Fault::Http500) => Err(problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "simulated server error",
            )),
            Some(Fault::RateLimit) => {
                let mut response = problem(StatusCode::TOO_MANY_REQUESTS, "simulated rate limit");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                Err(response)
            }
            Some(Fault::Timeout) => {
                tokio::time::sleep(self.options.timeout_delay).await;
                Ok(None)
            }
            other => Ok(other),
        }
    }
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json!({ "status": status.as_u16(), "detail": detail }).to_string(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct PullQuery {
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn pull(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Query(query): Query<PullQuery>,
) -> Response {
    let fault = match sim.gate(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let after: usize = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => match cursor.parse() {
            Ok(after) => after,
            Err(_) => return problem(StatusCode::BAD_REQUEST, "invalid cursor"),
        },
    };
    let limit = query
        .limit
        .unwrap_or(PAGE_LIMIT_DEFAULT)
        .clamp(1, PAGE_LIMIT_MAX);

    let inner = sim.lock();
    // The latest change of each report after the cursor, in change order.
    let mut latest: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, tracking_id) in inner.changes.iter().enumerate().skip(after) {
        latest.insert(tracking_id.as_str(), index + 1);
    }
    let mut changed: Vec<(usize, &str)> = latest.into_iter().map(|(id, seq)| (seq, id)).collect();
    changed.sort_unstable();
    let has_more = changed.len() > limit;
    changed.truncate(limit);
    let next_cursor = changed.last().map_or(after, |(seq, _)| *seq);

    let mut items: Vec<Report> = changed
        .iter()
        .filter_map(|(_, id)| inner.versions.get(*id).and_then(|v| v.last().cloned()))
        .collect();
    match fault {
        Some(Fault::Duplicate) => {
            items = items.into_iter().flat_map(|r| [r.clone(), r]).collect();
        }
        Some(Fault::OutOfOrder) => {
            items.reverse();
            let older: Vec<Report> = changed
                .iter()
                .filter_map(|(_, id)| {
                    let versions = inner.versions.get(*id)?;
                    versions
                        .len()
                        .checked_sub(2)
                        .and_then(|i| versions.get(i).cloned())
                })
                .collect();
            items.extend(older);
        }
        _ => {}
    }
    Json(json!({
        "items": items,
        "next_cursor": next_cursor.to_string(),
        "has_more": has_more,
    }))
    .into_response()
}

/// Status codes a pushed update may carry.
const PUSH_STATUSES: &[&str] = &[
    "belum_diverifikasi",
    "tunda",
    "terverifikasi",
    "terdisposisi",
    "ditindaklanjuti",
    "dikembalikan",
    "bukan_wewenang",
    "selesai",
    "diarsipkan",
];

async fn push(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(tracking_id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(response) = sim.gate(&headers).await {
        return response;
    }
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
    else {
        return problem(StatusCode::BAD_REQUEST, "missing Idempotency-Key header");
    };
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    if !matches!(kind, "status" | "follow_up" | "response") {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid kind");
    }
    let status = body.get("status").and_then(Value::as_str);
    if let Some(status) = status
        && !PUSH_STATUSES.contains(&status)
    {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid status");
    }

    {
        let inner = sim.lock();
        if !inner.versions.contains_key(&tracking_id) {
            return problem(StatusCode::NOT_FOUND, "unknown report");
        }
        if let Some(seen) = inner
            .updates
            .iter()
            .find(|u| u.tracking_id == tracking_id && u.idempotency_key == key)
        {
            return (
                StatusCode::OK,
                Json(json!({ "update_id": seen.update_id, "duplicate": true })),
            )
                .into_response();
        }
    }
    // A pushed status shows on the report without creating a change for
    // the pull route, as LAPOR! would not echo the client's own update.
    if let Some(status) = status {
        let mut inner = sim.lock();
        if let Some(report) = inner
            .versions
            .get_mut(&tracking_id)
            .and_then(|v| v.last_mut())
        {
            report.status = status.to_owned();
        }
    }
    let mut inner = sim.lock();
    let update_id = format!("U{}", inner.updates.len() + 1);
    inner.updates.push(PushedUpdate {
        update_id: update_id.clone(),
        tracking_id,
        idempotency_key: key,
        body,
    });
    (
        StatusCode::CREATED,
        Json(json!({ "update_id": update_id, "duplicate": false })),
    )
        .into_response()
}

async fn attachment(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path((tracking_id, id)): Path<(String, String)>,
) -> Response {
    if let Err(response) = sim.gate(&headers).await {
        return response;
    }
    match sim.lock().attachments.get(&(tracking_id, id)) {
        Some(content) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            content.clone(),
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, "unknown attachment"),
    }
}

#[derive(Deserialize)]
struct GenerateRequest {
    count: usize,
}

async fn generate(State(sim): State<Simulator>, Json(request): Json<GenerateRequest>) -> Response {
    let created = sim.generate(request.count.min(1000));
    (StatusCode::CREATED, Json(json!({ "created": created }))).into_response()
}

async fn list_reports(State(sim): State<Simulator>) -> Json<Vec<Report>> {
    Json(sim.reports())
}

#[derive(Deserialize)]
struct ReplyRequest {
    satisfied: bool,
    rating: Option<u8>,
}

async fn reply(
    State(sim): State<Simulator>,
    Path(tracking_id): Path<String>,
    Json(request): Json<ReplyRequest>,
) -> Response {
    if sim.reply(&tracking_id, request.satisfied, request.rating) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        problem(StatusCode::NOT_FOUND, "unknown report")
    }
}

#[derive(Deserialize)]
struct FaultRequest {
    fault: Fault,
    #[serde(default = "one")]
    count: usize,
}

fn one() -> usize {
    1
}

async fn arm_faults(State(sim): State<Simulator>, Json(request): Json<FaultRequest>) -> StatusCode {
    sim.inject(request.fault, request.count.min(1000));
    StatusCode::NO_CONTENT
}

async fn list_updates(State(sim): State<Simulator>) -> Json<Vec<PushedUpdate>> {
    Json(sim.updates())
}

/// Makes one new report every `interval` until the task is dropped.
pub async fn generate_every(simulator: Simulator, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let created = simulator.generate(1);
        tracing::info!(?created, "LAPOR! simulator made a new report");
    }
}
